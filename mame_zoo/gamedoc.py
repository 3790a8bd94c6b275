"""The documentation site's game pages, generated from the game declarations.

``python -m mame_zoo.gamedoc docs`` writes ``docs/games/<name>.md`` for every registered game and the overview
``docs/games/index.md``; each page shows ``docs/img/games/<name>.gif`` when it exists and the game's fidelity
results from ``docs/fidelity/*.json`` (written by ``scripts/fidelity_report.py``).
``python -m mame_zoo.gamedoc docs --gifs`` first records those GIFs with the project's own recording
(:class:`mame_zoo.record.VideoWriter`): random agents, on the MAME mame_zoo finds; games whose romset is not
in ``MAME_ZOO_ROMS`` are skipped and their page says how to make one.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium

from mame_zoo.env import MameParallelEnv
from mame_zoo.registry import pettingzoo_id
from mame_zoo.single_agent import gym_id

#: how the pages' GIFs are recorded (steps, frameskip, seed of random play); each page's caption says it
GIF_STEPS, GIF_FRAMESKIP, GIF_SEED = 150, 4, 0
#: games whose screen repeats every GIF_FRAMESKIP frames while nobody moves (Othello's blinking cursor and
#: pieces): sampled in step with it their GIF would not move
GIF_FRAMESKIP_FOR = {"othello_v0": 3}
_ENV_API = "../api/env.md#mame_zoo.env.MameParallelEnv"


def _args_doc(cls: type) -> dict[str, str]:
    """The ``Args:`` entries of a Google-style class docstring, by name, each joined into one line."""
    doc = inspect.getdoc(cls) or ""
    found: dict[str, str] = {}
    section = re.search(r"^Args:\n((?:[ \t]+.*\n?|\n)+)", doc, re.MULTILINE)
    name = ""
    for line in section.group(1).splitlines() if section else ():
        entry = re.match(r"^ {4}([\w / ]+?): (.*)$", line)
        if entry:
            name = entry.group(1)
            found[name] = entry.group(2)
        elif name and line.strip():
            found[name] += " " + line.strip()
    return found


def _fidelity(name: str, results: Sequence[Mapping[str, Any]]) -> list[str]:
    """The game's rows of every fidelity run: identical logs per MAME version, for each mode compared."""
    lines: list[str] = []
    for result in results:
        for mode, reference in (("multi", "Multi-Agent-ALE"), ("single", "ale-py's 1-player game")):
            mine = [r for r in result["rows"] if r["env"] == name and r.get("mode", "multi") == mode]
            for settings in dict.fromkeys(json.dumps(r.get("settings", {}), sort_keys=True) for r in mine):
                rows = [r for r in mine if json.dumps(r.get("settings", {}), sort_keys=True) == settings]
                same = sum(bool(r["identical"]) for r in rows)
                label = "versus" if mode == "multi" else "single agent"
                label += "".join(f", `{k}={v!r}`" for k, v in json.loads(settings).items())
                lines.append(f"| {result['mame']} | {label} | {reference} | {same} of {len(rows)} | "
                             f"{sum(r['steps'] for r in rows)} |")
    if not lines:
        return ["Not compared: no reference emulator runs this game (ALE runs only Atari 2600 cartridges)."]
    return ["Replayed action logs, reward events and episode end compared step by step with the reference "
            "([how, and every difference explained](../fidelity.md)):", "",
            "| MAME | mode | reference | logs identical | steps compared |", "|---|---|---|---|---|", *lines]


def render(name: str, gif: str | None = None, fidelity: Sequence[Mapping[str, Any]] = ()) -> str:
    """The Markdown page of a registered game, built from its declaration and a constructed (not started) env.

    Args:
        name: the game's env name (``boxing_v0``).
        gif: the page-relative path of a GIF of play, or None when there is none.
        fidelity: fidelity results (``docs/fidelity/<version>.json`` contents) to summarise for this game.
    """
    from mame_zoo.games import declaration

    game = declaration(name)
    env = MameParallelEnv(game)  # the constructor never starts MAME
    agent = env.possible_agents[0]
    lines = [f"# {game.env_name}", "", game.description, ""]
    if gif:
        skip = GIF_FRAMESKIP_FOR.get(game.env_name, GIF_FRAMESKIP)
        lines += [f"![{game.env_name}: random agents, {GIF_STEPS} steps at frameskip {skip}]({gif})", ""]
    else:
        lines += [f"No recording here: the romset is the user's. Make one with `mame-zoo record random --game "
                  f"{game.env_name} --format gif --max-steps {GIF_STEPS}` and `MAME_ZOO_ROMS` set.", ""]
    lines += ["| | |", "|---|---|",
              f"| Import | `from mame_zoo.games import {game.env_name}` |",
              f"| By name | `mame_zoo.make(\"{game.env_name}\")`, "
              f"`pettingzoo.make(\"parallel\", \"{pettingzoo_id(game.env_name)}\")` |",
              f"| Agents | {', '.join(f'`{a}`' for a in env.possible_agents)} |",
              f"| Action space | `{env.action_space(agent)}` per agent |"]
    machine = getattr(game, "rom", None)
    if machine:
        system = "a2600p" if getattr(game, "pal", False) else "a2600"
        lines.append(f"| Machine | MAME `{system}`, cartridge `{machine}.bin` from the ale-py wheel |")
    if getattr(game, "one_player_mode", 0) is not None:  # SF3 has no such field: it always has the mode
        lines.append(f"| Single agent vs the built-in opponent | `gymnasium.make(\"{gym_id(game.env_name)}\")` |")
    lines += ["", "## Actions", ""]
    meanings = getattr(game, "action_meanings", None)
    if meanings and isinstance(env.action_space(agent), gymnasium.spaces.MultiDiscrete):
        lines += ["An action is `[move, attack]`:", ""] + [f"- {m}" for m in meanings()]
    elif meanings:
        lines += ["| index | action |", "|---|---|"] + [f"| {i} | {m} |" for i, m in enumerate(meanings())]
    lines += ["", "## Observations", "", "| `obs_type` | observation space per agent |", "|---|---|"]
    for obs_type in ("rgb_image", "grayscale_image", "ram") if game.ram_obs is not None else ("rgb_image",
                                                                                              "grayscale_image"):
        lines.append(f"| `{obs_type}`{' (default)' if obs_type == 'rgb_image' else ''} | "
                     f"`{MameParallelEnv(game, obs_type=obs_type).observation_space(agent)}` |")
    if game.ram_state_space() is not None:
        lines += ["", "With `ram_state=True` the observation is a Dict of the frame and the decoded RAM state:", "",
                  f"`{MameParallelEnv(game, ram_state=True).observation_space(agent)}`"]
    lines += ["", "## RAM variables read by the rules", "", "| name | address | type |", "|---|---|---|"]
    lines += [f"| `{n}` | `{v.address:#06x}` | {v.dtype} |" for n, v in game.vars.items()]
    doc = getattr(game, "rules_doc", "") or (type(game.rules()).__doc__ or "").strip().split("\n")[0]
    lines += ["", "## Rewards and episode end", "", doc, ""]
    sources = getattr(game, "sources", ())
    if sources:
        lines += ["Sources: " + "; ".join(sources) + ".", ""]
    extra = getattr(game, "extra_doc", "")
    if extra:
        lines += [extra.strip(), ""]
    lines += ["## Options", "", f"Every option of [`MameParallelEnv`]({_ENV_API}) (`obs_type`, `frameskip`, "
              "`repeat_action_probability`, `max_cycles`, `render_mode`, ...) as a keyword of the factories; "
              "their defaults are `pettingzoo.atari`'s.", ""]
    settings = game.settings()
    if settings:
        specs = {st.name: st for st in getattr(game, "setting_specs", ())}
        described = _args_doc(type(game)) | {k: f"{st.doc} (one of {', '.join(f'`{v!r}`' for v in st.choices)})"
                                             for k, st in specs.items()}
        lines += ["The game's own settings:", "", "| keyword | default | what it sets |", "|---|---|---|"]
        lines += [f"| `{k}` | `{v!r}` | {described.get(k, '')} |" for k, v in settings.items()]
    else:
        lines += ["The game has no settings of its own: the cartridge's default mode and difficulty, as "
                  "Multi-Agent-ALE plays it."]
    lines += ["", "## Fidelity", "", *_fidelity(name, fidelity), ""]
    path = Path(getattr(game, "path", ""))
    if path.suffix == ".toml" and path.is_file():
        lines += ["## The game file", "", f"`mame_zoo/games/data/{path.name}` (format: [game files]"
                  "(../declarative.md)):", "", "```toml", path.read_text(encoding="utf-8").rstrip(), "```", ""]
    lines += ["## Version history", ""] + [f"* {h}" for h in getattr(game, "history", ())] + [""]
    return "\n".join(lines)


def render_index(gifs: Mapping[str, str]) -> str:
    """The overview page of every registered game: a picture, the agents and actions, a link to its page."""
    from mame_zoo.games import declaration
    from mame_zoo.registry import names

    lines = ["# Games", "", "Every game mame_zoo ships, each a PettingZoo `ParallelEnv` (and AEC env) whose players "
             "are all agents. The Atari 2600 cartridges come from the ale-py wheel; arcade romsets are yours "
             "(`MAME_ZOO_ROMS`). Your own game: [a game file](../declarative.md).", "",
             "| game | | agents | actions | description |", "|---|---|---|---|---|"]
    for name in names():
        game = declaration(name)
        env = MameParallelEnv(game)
        picture = f"![{name}]({gifs[name]}){{ width=120 }}" if name in gifs else "your romset"
        lines.append(f"| [`{name}`]({name}.md) | {picture} | {len(env.possible_agents)} | "
                     f"`{env.action_space(env.possible_agents[0])}` | {game.description.split('. ')[0]}. |")
    return "\n".join([*lines, ""])


def _fidelity_results(docs: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted((docs / "fidelity").glob("*.json"))]


def pages(docs: str | Path) -> dict[Path, str]:
    """Every generated page under the docs folder ``docs``, by path, with its text (nothing is written)."""
    from mame_zoo.registry import names

    root = Path(docs)
    results = _fidelity_results(root)
    gifs = {n: f"../img/games/{n}.gif" for n in names() if (root / "img" / "games" / f"{n}.gif").is_file()}
    out = {root / "games" / f"{n}.md": render(n, gifs.get(n), results) for n in names()}
    out[root / "games" / "index.md"] = render_index(gifs)
    return out


def write_all(docs: str | Path) -> list[Path]:
    """Write every generated page under the docs folder ``docs``; returns the paths."""
    written = []
    for path, text in pages(docs).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def record_gif(name: str, path: str | Path, steps: int = GIF_STEPS, frameskip: int | None = None,
               seed: int = GIF_SEED) -> Path:
    """Record random agents playing ``name`` for ``steps`` steps from a seeded reset into the GIF ``path``
    (``frameskip``: default the game's GIF frameskip)."""
    frameskip = frameskip or GIF_FRAMESKIP_FOR.get(name, GIF_FRAMESKIP)
    from mame_zoo.games import load
    from mame_zoo.record import VideoWriter

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    env = load(name).parallel_env(frameskip=frameskip, render_mode="rgb_array")
    writer = VideoWriter(str(path), fps=env.metadata.get("render_fps", 60) / frameskip)
    try:
        env.reset(seed=seed)
        for i, agent in enumerate(env.possible_agents):
            env.action_space(agent).seed(seed + i)
        writer.add(env.render())
        for _ in range(steps):
            if not env.agents:
                break
            env.step({a: env.action_space(a).sample() for a in env.agents})
            writer.add(env.render())
    finally:
        env.close()
    return Path(writer.close() or path)


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m mame_zoo.gamedoc DOCS [--gifs]``."""
    parser = argparse.ArgumentParser(description="Write the game pages of the docs site from the declarations.")
    parser.add_argument("docs", nargs="?", default="docs", help="the docs folder (default: docs)")
    parser.add_argument("--gifs", action="store_true", help="first record every game's GIF (needs MAME)")
    args = parser.parse_args(argv)
    if args.gifs:
        from mame_zoo.errors import RomNotFound
        from mame_zoo.games import declaration
        from mame_zoo.registry import names

        for name in names():
            try:
                declaration(name).machine(None)  # the romset from MAME_ZOO_ROMS (Atari: the ale-py wheel)
            except RomNotFound as exc:
                print(f"{name}: no GIF ({exc})")
                continue
            print(record_gif(name, Path(args.docs) / "img" / "games" / f"{name}.gif"))
    for path in write_all(args.docs):
        print(path)


if __name__ == "__main__":
    main()

"""Docs pages generated from game declarations: ``python -m mame_zoo.gamedoc docs/games``."""

from __future__ import annotations

import sys
from pathlib import Path

import gymnasium

from mame_zoo.env import MameParallelEnv
from mame_zoo.single_agent import gym_id


def render(name: str) -> str:
    """The Markdown page of a registered game, built from its declaration and a constructed (not started) env."""
    from mame_zoo.games import declaration

    game = declaration(name)
    env = MameParallelEnv(game)  # the constructor never starts MAME
    agent = env.possible_agents[0]
    lines = [f"# {game.env_name}", "", game.description, "",
             "| | |", "|---|---|",
             f"| Import | `from mame_zoo.games import {game.env_name}` |",
             f"| Agents | {', '.join(f'`{a}`' for a in env.possible_agents)} |",
             f"| Action space | `{env.action_space(agent)}` per agent |",
             f"| Observation space | `{env.observation_space(agent)}` (`obs_type='rgb_image'`) |"]
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
    lines += ["## Version history", ""] + [f"* {h}" for h in getattr(game, "history", ())] + [""]
    return "\n".join(lines)


def write_all(folder: str | Path) -> list[Path]:
    """Write one page per registered game into ``folder``; returns the paths."""
    from mame_zoo.registry import names

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in names():
        path = out / f"{name}.md"
        path.write_text(render(name), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_all(sys.argv[1] if len(sys.argv) > 1 else "docs/games"):
        print(written)

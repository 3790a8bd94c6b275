"""Self-play strength over time: a round-robin league of a run's checkpoints (and random play), Elo ratings.

    python -m mame_zoo.train.league RUN_DIR --matches 2 --out docs/img/boxing_league.png

Every pair of members plays ``matches`` matches in the multi-agent env, sides alternating (match *k* of a pair
is seeded ``seed + k``); a match is won by the higher score (a draw counts half). Results go to
``RUN_DIR/league.csv`` (pairs already there are not played again). Ratings are the Bradley-Terry maximum
likelihood fit in Elo units (400·log10 odds, a tiny prior towards 0 keeps unbeaten members finite), anchored
at random play = 0, so a rising curve means each checkpoint beats earlier ones more often.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
from collections.abc import Sequence
from pathlib import Path

from mame_zoo.errors import InvalidOption

LEAGUE_FIELDS = ["a", "b", "match", "a_side", "a_return", "b_return"]
RANDOM = "random"


def members(run_dir: str | os.PathLike[str], every: int = 1) -> list[tuple[str, int]]:
    """``(name, frames)`` of the league: random play (0 frames), then every ``every``-th checkpoint of the run
    and its final model, by frames."""
    from mame_zoo.train.policy import checkpoint_steps, load_policy
    from mame_zoo.train.selfplay import checkpoint_frames_per_timestep

    run = Path(run_dir)
    files = sorted(run.glob("checkpoints/*.zip"), key=checkpoint_steps)[every - 1::every]
    if (run / "final.zip").exists():
        files.append(run / "final.zip")
    if not files:
        raise InvalidOption(f"{os.fspath(run)} has no checkpoints (checkpoints/*.zip or final.zip)")
    out = [(RANDOM, 0)]
    for file in files:
        policy = load_policy(file)
        frames = round(policy.model.num_timesteps * checkpoint_frames_per_timestep(policy))
        out.append((os.fspath(file.relative_to(run)), frames))
    return sorted(out, key=lambda m: m[1])


def play_league(run_dir: str | os.PathLike[str], every: int = 1, matches: int = 2, seed: int = 0,
                progress: bool = True) -> list[dict[str, str]]:
    """Play the round robin (pairs not yet in ``league.csv``); returns all result rows."""
    from tqdm import tqdm

    from mame_zoo.registry import make
    from mame_zoo.train.evaluate import episode_parallel
    from mame_zoo.train.policy import load_policy, make_agent

    run = Path(run_dir)
    path = run / "league.csv"
    rows: list[dict[str, str]] = []
    if path.exists():
        with path.open() as fh:
            rows = list(csv.DictReader(fh))
    done = {(r["a"], r["b"], r["match"]) for r in rows}
    league = members(run, every)
    policies = {name: load_policy(run / name) for name, _ in league if name != RANDOM}
    cfg = next(iter(policies.values())).config
    todo = [(a, b, k) for (a, _), (b, _) in itertools.combinations(league, 2) for k in range(matches)
            if (a, b, str(k)) not in done]
    env = make(cfg.game, **cfg.env_kwargs())
    try:
        for a, b, k in tqdm(todo, desc="league", unit="match", disable=not progress):
            a_side = cfg.agents[k % 2]
            b_side = cfg.agents[1 - k % 2]
            players = {side: make_agent(policies.get(name, RANDOM), cfg, side, env.action_space(side),
                                        seed=seed + 7919 * (j + 1) + k)
                       for j, (side, name) in enumerate(((a_side, a), (b_side, b)))}
            returns, _ = episode_parallel(players, env, seed=seed + k)
            rows.append({"a": a, "b": b, "match": str(k), "a_side": a_side, "a_return": f"{returns[a_side]:g}",
                         "b_return": f"{returns[b_side]:g}"})
            with path.open("w", newline="") as fh:  # rewritten after each match: an interrupted league keeps it
                writer = csv.DictWriter(fh, LEAGUE_FIELDS)
                writer.writeheader()
                writer.writerows(rows)
    finally:
        env.close()
    return rows


def elo(rows: Sequence[dict[str, str]], names: Sequence[str], anchor: str = RANDOM,
        iterations: int = 2000) -> dict[str, float]:
    """Bradley-Terry ratings in Elo units from match rows (win 1, draw 0.5), ``anchor`` at 0.

    Each member also gets one virtual draw against a member rated 0, so that a member that never lost (or
    never won) keeps a finite rating.
    """
    index = {n: i for i, n in enumerate(names)}
    wins = [[0.0] * len(names) for _ in names]
    for r in rows:
        if r["a"] not in index or r["b"] not in index:
            continue
        a, b = index[r["a"]], index[r["b"]]
        diff = float(r["a_return"]) - float(r["b_return"])
        score = 1.0 if diff > 0 else 0.0 if diff < 0 else 0.5
        wins[a][b] += score
        wins[b][a] += 1.0 - score
    strength = [1.0] * len(names)
    for _ in range(iterations):  # the minorise-maximise update of Hunter (2004)
        new = []
        for i in range(len(names)):
            won = sum(wins[i]) + 0.5
            denom = 1.0 / (strength[i] + 1.0)
            for j in range(len(names)):
                games = wins[i][j] + wins[j][i]
                if games:
                    denom += games / (strength[i] + strength[j])
            new.append(won / denom)
        strength = new
    ref = strength[index[anchor]] if anchor in index else 1.0
    return {n: 400.0 * math.log10(strength[i] / ref) for n, i in index.items()}


def plot_league(run_dir: str | os.PathLike[str], out: str | os.PathLike[str], every: int = 1,
                title: str | None = None) -> dict[str, float]:
    """Draw each member's Elo over its training frames; returns the ratings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Path(run_dir)
    league = members(run, every)
    with (run / "league.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    ratings = elo(rows, [n for n, _ in league])
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    ax.plot([f / 1e6 for _, f in league], [ratings[n] for n, _ in league], "o-")
    ax.set_xlabel("emulated frames of training (millions; 0 = random play)")
    ax.set_ylabel("Elo (random play = 0)")
    ax.set_title(title or f"self-play league of {run.name}: {len(league)} members, {len(rows)} matches")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return ratings


def main(argv: list[str] | None = None) -> int:
    """``python -m mame_zoo.train.league RUN_DIR [--every N] [--matches M] [--out PNG]``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--every", type=int, default=1, help="take every Nth checkpoint (default all)")
    p.add_argument("--matches", type=int, default=2, help="matches per pair, sides alternating")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="PNG path (default RUN_DIR/league.png)")
    args = p.parse_args(argv)
    if args.every < 1 or args.matches < 1:
        raise InvalidOption("--every and --matches must be at least 1")
    play_league(args.run_dir, args.every, args.matches, args.seed)
    out = args.out or os.path.join(args.run_dir, "league.png")
    ratings = plot_league(args.run_dir, out, args.every)
    for name, frames in members(args.run_dir, args.every):
        print(f"{name:<36} {frames:>9} frames  Elo {ratings[name]:+.0f}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

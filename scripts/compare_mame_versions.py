#!/usr/bin/env python3
"""Does emulation differ between MAME versions? The same seeded random actions in every Atari game on each
given MAME binary; RAM observations, rewards and terminations compared step by step with the first binary.

    python scripts/compare_mame_versions.py /usr/games/mame /path/to/0.276/mame ... [--steps N] [--seeds K]

Prints a Markdown table (one row per game and version: steps compared, first step whose RAM differs, how many
steps and which bytes, reward events that differ, end step); docs/mame_versions.md holds its output. Every
binary gets the same action log.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from mame_zoo.bridge.process import version_name
from mame_zoo.registry import make, names

ATARI = [n for n in names() if n != "sfiii3n_v0"]
RAM_BASE = 0x80  # the 2600's 128 RAM bytes, the RAM observation


def run(game: str, mame: str, seed: int, steps: int) -> tuple[list[bytes], list[tuple[int, str, float]], int]:
    """RAM per step, reward events (step, agent, reward) and the step the episode ended (or ``steps``)."""
    env = make(game, obs_type="ram", mame=mame)
    try:
        obs, _ = env.reset(seed=seed)
        rng = np.random.default_rng(seed)
        rams, events = [], []
        for step in range(steps):
            actions = {a: int(rng.integers(env.action_space(a).n)) for a in env.agents}
            obs, rewards, terms, truncs, _ = env.step(actions)
            rams.append(obs[env.possible_agents[0]].tobytes())
            events += [(step, a, float(r)) for a, r in rewards.items() if r]
            if any(terms.values()) or any(truncs.values()):
                return rams, events, step
        return rams, events, steps
    finally:
        env.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mame", nargs="+", help="MAME binaries; the first is the reference")
    p.add_argument("--steps", type=int, default=3000, help="steps per episode at most (frameskip 1)")
    p.add_argument("--seeds", type=int, default=2, help="action logs per game")
    p.add_argument("--games", nargs="*", default=ATARI)
    args = p.parse_args()
    versions = [version_name(m) for m in args.mame]
    print("| game | MAME | steps compared | first RAM difference (step) | reward events differing | end step |")
    print("|---|---|---|---|---|---|")
    for game in args.games:
        for seed in range(args.seeds):
            ref = run(game, args.mame[0], seed, args.steps)
            print(f"| {game} seed {seed} | {versions[0]} | {len(ref[0])} | (reference) | (reference: "
                  f"{len(ref[1])} events) | {ref[2]} |")
            for mame, version in zip(args.mame[1:], versions[1:]):
                rams, events, end = run(game, mame, seed, args.steps)
                n = min(len(rams), len(ref[0]))
                steps_off = [i for i in range(n) if rams[i] != ref[0][i]]
                addresses = sorted({RAM_BASE + j for i in steps_off for j, (a, b) in
                                    enumerate(zip(rams[i], ref[0][i])) if a != b})
                where = (f"{steps_off[0]} ({len(steps_off)} steps; bytes "
                         f"{', '.join(f'0x{a:02X}' for a in addresses[:8])}{' ...' if len(addresses) > 8 else ''})"
                         if steps_off else "none")
                differing = len(set(events) ^ set(ref[1]))
                print(f"| {game} seed {seed} | {version} | {n} | {where} | {differing} | {end} |")
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

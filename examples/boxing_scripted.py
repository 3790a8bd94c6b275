"""Hand-written Boxing players against the console's boxer: reference scores for a trained policy.

Plays player 1 (white) of ``mame_zoo/Boxing-v0`` (the single-agent env: the console's AI is the black boxer)
with a scripted policy that reads the 2600's RAM, and prints the score margin (player 1 - console) per match:

    python examples/boxing_scripted.py --policy chase --episodes 10

Policies: ``chase`` walks to the console's boxer (lines up vertically, closes in horizontally) and punches
half the time; ``fire`` stands still and punches; ``noop`` does nothing; ``random`` picks uniformly among the
18 actions (what ``mame-zoo eval random --vs cpu`` measures through the same env). The boxers' positions
are RAM bytes 0xA0-0xA3 (player 1 x, console x, player 1 y, console y; y grows downwards): with
``mame_zoo.finder``, holding RIGHT then LEFT (``increased``/``decreased``) narrows x down to 0xA0, DOWN then UP
y to 0xA2; the console's boxer has the bytes after them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import gymnasium
import numpy as np

import mame_zoo  # noqa: F401  (registers the mame_zoo/... Gymnasium ids)
from mame_zoo.games import declaration

ACTIONS = declaration("boxing_v0").action_meanings()  # ALE's 18, in ALE's order: NOOP, FIRE, UP, RIGHT, ...
RAM_START = 0x80  # observation byte i is RAM address 0x80 + i
P1_X, CPU_X, P1_Y, CPU_Y = (a - RAM_START for a in (0xA0, 0xA1, 0xA2, 0xA3))

Policy = Callable[[np.ndarray, np.random.Generator], int]


def chase(ram: np.ndarray, rng: np.random.Generator, reach: int = 10, slack: int = 6) -> int:
    """Line up with the other boxer, walk in until ``reach`` pixels apart, punch every other step or so."""
    dx = int(ram[CPU_X]) - int(ram[P1_X])
    dy = int(ram[CPU_Y]) - int(ram[P1_Y])
    name = "UP" if dy < -slack else "DOWN" if dy > slack else ""
    if abs(dx) > reach:
        name += "RIGHT" if dx > 0 else "LEFT"
    if rng.random() < 0.5:
        name += "FIRE"
    return ACTIONS.index(name or "NOOP")


POLICIES: dict[str, Policy] = {
    "chase": chase,
    "fire": lambda ram, rng: ACTIONS.index("FIRE"),
    "noop": lambda ram, rng: ACTIONS.index("NOOP"),
    "random": lambda ram, rng: int(rng.integers(len(ACTIONS))),
}


def play(policy: Policy, episodes: int, seed: int, frameskip: int = 4, max_cycles: int = 100_000,
         quiet: bool = False) -> list[float]:
    """Score margins of ``episodes`` matches (cut after ``max_cycles`` steps); match ``i`` is seeded ``seed + i``."""
    env = gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram", frameskip=frameskip, max_cycles=max_cycles)
    margins = []
    try:
        for i in range(episodes):
            rng = np.random.default_rng(seed + i)
            ram, _ = env.reset(seed=seed + i)
            total, done = 0.0, False
            while not done:
                ram, reward, terminated, truncated, _ = env.step(policy(ram, rng))
                total += float(reward)
                done = terminated or truncated
            margins.append(total)
            if not quiet:
                print(f"match {i}: {total:+g}", flush=True)
    finally:
        env.close()
    return margins


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--policy", choices=sorted(POLICIES), default="chase")
    parser.add_argument("--episodes", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    margins = play(POLICIES[args.policy], args.episodes, args.seed)
    print(f"{args.policy} vs cpu: score margin {np.mean(margins):+.1f} ± {np.std(margins):.1f} over "
          f"{len(margins)} matches (min {min(margins):+g}, max {max(margins):+g})")


if __name__ == "__main__":
    main()

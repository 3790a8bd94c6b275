"""Hogwild: N MAME environments stepped concurrently from N Python threads, sharing one policy without locks.

Every thread plays its own Boxing match with the same linear softmax policy over the console's 128 RAM bytes
(both boxers use it: parameter sharing) and updates the shared weights in place after every step with a
one-step REINFORCE rule, without any lock: the lock-free "hogwild" scheme. The environments are created up
front; stepping releases the GIL while MAME emulates, so the N MAME processes run on N cores at once.

    python examples/hogwild_threads.py --envs 4 --steps 2000

Prints the aggregate env steps/s, the same for one env alone (run first, as the reference), and each
thread's score. The policy is deliberately tiny: the point is the threading, not the learning.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import numpy as np

from mame_zoo.registry import make
from mame_zoo.scale import hogwild


class SharedPolicy:
    """A linear softmax policy on RAM bytes, updated in place from many threads (no lock: hogwild)."""

    def __init__(self, n_actions: int, n_inputs: int = 128, lr: float = 1e-3, seed: int = 0) -> None:
        self.weights = np.zeros((n_actions, n_inputs + 1))
        self.lr = lr
        self.seed = seed

    def features(self, ram: np.ndarray) -> np.ndarray:
        return np.append(ram.astype(np.float64) / 255.0, 1.0)

    def act(self, x: np.ndarray, rng: np.random.Generator) -> tuple[int, np.ndarray]:
        logits = self.weights @ x
        p = np.exp(logits - logits.max())
        p /= p.sum()
        return int(rng.choice(len(p), p=p)), p

    def update(self, x: np.ndarray, action: int, probs: np.ndarray, advantage: float) -> None:
        grad = -probs[:, None] * x[None, :]
        grad[action] += x
        self.weights += self.lr * advantage * grad  # in place, racing the other threads on purpose


def play(index: int, env: object, policy: SharedPolicy, steps: int, stop: threading.Event) -> dict[str, float]:
    """One thread's loop: play ``steps`` steps (resetting at match end), learning as it goes."""
    rng = np.random.default_rng(policy.seed + index)
    obs, _ = env.reset(seed=policy.seed + index)  # type: ignore[attr-defined]
    score = {agent: 0.0 for agent in env.possible_agents}  # type: ignore[attr-defined]
    for _ in range(steps):
        if stop.is_set():
            break
        chosen = {}
        for agent in env.agents:  # type: ignore[attr-defined]
            x = policy.features(obs[agent])
            action, probs = policy.act(x, rng)
            chosen[agent] = (x, action, probs)
        obs, rewards, terms, truncs, _ = env.step({a: c[1] for a, c in chosen.items()})  # type: ignore[attr-defined]
        for agent, (x, action, probs) in chosen.items():
            score[agent] += rewards[agent]
            if rewards[agent]:
                policy.update(x, action, probs, rewards[agent])
        if any(terms.values()) or any(truncs.values()):
            obs, _ = env.reset()  # type: ignore[attr-defined]
    return score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--game", default="boxing_v0")
    parser.add_argument("--envs", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--steps", type=int, default=2000, help="steps per env")
    parser.add_argument("--frameskip", type=int, default=4)
    args = parser.parse_args(argv)

    def new_env() -> object:
        return make(args.game, obs_type="ram", frameskip=args.frameskip)

    probe = new_env()
    n_actions = probe.action_space(probe.possible_agents[0]).n  # type: ignore[attr-defined]
    policy = SharedPolicy(n_actions)
    stop = threading.Event()

    def run(envs: list[object]) -> tuple[float, list[dict[str, float]]]:
        for env in envs:  # boot MAME outside the timed part (the first reset runs the game's start sequence)
            env.reset(seed=0)  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        scores = hogwild(envs, lambda i, env: play(i, env, policy, args.steps, stop), stop=stop)
        return time.perf_counter() - t0, scores

    envs = [probe]
    try:
        one, _ = run(envs)
        envs += [new_env() for _ in range(args.envs - 1)]  # created up front, before any thread starts
        wall, scores = run(envs)
    finally:
        for env in envs:
            env.close()  # type: ignore[attr-defined]
    rate1 = args.steps / one
    rate = args.envs * args.steps / wall
    print(f"1 env: {rate1:.0f} steps/s; {args.envs} envs in {args.envs} threads: {rate:.0f} steps/s "
          f"({rate / rate1:.2f}x)")
    for i, score in enumerate(scores):
        print(f"  thread {i}: " + ", ".join(f"{agent} {value:+.0f}" for agent, value in score.items()))
    print(f"shared weights: |W| = {np.linalg.norm(policy.weights):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Vectorised mame_zoo envs in worker processes: Gymnasium (single-agent) and SuperSuit (multi-agent).

    python examples/vector_envs.py --envs 4 --steps 500

1. ``mame_zoo.scale.make_vector_env("mame_zoo/Boxing-v0", N)``: Gymnasium's ``AsyncVectorEnv`` (one worker
   process and one MAME per env) for the single-agent envs, player 1 against the console.
2. ``mame_zoo.scale.concat_vec_envs(vec_env, N, num_cpus=C)``: SuperSuit's ``concat_vec_envs_v1`` for the
   multi-agent envs: each copy of the preprocessed parallel env contributes one row per agent.

Both are drop-in forms of the Gymnasium/SuperSuit originals that report a worker's error as the original
mame_zoo exception, a dead worker as ``EmulatorCrashed``, and leave no MAME behind after ``close()``, a
killed worker or a killed parent (see docs/scaling.md). Prints steps/s for each.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import supersuit as ss

from mame_zoo.errors import MameZooError
from mame_zoo.games import boxing_v0
from mame_zoo.scale import concat_vec_envs, make_vector_env


def gymnasium_single_agent(n: int, steps: int) -> None:
    envs = make_vector_env("mame_zoo/Boxing-v0", n, obs_type="grayscale_image", frameskip=4, max_cycles=1000)
    try:
        obs, _ = envs.reset(seed=0)
        print(f"Gymnasium AsyncVectorEnv: {n} workers, observations {obs.shape} {obs.dtype}")
        envs.action_space.seed(0)
        t0 = time.perf_counter()
        returns = np.zeros(n)
        for _ in range(steps):
            obs, rewards, _terms, _truncs, _ = envs.step(envs.action_space.sample())  # autoreset inside
            returns += rewards
        rate = n * steps / (time.perf_counter() - t0)
        print(f"  {rate:.0f} env steps/s; returns so far {returns.tolist()}")
    except MameZooError as exc:  # a worker's error, with its own type and message
        print(f"  a worker failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        envs.close()


def supersuit_multi_agent(n: int, cpus: int, steps: int) -> None:
    env = boxing_v0.parallel_env(obs_type="grayscale_image", frameskip=4, max_cycles=1000)
    env = ss.resize_v1(env, 84, 84)
    env = ss.frame_stack_v1(env, 4)
    vec = ss.pettingzoo_env_to_vec_env_v1(env)  # one row per agent
    envs = concat_vec_envs(vec, n, num_cpus=cpus)  # same arguments as ss.concat_vec_envs_v1
    try:
        obs, _ = envs.reset(seed=0)
        print(f"SuperSuit concat_vec_envs: {n} copies x 2 agents in {cpus} workers, observations {obs.shape}")
        rng = np.random.default_rng(0)
        t0 = time.perf_counter()
        for _ in range(steps):
            obs, *_ = envs.step(rng.integers(0, 18, envs.num_envs))
        rate = n * steps / (time.perf_counter() - t0)
        print(f"  {rate:.0f} env steps/s ({2 * rate:.0f} agent steps/s)")
    finally:
        envs.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--cpus", type=int, default=os.cpu_count() or 2, help="SuperSuit worker processes")
    parser.add_argument("--steps", type=int, default=500, help="vector steps per run")
    args = parser.parse_args(argv)
    gymnasium_single_agent(args.envs, args.steps)
    supersuit_multi_agent(args.envs, min(args.cpus, args.envs), args.steps)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

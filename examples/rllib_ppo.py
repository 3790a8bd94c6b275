"""PPO with Ray RLlib on a multi-agent mame_zoo game: the same script on a laptop and on a Ray cluster.

Every agent of the game (Boxing: ``first_0`` and ``second_0``) is an RLlib agent of one PettingZoo env,
wrapped by RLlib's ``ParallelPettingZooEnv``. The agents share one policy (self-play, ``--policy shared``) or
have one each (``--policy per-agent``). ``--env-runners N`` starts N RLlib env runners (Ray actors); each one
builds its own env and so runs its own MAME process, on whichever node Ray places it. Observations are
downscaled to ``--size``×``--size`` grayscale in the env runners before they reach the network.

    pip install "mame-zoo[ray]"                                   # ray[rllib] and torch (CPU is enough)
    python examples/rllib_ppo.py --env-runners 2 --iterations 5     # a laptop: starts a local Ray instance

    # a cluster: every node needs MAME (apt-get install mame) and mame_zoo with the [ray] extra
    ray start --head                        # on the head node; on each worker node: ray start --address=HEAD:6379
    RAY_ADDRESS=auto python examples/rllib_ppo.py --env-runners 32 --policy per-agent --iterations 200

Uses RLlib's new API stack (``RLModule``/``EnvRunner``/``Learner``). Nothing is written outside Ray's temp
folder unless ``--checkpoint DIR`` is given. See docs/scaling.md for sizing a node (one CPU and ~N MiB per
env runner).
"""

from __future__ import annotations

import argparse
import os
import secrets
import tempfile
import time
from typing import Any

import numpy as np

ENV_NAME = "mame_zoo_parallel"


def make_env(config: dict[str, Any]) -> Any:
    """RLlib env creator: a mame_zoo parallel env, downscaled to grayscale floats, as an RLlib MultiAgentEnv.

    Runs in each env runner process (on any node): MAME starts there, owned by that process.
    """
    import supersuit as ss
    from ray.rllib.env.wrappers.pettingzoo_env import ParallelPettingZooEnv

    from mame_zoo.registry import make

    env = make(config.get("game", "boxing_v0"), obs_type="grayscale_image", frameskip=config.get("frameskip", 4),
               max_cycles=config.get("max_cycles", 100000), repeat_action_probability=0.25)
    size = config.get("size", 42)
    env = ss.resize_v1(env, size, size)  # (size, size, 1) uint8, on the env runner: less to send around
    env = ss.dtype_v0(env, np.float32)
    env = ss.normalize_obs_v0(env, env_min=0.0, env_max=1.0)
    return ParallelPettingZooEnv(env)


def build_config(game: str = "boxing_v0", *, env_runners: int = 2, policy: str = "shared", size: int = 42,
                 frameskip: int = 4, max_cycles: int = 100000, batch: int = 4000, minibatch: int = 500,
                 epochs: int = 4, fragment: int | str = "auto", lr: float = 2.5e-4, small: bool = False) -> Any:
    """The PPOConfig of this example (also used by the test suite with tiny numbers).

    Args:
        game: a mame_zoo game name.
        env_runners: RLlib env runners (Ray actors, one CPU each), each with its own env and MAME.
        policy: ``"shared"`` (one policy for every agent) or ``"per-agent"``.
        size: observations are downscaled to size×size grayscale.
        frameskip / max_cycles: env options (frames per step inside MAME; steps per episode).
        batch / minibatch / epochs / fragment / lr: PPO settings (env steps per training batch, SGD minibatch,
            passes over the batch, env steps per env runner per sample, learning rate).
        small: a tiny network (for tests and smoke runs).
    """
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.rllib.core.rl_module.default_model_config import DefaultModelConfig
    from ray.rllib.core.rl_module.multi_rl_module import MultiRLModuleSpec
    from ray.rllib.core.rl_module.rl_module import RLModuleSpec
    from ray.tune.registry import register_env

    from mame_zoo.registry import make

    register_env(ENV_NAME, make_env)
    agents = make(game).possible_agents  # cheap: MAME starts at the first reset, which this never calls
    if policy == "shared":
        policies = {"shared"}

        def mapping(agent_id: str, *args: Any, **kwargs: Any) -> str:
            return "shared"
    elif policy == "per-agent":
        policies = set(agents)

        def mapping(agent_id: str, *args: Any, **kwargs: Any) -> str:
            return agent_id
    else:
        raise ValueError(f"policy must be 'shared' or 'per-agent', got {policy!r}")
    if small:
        model = DefaultModelConfig(conv_filters=[[8, [8, 8], 4], [16, [4, 4], 2]], conv_activation="relu",
                                   head_fcnet_hiddens=[32], vf_share_layers=True)
    else:
        model = DefaultModelConfig(conv_filters=[[16, [4, 4], 2], [32, [4, 4], 2], [256, [11, 11], 1]]
                                   if size == 42 else None, head_fcnet_hiddens=[256], vf_share_layers=True)
    return (
        PPOConfig()
        .environment(ENV_NAME, env_config={"game": game, "size": size, "frameskip": frameskip,
                                           "max_cycles": max_cycles})
        .env_runners(num_env_runners=env_runners, num_envs_per_env_runner=1, num_cpus_per_env_runner=1,
                     rollout_fragment_length=fragment)
        .learners(num_learners=0)  # learn in the driver process; on a GPU node: num_learners=1, num_gpus_per_learner=1
        .multi_agent(policies=policies, policy_mapping_fn=mapping)
        .rl_module(rl_module_spec=MultiRLModuleSpec(rl_module_specs={p: RLModuleSpec() for p in policies}),
                   model_config=model)
        .training(train_batch_size_per_learner=batch, minibatch_size=minibatch, num_epochs=epochs, lr=lr,
                  gamma=0.99, lambda_=0.95, clip_param=0.1, entropy_coeff=0.01, vf_loss_coeff=0.5)
        .debugging(log_level="WARN")
    )


def keep_home_clean(folder: str) -> None:
    """Stop Ray 2.x writing into ``$HOME``: its local-instance auth token and RLlib's trial folder.

    A new local Ray instance saves a generated auth token in ``~/.ray/auth_token`` unless one is given: give it
    one in the environment (inherited by Ray's processes; not for joining a cluster, which has its own token).
    An ``Algorithm`` built without Tune makes an (empty) folder in ``~/ray_results``: point it at ``folder``.
    """
    if not os.environ.get("RAY_ADDRESS"):
        os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))
    import ray.tune.trainable.trainable as trainable

    trainable.DEFAULT_STORAGE_PATH = folder  # read when an Algorithm is constructed


def summary(result: dict[str, Any]) -> str:
    """One line of a training result: env steps so far, episode returns per agent, timing."""
    runners = result.get("env_runners", {})
    returns = runners.get("agent_episode_returns_mean") or {}
    steps = result.get("num_env_steps_sampled_lifetime", runners.get("num_env_steps_sampled_lifetime", 0))
    parts = [f"env steps {int(steps)}"]
    parts += [f"{agent} {value:+.2f}" for agent, value in sorted(returns.items())]
    if "episode_return_mean" in runners:
        parts.append(f"episodes {runners.get('num_episodes_lifetime', '?')}")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--game", default="boxing_v0")
    parser.add_argument("--env-runners", type=int, default=2, help="RLlib env runners, one MAME each")
    parser.add_argument("--policy", choices=["shared", "per-agent"], default="shared")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--size", type=int, default=42, help="observations are downscaled to SIZE x SIZE")
    parser.add_argument("--frameskip", type=int, default=4)
    parser.add_argument("--batch", type=int, default=4000, help="env steps per training iteration")
    parser.add_argument("--num-cpus", type=int, default=None, help="CPUs of a local Ray (default: all)")
    parser.add_argument("--checkpoint", default=None, help="folder to save the final checkpoint in")
    parser.add_argument("--small", action="store_true", help="a tiny network (smoke runs)")
    args = parser.parse_args(argv)

    import ray

    scratch = tempfile.TemporaryDirectory(prefix="rllib_ppo-")
    keep_home_clean(scratch.name)
    # RAY_ADDRESS=auto (or ray://...) joins a running cluster; otherwise this starts a local instance.
    ray.init(address=os.environ.get("RAY_ADDRESS"), num_cpus=None if os.environ.get("RAY_ADDRESS") else args.num_cpus,
             include_dashboard=False, log_to_driver=False)
    algo = None
    try:
        config = build_config(args.game, env_runners=args.env_runners, policy=args.policy, size=args.size,
                              frameskip=args.frameskip, batch=args.batch, minibatch=min(500, args.batch),
                              small=args.small)
        algo = config.build_algo()
        for i in range(1, args.iterations + 1):
            t0 = time.perf_counter()
            result = algo.train()
            print(f"iteration {i}: {summary(result)} ({time.perf_counter() - t0:.1f} s)", flush=True)
        if args.checkpoint:
            path = algo.save_to_path(os.path.abspath(args.checkpoint))
            print(f"checkpoint: {path}")
    finally:
        if algo is not None:
            algo.stop()  # env runners close their envs: MAME exits
        ray.shutdown()
        scratch.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

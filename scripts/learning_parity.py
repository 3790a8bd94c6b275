"""Learning parity with ALE: one PPO script, the same settings and budget, on ale-py's single-player Boxing and
on mame_zoo's (``mame_zoo/Boxing-v0``), learning curves side by side.

    python scripts/learning_parity.py run --frames 1500000 --out runs/parity      # both envs, one after the other
    python scripts/learning_parity.py plot runs/parity --png docs/img/boxing_parity.png

Both runs use ``mame-zoo train``'s defaults (:class:`mame_zoo.train.selfplay.TrainConfig`: PPO, the 256-256
MLP on two stacked RAM snapshots, sign rewards, learning rate, clipping, epochs) with every match against the
console (``cpu_games`` envs, no self-play: ALE has no second player to learn), frameskip 4, no sticky actions,
no random no-op starts, and the same seeds. Each env logs every finished training match (frames, return) to
``OUT/<env>.csv``; the plot draws the running mean of those returns over emulated frames.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

ENVS = ("ale", "mame_zoo")
LABELS = {"ale": "ale-py ALE/Boxing-v5", "mame_zoo": "mame_zoo/Boxing-v0"}


class RamView(gymnasium.ObservationWrapper):  # type: ignore[type-arg]
    """Player 1's view of the RAM exactly as ``mame-zoo train`` makes it (the same Preprocessor)."""

    def __init__(self, env: gymnasium.Env, cfg: Any) -> None:  # type: ignore[type-arg]
        from mame_zoo.agents.observation import Preprocessor

        super().__init__(env)
        self.pre = Preprocessor(cfg, cfg.agents[0])
        ram = env.observation_space.shape[0]  # type: ignore[index]
        n = cfg.stack * ram + len(cfg.agents)
        self.observation_space = gymnasium.spaces.Box(0.0, 1.0, (n,), np.float32)

    def reset(self, **kwargs: Any) -> Any:
        self.pre.reset()
        return super().reset(**kwargs)

    def observation(self, observation: Any) -> Any:
        return self.pre(observation)


def make_env(kind: str, cfg: Any, seed: int, mame: str | None) -> Any:
    def thunk() -> gymnasium.Env:  # type: ignore[type-arg]
        if kind == "ale":
            import ale_py

            gymnasium.register_envs(ale_py)
            env = gymnasium.make("ALE/Boxing-v5", obs_type="ram", frameskip=cfg.frameskip,
                                 repeat_action_probability=0.0, full_action_space=False)
        else:
            import mame_zoo  # noqa: F401  (registers mame_zoo/Boxing-v0)

            env = gymnasium.make("mame_zoo/Boxing-v0", repeat_action_probability=0.0, noop_max=0,
                                 **cfg.env_kwargs(), **({"mame": mame} if mame else {}))
        env.reset(seed=seed)
        return RamView(env, cfg)

    return thunk


def run(kind: str, frames: int, out: Path, envs: int, seed: int, mame: str | None) -> None:
    """Train on one env and log its finished matches."""
    import torch
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.utils import LinearSchedule
    from stable_baselines3.common.vec_env import SubprocVecEnv, VecMonitor

    from mame_zoo.train.nets import policy_spec
    from mame_zoo.train.selfplay import TrainConfig, sign_rewards

    tc = TrainConfig()
    cfg = tc.obs_config()
    torch.set_num_threads(1)
    venv = sign_rewards(VecMonitor(SubprocVecEnv([make_env(kind, cfg, seed + i, mame) for i in range(envs)])))
    name, policy_kwargs = policy_spec(tc.net_name())
    model = PPO(name, venv, learning_rate=LinearSchedule(tc.learning_rate, 0.0, 1.0), n_steps=tc.n_steps,
                batch_size=tc.batch_size, n_epochs=tc.n_epochs, gamma=tc.gamma, gae_lambda=tc.gae_lambda,
                clip_range=tc.clip_range, ent_coef=tc.ent_coef, vf_coef=tc.vf_coef, max_grad_norm=tc.max_grad_norm,
                seed=seed, device="cpu", verbose=0, policy_kwargs=policy_kwargs)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{kind}.csv"
    started = time.perf_counter()

    class Log(BaseCallback):
        def _on_training_start(self) -> None:
            self.fh = path.open("w", newline="")
            self.writer = csv.writer(self.fh)
            self.writer.writerow(["frames", "wall_s", "return", "length"])

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    self.writer.writerow([self.num_timesteps * cfg.frameskip, f"{time.perf_counter() - started:.1f}",
                                          f"{info['episode']['r']:g}", info["episode"]["l"]])
            return True

        def _on_training_end(self) -> None:
            self.fh.close()

    try:
        model.learn(frames // cfg.frameskip, callback=Log())
    finally:
        venv.close()
    model.save(os.fspath(out / f"{kind}.zip"))
    print(f"{kind}: {frames} frames in {time.perf_counter() - started:.0f} s -> {path}")


def plot(out: Path, png: Path, window: int) -> None:
    """The running mean of each env's training-match returns over frames."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for kind in ENVS:
        path = out / f"{kind}.csv"
        if not path.exists():
            continue
        with path.open() as fh:
            rows = list(csv.DictReader(fh))
        x = np.array([float(r["frames"]) for r in rows]) / 1e6
        y = np.array([float(r["return"]) for r in rows])
        mean = np.array([y[max(0, i - window + 1):i + 1].mean() for i in range(len(y))])
        ax.plot(x, mean, label=f"{LABELS[kind]} ({len(y)} matches, last {window}: {y[-window:].mean():+.1f})")
    ax.axhline(0, color="grey", lw=0.5)
    ax.set_xlabel("emulated frames (millions)")
    ax.set_ylabel(f"score margin vs the console (running mean of {window})")
    ax.set_title("The same PPO run on ale-py's and mame_zoo's Boxing")
    ax.legend(loc="lower right")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=100)
    print(f"wrote {png}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="train on both envs (or --env one), one after the other")
    r.add_argument("--frames", type=int, default=1_500_000)
    r.add_argument("--out", type=Path, default=Path("runs/parity"))
    r.add_argument("--env", choices=ENVS, action="append", help="only this env (repeatable)")
    r.add_argument("--envs", type=int, default=8, help="matches in parallel (one process each)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--mame", help="MAME binary for mame_zoo")
    g = sub.add_parser("plot", help="draw the curves of a run folder")
    g.add_argument("out", type=Path)
    g.add_argument("--png", type=Path, default=Path("docs/img/boxing_parity.png"))
    g.add_argument("--window", type=int, default=30)
    args = p.parse_args(argv)
    if args.cmd == "run":
        for kind in args.env or ENVS:
            run(kind, args.frames, args.out, args.envs, args.seed, args.mame)
    else:
        plot(args.out, args.png, args.window)
    return 0


if __name__ == "__main__":
    sys.exit(main())

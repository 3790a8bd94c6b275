"""Self-play PPO (Stable-Baselines3): one shared policy plays every side of a multi-agent game.

The env stack, built by :func:`make_vec_env`::

    mame_zoo parallel env (frameskip inside MAME; RAM or screens)
      -> SuperSuit frame_stack / agent_indicator, and scaling   (mame_zoo.agents.observation.wrap_parallel)
      -> pettingzoo_env_to_vec_env_v1     (each agent is one "env" of the vector)
      -> concat_vec_envs_v1               (num_games matches in `workers` processes)
      -> VecMonitor -> reward clipping    (episode stats on raw score differences; PPO sees sign(reward))

Every sample of every agent trains the same network; the agent indicator tells it which player it is.
Beside the self-play matches the same vector env holds two other kinds, one env each:

- ``cpu_games``: matches against the game's built-in CPU, as player 1 with player 1's indicator: an anchor
  that keeps self-play from drifting into play that only works against itself;
- ``pool_games``: matches against frozen earlier versions of the policy and random play
  (:mod:`mame_zoo.train.opponents`; snapshots every ``pool_every`` frames in ``OUT/pool``), the learner's side
  rotating: what makes strength against past checkpoints rise (:mod:`mame_zoo.train.league`).

Budgets are in emulated frames (:func:`frames_per_timestep`; SB3 counts one timestep per agent per step).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from mame_zoo.agents.observation import EPISODE_NOOP_MAX, ObsConfig, wrap_parallel
from mame_zoo.errors import InvalidOption
from mame_zoo.train import require_train_extra
from mame_zoo.train.policy import CONFIG_ATTR, LoadedPolicy, resolve_checkpoint

if TYPE_CHECKING:
    from stable_baselines3.common.vec_env.base_vec_env import VecEnvObs, VecEnvStepReturn


@dataclasses.dataclass
class TrainConfig:
    """Settings of a self-play run. Defaults fit a 2-core CPU machine (2 M frames of Boxing take about 25 min).

    Attributes:
        game: registered multi-agent env, e.g. ``"boxing_v0"``.
        frames: emulated frames to train for (in total, when resuming).
        out: run folder (checkpoints/, progress.csv, TensorBoard events, eval.csv, final.zip).
        frameskip: emulated frames per step (:class:`~mame_zoo.agents.observation.ObsConfig`, as size and stack).
        obs_type: what the policy observes: ``"ram"`` (the machine's RAM, an MLP) or ``"rgb"`` (screens, a CNN).
        size: the side of the square grayscale observation the policy sees (``"rgb"``).
        stack: how many observations (screens or RAM snapshots) are stacked.
        net: ``"mlp"`` (RAM: 256-256 tanh layers), ``"small"`` (screens: the 2013 DQN CNN, cheap) or
            ``"nature"`` (screens: SB3's NatureCNN); None: ``"mlp"`` for RAM, ``"small"`` for screens.
        num_games: self-play matches played in parallel; PPO sees ``num_games * n_agents`` envs.
        cpu_games: matches against the built-in CPU played alongside them by the same policy (player 1), one
            env each (0: none). Their episode margins are logged as ``cpu_games/margin_mean``.
        pool_games: matches against past snapshots of the policy or random play, one env each (0: none; needs
            RAM observations). The learner's margins are logged as ``pool_games/margin_mean``.
        pool_every: frames between the snapshots written to ``out/pool`` for those matches.
        workers: worker processes running the matches (0: all in this process).
        n_steps: PPO's rollout length per env.
        batch_size: PPO's minibatch size.
        n_epochs: PPO's passes over each rollout.
        learning_rate: Adam's step size, decayed linearly to 0 over ``frames``.
        clip_range: PPO's policy clipping.
        ent_coef: the entropy bonus's weight.
        vf_coef: the value loss's weight.
        gamma: the discount factor.
        gae_lambda: GAE's lambda.
        max_grad_norm: gradients are clipped to this norm.
        clip_rewards: PPO trains on the sign of each step's score change.
        checkpoint_every: frames between checkpoints.
        eval_every: frames between evaluations against the built-in CPU (0: none).
        eval_episodes: episodes per evaluation.
        eval_max_steps: cut those evaluation episodes after this many steps (None: whole matches).
        max_cycles: steps after which training episodes are truncated.
        seed: seeds PyTorch, the envs and evaluation.
        resume: a checkpoint (or run folder) to continue from.
        progress: show a progress bar.
        torch_threads: PyTorch CPU threads while collecting rollouts (None: PyTorch's default). 1 is fastest
            next to env workers on a small machine: more threads spin-wait and steal CPU from the emulators.
        update_threads: PyTorch CPU threads for PPO's updates, when the env workers are idle (None: one per
            usable CPU; 2 instead of 1 took the update phase from 45 s to 32 s per 60 k frames here).
        video_every: record every Nth training episode of each match to ``out/videos`` (0: none).
        env_kwargs: further options for the env (e.g. ``mame=``).
    """

    game: str = "boxing_v0"
    frames: int = 2_000_000
    out: str = "runs/boxing_selfplay"
    frameskip: int = 4
    obs_type: str = "ram"
    size: int = 84
    stack: int = 2
    net: str | None = None
    num_games: int = 1
    cpu_games: int = 4
    pool_games: int = 2
    pool_every: int = 100_000
    workers: int = 2
    n_steps: int = 128
    batch_size: int = 256
    n_epochs: int = 10
    learning_rate: float = 1e-3
    clip_range: float = 0.2
    ent_coef: float = 0.001
    vf_coef: float = 0.5
    gamma: float = 0.99
    gae_lambda: float = 0.95
    max_grad_norm: float = 0.5
    clip_rewards: bool = True
    checkpoint_every: int = 200_000
    eval_every: int = 0
    eval_episodes: int = 1
    eval_max_steps: int | None = None
    max_cycles: int = 100_000
    seed: int = 0
    resume: str | None = None
    progress: bool = True
    torch_threads: int | None = 1
    update_threads: int | None = None
    video_every: int = 0
    env_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)

    def obs_config(self) -> ObsConfig:
        """The observation pipeline of this run."""
        return ObsConfig.for_game(self.game, self.frameskip, self.size, self.stack, self.obs_type)

    def net_name(self) -> str:
        """The network: ``net``, else ``"mlp"`` for RAM observations and ``"small"`` for screens."""
        return self.net or ("mlp" if self.obs_type == "ram" else "small")


def _video_trigger(every: int) -> Any:
    return lambda episode: episode % every == 0


#: the kinds of matches in a run's vector env
SELFPLAY, CPU, POOL = "selfplay", "cpu", "pool"


def pool_folder(cfg: TrainConfig) -> Path:
    """Where a run's snapshots for its pool matches go."""
    return Path(cfg.out) / "pool"


def _match_vec_env(cfg: TrainConfig, obs_cfg: ObsConfig, kind: str) -> Any:
    """One match as a SuperSuit vector env: self-play (one env per agent), against the CPU, or against the pool."""
    import supersuit as ss

    from mame_zoo.registry import make
    from mame_zoo.single_agent import single_agent_parallel_env

    kwargs = {**obs_cfg.env_kwargs(), "max_cycles": cfg.max_cycles, "noop_max": EPISODE_NOOP_MAX,
              **cfg.env_kwargs}
    if cfg.video_every:
        kwargs["render_mode"] = "rgb_array"
    env = single_agent_parallel_env(obs_cfg.game, **kwargs) if kind == CPU else make(obs_cfg.game, **kwargs)
    if cfg.video_every:
        from mame_zoo.record import RecordParallelEpisodes

        prefix = {SELFPLAY: "train"}.get(kind, kind)
        env = RecordParallelEpisodes(env, os.path.join(cfg.out, "videos"), name_prefix=prefix,
                                     episode_trigger=_video_trigger(cfg.video_every), unique_per_process=True)
    env = wrap_parallel(env, obs_cfg, as_agent=obs_cfg.agents[0] if kind == CPU else None)
    if kind == POOL:
        from mame_zoo.train.opponents import PastOpponentsEnv

        env = PastOpponentsEnv(env, pool_folder(cfg))
    return ss.pettingzoo_env_to_vec_env_v1(env)


def _match_kinds(cfg: TrainConfig) -> list[str]:
    """The matches of a run in vector order, the kinds interleaved so that every worker gets its share of each."""
    left = {SELFPLAY: cfg.num_games, CPU: cfg.cpu_games, POOL: cfg.pool_games}
    kinds: list[str] = []
    while any(left.values()):
        for kind in (SELFPLAY, CPU, POOL):
            if left[kind]:
                kinds.append(kind)
                left[kind] -= 1
    return kinds


def env_indices(cfg: TrainConfig, kind: str) -> list[int]:
    """Which envs of :func:`make_vec_env`'s vector belong to matches of one kind (a self-play match has one env
    per agent, the others one)."""
    n_agents = len(cfg.obs_config().agents)
    indices: list[int] = []
    i = 0
    for k in _match_kinds(cfg):
        width = n_agents if k == SELFPLAY else 1
        if k == kind:
            indices.extend(range(i, i + width))
        i += width
    return indices


def cpu_env_indices(cfg: TrainConfig) -> list[int]:
    """Which envs of :func:`make_vec_env`'s vector are the matches against the CPU."""
    return env_indices(cfg, CPU)


def make_vec_env(cfg: TrainConfig) -> Any:
    """The Stable-Baselines3 vector env of a self-play run (see the module docstring)."""
    require_train_extra()
    from stable_baselines3.common.vec_env import VecMonitor

    from mame_zoo.scale import concat_vec_env_list

    check_matches(cfg)
    obs_cfg = cfg.obs_config()
    kinds = _match_kinds(cfg)
    matches = {kind: _match_vec_env(cfg, obs_cfg, kind) for kind in set(kinds)}
    # each match a fresh copy (MAME starts at its first reset); workers get equal slices of the interleaved list
    vec = concat_vec_env_list([matches[kind] for kind in kinds], num_cpus=cfg.workers)
    venv = VecMonitor(_as_sb3_vec_env(vec))
    return sign_rewards(venv) if cfg.clip_rewards else venv


def check_matches(cfg: TrainConfig) -> None:
    """Raise InvalidOption for match counts a run cannot have."""
    counts = (cfg.num_games, cfg.cpu_games, cfg.pool_games, cfg.workers)
    if min(counts) < 0 or not any(counts[:3]):
        raise InvalidOption(f"num_games, cpu_games, pool_games and workers must be >= 0 and at least one match "
                            f"kind > 0, got {counts}")
    if cfg.pool_games and cfg.obs_type != "ram":
        raise InvalidOption("pool_games needs RAM observations (--obs ram): past snapshots play as NumPy MLPs")
    if cfg.pool_games and cfg.pool_every < 1:
        raise InvalidOption(f"pool_every must be at least 1 frame, got {cfg.pool_every}")


def _sb3_classes() -> tuple[type, type]:
    """The SB3 vec-env adapter classes (defined lazily: SB3 is an optional dependency)."""
    from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

    class SB3VecEnv(VecEnv):
        """A gymnasium-style SuperSuit vector env as an SB3 ``VecEnv`` whose ``seed()`` reaches the envs."""

        def __init__(self, venv: Any) -> None:
            self.venv = venv
            super().__init__(venv.num_envs, venv.observation_space, venv.action_space)
            self._pending_seed: int | None = None
            self._actions: np.ndarray | None = None

        def seed(self, seed: int | None = None) -> list[int | None]:
            self._pending_seed = seed
            return [None if seed is None else seed + i for i in range(self.num_envs)]

        def reset(self) -> np.ndarray:
            seed, self._pending_seed = self._pending_seed, None
            obs: np.ndarray
            obs, infos = self.venv.reset(seed=seed)
            self.reset_infos = [dict(i) for i in infos] if isinstance(infos, list) else [{}] * self.num_envs
            return obs

        def step_async(self, actions: np.ndarray) -> None:
            self._actions = actions

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
            obs, rewards, terms, truncs, infos = self.venv.step(self._actions)
            dones = np.logical_or(terms, truncs)
            infos = [dict(i) for i in infos]
            for i in np.flatnonzero(dones):
                # SuperSuit's vector env resets finished envs by itself and returns the new first observation
                infos[i]["TimeLimit.truncated"] = bool(truncs[i] and not terms[i])
            return obs, np.asarray(rewards, dtype=np.float32), dones, infos

        def close(self) -> None:
            self.venv.close()

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            # SB3 types _get_indices() as Iterable; it hands back a range or the given list
            return [getattr(self, attr_name, None)] * len(cast("Sequence[int]", self._get_indices(indices)))

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            setattr(self, attr_name, value)

        def env_method(self, method_name: str, *method_args: Any, indices: Any = None,
                       **method_kwargs: Any) -> list[Any]:
            raise NotImplementedError("env_method is not supported by SuperSuit's vector envs")

        def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
            return [False] * len(cast("Sequence[int]", self._get_indices(indices)))

        def get_images(self) -> list[Any]:
            return []

    class ClipRewards(VecEnvWrapper):
        """PPO trains on ``sign(reward)``; VecMonitor below still logs the raw score differences."""

        def reset(self) -> VecEnvObs:
            return self.venv.reset()

        def step_wait(self) -> VecEnvStepReturn:
            obs, rewards, dones, infos = self.venv.step_wait()
            return obs, np.sign(rewards).astype(np.float32), dones, infos

    return SB3VecEnv, ClipRewards


def _as_sb3_vec_env(venv: Any) -> Any:
    return _sb3_classes()[0](venv)


def sign_rewards(venv: Any) -> Any:
    """An SB3 vector env whose rewards are the signs of ``venv``'s (wrap a ``VecMonitor`` to log raw scores)."""
    return _sb3_classes()[1](venv)


def frames_per_timestep(cfg: ObsConfig, num_games: int = 1, cpu_games: int = 0, pool_games: int = 0) -> float:
    """Emulated frames per SB3 timestep (one agent's step). Pure self-play: ``frameskip / n_agents``; a step of
    the whole vector emulates ``frameskip`` frames per match and yields one timestep per agent of a self-play
    match and one per match against the CPU or the pool."""
    one_env = cpu_games + pool_games
    return cfg.frameskip * (num_games + one_env) / (num_games * len(cfg.agents) + one_env)


def checkpoint_frames_per_timestep(policy: LoadedPolicy) -> float:
    """The emulated frames per timestep of the run that wrote a checkpoint (stored in it since ``cpu_games``)."""
    stored = (getattr(policy.model, CONFIG_ATTR, None) or {}).get("frames_per_timestep")
    return float(stored) if stored else frames_per_timestep(policy.config)


def _callbacks(cfg: TrainConfig, obs_cfg: ObsConfig, num_envs: int, started_frames: int, fpt: float) -> list[Any]:
    from collections import deque

    import torch
    from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback

    out = Path(cfg.out)
    cpu_envs = set(cpu_env_indices(cfg))
    pool_envs = set(env_indices(cfg, POOL))

    class Progress(BaseCallback):
        """A tqdm bar in emulated frames, with throughput and the latest self-play episode stats."""

        def _on_training_start(self) -> None:
            from tqdm import tqdm

            self.bar = tqdm(total=cfg.frames, initial=started_frames, unit="frame", unit_scale=True,
                            desc=f"self-play {obs_cfg.game}", disable=not cfg.progress, mininterval=2.0,
                            dynamic_ncols=True)
            self.last = started_frames
            self.selfplay: deque[tuple[float, int]] = deque(maxlen=100)  # (margin, length) of finished episodes
            self.vs_cpu: deque[float] = deque(maxlen=100)
            self.vs_pool: deque[float] = deque(maxlen=100)

        def _on_step(self) -> bool:
            frames = int(self.num_timesteps * fpt)
            self.bar.update(frames - self.last)
            self.last = frames
            for i in np.flatnonzero(self.locals["dones"]):
                episode = self.locals["infos"][i].get("episode")  # VecMonitor's: raw score difference
                if episode is not None:
                    if i in cpu_envs:
                        self.vs_cpu.append(float(episode["r"]))
                    elif i in pool_envs:
                        self.vs_pool.append(float(episode["r"]))
                    else:
                        self.selfplay.append((float(episode["r"]), int(episode["l"])))
            return True

        def _on_rollout_end(self) -> None:
            postfix = {}
            if self.selfplay:
                margins = [abs(m) for m, _ in self.selfplay]
                postfix["ep_len"] = f"{np.mean([n for _, n in self.selfplay]):.0f}"
                postfix["abs_margin"] = f"{np.mean(margins):.1f}"
                self.logger.record("selfplay/abs_margin_mean", float(np.mean(margins)))
            if self.vs_cpu:
                postfix["vs_cpu"] = f"{np.mean(self.vs_cpu):+.1f}"
                self.logger.record("cpu_games/margin_mean", float(np.mean(self.vs_cpu)))
                self.logger.record("cpu_games/episodes", len(self.vs_cpu))
            if self.vs_pool:
                postfix["vs_pool"] = f"{np.mean(self.vs_pool):+.1f}"
                self.logger.record("pool_games/margin_mean", float(np.mean(self.vs_pool)))
                self.logger.record("pool_games/episodes", len(self.vs_pool))
            if postfix:
                self.bar.set_postfix(postfix, refresh=False)
            self.logger.record("time/emulated_frames", int(self.num_timesteps * fpt))

        def _on_training_end(self) -> None:
            self.bar.close()

    class Stamp(BaseCallback):
        """Stores the observation settings in the model, so every checkpoint carries them."""

        def _on_training_start(self) -> None:
            setattr(self.model, CONFIG_ATTR, {**obs_cfg.to_dict(), "frames_per_timestep": fpt})

        def _on_step(self) -> bool:
            return True

    class Threads(BaseCallback):
        """Few PyTorch threads while the emulators run, all CPUs while PPO updates (the workers wait then); logs
        the wall time of both phases (``time/rollout_s``: emulation and the policy's actions, ``time/update_s``:
        PPO's epochs)."""

        def _on_training_start(self) -> None:
            self.rollout_threads = torch.get_num_threads()  # train() has applied cfg.torch_threads
            self.rollout_s = self.update_s = 0.0
            self.mark: float | None = None

        def _on_rollout_start(self) -> None:
            now = time.perf_counter()
            if self.mark is not None:
                self.update_s += now - self.mark
            self.mark = now
            torch.set_num_threads(self.rollout_threads)

        def _on_rollout_end(self) -> None:
            now = time.perf_counter()
            if self.mark is not None:
                self.rollout_s += now - self.mark
            self.mark = now
            self.logger.record("time/rollout_s", round(self.rollout_s, 1))
            self.logger.record("time/update_s", round(self.update_s, 1))
            torch.set_num_threads(update_threads(cfg))

        def _on_step(self) -> bool:
            return True

    class Snapshots(BaseCallback):
        """Every ``pool_every`` frames (at the end of a rollout) the policy joins the pool of past opponents."""

        def _on_training_start(self) -> None:
            self.next = (int(self.num_timesteps * fpt) // cfg.pool_every + 1) * cfg.pool_every

        def _on_rollout_end(self) -> None:
            from mame_zoo.train.export import write_agent

            frames = int(self.num_timesteps * fpt)
            if frames >= self.next:
                write_agent(self.model, obs_cfg, pool_folder(cfg) / f"frames_{frames:010d}.npz",
                            {"frames": frames})
                self.next = (frames // cfg.pool_every + 1) * cfg.pool_every

        def _on_step(self) -> bool:
            return True

    callbacks: list[Any] = [Stamp(), Progress(), Threads()]
    if cfg.pool_games:
        callbacks.append(Snapshots())
    save_freq = max(1, round(cfg.checkpoint_every / fpt / num_envs))
    callbacks.append(CheckpointCallback(save_freq=save_freq, save_path=os.fspath(out / "checkpoints"),
                                        name_prefix="ppo", verbose=0))
    if cfg.eval_every:
        callbacks.append(_cpu_eval_callback(cfg, obs_cfg, num_envs, fpt))
    return callbacks


def update_threads(cfg: TrainConfig) -> int:
    """PyTorch threads for PPO's update phase: ``cfg.update_threads``, else one per CPU this process may use."""
    if cfg.update_threads:
        return cfg.update_threads
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _cpu_eval_callback(cfg: TrainConfig, obs_cfg: ObsConfig, num_envs: int, fpt: float) -> Any:
    from stable_baselines3.common.callbacks import BaseCallback

    from mame_zoo.train.evaluate import evaluate

    every = max(1, round(cfg.eval_every / fpt / num_envs))
    path = Path(cfg.out) / "eval.csv"

    class CpuEval(BaseCallback):
        """Every ``eval_every`` frames: the current policy against the built-in CPU; logged and in eval.csv."""

        def _on_training_start(self) -> None:
            self.t0 = time.perf_counter()
            if self.num_timesteps == 0:
                self._evaluate()  # the untrained policy: the start of the learning curve

        def _on_step(self) -> bool:
            if self.n_calls % every == 0:
                self._evaluate()
            return True

        def _evaluate(self) -> None:
            policy = LoadedPolicy(self.model, obs_cfg, "training")
            result = evaluate(policy, "cpu", episodes=cfg.eval_episodes, seed=cfg.seed + 10_000 + self.n_calls,
                              max_steps=cfg.eval_max_steps, progress=False, env_kwargs=cfg.env_kwargs)
            frames = int(self.num_timesteps * fpt)
            self.logger.record("eval/margin_vs_cpu", result.mean)
            self.logger.record("eval/margin_vs_cpu_std", result.std)
            new = not path.exists()
            with path.open("a", newline="") as fh:
                writer = csv.writer(fh)
                if new:
                    writer.writerow(["frames", "timesteps", "wall_s", "episodes", "margin_mean", "margin_std",
                                     "margins"])
                writer.writerow([frames, self.num_timesteps, f"{time.perf_counter() - self.t0:.0f}",
                                 len(result.margins), f"{result.mean:.2f}", f"{result.std:.2f}",
                                 " ".join(f"{m:g}" for m in result.margins)])
            if cfg.progress:
                from tqdm import tqdm

                tqdm.write(f"[eval] {frames} frames: margin vs CPU {result.mean:+.1f} ± {result.std:.1f}")

    return CpuEval()


def keep_earlier_progress(out: Path, started: int) -> Path | None:
    """Before a resumed run logs, move the earlier ``out/progress.csv`` (SB3's CSV logger would overwrite it) to
    ``progress-until-<started>.csv``, or ``...-<started>-2.csv`` etc. when a run was resumed from that
    checkpoint before; returns the new path (None: nothing to keep)."""
    current = out / "progress.csv"
    if not current.exists():
        return None
    target, n = out / f"progress-until-{started}.csv", 1
    while target.exists():
        n += 1
        target = out / f"progress-until-{started}-{n}.csv"
    current.replace(target)
    return target


def train(cfg: TrainConfig) -> Path:
    """Run (or resume) self-play PPO; returns the path of the final model (``out/final.zip``).

    Writes to ``cfg.out``: ``config.json``, ``checkpoints/ppo_<timesteps>_steps.zip``, ``progress.csv`` and
    TensorBoard events (SB3's logger), ``eval.csv`` when ``eval_every`` is set, ``pool/frames_<n>.npz`` when
    ``pool_games`` is set (a fresh run empties that folder first), and ``final.zip``. Resuming
    into the same folder keeps the earlier ``progress.csv`` (:func:`keep_earlier_progress`).
    """
    torch, _ = require_train_extra()
    from stable_baselines3 import PPO
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.utils import LinearSchedule

    from mame_zoo.bridge.process import find_mame, version_name
    from mame_zoo.train.nets import NET_OBS_TYPE, policy_spec

    net = cfg.net_name()
    if NET_OBS_TYPE.get(net) != cfg.obs_type:
        choices = sorted(n for n, o in NET_OBS_TYPE.items() if o == cfg.obs_type)
        raise InvalidOption(f"net {net!r} cannot read {cfg.obs_type!r} observations: choose one of {choices}")
    for name, threads in (("torch_threads", cfg.torch_threads), ("update_threads", cfg.update_threads)):
        if threads is not None and threads < 1:
            raise InvalidOption(f"{name} must be at least 1 (or None for the default), got {threads}")
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    if not cfg.resume:  # a fresh run must not meet the snapshots of an earlier run in this folder
        for old in pool_folder(cfg).glob("*.npz"):
            old.unlink()
    obs_cfg = cfg.obs_config()
    if cfg.resume:
        resume_from = resolve_checkpoint(cfg.resume)
        saved = PPO.load(os.fspath(resume_from), device="cpu")
        saved_cfg = ObsConfig.from_dict(getattr(saved, CONFIG_ATTR, {}) or obs_cfg.to_dict())
        if saved_cfg != obs_cfg:
            raise InvalidOption(f"{resume_from} was trained with {saved_cfg}, this run asks for {obs_cfg}")
        del saved
    check_matches(cfg)
    fpt = frames_per_timestep(obs_cfg, cfg.num_games, cfg.cpu_games, cfg.pool_games)
    total_timesteps = round(cfg.frames / fpt)
    mame = version_name(find_mame(cfg.env_kwargs.get("mame")))  # emulation differs between MAME versions
    (out / "config.json").write_text(json.dumps({**dataclasses.asdict(cfg), "obs": obs_cfg.to_dict(),
                                                 "mame_version": mame}, indent=2))

    callers_threads = torch.get_num_threads()  # restored at the end: the run changes them per phase
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    venv = make_vec_env(cfg)
    try:
        if cfg.resume:
            model = PPO.load(os.fspath(resume_from), env=venv, device="cpu")
            model.set_random_seed(cfg.seed)
            started = model.num_timesteps
        else:
            policy_name, policy_kwargs = policy_spec(net)
            model = PPO(
                policy_name, venv, learning_rate=LinearSchedule(cfg.learning_rate, 0.0, 1.0), n_steps=cfg.n_steps,
                batch_size=cfg.batch_size, n_epochs=cfg.n_epochs, gamma=cfg.gamma, gae_lambda=cfg.gae_lambda,
                clip_range=cfg.clip_range, ent_coef=cfg.ent_coef, vf_coef=cfg.vf_coef,
                max_grad_norm=cfg.max_grad_norm, seed=cfg.seed, device="cpu", verbose=0,
                policy_kwargs=policy_kwargs)
            started = 0
        formats = ["csv"]
        try:
            import tensorboard  # noqa: F401

            formats.append("tensorboard")
        except ImportError:
            pass
        if not cfg.progress:
            formats.append("stdout")
        if cfg.resume:
            keep_earlier_progress(out, started)
        model.set_logger(configure(os.fspath(out), formats))
        setattr(model, CONFIG_ATTR, {**obs_cfg.to_dict(), "frames_per_timestep": fpt, "mame_version": mame})
        remaining = max(0, total_timesteps - started)
        callbacks = _callbacks(cfg, obs_cfg, venv.num_envs, int(started * fpt), fpt)
        if remaining:
            model.learn(total_timesteps=remaining, callback=callbacks, reset_num_timesteps=not cfg.resume,
                        progress_bar=False)
        final = out / "final.zip"
        model.save(os.fspath(final))
    finally:
        venv.close()
        torch.set_num_threads(callers_threads)
    return final

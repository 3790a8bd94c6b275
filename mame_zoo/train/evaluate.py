"""Evaluation: a checkpoint (or random play) against the built-in CPU, a random policy or another checkpoint.

The score margin of an episode is the evaluated player's return, i.e. the final score difference (own score
minus the opponent's) for the score-difference games such as Boxing.

Against ``"cpu"`` the player is player 1 in the single-agent Gymnasium env (``gymnasium.make("mame_zoo/
Boxing-v0")``), where the console's own AI boxes the other side. Against ``"random"`` or a checkpoint both
sides run in the multi-agent env, the evaluated player on ``side``.
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from typing import Any, cast

import numpy as np

from mame_zoo.agents.observation import EPISODE_NOOP_MAX, Agent, ObsConfig
from mame_zoo.errors import InvalidOption
from mame_zoo.train.policy import LoadedPolicy, load_policy, make_agent


@dataclasses.dataclass
class EvalResult:
    """Score margins of the evaluated player over a set of episodes."""

    player: str
    opponent: str
    margins: list[float]
    steps: int
    frames: int
    seconds: float
    videos: list[str] = dataclasses.field(default_factory=list)

    @property
    def mean(self) -> float:
        """Mean score margin."""
        return float(statistics.fmean(self.margins)) if self.margins else float("nan")

    @property
    def std(self) -> float:
        """Population standard deviation of the margins."""
        return float(statistics.pstdev(self.margins)) if len(self.margins) > 1 else 0.0

    def summary(self) -> str:
        """One line: ``player vs opponent: margin +m ± s over n episodes (min .. max)``."""
        lo, hi = (min(self.margins), max(self.margins)) if self.margins else (float("nan"),) * 2
        return (f"{self.player} vs {self.opponent}: score margin {self.mean:+.1f} ± {self.std:.1f} over "
                f"{len(self.margins)} episodes (min {lo:+g}, max {hi:+g}; {self.frames} frames, {self.seconds:.0f} s)")


def _label(spec: str | LoadedPolicy) -> str:
    if isinstance(spec, LoadedPolicy):
        return os.path.basename(spec.path)
    return spec if spec in ("random", "cpu") else os.path.basename(os.path.normpath(spec))


def episode_vs_cpu(agent: Agent, env: Any, seed: int | None = None) -> tuple[float, int]:
    """Play one episode of a single-agent Gymnasium env with ``agent``; returns (return, steps)."""
    obs, _ = env.reset(seed=seed)
    agent.reset()
    total, steps, done = 0.0, 0, False
    while not done:
        obs, reward, terminated, truncated, _ = env.step(agent.act(obs))
        total += float(reward)
        steps += 1
        done = terminated or truncated
    return total, steps


def episode_parallel(agents: dict[str, Agent], env: Any, seed: int | None = None) -> tuple[dict[str, float], int]:
    """Play one episode of a PettingZoo parallel env, each agent picking its own actions; returns (returns, steps)."""
    obs, _ = env.reset(seed=seed)
    for agent in agents.values():
        agent.reset()
    returns = dict.fromkeys(env.possible_agents, 0.0)
    steps = 0
    while env.agents:
        actions = {a: agents[a].act(obs[a]) for a in env.agents}
        obs, rewards, _, _, _ = env.step(actions)
        for a, r in rewards.items():
            returns[a] += float(r)
        steps += 1
    return returns, steps


def _config_for(player: str | LoadedPolicy, game: str | None, frameskip: int | None,
                opponent: str | LoadedPolicy = "cpu") -> tuple[ObsConfig, Any]:
    """The env settings and the (loaded) player: from the checkpoint or pretrained agent, or from game/frameskip
    for random play (from the opponent when that is a policy)."""
    if player == "random" and opponent not in ("cpu", "random"):
        return _config_for(opponent, game, frameskip)[0], "random"
    if player == "pretrained":
        from mame_zoo.agents import info

        cfg = ObsConfig.from_dict(info(game or "boxing_v0")["obs"])
        if frameskip is not None and frameskip != cfg.frameskip:
            raise InvalidOption(f"the pretrained agent plays with frameskip={cfg.frameskip}, not {frameskip}")
        return cfg, "pretrained"
    if isinstance(player, LoadedPolicy) or player != "random":
        policy = player if isinstance(player, LoadedPolicy) else load_policy(player)
        cfg = policy.config
        if game is not None and ObsConfig.for_game(game).game != cfg.game:
            raise InvalidOption(f"the checkpoint plays {cfg.game}, not {game}")
        if frameskip is not None and frameskip != cfg.frameskip:
            raise InvalidOption(f"the checkpoint was trained with frameskip={cfg.frameskip}, not {frameskip}")
        return cfg, policy
    return ObsConfig.for_game(game or "boxing_v0", frameskip=frameskip or 4), "random"


def evaluate(player: str | LoadedPolicy, opponent: str | LoadedPolicy = "cpu", *, episodes: int = 10,
             seed: int = 0, deterministic: bool = False, game: str | None = None, frameskip: int | None = None,
             side: str | None = None, max_steps: int | None = None, video_folder: str | None = None,
             video_format: str = "mp4", video_every: int = 1, video_scale: int = 1, progress: bool = True,
             env_kwargs: dict[str, Any] | None = None) -> EvalResult:
    """Play ``episodes`` episodes of ``player`` against ``opponent`` and collect the player's score margins.

    Args:
        player: a checkpoint (``.zip`` or run folder), a :class:`LoadedPolicy`, ``"pretrained"`` (the agent
            shipped for the game, :mod:`mame_zoo.agents`) or ``"random"``.
        opponent: ``"cpu"`` (the game's built-in opponent, single-agent env), ``"random"``, ``"pretrained"`` or
            a checkpoint.
        episodes: number of episodes; episode ``i`` is seeded with ``seed + i``.
        deterministic: checkpoints take their most likely action instead of sampling.
        game: needed for ``"random"`` and ``"pretrained"`` players (default ``boxing_v0``; else taken from the
            checkpoint).
        frameskip: only needed for ``player="random"`` (else taken from the checkpoint or agent).
        side: the player's agent in multi-agent matches (default: the first agent); vs the CPU it is player 1.
        max_steps: cut episodes after this many steps (default: play matches to their end).
        video_folder: record every episode there (:mod:`mame_zoo.record`), as ``video_format`` (``"mp4"`` or
            ``"gif"``), keeping every ``video_every``-th step's frame, upscaled ``video_scale`` times.
        progress: show a progress bar.
        env_kwargs: further options for the env (e.g. ``mame=``).
    """
    import gymnasium
    from tqdm import tqdm

    from mame_zoo.single_agent import gym_id

    if episodes < 1:
        raise InvalidOption("episodes must be >= 1")
    cfg, loaded = _config_for(player, game, frameskip, opponent)
    kwargs: dict[str, Any] = {**cfg.env_kwargs(), "noop_max": EPISODE_NOOP_MAX, **(env_kwargs or {})}
    if max_steps is not None:
        kwargs["max_cycles"] = int(max_steps)
    if video_folder:
        kwargs["render_mode"] = "rgb_array"
    margins: list[float] = []
    recorder: Any = None
    steps_total = 0
    started = time.perf_counter()
    label, opp_label = _label(player), _label(opponent)
    bar = tqdm(total=episodes, desc=f"{label} vs {opp_label}", unit="ep", disable=not progress, mininterval=1.0)
    if opponent == "cpu":
        if side not in (None, cfg.agents[0]):
            raise InvalidOption(f"against the CPU the player is {cfg.agents[0]}")
        env = gymnasium.make(gym_id(cfg.game), **kwargs)
        if video_folder:
            from mame_zoo.record import RecordEpisodes

            env = recorder = RecordEpisodes(env, video_folder, name_prefix=f"{label}-vs-cpu", fmt=video_format,
                                            every=video_every, scale=video_scale)
        # gymnasium.make() types the space as Space; mame_zoo's are Discrete or MultiDiscrete
        space = cast("gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete", env.action_space)
        agent = make_agent(loaded, cfg, cfg.agents[0], space, seed=seed, deterministic=deterministic)
        try:
            for i in range(episodes):
                margin, steps = episode_vs_cpu(agent, env, seed=seed + i)
                margins.append(margin)
                steps_total += steps
                bar.update()
                bar.set_postfix(margin=f"{margin:+g}", mean=f"{np.mean(margins):+.1f}")
        finally:
            env.close()
            bar.close()
    else:
        me = side or cfg.agents[0]
        if me not in cfg.agents:
            raise InvalidOption(f"side must be one of {list(cfg.agents)}, got {me!r}")
        from mame_zoo.registry import make

        penv = make(cfg.game, **kwargs)
        if video_folder:
            from mame_zoo.record import RecordParallelEpisodes

            penv = recorder = RecordParallelEpisodes(penv, video_folder, name_prefix=f"{label}-vs-{opp_label}",
                                                     fmt=video_format, every=video_every, scale=video_scale)
        players: dict[str, Agent] = {}
        for k, a in enumerate(cfg.agents):
            spec = loaded if a == me else opponent
            players[a] = make_agent(spec, cfg, a, penv.action_space(a), seed=seed + 7919 * (k + 1),
                                    deterministic=deterministic)
        try:
            for i in range(episodes):
                returns, steps = episode_parallel(players, penv, seed=seed + i)
                margins.append(returns[me])
                steps_total += steps
                bar.update()
                bar.set_postfix(margin=f"{returns[me]:+g}", mean=f"{np.mean(margins):+.1f}")
        finally:
            penv.close()
            bar.close()
    return EvalResult(label, opp_label, margins, steps_total, steps_total * cfg.frameskip,
                      time.perf_counter() - started, list(recorder.paths) if recorder is not None else [])

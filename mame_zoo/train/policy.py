"""Stable-Baselines3 checkpoints: loading them and letting them play one agent.

The observation pipeline they were trained with lives in :mod:`mame_zoo.agents.observation`; its settings are
stored inside every checkpoint, so a checkpoint is all :func:`load_policy` needs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np

from mame_zoo.agents.observation import Agent, ObsConfig, Preprocessor, RandomAgent
from mame_zoo.errors import InvalidOption

#: attribute of a saved PPO model holding its :class:`~mame_zoo.agents.observation.ObsConfig` as a dict
CONFIG_ATTR = "mame_zoo_obs"

class PolicyAgent:
    """A trained checkpoint playing one agent: preprocesses raw frames and asks the policy for an action.

    Args:
        policy: a loaded checkpoint (:func:`load_policy`).
        agent: which player it controls (sets the agent-indicator plane), e.g. ``"first_0"``.
        deterministic: take the most likely action instead of sampling.
    """

    def __init__(self, policy: LoadedPolicy, agent: str, deterministic: bool = False) -> None:
        self.policy = policy
        self.deterministic = deterministic
        self.pre = Preprocessor(policy.config, agent)

    def reset(self) -> None:
        """Clear the frame stack."""
        self.pre.reset()

    def act(self, frame: np.ndarray) -> int:
        """The policy's action for this raw frame."""
        obs = self.pre(frame)
        action, _ = self.policy.model.predict(obs, deterministic=self.deterministic)
        return int(action)


@dataclasses.dataclass
class LoadedPolicy:
    """A Stable-Baselines3 PPO checkpoint and the observation pipeline it was trained with."""

    model: Any
    config: ObsConfig
    path: str


def resolve_checkpoint(path: str | os.PathLike[str]) -> Path:
    """The ``.zip`` a path names: the file itself, or in a run folder ``final.zip``, else its newest checkpoint."""
    p = Path(path)
    if p.is_file():
        return p
    if p.with_suffix(".zip").is_file():
        return p.with_suffix(".zip")
    if p.is_dir():
        if (p / "final.zip").is_file():
            return p / "final.zip"
        candidates = sorted(p.glob("checkpoints/*.zip"), key=checkpoint_steps) or sorted(p.glob("*.zip"),
                                                                                          key=checkpoint_steps)
        if candidates:
            return candidates[-1]
    raise FileNotFoundError(f"no checkpoint at {os.fspath(path)!r} (a .zip, or a run folder with final.zip or "
                            "checkpoints/*.zip)")


def checkpoint_steps(p: Path) -> int:
    """The step count in a checkpoint's file name (``ppo_500_steps.zip`` -> 500; -1 without one)."""
    digits = "".join(ch if ch.isdigit() else " " for ch in p.stem).split()
    return int(digits[-1]) if digits else -1


def load_policy(path: str | os.PathLike[str], device: str = "cpu") -> LoadedPolicy:
    """Load a PPO checkpoint written by :func:`mame_zoo.train.selfplay.train` (needs the ``train`` extra)."""
    from mame_zoo.train import require_train_extra

    require_train_extra()
    from stable_baselines3 import PPO

    import mame_zoo.train.nets  # noqa: F401  (the custom feature extractor must be importable for unpickling)

    file = resolve_checkpoint(path)
    model = PPO.load(os.fspath(file), device=device)
    data = getattr(model, CONFIG_ATTR, None)
    if not isinstance(data, dict):
        raise InvalidOption(f"{file} is not a mame_zoo checkpoint (no {CONFIG_ATTR!r} settings inside)")
    return LoadedPolicy(model, ObsConfig.from_dict(data), os.fspath(file))


def make_agent(spec: str | LoadedPolicy, cfg: ObsConfig, agent: str,
               action_space: gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete, seed: int | None = None,
               deterministic: bool = False) -> Agent:
    """An :class:`~mame_zoo.agents.observation.Agent` from a spec: ``"random"``, ``"pretrained"`` (the game's
    shipped agent, :func:`mame_zoo.agents.load`), a checkpoint path/run folder, or a loaded policy."""
    if isinstance(spec, LoadedPolicy):
        policy = spec
    elif spec == "random":
        return RandomAgent(action_space, seed)
    elif spec == "pretrained":
        from mame_zoo.agents import load

        bot = load(cfg.game, agent, deterministic=deterministic, seed=seed)
        check_compatible(bot.config, cfg)
        return bot
    else:
        policy = load_policy(spec)
    check_compatible(policy.config, cfg)
    return PolicyAgent(policy, agent, deterministic)


def check_compatible(policy_cfg: ObsConfig, env_cfg: ObsConfig) -> None:
    """Raise InvalidOption (a ValueError) if a policy trained with ``policy_cfg`` cannot play in an env set up
    as ``env_cfg``."""
    if policy_cfg.game != env_cfg.game:
        raise InvalidOption(f"the checkpoint was trained on {policy_cfg.game}, not {env_cfg.game}")
    if policy_cfg.frameskip != env_cfg.frameskip:
        raise InvalidOption(f"the checkpoint was trained with frameskip={policy_cfg.frameskip}, the env uses "
                         f"{env_cfg.frameskip}")
    if policy_cfg.obs_type != env_cfg.obs_type:
        raise InvalidOption(f"the checkpoint observes {policy_cfg.obs_type!r}, the env {env_cfg.obs_type!r}")


def agents_of(game: str) -> Sequence[str]:
    """The agents of a registered game."""
    from mame_zoo.games import declaration

    return declaration(game).agents

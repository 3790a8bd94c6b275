"""The observation pipeline shared by training, evaluation, play and recording, and checkpoint loading.

Training wraps the parallel env with SuperSuit (:func:`wrap_parallel`):
``color_reduction_v0("full") -> resize_v1(size, size) -> frame_stack_v1(stack) -> agent_indicator_v0``, which
turns each agent's 210×160 RGB frame into a ``size×size×(stack + n_agents)`` uint8 array: the last ``stack``
grey frames, then one constant plane per agent (255 on the plane of the agent that observes).

Evaluation and play drive one agent at a time, sometimes through the single-agent Gymnasium env (player 1
against the console), so they use :class:`Preprocessor`, which applies the very same SuperSuit transform
functions to one agent's raw frames (tests check it against :func:`wrap_parallel` frame by frame).

The pipeline settings (:class:`ObsConfig`) are stored inside every checkpoint, so a checkpoint is all
:func:`load_policy` needs.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import gymnasium
import numpy as np

from mame_zoo.errors import InvalidOption

#: attribute of a saved PPO model holding its :class:`ObsConfig` as a dict
CONFIG_ATTR = "mame_zoo_obs"


@dataclasses.dataclass(frozen=True)
class ObsConfig:
    """How a policy sees a game: env settings and the observation pipeline.

    Attributes:
        game: registered env name, e.g. ``"boxing_v0"``.
        frameskip: emulated frames per step (done inside MAME).
        size: observations are resized to ``size × size``.
        stack: number of stacked grey frames.
        agents: the game's agents, in the order of the agent-indicator planes.
    """

    game: str = "boxing_v0"
    frameskip: int = 4
    size: int = 84
    stack: int = 4
    agents: tuple[str, ...] = ("first_0", "second_0")

    @property
    def channels(self) -> int:
        """Channels of a processed observation: stacked frames plus one indicator plane per agent."""
        return self.stack + len(self.agents)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of a processed observation (channels last, as SuperSuit makes them)."""
        return (self.size, self.size, self.channels)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict (stored in checkpoints)."""
        d = dataclasses.asdict(self)
        d["agents"] = list(self.agents)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ObsConfig:
        """Inverse of :meth:`to_dict`."""
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        values["agents"] = tuple(values.get("agents", ()))
        return cls(**values)

    @classmethod
    def for_game(cls, game: str, frameskip: int = 4, size: int = 84, stack: int = 4) -> ObsConfig:
        """The config for a registered game (its agents taken from the game declaration)."""
        from mame_zoo.games import declaration
        from mame_zoo.registry import resolve

        name = resolve(game)
        return cls(name, frameskip, size, stack, tuple(declaration(name).agents))


def wrap_parallel(env: Any, cfg: ObsConfig, as_agent: str | None = None) -> Any:
    """Apply the training observation pipeline (SuperSuit wrappers) to a PettingZoo parallel env.

    ``as_agent``: the env is a one-agent match against the built-in CPU
    (:func:`~mame_zoo.single_agent.single_agent_parallel_env`) whose player is this agent of ``cfg.agents``; its
    observations get that agent's indicator planes, exactly as in a self-play match.
    """
    import supersuit as ss

    env = ss.color_reduction_v0(env, mode="full")
    env = ss.resize_v1(env, x_size=cfg.size, y_size=cfg.size)
    env = ss.frame_stack_v1(env, stack_size=cfg.stack)
    if as_agent is None:
        return ss.agent_indicator_v0(env, type_only=False)
    from supersuit.utils import agent_indicator

    indicator = (cfg.agents.index(as_agent), len(cfg.agents))

    def observation(obs: np.ndarray, space: gymnasium.spaces.Box, agent: str) -> np.ndarray:
        changed: np.ndarray = agent_indicator.change_observation(obs, space, indicator)  # supersuit is untyped
        return changed

    def space(old: gymnasium.spaces.Box, agent: str) -> gymnasium.spaces.Box:
        changed: gymnasium.spaces.Box = agent_indicator.change_obs_space(old, indicator[1])  # supersuit is untyped
        return changed

    return ss.observation_lambda_v0(env, observation, space)


class Preprocessor:
    """One agent's view of the raw RGB frames, exactly as :func:`wrap_parallel` makes it.

    Call :meth:`reset` at the start of an episode, then the preprocessor with every raw observation (the
    one from reset included). Returns a fresh ``cfg.shape`` uint8 array each time.
    """

    def __init__(self, cfg: ObsConfig, agent: str) -> None:
        if agent not in cfg.agents:
            raise InvalidOption(f"agent {agent!r} is not one of {list(cfg.agents)}")
        self.cfg = cfg
        self.agent = agent
        self._index = cfg.agents.index(agent)
        self._grey_space = gymnasium.spaces.Box(0, 255, (cfg.size, cfg.size), np.uint8)
        self._stacked_space = gymnasium.spaces.Box(0, 255, (cfg.size, cfg.size, cfg.stack), np.uint8)
        self._stack: np.ndarray | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the frame stack (a new episode starts)."""
        from supersuit.utils.frame_stack import stack_init

        self._stack = stack_init(self._grey_space, self.cfg.stack)

    def __call__(self, frame: np.ndarray) -> np.ndarray:
        """Preprocess one raw frame the way the policy was trained."""
        from supersuit.utils import agent_indicator
        from supersuit.utils.basic_transforms import color_reduction, resize
        from supersuit.utils.frame_stack import stack_obs

        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3:
            raise InvalidOption(f"expected an H×W×3 RGB frame, got shape {frame.shape}")
        grey = color_reduction.change_observation(frame, None, "full")
        small = resize.change_observation(grey, self._grey_space, (self.cfg.size, self.cfg.size, True))
        self._stack = stack_obs(self._stack, small, self._grey_space, self.cfg.stack)
        out = agent_indicator.change_observation(self._stack, self._stacked_space,
                                                 (self._index, len(self.cfg.agents)))
        return np.array(out, dtype=np.uint8, copy=True)


#: seeded random idle frames after each reset in training and evaluation episodes (the env's own default is 0,
#: as in PettingZoo): a deterministic policy against the deterministic console would otherwise play one match
#: again and again
EPISODE_NOOP_MAX = 30


class Agent(Protocol):
    """Anything that picks actions for one player from that player's raw RGB observations."""

    def reset(self) -> None:
        """A new episode starts."""

    def act(self, frame: np.ndarray) -> int | np.ndarray:
        """The action for the current raw observation (an array for a ``MultiDiscrete`` space)."""


class RandomAgent:
    """Uniformly random actions (seeded) from a ``Discrete`` or ``MultiDiscrete`` space (SF3's move x attack)."""

    def __init__(self, action_space: gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete,
                 seed: int | None = None) -> None:
        if isinstance(action_space, gymnasium.spaces.Discrete):
            self.n: int | np.ndarray = int(action_space.n)
        elif isinstance(action_space, gymnasium.spaces.MultiDiscrete):
            self.n = np.asarray(action_space.nvec)
        else:
            raise InvalidOption(f"a random agent needs a Discrete or MultiDiscrete action space, not {action_space}")
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        """Nothing to forget."""

    def act(self, frame: np.ndarray) -> int | np.ndarray:
        """A random action (the frame is ignored): an int, or one int per component of a MultiDiscrete space."""
        if isinstance(self.n, int):
            return int(self.rng.integers(self.n))
        return self.rng.integers(self.n)


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
        candidates = sorted(p.glob("checkpoints/*.zip"), key=_checkpoint_steps) or sorted(p.glob("*.zip"),
                                                                                          key=_checkpoint_steps)
        if candidates:
            return candidates[-1]
    raise FileNotFoundError(f"no checkpoint at {os.fspath(path)!r} (a .zip, or a run folder with final.zip or "
                            "checkpoints/*.zip)")


def _checkpoint_steps(p: Path) -> int:
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
    """An :class:`Agent` from a spec: ``"random"``, a checkpoint path/run folder, or a loaded policy."""
    if isinstance(spec, LoadedPolicy):
        policy = spec
    elif spec == "random":
        return RandomAgent(action_space, seed)
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


def agents_of(game: str) -> Sequence[str]:
    """The agents of a registered game."""
    from mame_zoo.games import declaration

    return declaration(game).agents

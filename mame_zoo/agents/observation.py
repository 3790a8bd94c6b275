"""The observation pipeline shared by training, evaluation, play, recording and the pretrained agents.

Training wraps the parallel env with SuperSuit (:func:`wrap_parallel`), in one of two forms:

- ``obs_type="rgb"``: ``color_reduction_v0("full") -> resize_v1(size, size) -> frame_stack_v1(stack) ->
  agent_indicator_v0``, which turns each agent's 210×160 RGB frame into a ``size×size×(stack + n_agents)`` uint8
  array: the last ``stack`` grey frames, then one constant plane per agent (255 on the plane of the agent that
  observes).
- ``obs_type="ram"``: ``frame_stack_v1(stack) -> dtype_v0(float32) -> normalize_obs_v0(0, 1) ->
  agent_indicator_v0``: the last ``stack`` RAM snapshots (the 2600's 128 bytes each) scaled to [0, 1], then a
  one-hot agent indicator, as one float32 vector (two snapshots give the network velocities).

Evaluation and play drive one agent at a time, sometimes through the single-agent Gymnasium env (player 1
against the console), so they use :class:`Preprocessor`, which applies the very same SuperSuit transform
functions to one agent's raw frames (tests check it against :func:`wrap_parallel` frame by frame).

The pipeline settings (:class:`ObsConfig`) are stored inside every checkpoint and pretrained agent, so either
is all that is needed to play. Nothing here imports torch.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Protocol

import gymnasium
import numpy as np

from mame_zoo.errors import InvalidOption

#: what a policy can observe (the envs' ``obs_type``)
OBS_TYPES = ("rgb", "ram")


@dataclasses.dataclass(frozen=True)
class ObsConfig:
    """How a policy sees a game: env settings and the observation pipeline.

    Attributes:
        game: registered env name, e.g. ``"boxing_v0"``.
        frameskip: emulated frames per step (done inside MAME).
        size: observations are resized to ``size × size`` (``"rgb"`` only).
        stack: number of stacked grey frames or RAM snapshots.
        agents: the game's agents, in the order of the agent-indicator planes.
        obs_type: what the env observes, ``"rgb"`` (screens) or ``"ram"`` (the machine's RAM); checkpoints
            written before RAM observations existed are ``"rgb"``.
    """

    game: str = "boxing_v0"
    frameskip: int = 4
    size: int = 84
    stack: int = 4
    agents: tuple[str, ...] = ("first_0", "second_0")
    obs_type: str = "rgb"

    def __post_init__(self) -> None:
        if self.obs_type not in OBS_TYPES:
            raise InvalidOption(f"obs_type must be one of {list(OBS_TYPES)}, got {self.obs_type!r}")
        if self.stack < 1:
            raise InvalidOption(f"stack must be at least 1, got {self.stack}")

    @property
    def channels(self) -> int:
        """Channels of a processed ``"rgb"`` observation: stacked frames plus one indicator plane per agent."""
        return self.stack + len(self.agents)

    @property
    def shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of a processed ``"rgb"`` observation (channels last, as SuperSuit makes
        them); a ``"ram"`` one is ``stack × RAM size + n_agents`` floats."""
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
    def for_game(cls, game: str, frameskip: int = 4, size: int = 84, stack: int = 4,
                 obs_type: str = "rgb") -> ObsConfig:
        """The config for a registered game (its agents taken from the game declaration)."""
        from mame_zoo.games import declaration
        from mame_zoo.registry import resolve

        name = resolve(game)
        return cls(name, frameskip, size, stack, tuple(declaration(name).agents), obs_type)

    def env_kwargs(self) -> dict[str, Any]:
        """The env options this pipeline needs (what the env observes and its frameskip)."""
        return {"frameskip": self.frameskip, "obs_type": self.obs_type}


def wrap_parallel(env: Any, cfg: ObsConfig, as_agent: str | None = None) -> Any:
    """Apply the training observation pipeline (SuperSuit wrappers) to a PettingZoo parallel env.

    ``as_agent``: the env is a one-agent match against the built-in CPU
    (:func:`~mame_zoo.single_agent.single_agent_parallel_env`) whose player is this agent of ``cfg.agents``; its
    observations get that agent's indicator planes, exactly as in a self-play match.
    """
    import supersuit as ss

    if cfg.obs_type == "ram":
        env = ss.frame_stack_v1(env, stack_size=cfg.stack)
        env = ss.normalize_obs_v0(ss.dtype_v0(env, np.float32), env_min=0.0, env_max=1.0)
    else:
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
    """One agent's view of the raw observations (RGB frames or RAM), exactly as :func:`wrap_parallel` makes it.

    Call :meth:`reset` at the start of an episode, then the preprocessor with every raw observation (the
    one from reset included). Returns a fresh array each time (uint8 for ``"rgb"``, float32 for ``"ram"``).
    """

    def __init__(self, cfg: ObsConfig, agent: str) -> None:
        if agent not in cfg.agents:
            raise InvalidOption(f"agent {agent!r} is not one of {list(cfg.agents)}")
        self.cfg = cfg
        self.agent = agent
        self._indicator = (cfg.agents.index(agent), len(cfg.agents))
        self._raw_space: gymnasium.spaces.Box | None = None  # one observation before stacking
        self._stack: np.ndarray | None = None
        if cfg.obs_type == "rgb":
            self._raw_space = gymnasium.spaces.Box(0, 255, (cfg.size, cfg.size), np.uint8)
        self.reset()

    def reset(self) -> None:
        """Forget the stack (a new episode starts)."""
        from supersuit.utils.frame_stack import stack_init

        self._stack = None if self._raw_space is None else stack_init(self._raw_space, self.cfg.stack)

    def __call__(self, observation: np.ndarray) -> np.ndarray:
        """Preprocess one raw observation the way the policy was trained."""
        from supersuit.utils import agent_indicator
        from supersuit.utils.basic_transforms import normalize_obs
        from supersuit.utils.frame_stack import stack_init, stack_obs, stack_obs_space

        observation = np.asarray(observation)
        if self.cfg.obs_type == "ram":
            if observation.ndim != 1 or observation.dtype != np.uint8:
                raise InvalidOption(f"expected a RAM observation (1-D uint8), got {observation.dtype} of shape "
                                    f"{observation.shape}: create the env with obs_type='ram'")
            if self._raw_space is None or self._raw_space.shape != observation.shape:
                self._raw_space = gymnasium.spaces.Box(0, 255, observation.shape, np.uint8)
                self._stack = stack_init(self._raw_space, self.cfg.stack)
            self._stack = stack_obs(self._stack, observation, self._raw_space, self.cfg.stack)
            stacked_space = stack_obs_space(self._raw_space, self.cfg.stack)
            scaled = normalize_obs.change_observation(np.asarray(self._stack, dtype=np.float32),
                                                      stacked_space, (0.0, 1.0)).astype(np.float32)
            unit = gymnasium.spaces.Box(0.0, 1.0, scaled.shape, np.float32)
            out = agent_indicator.change_observation(scaled, unit, self._indicator)
            return np.array(out, dtype=np.float32, copy=True)
        from supersuit.utils.basic_transforms import color_reduction, resize

        if observation.ndim != 3 or observation.shape[2] != 3:
            raise InvalidOption(f"expected an H×W×3 RGB frame, got shape {observation.shape}")
        assert self._raw_space is not None
        grey = color_reduction.change_observation(observation, None, "full")
        small = resize.change_observation(grey, self._raw_space, (self.cfg.size, self.cfg.size, True))
        self._stack = stack_obs(self._stack, small, self._raw_space, self.cfg.stack)
        stacked_space = gymnasium.spaces.Box(0, 255, (self.cfg.size, self.cfg.size, self.cfg.stack), np.uint8)
        out = agent_indicator.change_observation(self._stack, stacked_space, self._indicator)
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

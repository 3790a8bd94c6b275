"""Single-agent play against the game's built-in opponent, as a Gymnasium env (``mame_zoo/Boxing-v0``)."""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from mame_zoo.env import MameParallelEnv, configure
from mame_zoo.errors import InvalidAction, InvalidOption


def single_agent_parallel_env(game: str = "boxing_v0", **kwargs: Any) -> MameParallelEnv:
    """The game against its built-in opponent as a one-agent PettingZoo ``ParallelEnv`` (agent ``first_0``).

    What :class:`SingleAgentEnv` wraps; useful where PettingZoo tooling (SuperSuit) should handle matches
    against the console, e.g. next to self-play matches. ``kwargs`` as for :class:`SingleAgentEnv`.
    """
    from mame_zoo.games import declaration

    decl, env_kwargs = configure(declaration(game), kwargs)
    if not hasattr(decl, "with_single_agent"):
        raise InvalidOption(f"{game} has no single-agent mode")
    return MameParallelEnv(decl.with_single_agent(), **env_kwargs)


class SingleAgentEnv(gymnasium.Env):
    """The agent is player 1 (``first_0``); the console's own AI plays the other side.

    Args:
        game: a registered game with a 1-player mode, e.g. ``"boxing_v0"``.
        **kwargs: options of :class:`~mame_zoo.env.MameParallelEnv` (``obs_type``, ``frameskip``,
            ``repeat_action_probability``, ``max_cycles``, ``render_mode``, ...).
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 60}

    def __init__(self, game: str = "boxing_v0", **kwargs: Any) -> None:
        self._env = single_agent_parallel_env(game, **kwargs)
        self._agent = self._env.possible_agents[0]
        self.observation_space = self._env.observation_space(self._agent)
        self.action_space = self._env.action_space(self._agent)
        self.render_mode = self._env.render_mode
        self.metadata = {**self.metadata, "render_fps": self._env.metadata["render_fps"],
                         "mame_version": self._env.metadata["mame_version"]}

    @property
    def parallel_env(self) -> MameParallelEnv:
        """The underlying one-agent :class:`~mame_zoo.env.MameParallelEnv`."""
        return self._env

    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        """Start a new match; ``seed`` makes it reproducible."""
        super().reset(seed=seed)
        self._env.np_random = self.np_random  # one RNG, owned by Gymnasium
        obs, infos = self._env.reset(options=options)
        return obs[self._agent], infos[self._agent]

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        """One step: observation, reward, terminated, truncated, info."""
        if action is None:  # the multi-agent env reads None as "no action" (a done agent); a Gymnasium agent must act
            raise InvalidAction(f"step() needs an action from {self.action_space}, got None")
        obs, rew, term, trunc, info = self._env.step({self._agent: action})
        a = self._agent
        return obs[a], rew[a], term[a], trunc[a], info[a]

    def render(self) -> np.ndarray | None:
        """See :meth:`MameParallelEnv.render`."""
        return self._env.render()

    def close(self) -> None:
        """Stop MAME."""
        self._env.close()


def register_envs() -> None:
    """Register the single-agent envs with Gymnasium (``gymnasium.make("mame_zoo/Boxing-v0")``)."""
    from mame_zoo.games import SHIPPED

    for env_name in [name for name, single in SHIPPED.items() if single]:
        env_id = gym_id(env_name)
        if env_id not in gymnasium.registry:
            gymnasium.register(id=env_id, entry_point="mame_zoo.single_agent:SingleAgentEnv",
                               kwargs={"game": env_name})


def gym_id(env_name: str) -> str:
    """The Gymnasium id of a game's single-agent env: ``boxing_v0`` -> ``mame_zoo/Boxing-v0``."""
    name, version = env_name.rsplit("_v", 1)
    return "mame_zoo/" + "".join(part[:1].upper() + part[1:] for part in name.split("_")) + f"-v{version}"

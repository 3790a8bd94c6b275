"""Matches against frozen earlier versions of the policy being trained: a pool of past opponents.

A run with ``pool_games`` exports a snapshot of its policy every ``pool_every`` frames into ``OUT/pool/`` (the
pretrained-agent format of :mod:`mame_zoo.agents`: NumPy weights, so the env workers need no PyTorch). A pool
match (:class:`PastOpponentsEnv`) is a multi-agent match seen by one agent, ``learner``: the policy being
trained plays one side, and at every reset each other side gets an opponent drawn uniformly from random play
and the snapshots in the folder at that moment (new snapshots are picked up at resets). The learner's side
rotates from match to match, and its observations carry that side's agent indicator, as in self-play.

Against itself (shared self-play) a policy can settle into play that only works against itself; against the
console it learns to beat one fixed opponent. Beating every earlier version of itself, random play included,
is what makes its strength rise (:mod:`mame_zoo.train.league` measures it).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
from pettingzoo.utils.env import ParallelEnv

from mame_zoo.agents.observation import RandomAgent
from mame_zoo.agents.pretrained import PretrainedAgent, load_file

#: the one agent a pool match exposes
LEARNER = "learner"
#: the opponent drawn for random play (reported in ``infos[LEARNER]["opponents"]``)
RANDOM = "random"


class PastOpponentsEnv(ParallelEnv):  # type: ignore[misc]  # pettingzoo's ParallelEnv is generic and untyped
    """A multi-agent match as a one-agent parallel env: frozen past policies play the other sides.

    Args:
        env: the match, already through the training observation pipeline with every agent's indicator
            (:func:`~mame_zoo.agents.observation.wrap_parallel` without ``as_agent``).
        pool: folder of snapshot files (``*.npz``, :func:`mame_zoo.train.export.write_agent`); it may be empty
            or not exist yet (then the opponents play randomly).
    """

    def __init__(self, env: Any, pool: str | os.PathLike[str]) -> None:
        self.env = env
        self.pool = Path(pool)
        self.possible_agents = [LEARNER]
        self.agents: list[str] = []
        self.metadata = env.metadata
        self.render_mode = env.unwrapped.render_mode
        self._sides = list(env.possible_agents)
        self._snapshots: dict[str, dict[str, PretrainedAgent]] = {}  # file name -> side -> agent
        self._rng = np.random.default_rng()
        self._episode = 0
        self.side = self._sides[0]
        self._opponents: dict[str, PretrainedAgent | RandomAgent] = {}
        self._names: dict[str, str] = {}
        self._obs: dict[str, np.ndarray] = {}

    @property
    def unwrapped(self) -> Any:
        """The MAME env underneath."""
        return self.env.unwrapped

    def observation_space(self, agent: str) -> gymnasium.spaces.Box:
        """The learner's observation space (the same for every side)."""
        space: gymnasium.spaces.Box = self.env.observation_space(self._sides[0])
        return space

    def action_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        """The learner's action space."""
        space: gymnasium.spaces.Space[Any] = self.env.action_space(self._sides[0])
        return space

    def snapshots(self) -> list[str]:
        """The snapshot files in the pool now, by name."""
        try:
            return sorted(p.name for p in self.pool.iterdir() if p.suffix == ".npz")
        except FileNotFoundError:
            return []

    def _opponent(self, name: str, side: str) -> PretrainedAgent | RandomAgent:
        seed = int(self._rng.integers(2**31))
        if name == RANDOM:
            return RandomAgent(self.env.action_space(side), seed)
        agent = self._snapshots.setdefault(name, {}).get(side)
        if agent is None:
            agent = self._snapshots[name][side] = load_file(self.pool / name, side)
        agent.reset(seed)
        return agent

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None
              ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]]]:
        """A new match: the learner's next side, a fresh draw of opponents; ``seed`` also seeds the draws."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
            self._episode = int(self._rng.integers(len(self._sides)))
        self.side = self._sides[self._episode % len(self._sides)]
        self._episode += 1
        names = [RANDOM, *self.snapshots()]
        others = [s for s in self._sides if s != self.side]
        self._names = {s: names[int(self._rng.integers(len(names)))] for s in others}
        self._opponents = {s: self._opponent(self._names[s], s) for s in others}
        self._obs, infos = self.env.reset(seed=seed, options=options)
        self.agents = [LEARNER]
        return {LEARNER: self._obs[self.side]}, {LEARNER: self._info(infos)}

    def _info(self, infos: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {**infos.get(self.side, {}), "side": self.side, "opponents": dict(self._names)}

    def _action(self, side: str) -> Any:
        opponent = self._opponents[side]
        if isinstance(opponent, PretrainedAgent):
            return opponent.choose(opponent.forward(self._obs[side]))  # observations are already processed
        return opponent.act(self._obs[side])

    def step(self, actions: dict[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, float], dict[str, bool],
                                                     dict[str, bool], dict[str, dict[str, Any]]]:
        """One step: the learner's action, and the opponents' actions on their own observations."""
        joint = {s: actions[LEARNER] if s == self.side else self._action(s) for s in self.env.agents}
        self._obs, rewards, terms, truncs, infos = self.env.step(joint)
        term, trunc = bool(terms.get(self.side, True)), bool(truncs.get(self.side, False))
        if term or trunc or self.side not in self.env.agents:
            self.agents = []
        obs = self._obs.get(self.side)
        if obs is None:  # the learner's side left the match: its last observation is what the vector env keeps
            obs = np.zeros_like(self.observation_space(LEARNER).low)
        return ({LEARNER: obs}, {LEARNER: float(rewards.get(self.side, 0.0))}, {LEARNER: term},
                {LEARNER: trunc}, {LEARNER: self._info(infos)})

    def render(self) -> Any:
        """The match's frame (the env's render mode)."""
        return self.env.render()

    def close(self) -> None:
        """Stop MAME."""
        self.env.close()

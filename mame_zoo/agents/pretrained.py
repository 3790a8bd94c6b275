"""Trained policies shipped inside the package, played with NumPy alone (no PyTorch, no network).

A pretrained agent is one file, ``mame_zoo/agents/data/<game>.npz``, written by
:func:`mame_zoo.train.export.export_agent` from a ``mame-zoo train`` checkpoint of an MLP policy:

- ``meta``: a JSON string: ``format`` (1), ``game``, ``obs`` (the :class:`~mame_zoo.agents.observation.ObsConfig`
  the policy was trained with), ``activation`` (``"tanh"``) and ``trained`` (how it was made: command, frames,
  minutes, MAME version, evaluation), shown by :func:`info`;
- ``hidden_<i>_weight`` / ``hidden_<i>_bias``: the policy's hidden layers (float32, ``out × in``);
- ``action_weight`` / ``action_bias``: the layer giving one logit per action.
"""

from __future__ import annotations

import json
import os
from importlib import resources
from typing import Any

import numpy as np

from mame_zoo.agents.observation import ObsConfig, Preprocessor
from mame_zoo.errors import InvalidOption

FORMAT = 1
_ACTIVATIONS = {"tanh": np.tanh}


def _data_file(name: str) -> Any:
    return resources.files("mame_zoo.agents").joinpath("data").joinpath(f"{name}.npz")


def available() -> list[str]:
    """The games that have a pretrained agent (e.g. ``["boxing_v0"]``)."""
    folder = resources.files("mame_zoo.agents").joinpath("data")
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".npz"))


def _read(name: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    from mame_zoo.errors import UnknownGame
    from mame_zoo.registry import resolve

    try:
        game = resolve(name)
    except UnknownGame as exc:
        raise UnknownGame(f"no pretrained agent for {name!r}; there are: {', '.join(available())}") from exc
    file = _data_file(game)
    if not file.is_file():
        raise UnknownGame(f"no pretrained agent for {game}; there are: {', '.join(available())}")
    with file.open("rb") as fh:
        return _read_file(fh, str(file))


def _read_file(fh: Any, label: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    with np.load(fh, allow_pickle=False) as data:
        arrays = {k: np.asarray(data[k]) for k in data.files}
    if "meta" not in arrays:
        raise InvalidOption(f"{label} is not a mame_zoo agent file (no 'meta' inside)")
    meta = json.loads(str(arrays.pop("meta")))
    if meta.get("format") != FORMAT:
        raise InvalidOption(f"{label} has format {meta.get('format')!r}; this mame_zoo reads format {FORMAT}")
    return meta, arrays


def info(name: str) -> dict[str, Any]:
    """What is known of a pretrained agent: its observation settings and how it was trained and evaluated."""
    return _read(name)[0]


class PretrainedAgent:
    """A shipped policy playing one agent of its game, from that agent's raw observations.

    Create it with :func:`load`; make the env with :attr:`env_kwargs` (the policy's frameskip and
    observation type). Call :meth:`reset` when an episode starts, then :meth:`act` with every observation.

    Attributes:
        game: the env it plays, e.g. ``"boxing_v0"`` (its single-agent form ``mame_zoo/Boxing-v0`` too, as
            player 1).
        agent: the player it controls.
        config: the observation pipeline it was trained with.
        meta: :func:`info` of its file.
    """

    def __init__(self, meta: dict[str, Any], arrays: dict[str, np.ndarray], agent: str | None = None,
                 deterministic: bool = False, seed: int | None = None) -> None:
        self.meta = meta
        self.config = ObsConfig.from_dict(meta["obs"])
        self.game = self.config.game
        self.agent = agent or self.config.agents[0]
        self.deterministic = deterministic
        self._pre = Preprocessor(self.config, self.agent)
        self._activation = _ACTIVATIONS[meta["activation"]]
        n_hidden = sum(1 for k in arrays if k.startswith("hidden_") and k.endswith("_weight"))
        self._layers = [(arrays[f"hidden_{i}_weight"], arrays[f"hidden_{i}_bias"]) for i in range(n_hidden)]
        self._action = (arrays["action_weight"], arrays["action_bias"])
        self._rng = np.random.default_rng(seed)

    @property
    def env_kwargs(self) -> dict[str, Any]:
        """Options the env must be made with for this agent (``frameskip``, ``obs_type``)."""
        return self.config.env_kwargs()

    @property
    def n_actions(self) -> int:
        """Size of the action space it chooses from."""
        return int(self._action[1].shape[0])

    def reset(self, seed: int | None = None) -> None:
        """A new episode starts: forget the stacked observations; ``seed`` restarts the action sampling."""
        self._pre.reset()
        if seed is not None:
            self._rng = np.random.default_rng(seed)

    def logits(self, observation: np.ndarray) -> np.ndarray:
        """The policy's action logits for a raw observation (advances the observation stack)."""
        return self.forward(self._pre(observation))

    def forward(self, features: np.ndarray) -> np.ndarray:
        """The action logits for an observation already through the pipeline (what the network reads)."""
        x = features
        for weight, bias in self._layers:
            x = self._activation(weight @ x + bias)
        weight, bias = self._action
        logits: np.ndarray = weight @ x + bias
        return logits

    def act(self, observation: np.ndarray) -> int:
        """The action for this raw observation: sampled from the policy (``deterministic``: its most likely)."""
        return self.choose(self.logits(observation))

    def choose(self, logits: np.ndarray) -> int:
        """An action from the policy's logits: sampled (``deterministic``: the most likely)."""
        if self.deterministic:
            return int(np.argmax(logits))
        p = np.exp(logits - logits.max())
        return int(self._rng.choice(len(p), p=p / p.sum()))


def load(name: str, agent: str | None = None, *, deterministic: bool = False,
         seed: int | None = None) -> PretrainedAgent:
    """The pretrained agent of a game, e.g. ``load("boxing_v0")``.

    Args:
        name: the game (``"boxing_v0"``, or its registered aliases); :func:`available` lists them.
        agent: the player it controls (default the first, player 1).
        deterministic: always take the most likely action instead of sampling (its figures are for sampling).
        seed: seeds the action sampling.
    """
    return _agent(*_read(name), agent, deterministic, seed)


def load_file(path: str | os.PathLike[str], agent: str | None = None, *, deterministic: bool = False,
              seed: int | None = None) -> PretrainedAgent:
    """An agent from a file written by :func:`mame_zoo.train.export.export_agent` (arguments as :func:`load`)."""
    with open(path, "rb") as fh:
        meta, arrays = _read_file(fh, os.fspath(path))
    return _agent(meta, arrays, agent, deterministic, seed)


def _agent(meta: dict[str, Any], arrays: dict[str, np.ndarray], agent: str | None, deterministic: bool,
           seed: int | None) -> PretrainedAgent:
    agents = tuple(meta["obs"]["agents"])
    if agent is not None and agent not in agents:
        raise InvalidOption(f"agent must be one of {list(agents)}, got {agent!r}")
    return PretrainedAgent(meta, arrays, agent, deterministic, seed)

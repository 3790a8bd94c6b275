"""Joust on MAME's Atari 2600 driver: ``mame_zoo.games.joust_v0``.

Drop-in for ``pettingzoo.atari``: the same agents, minimal action set, rewards, terminal rule and settings. Its
page ``docs/games/joust_v0.md`` is generated from its game file, ``mame_zoo/games/data/joust.toml``.
"""

from mame_zoo.env import make_factories
from mame_zoo.games.atari import BY_NAME

GAME = BY_NAME["joust"]
parallel_env, raw_env, env = make_factories(GAME)

__all__ = ["GAME", "env", "parallel_env", "raw_env"]

"""Double Dunk on MAME's Atari 2600 driver: ``mame_zoo.games.double_dunk_v0``.

Drop-in for ``pettingzoo.atari``: the same agents, minimal action set, rewards, terminal rule and settings. Its
page ``docs/games/double_dunk_v0.md`` is generated from its game file, ``mame_zoo/games/data/double_dunk.toml``.
"""

from mame_zoo.env import make_factories
from mame_zoo.games.atari import BY_NAME

GAME = BY_NAME["double_dunk"]
parallel_env, raw_env, env = make_factories(GAME)

__all__ = ["GAME", "env", "parallel_env", "raw_env"]

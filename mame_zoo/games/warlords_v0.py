"""Warlords for 2+ agents on MAME's Atari 2600 driver: ``mame_zoo.games.warlords_v0``.

Drop-in for ``pettingzoo.atari``: the same agents, minimal action set, rewards and terminal rule. The page
``docs/games/warlords_v0.md`` is generated from the declaration (``mame_zoo/games/data/warlords.toml``).
"""

from mame_zoo.env import make_factories
from mame_zoo.games.atari import BY_NAME

GAME = BY_NAME["warlords"]
parallel_env, raw_env, env = make_factories(GAME)

__all__ = ["GAME", "env", "parallel_env", "raw_env"]

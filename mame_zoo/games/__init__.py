"""The shipped games: one module per versioned environment (``mame_zoo.games.boxing_v0``...), each exposing
``GAME``, ``env()``, ``parallel_env()`` and ``raw_env()``.

Importing this package registers the games' names only (:data:`SHIPPED`), with mame_zoo's table and with
PettingZoo's registry (``pettingzoo.make("parallel", "mame_zoo/boxing-v0")``); a game's module, and with it its
game file, is loaded when the game is first asked for.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from mame_zoo.core.game import Game
from mame_zoo.registry import REGISTRY, add, resolve

#: every shipped game -> whether it has a single-agent mode against the console (a Gymnasium env
#: ``mame_zoo/<Game>-v<N>``). Names and flags are checked against the games' declarations in tests/test_registry.py.
SHIPPED: dict[str, bool] = {
    "boxing_v0": True, "combat_tank_v0": False, "ice_hockey_v0": True, "pong_v0": False, "sfiii3n_v0": True,
    "surround_v0": True, "tennis_v0": True, "warlords_v0": False,
}
for _name in SHIPPED:
    add(_name, f"mame_zoo.games.{_name}")


def load(name: str) -> ModuleType:
    """The module of a registered game (``"boxing_v0"`` or ``"boxing"`` for the newest version)."""
    return importlib.import_module(REGISTRY[resolve(name)])


def declaration(name: str) -> Game:
    """The game declaration of a registered environment."""
    game: Game = load(name).GAME
    return game


__all__ = ["SHIPPED", "declaration", "load"]

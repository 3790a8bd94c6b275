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
    "basketball_pong_v0": False, "boxing_v0": True, "combat_plane_v0": False, "combat_tank_v0": False,
    "double_dunk_v0": True, "entombed_competitive_v0": False, "entombed_cooperative_v0": False,
    "flag_capture_v0": False, "foozpong_v0": False, "ice_hockey_v0": True, "joust_v0": False, "mario_bros_v0": True,
    "maze_craze_v0": False, "othello_v0": True, "pong_v0": True, "quadrapong_v0": False, "sfiii3n_v0": True,
    "space_invaders_v0": True, "space_war_v0": False, "surround_v0": True, "tennis_v0": True,
    "video_checkers_v0": True, "volleyball_pong_v0": False, "warlords_v0": False, "wizard_of_wor_v0": False,
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

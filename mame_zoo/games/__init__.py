"""The games: one module per versioned environment, each exposing ``env()``, ``parallel_env()``, ``raw_env()``.

The registry (:data:`REGISTRY`) is the single list of shipped games; :func:`mame_zoo.make` and the
command line read it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from mame_zoo.env import Game
from mame_zoo.games.atari import GAMES as ATARI_GAMES

#: environment name -> module path
REGISTRY: dict[str, str] = {g.env_name: f"mame_zoo.games.{g.env_name}" for g in ATARI_GAMES}
REGISTRY["sfiii3n_v0"] = "mame_zoo.games.sfiii3n_v0"


def load(name: str) -> ModuleType:
    """The module of a registered game (``"boxing_v0"`` or ``"boxing"`` for the newest version)."""
    from mame_zoo.registry import resolve

    return importlib.import_module(REGISTRY[resolve(name)])


def declaration(name: str) -> Game:
    """The game declaration of a registered environment."""
    game: Game = load(name).GAME
    return game


__all__ = ["REGISTRY", "declaration", "load"]

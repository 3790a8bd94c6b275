"""Bring your own game: games declared in TOML files, run by the same framework as the built-in games.

A game file names the MAME machine, the RAM variables, the agents and their input fields, the action set, the
per-agent rewards and the episode end, and the start sequence (format: ``docs/declarative.md``). Loading it
gives a :class:`DeclarativeGame`, which :class:`~mame_zoo.env.MameParallelEnv` runs like any built-in game;
the built-in Atari games are such files (``mame_zoo/games/data/*.toml``)::

    import mame_zoo.declarative as decl

    env = decl.make_from_file("my_boxing.toml")          # a PettingZoo ParallelEnv
    decl.register("my_boxing.toml")                       # now also mame_zoo.make("my_boxing_v0")

Rules the format cannot say come from a Python factory named in the file (``[rules] python =
"package.module:callable"``): it is imported, never evaluated, and no string of a file ever becomes Lua code.
"""

from __future__ import annotations

import os
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from mame_zoo.declarative.controls import ATARI_TABLE, BUILTIN_TABLES, ActionController, Dial, Wiring
from mame_zoo.declarative.model import DeclarativeGame
from mame_zoo.declarative.parse import FORMAT_VERSION, load, loads
from mame_zoo.declarative.rules import (
    AgentChoice,
    Condition,
    DeclarativeRules,
    Decoder,
    PythonRules,
    RuleSet,
    bcd_decode,
)
from mame_zoo.declarative.write import save_vars, var_entry
from mame_zoo.errors import InvalidGameSpec, InvalidOption
from mame_zoo.registry import REGISTRY, add, remove

#: the folder of the built-in game files
DATA_DIR = Path(__file__).resolve().parent.parent / "games" / "data"
_MODULE_PREFIX = "mame_zoo.games._declared."


def load_game(path: str | os.PathLike[str]) -> DeclarativeGame:
    """Read, validate and build the game declared in a TOML file.

    Raises :class:`~mame_zoo.errors.InvalidGameSpec` naming the file, the key and the problem.
    """
    return load(path)


def loads_game(text: str, source: str = "<string>", base: str | os.PathLike[str] | None = None) -> DeclarativeGame:
    """Like :func:`load_game` for TOML text; relative paths in it are resolved against ``base``."""
    return loads(text, source, base)


def load_builtin(name: str) -> DeclarativeGame:
    """A built-in game file by stem, e.g. ``"boxing"`` (``mame_zoo/games/data/boxing.toml``)."""
    return load(DATA_DIR / f"{name}.toml")


def factories(game: DeclarativeGame) -> tuple[Callable[..., Any], Callable[..., Any], Callable[..., Any]]:
    """``(parallel_env, raw_env, env)`` for a game, as every built-in game module has them."""
    from mame_zoo.env import make_factories

    return make_factories(game)


def make_from_file(path: str | os.PathLike[str], api: Literal["parallel", "aec", "raw"] = "parallel",
                   **kwargs: Any) -> Any:
    """The environment of the game declared in ``path``.

    ``api`` is ``"parallel"`` (a PettingZoo ``ParallelEnv``, default), ``"aec"`` (AEC with order checks) or
    ``"raw"``; ``kwargs`` go to :class:`~mame_zoo.env.MameParallelEnv` (``obs_type``, ``frameskip``, ...).
    """
    parallel_env, raw_env, env = factories(load_game(path))
    factory = {"parallel": parallel_env, "aec": env, "raw": raw_env}.get(api)
    if factory is None:
        raise InvalidOption(f"api must be 'parallel', 'aec' or 'raw', got {api!r}")
    return factory(**kwargs)


def register(source: str | os.PathLike[str] | DeclarativeGame, *, replace: bool = False) -> str:
    """Add a game (a file, or a loaded game) to the registry so ``mame_zoo.make(name)`` and the CLI find it.

    Returns its environment name (``<game.name>_v<game.version>``). A name that is already registered raises
    :class:`~mame_zoo.errors.InvalidGameSpec` unless ``replace`` (built-in games are never replaced).
    """
    game = source if isinstance(source, DeclarativeGame) else load_game(source)
    name = game.env_name
    module_name = _MODULE_PREFIX + name
    current = REGISTRY.get(name)
    if current is not None and (not replace or not current.startswith(_MODULE_PREFIX)):
        what = "a built-in game" if not current.startswith(_MODULE_PREFIX) else "registered already"
        raise InvalidGameSpec(f"{game.path or name}: game.name: {name} is {what}; choose another name or version"
                              + ("" if not current.startswith(_MODULE_PREFIX) else " (or pass replace=True)"))
    module = types.ModuleType(module_name, f"{name}, declared in {game.path or 'a game file'}.")
    module.GAME = game  # type: ignore[attr-defined]
    module.parallel_env, module.raw_env, module.env = factories(game)  # type: ignore[attr-defined]
    sys.modules[module_name] = module
    add(name, module_name, (module.parallel_env, module.env))
    return name


def unregister(name: str) -> None:
    """Remove a game added by :func:`register` (built-in games cannot be removed)."""
    module_name = REGISTRY.get(name, "")
    if not module_name.startswith(_MODULE_PREFIX):
        raise InvalidGameSpec(f"{name} was not added by mame_zoo.declarative.register")
    remove(name)
    sys.modules.pop(module_name, None)


def register_folder(folder: str | os.PathLike[str]) -> list[str]:
    """Register every ``*.toml`` game file of a folder (sorted by name); returns their environment names."""
    return [register(path, replace=True) for path in sorted(Path(folder).glob("*.toml"))]


__all__ = ["ATARI_TABLE", "BUILTIN_TABLES", "DATA_DIR", "FORMAT_VERSION", "ActionController", "AgentChoice",
           "Condition", "DeclarativeGame", "DeclarativeRules", "Decoder", "Dial", "PythonRules", "RuleSet", "Wiring",
           "bcd_decode", "factories", "load_builtin", "load_game", "loads_game", "make_from_file", "register",
           "register_folder", "save_vars", "unregister", "var_entry"]

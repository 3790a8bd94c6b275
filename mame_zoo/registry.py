"""The table of game names: registering (by name and module path only: nothing is imported or parsed until a
game is asked for), looking up (``mame_zoo.make("boxing_v0")``, did-you-mean errors) and listing.

The shipped games are added by :mod:`mame_zoo.games` when ``mame_zoo`` is imported; game files by
:func:`mame_zoo.declarative.register`.
"""

from __future__ import annotations

import difflib
import importlib
import re
import reprlib
from typing import Any, Literal

from mame_zoo.errors import InvalidOption, UnknownGame

#: environment name -> the module that holds the game (``GAME``, ``parallel_env``, ``env``, ``raw_env``)
REGISTRY: dict[str, str] = {}


def names() -> list[str]:
    """Every registered environment name, e.g. ``["boxing_v0", ...]``."""
    return sorted(REGISTRY)


def resolve(name: str) -> str:
    """The registered name for ``name``: exact (``boxing_v0``), unversioned (``boxing`` -> newest) or
    PettingZoo-style with another version (``boxing_v2`` -> error naming the versions we have)."""
    if not isinstance(name, str):
        raise UnknownGame(f"game names are strings, got {type(name).__name__}")
    key = name.strip().lower().replace("-", "_")
    key = key.removeprefix("mame_zoo/").removeprefix("mame/")
    if key in REGISTRY:
        return key
    base = re.sub(r"_v\d+$", "", key)
    versions = sorted((n for n in REGISTRY if re.sub(r"_v\d+$", "", n) == base),
                      key=lambda n: int(n.rsplit("_v", 1)[1]))
    if versions and base == key:
        return versions[-1]
    if versions:
        raise UnknownGame(f"{reprlib.repr(name)} is not a mame_zoo version; available: {', '.join(versions)}")
    close = difflib.get_close_matches(key, list(REGISTRY), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownGame(f"no game named {reprlib.repr(name)}.{hint} Known games: {', '.join(sorted(REGISTRY))} "
                      "(`mame-zoo games` lists them).")


def make(name: str, api: Literal["parallel", "aec", "raw"] = "parallel", **kwargs: Any) -> Any:
    """Create a registered game's environment: ``"parallel"`` (default), ``"aec"`` (with order checks) or
    ``"raw"`` (AEC without wrappers). ``kwargs`` go to :class:`~mame_zoo.env.MameParallelEnv`."""
    module = importlib.import_module(REGISTRY[resolve(name)])
    factory = {"parallel": module.parallel_env, "aec": module.env, "raw": module.raw_env}.get(api)
    if factory is None:
        raise InvalidOption(f"api must be 'parallel', 'aec' or 'raw', got {api!r}")
    return factory(**kwargs)

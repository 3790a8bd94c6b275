"""The table of game names: registering (by name and module path only: nothing is imported or parsed until a
game is asked for), looking up (``mame_zoo.make("boxing_v0")``, did-you-mean errors) and listing.

The shipped games are added by :mod:`mame_zoo.games` when ``mame_zoo`` is imported; game files by
:func:`mame_zoo.declarative.register`. Every name added here is also registered with PettingZoo's own registry
(PettingZoo 1.27 and later), so ``pettingzoo.make("parallel", "mame_zoo/boxing-v0")`` builds the same env.
"""

from __future__ import annotations

import difflib
import importlib
import re
import reprlib
from collections.abc import Callable
from typing import Any, Literal

from mame_zoo.errors import InvalidOption, UnknownGame

#: environment name -> the module that holds the game (``GAME``, ``parallel_env``, ``env``, ``raw_env``)
REGISTRY: dict[str, str] = {}
#: the namespace of mame_zoo's ids in PettingZoo's registry
NAMESPACE = "mame_zoo"


def pettingzoo_id(name: str) -> str:
    """A game's id in PettingZoo's registry: ``boxing_v0`` -> ``mame_zoo/boxing-v0``."""
    base, version = name.rsplit("_v", 1)
    return f"{NAMESPACE}/{base}-v{version}"


def _pettingzoo_registration() -> Any:
    """PettingZoo's registry module, or None before PettingZoo 1.27 (which has no registry)."""
    try:
        from pettingzoo.env_registry import registration
    except ImportError:
        return None
    return registration


def add(name: str, module: str, creators: tuple[Callable[..., Any], Callable[..., Any]] | None = None) -> None:
    """Register ``name``, held by the module ``module``, here and in PettingZoo's registry.

    Args:
        name: the environment name (``boxing_v0``).
        module: the module's import path; PettingZoo imports it (``module:parallel_env``, ``module:env``) only
            when the env is made.
        creators: ``(parallel_env, env)`` of a module built at run time (a game file's), given as the functions
            themselves: PettingZoo caches what an entry-point string resolved to.
    """
    REGISTRY[name] = module
    registration = _pettingzoo_registration()
    if registration is not None:
        parallel, aec = creators or (f"{module}:parallel_env", f"{module}:env")
        env_id = pettingzoo_id(name)
        for registry, env_type, entry_point in ((registration.parallel_registry, "parallel", parallel),
                                                (registration.aec_registry, "aec", aec)):
            registry.pop(env_id, None)  # a game file registered again replaces its entry (without a warning)
            registration.register(env_type, env_id, entry_point=entry_point)


def remove(name: str) -> None:
    """Unregister ``name`` here and from PettingZoo's registry."""
    del REGISTRY[name]
    registration = _pettingzoo_registration()
    if registration is not None:
        registration.parallel_registry.pop(pettingzoo_id(name), None)
        registration.aec_registry.pop(pettingzoo_id(name), None)


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

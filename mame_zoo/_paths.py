"""Where the packaged Lua scripts live (inside the wheel, or in the source checkout)."""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def lua_dir() -> Path:
    """The folder holding ``bridge.lua``: ``mame_zoo/_lua`` in an installed wheel, ``lua/`` in a checkout."""
    for candidate in (_HERE / "_lua", _HERE.parent / "lua"):
        if (candidate / "bridge.lua").is_file():
            return candidate
    raise FileNotFoundError(f"bridge.lua not found next to {_HERE}; the mame_zoo installation is incomplete "
                            "(reinstall it with pip)")


def lua_script(name: str) -> Path:
    """Path of a packaged Lua script."""
    return lua_dir() / name

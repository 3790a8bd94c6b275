"""Where ROMs come from: the user's romsets (``rom_path=`` / ``MAME_ZOO_ROMS``) and ale-py's Atari ROMs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mame_zoo.errors import RomNotFound

ROMS_ENV = "MAME_ZOO_ROMS"


def rom_paths(rom_path: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None) -> list[str]:
    """Folders searched for arcade romsets: the explicit argument, else ``MAME_ZOO_ROMS`` (``:``-separated)."""
    if rom_path is not None:
        items = [rom_path] if isinstance(rom_path, (str, os.PathLike)) else list(rom_path)
        return [os.path.abspath(os.fspath(p)) for p in items]
    value = os.environ.get(ROMS_ENV, "")
    return [os.path.abspath(p) for p in value.split(os.pathsep) if p]


def find_romset(system: str, paths: Sequence[str]) -> str | None:
    """The first ``<path>/<system>.zip``, ``.7z`` or ``<path>/<system>/`` found, or None."""
    for folder in paths:
        for candidate in (Path(folder) / f"{system}.zip", Path(folder) / f"{system}.7z", Path(folder) / system):
            if candidate.exists():
                return str(candidate)
    return None


def require_romset(system: str, paths: Sequence[str]) -> None:
    """Raise :class:`RomNotFound` with the fix when ``system``'s romset is in none of ``paths``."""
    if find_romset(system, paths) is None:
        where = ", ".join(paths) if paths else f"nowhere ({ROMS_ENV} is not set and no rom_path= was given)"
        raise RomNotFound(
            f"The romset {system!r} was not found; looked in {where}. mame_zoo does not ship arcade ROMs: put "
            f"your own {system}.zip in a folder and pass rom_path='that/folder' or set {ROMS_ENV}=that/folder.")


def atari_rom(name: str) -> str:
    """Path of an Atari 2600 ROM shipped inside the ``ale-py`` wheel (e.g. ``"boxing"``)."""
    try:
        from ale_py.roms import get_rom_path
    except ImportError as exc:  # pragma: no cover - ale-py is a core dependency
        raise RomNotFound(f"ale-py is not installed, so the Atari ROM {name!r} is unavailable: "
                          "`pip install ale-py`.") from exc
    path = get_rom_path(name)
    if path is None or not os.path.isfile(path):
        raise RomNotFound(f"ale-py has no ROM named {name!r}; upgrade ale-py (`pip install -U ale-py`).")
    return str(path)

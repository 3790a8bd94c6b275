"""Placeholder romsets: files with the names and sizes MAME expects, filled with zeros.

MAME 0.251 boots a driver whose ROM files have the right names and sizes but the wrong contents (it prints
``WRONG CHECKSUMS`` and runs). That is enough to test the bridge against real arcade drivers (machine start,
ports, screen geometry, address spaces) without any copyrighted data. Nothing about game behaviour can be
learned from such a set.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from mame_zoo.bridge.process import query

_ROM_LINE = re.compile(r"^(\S+)\s+(\d+)\s")


@functools.lru_cache(maxsize=32)
def list_roms(mame: str, game: str) -> tuple[tuple[str, int], ...]:
    """``(file name, size)`` of every ROM file ``mame -listroms game`` lists (duplicates removed, order kept)."""
    out = query(mame, "-listroms", game)
    if out.returncode != 0:
        raise RuntimeError(f"`{mame} -listroms {game}` failed with code {out.returncode}: {out.stdout}{out.stderr}")
    lines = out.stdout.splitlines()
    if len(lines) < 3 or not lines[0].startswith("ROMs required") or not lines[1].startswith("Name"):
        raise RuntimeError(f"unexpected `-listroms {game}` output:\n{out.stdout}")
    roms: dict[str, int] = {}
    for line in lines[2:]:
        match = _ROM_LINE.match(line)
        if match is None:  # e.g. a disk (CHD) line or "NO GOOD DUMP KNOWN" without a size
            raise RuntimeError(f"cannot parse `-listroms {game}` line {line!r}")
        roms.setdefault(match.group(1), int(match.group(2)))
    if not roms:
        raise RuntimeError(f"`-listroms {game}` lists no ROM files")
    return tuple(roms.items())


def make_romset(rompath: Path, game: str, mame: str) -> list[Path]:
    """Create ``rompath/game/`` holding zero-filled (sparse) files named and sized as MAME expects them.

    Returns the paths of the created files, in ``-listroms`` order.
    """
    folder = Path(rompath) / game
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for name, size in list_roms(mame, game):
        path = folder / name
        with open(path, "wb") as fh:
            os.truncate(fh.fileno(), size)
        made.append(path)
    return made

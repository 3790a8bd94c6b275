"""Save-state files: the paths the bridge may hand to MAME, and checks that a file is a usable state of the
running machine (MAME ignores a bad one silently and keeps running)."""

from __future__ import annotations

import os
import zlib
from collections.abc import Collection

from mame_zoo.bridge.config import is_path
from mame_zoo.errors import StateError


def check_state_path(path: str | os.PathLike[str]) -> str:
    """``path`` as the absolute path the bridge sends to MAME; :class:`StateError` if it cannot be one."""
    if not is_path(path):
        raise StateError(f"a save state path is a str or os.PathLike, got {type(path).__name__} {path!r}")
    target = os.path.abspath(os.fspath(path))
    if "\0" in target:
        raise StateError(f"save state path {target!r} contains a NUL byte")
    try:
        size = len(target.encode("utf-8"))
    except UnicodeEncodeError:
        raise StateError(f"save state path {target!r} is not valid UTF-8 (the bridge passes paths as UTF-8)") \
            from None
    if size > 4096:
        raise StateError(f"save state path of {len(target)} characters is too long")
    return target


def space_hint(target: str) -> str:
    """Why a state file could not be written to ``target``'s folder: a guess from its free space."""
    try:
        st = os.statvfs(os.path.dirname(target))
    except OSError:
        return "its folder is gone"
    free = st.f_bavail * st.f_frsize
    if free < 1 << 20:
        return f"disk full: {free} bytes free in {os.path.dirname(target)}"
    return "disk full, folder removed or not writable?"


def validate_state(target: str, system: str, known_good: Collection[tuple[str, int, int]] = ()) -> tuple[str, int, int]:
    """Check that ``target`` is a complete MAME save state of machine ``system``; returns its version key (path,
    mtime, size), and skips the check for a key in ``known_good``. Raises :class:`StateError` saying what is
    wrong (missing, unreadable, not a state, another machine's, corrupt, truncated)."""
    try:
        stat = os.stat(target)
    except OSError:
        raise StateError(f"save state {target} does not exist") from None
    key = (target, stat.st_mtime_ns, stat.st_size)
    if key in known_good:
        return key
    try:
        with open(target, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise StateError(f"cannot read save state {target}: {exc}") from None
    if len(data) < 32 or data[:8] != b"MAMESAVE":
        raise StateError(f"{target} is not a MAME save state")
    saved = data[10:28].split(b"\0", 1)[0].decode("ascii", "replace")
    if saved != system:
        raise StateError(f"{target} is a state of {saved!r}, but this machine is {system!r}")
    if data[32:33] == b"\x78":  # zlib stream: it must be complete
        inflater = zlib.decompressobj()
        try:
            inflater.decompress(data[32:])
        except zlib.error as exc:
            raise StateError(f"save state {target} is corrupt: {exc}") from None
        if not inflater.eof:
            raise StateError(f"save state {target} is truncated (the file ends early)")
    return key


__all__ = ["check_state_path", "space_hint", "validate_state"]

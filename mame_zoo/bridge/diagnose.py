"""Reading MAME's log and exit code: which named exception a failed start or a dead MAME is, on every supported
version, and whether the ROMs matched."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

from mame_zoo.bridge.config import MachineConfig
from mame_zoo.errors import EmulatorCrashed, LuaError, MameZooError, RomNotFound, UnknownGame


def log_tail(path: Path, lines: int = 15) -> str:
    """The last ``lines`` meaningful lines of MAME's log (noise from the sound system left out)."""
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return ""
    kept = [ln for ln in text.splitlines() if ln.strip() and "snd_seq" not in ln and "XDG_RUNTIME" not in ln]
    return "\n".join(kept[-lines:])


def exit_error(code: int | None, log: str, machine: MachineConfig, what: str, who: str) -> MameZooError:
    """The exception for a MAME that exited with ``code`` (None: unknown) and ``log`` while ``what``.

    Recognised from the log's text where it says more than the exit code: MAME 0.251 often segfaults while
    exiting after an error, and the texts differ between versions (docs/mame_versions.md).
    """
    system = machine.system
    if code == 5 or "Unknown system" in log:
        names = re.findall(r"^(\w+)\s{2,}\S", log.split("best match first", 1)[-1], re.MULTILINE)
        hint = f" Close matches: {', '.join(names[:8])}." if names else ""
        return UnknownGame(f"MAME has no system named {system!r}.{hint} List systems with `mame -listfull`.")
    missing = re.findall(r"^(\S+) NOT FOUND", log, re.MULTILINE)
    if code == 2 or missing:
        paths = ", ".join(os.fspath(p) for p in machine.rompath) or "(no rompath given)"
        return RomNotFound(
            f"ROM files for {system} are missing: {', '.join(missing) or '(see log)'}. MAME looked in {paths}. "
            f"Put {system}.zip (or a {system}/ folder) there, or set MAME_ZOO_ROMS.\n{log}")
    if code == 4 or re.search(r"Fatal error: Device .* load.* failed|Unrecognized cart", log):
        return RomNotFound(f"MAME could not load the media for {system} (missing, empty or not a valid "
                           f"image):\n{log}")
    unmounted = re.search(r"Images must be mounted for the following devices: (.+)", log)
    if unmounted:  # newer MAME (0.276+) refuses to start a machine with an empty mandatory slot
        return RomNotFound(f"{system} needs media in its {unmounted.group(1).strip()} slot(s): pass them as "
                           "MachineConfig(media={slot: path}), e.g. {'cart': '/path/game.bin'}.")
    if code == 3 or "autoboot script" in log:
        return LuaError(f"MAME could not run the bridge script:\n{log}")
    if code == 6 or re.search(r"^Error: (unknown option|.* option)", log, re.MULTILINE):
        return EmulatorCrashed(f"MAME ({system}) rejected its command line (check MachineConfig.options "
                               f"{list(machine.options)}; exit code {code}):\n{log}")
    how = ""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        how = f" (killed by {name}" + (": out of memory, or killed by another process)" if code == -9 else ")")
    return EmulatorCrashed(f"{who} exited with code {code}{how} while {what}.\nLast lines of its log:\n{log}")


def rom_mismatch(log: str, system: str, mame_version: str) -> str | None:
    """What to tell the user when MAME's log reports ROM files with wrong checksums or lengths (else None)."""
    bad = re.findall(r"^(\S+) WRONG (?:CHECKSUMS|LENGTH)", log, re.MULTILINE)
    if not bad:
        return None
    return (f"ROM files of {system} do not match what MAME expects: {', '.join(bad)}. The machine may not run "
            f"correctly; use a romset that matches this MAME version ({mame_version}).")


__all__ = ["exit_error", "log_tail", "rom_mismatch"]

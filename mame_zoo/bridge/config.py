"""What the bridge is asked to run, and the plain data it hands back: :class:`MachineConfig` (with the one list of
MAME options no configuration may pass), address spaces, input fields, map entries and step results."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mame_zoo.errors import InvalidOption, OptionTypeError, UnknownGame

# MAME's short names are letters, digits and _; anything else (a leading "-" would be read as an option, ""
# opens MAME's system menu and waits forever) is refused before MAME starts.
_SYSTEM_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
# MAME options no configuration may pass (MachineConfig.options, and so no game file): they would run Lua or
# debugger scripts besides the bridge, load plugins, open a network port, read the user's configuration, move
# MAME's files out of its private folder (sharing cfg/nvram/states between processes, writing to $HOME), save,
# record or replay on their own, or override what the bridge sets from its own arguments (video, window,
# sound, speed, ROM folders). The one list; names starting with FORBIDDEN_PREFIXES are refused too.
FORBIDDEN_OPTIONS = frozenset({
    "autoboot_command", "autoboot_delay", "autoboot_script", "script", "console", "plugin", "plugins", "noplugin",
    "noplugins", "pluginspath", "debug", "nodebug", "debugscript", "debugger", "debugger_port", "debuglog", "http",
    "http_port", "http_root", "output", "readconfig", "noreadconfig", "writeconfig", "inipath", "homepath",
    "cfg_directory", "nvram_directory", "input_directory", "state_directory", "snapshot_directory",
    "diff_directory", "comment_directory", "share_directory", "state", "autosave", "playback", "record",
    "exit_after_playback", "wavwrite", "aviwrite", "mngwrite", "snapname", "rompath", "hashpath", "samplepath",
    "artpath", "ctrlrpath", "fontpath", "cheatpath", "crosshairpath", "swpath", "languagepath", "video", "window",
    "nowindow", "sound", "throttle", "nothrottle", "log", "oslog", "verbose", "bench", "seconds_to_run", "str",
    "keyboardprovider", "mouseprovider", "joystickprovider", "lightgunprovider", "comm_localhost",
    "comm_localport", "comm_remotehost", "comm_remoteport", "comm_framesync", "cheat",
})
FORBIDDEN_PREFIXES = ("debug", "http", "comm_", "plugin", "no")


def forbidden_option(word: str) -> bool:
    """True if ``word`` is a MAME option (``-name``) that no configuration may pass (:data:`FORBIDDEN_OPTIONS`)."""
    name = word.lstrip("-").lower()
    return word.startswith("-") and (name in FORBIDDEN_OPTIONS or name.startswith(FORBIDDEN_PREFIXES))


def is_path(value: Any) -> bool:
    """True for a str or an os.PathLike (what MAME can be given as a file name)."""
    return isinstance(value, (str, os.PathLike))


@dataclass(frozen=True)
class MachineConfig:
    """What MAME should run: a system (romset) name, optional media and where to look for ROMs.

    Args:
        system: MAME's short name of the machine, e.g. ``"sfiii3n"`` or ``"a2600"``.
        media: media slots to fill, e.g. ``{"cart": "/path/boxing.bin"}`` for ``a2600``.
        rompath: folders (or zip locations) MAME searches for romsets.
        options: extra MAME command-line options as separate words, e.g. ``("-joyport1", "pad")``.
    """

    system: str
    media: Mapping[str, str] = field(default_factory=dict)
    rompath: Sequence[str] = ()
    options: Sequence[str] = ()

    def __post_init__(self) -> None:
        """Refuse what MAME's command line cannot carry safely; one folder given as a string is accepted."""
        system = self.system
        if not isinstance(system, str) or not _SYSTEM_NAME.fullmatch(system):
            raise UnknownGame(f"{system!r} is not a MAME system name (1-64 letters, digits or _, e.g. 'sfiii3n' or "
                              "'a2600'). List systems with `mame -listfull`.")
        if not isinstance(self.media, Mapping):
            raise OptionTypeError(f"media must be a mapping {{slot: path}}, got {type(self.media).__name__}")
        for slot, path in self.media.items():
            if not isinstance(slot, str) or not re.fullmatch(r"[a-z0-9_]+", slot):
                raise InvalidOption(f"media slot name {slot!r} must be lower-case letters, digits or _")
            if not is_path(path) or "\0" in os.fspath(path):
                raise InvalidOption(f"{slot} image path {path!r} is not a path")
        rompath = self.rompath
        if is_path(rompath):
            rompath = (rompath,)  # type: ignore[assignment]
        rompath = tuple(rompath)
        for folder in rompath:
            if not is_path(folder) or any(c in os.fspath(folder) for c in ";\0"):
                raise InvalidOption(f"ROM folder {folder!r} is not a path MAME can search (no ';', the separator of "
                                 "MAME's -rompath, and no NUL)")
        object.__setattr__(self, "rompath", rompath)
        if isinstance(self.options, (str, bytes)) or not all(isinstance(o, str) for o in self.options):
            raise OptionTypeError(f"options must be a sequence of separate words, e.g. ('-joyport1', 'pad'), got "
                            f"{self.options!r}")
        if any("\0" in o for o in self.options):
            raise InvalidOption(f"MAME options cannot contain NUL bytes: {self.options!r}")
        bad = [o for o in self.options if forbidden_option(o)]
        if bad:
            raise InvalidOption(f"MAME option(s) {', '.join(bad)} are not allowed: mame_zoo runs only its own bridge "
                             "script, no network server, keeps MAME's files in a private folder, and sets video, "
                             "sound, speed and ROM folders from its own arguments")


@dataclass(frozen=True)
class SpaceInfo:
    """An address space the bridge can read: its id and geometry."""

    id: int
    device: str
    name: str
    data_width: int
    big_endian: bool
    address_mask: int


@dataclass(frozen=True)
class InputField:
    """One input field of the running machine."""

    port: str
    field: str
    type: int
    player: int  # 0-based
    is_analog: bool
    mask: int
    default: int
    minimum: int
    maximum: int


@dataclass(frozen=True)
class MapEntry:
    """One range of an address space map and the kind of its read and write handlers."""

    start: int
    end: int
    read: str
    write: str


@dataclass
class StepResult:
    """The outcome of one STEP: frame number, the read set's values (in order) and the screen as RGB."""

    frame_number: int
    values: list[np.ndarray]
    frame: np.ndarray | None


__all__ = ["FORBIDDEN_OPTIONS", "FORBIDDEN_PREFIXES", "InputField", "MachineConfig", "MapEntry", "SpaceInfo",
           "StepResult", "forbidden_option", "is_path"]

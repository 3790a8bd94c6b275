"""MAMEToolkit-compatible API: ``Emulator``, ``Address``, ``Action``, ``list_actions``, ``see_games``.

Code written for ``MAMEToolkit.emulator`` runs by changing the import to ``mame_zoo.emulator``. Differences,
all deliberate: MAME is the stock binary, runs headless unless ``render=True`` (MAMEToolkit defaulted to a
window), frames are RGB ``uint8`` arrays of shape (H, W, 3), and failures raise ``mame_zoo.errors`` exceptions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mame_zoo.bridge import Bridge, MachineConfig, ReadSpec
from mame_zoo.bridge.process import find_mame, query
from mame_zoo.bridge.protocol import TYPES
from mame_zoo.errors import AddressError, InvalidOption, OptionTypeError
from mame_zoo.roms import rom_paths


def parse_address(address: int | str) -> int:
    """An address as MAMEToolkit wrote it: an int, ``"0x02068D0B"``, or a plain decimal string."""
    if isinstance(address, (int, np.integer)):
        value = int(address)
    elif isinstance(address, str) and re.fullmatch(r"\s*(0[xX][0-9a-fA-F]+|\d+)\s*", address):
        value = int(address.strip(), 0) if address.strip().lower().startswith("0x") else int(address.strip(), 10)
    else:
        raise AddressError(f"address {address!r} is not an int, a '0x…' hex string or a decimal string")
    if not 0 <= value <= 0xFFFFFFFF:
        raise AddressError(f"address {address!r} is outside 0..0xFFFFFFFF")
    return value


@dataclass(frozen=True)
class Address:
    """A memory location read at every step: ``Address('0x02068D0B', 'u8')``.

    Args:
        address: an int, a ``"0x…"`` hex string, or a decimal string.
        mode: ``u8``, ``u16``, ``u32``, ``s8``, ``s16`` or ``s32``.
        device: CPU (device) tag; MAMEToolkit always used ``:maincpu``.
        space: address space name of that device.
    """

    address: int | str
    mode: str = "u8"
    device: str = ":maincpu"
    space: str = "program"

    def __post_init__(self) -> None:
        if self.mode not in TYPES:
            raise AddressError(f"Invalid address mode {self.mode!r}; use one of {', '.join(TYPES)}")
        parse_address(self.address)


@dataclass(frozen=True)
class Action:
    """An input field to press: ``Action(':INPUTS', 'Coin 1')`` (port tag, field name)."""

    port: str
    field: str


class Emulator:
    """A MAME machine stepped ``frame_ratio`` frames at a time, returning the frame and chosen memory values.

    Args:
        env_id: a label for this emulator (kept for compatibility; instances never share files anyway).
        roms_path: folder holding the romset (``None`` or ``""``: ``MAME_ZOO_ROMS``).
        game_id: MAME's short name of the machine, e.g. ``"sfiii3n"``.
        memory_addresses: ``{name: Address}`` read after every step.
        frame_ratio: frames emulated per :meth:`step`.
        render: show a window. throttle: run at real speed. sound: enable sound.
        frame_skip: accepted for compatibility (MAME's ``-frameskip`` only skips drawing; use frame_ratio).
        debug: print MAME's log when the emulator closes.
        binary_path: the MAME binary (default: found automatically).
        media: media slots, e.g. ``{"cart": "boxing.bin"}`` with ``game_id="a2600"``.
        options: extra MAME command-line options.
        timeout: seconds to wait for MAME before it is declared hung.
    """

    def __init__(self, env_id: str, roms_path: str | None, game_id: str, memory_addresses: Mapping[str, Address],
                 frame_ratio: int = 3, render: bool = False, throttle: bool = False, frame_skip: int = 0,
                 sound: bool = False, debug: bool = False, binary_path: str | None = None,
                 media: Mapping[str, str] | None = None, options: Sequence[str] = (), timeout: float = 10.0) -> None:
        if int(frame_ratio) < 1:
            raise InvalidOption(f"frame_ratio must be >= 1, got {frame_ratio}")
        self.env_id = env_id
        self.frame_ratio = int(frame_ratio)
        self.memory_addresses = dict(memory_addresses)
        self.debug = debug
        paths = rom_paths(roms_path or None)
        self._bridge = Bridge(MachineConfig(game_id, dict(media or {}), paths, tuple(options)), mame=binary_path,
                              render=render, throttle=throttle, sound=sound, timeout=timeout)
        try:
            hello = self._bridge.hello
            self.screenDims = {"width": hello.screen_width, "height": hello.screen_height}
            specs = []
            for name, addr in self.memory_addresses.items():
                if not isinstance(addr, Address):
                    raise AddressError(f"memory_addresses[{name!r}] must be an Address, got {type(addr).__name__}")
                space = self._bridge.space(addr.device, addr.space)
                specs.append(ReadSpec(space.id, parse_address(addr.address), addr.mode))
            self._bridge.set_reads(specs)
        except BaseException:
            self._bridge.close()  # no half-built emulator keeps MAME running
            raise
        self._held: set[int] = set()

    def step(self, actions: Iterable[Action] = ()) -> dict[str, Any]:
        """Hold ``actions`` for ``frame_ratio`` frames (released at the next step) and return the data.

        Returns a dict with ``"frame"`` (RGB uint8, H×W×3) and one int per memory address name.
        """
        wanted = set()
        for action in actions:
            value = getattr(action, "value", action)  # MAMEToolkit passed Enum members' values too
            if not isinstance(value, Action):
                raise OptionTypeError(f"actions must be Action objects, got {type(value).__name__}")
            wanted.add(self._bridge.field(value.port, value.field))
        inputs = {fid: 0 for fid in self._held - wanted}
        inputs.update({fid: 1 for fid in wanted})
        self._held = wanted
        result = self._bridge.step(self.frame_ratio, inputs)
        data: dict[str, Any] = {"frame": result.frame}
        for name, value in zip(self.memory_addresses, result.values):
            data[name] = int(value[0])
        return data

    @property
    def bridge(self) -> Bridge:
        """The underlying :class:`~mame_zoo.bridge.Bridge` (save states, writes, raw reads)."""
        return self._bridge

    def close(self) -> None:
        """Stop MAME. Safe to call more than once."""
        if self.debug and not self._bridge.closed:
            print(self._bridge.log_path.read_text("utf-8", "replace"))
        self._bridge.close()

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def list_actions(roms_path: str | None, game_id: str, binary_path: str | None = None,
                 media: Mapping[str, str] | None = None, options: Sequence[str] = ()) -> list[dict[str, str]]:
    """Every input of a machine as ``[{"port": ..., "field": ...}, ...]`` (sorted), like MAMEToolkit's."""
    with Bridge(MachineConfig(game_id, dict(media or {}), rom_paths(roms_path or None), tuple(options)),
                mame=binary_path) as bridge:
        return [{"port": f.port, "field": f.field} for f in bridge.inputs()]


def see_games(binary_path: str | None = None, pattern: str | None = None) -> list[tuple[str, str]]:
    """MAME's machines as ``(short name, description)``, optionally filtered by a ``mame -listfull`` pattern."""
    binary = find_mame(binary_path)
    out = query(binary, "-listfull", *([pattern] if pattern else []), timeout=120).stdout
    games = []
    for line in out.splitlines()[1:]:
        match = re.match(r'(\S+)\s+"(.*)"', line)
        if match:
            games.append((match.group(1), match.group(2)))
    return games


__all__ = ["Action", "Address", "Emulator", "list_actions", "see_games"]

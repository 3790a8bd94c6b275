"""The bridge's wire format: constants and encoders. ``docs/protocol.md`` is the specification;
``lua/bridge.lua`` mirrors these numbers."""

from __future__ import annotations

import enum
import operator
import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from mame_zoo.errors import InvalidOption, OptionTypeError

PROTOCOL_VERSION = 6

HEADER = struct.Struct("<IIB")  # body length, sequence number, opcode (request) / status (reply)

#: the largest message body either side accepts: a corrupted length field must not make Python (or Lua)
#: allocate gigabytes. A frame reply is width x height x 4 (x 2 with max-pooling) plus the reads.
MAX_BODY = 1 << 28
#: the most values one read spec may ask for (u8 blocks are read in one call; other types value by value)
MAX_READ_COUNT = {"u8": 1 << 24}
MAX_READ_COUNT_OTHER = 1 << 16


class Op(enum.IntEnum):
    """Request opcodes."""

    STEP = 1
    SET_READS = 2
    READ = 3
    WRITE = 4
    FIELD = 5
    SPACE = 6
    INPUTS = 7
    SAVE = 8
    LOAD = 9
    SOFT_RESET = 10
    EXIT = 11
    MAP = 12
    SIGNAL = 13
    TAP = 14
    CHARGE = 15
    BUS = 16
    RESTART = 17
    SCREEN = 18
    EARLY = 19


class Status(enum.IntEnum):
    """Reply status codes."""

    OK = 0
    ERROR = 1
    FATAL = 2


class ErrorKind(enum.IntEnum):
    """Kinds of a rejected (ERROR) request."""

    INPUT = 1
    ADDRESS = 2
    REQUEST = 3
    STATE = 4


class Agg(enum.IntEnum):
    """How a read is aggregated over the frames of one step."""

    LAST = 0  # the value after the step's last frame
    SUM = 1  # the per-frame values summed (int64)
    ALL = 2  # every frame's value, oldest first


class Edge(enum.IntEnum):
    """Which change of a signal's bits ends a frame."""

    FALL = 0  # set -> clear (the 2600's VSYNC switched off)
    RISE = 1  # clear -> set


class BusModel(enum.IntEnum):
    """What BUS puts in the bits of a read that the reference fills otherwise than MAME."""

    STELLA_6502 = 1  # Stella's 6502 core as ALE runs it: the byte the instruction fetched just before the read
    HIGH = 2  # 1s: pins a reference reads as pulled up, whatever the port's data direction (Stella's RIOT)


#: SIGNAL: space id, address, mirror bits, bit mask, edge, the longest frame in MAME frames (0: no limit), the
#: length limit (lines, CPU cycles per line, the first and last address and mirror bits of the writes that end a
#: frame past it), the CPU clock in Hz, and the instruction limit (instructions a frame, 0: none; the first and
#: last address and mirror bits of the code the CPU runs)
SIGNAL_SPEC = struct.Struct("<HIIBBHHHIIIIIIII")
#: TAP: field id, space id, address, mirror bits, bit mask, active-low flag
TAP_SPEC = struct.Struct("<HHIIBB")
#: CHARGE: field id, space id, address, mirror bits, bit mask; trigger address, mirror bits, mask; CPU clock in Hz
CHARGE_SPEC = struct.Struct("<HHIIBIIBI")
#: BUS: space id, first and last address, mirror bits, bit mask, model
BUS_SPEC = struct.Struct("<HIIIBB")
#: RESTART: space id, the reset vector's high byte, timer read range (first, last, mirror bits), timer write range
#: (first, last, mirror bits), timer intervals, CPU clock in Hz, the CPU's cycles from its reset to its first
#: instruction, in play (1: the timer stays Stella's after the game's timer writes); then str device, str save item
#: (the line origin)
RESTART_SPEC = struct.Struct("<HIIIIIIIBIBB")

#: SCREEN: pixels per row, the first row and column of the screen's visible area in the bitmap, the palette's
#: colours to send, CPU cycles per row (0: rows do not follow the frame signal), rows to send (0: the screen's
#: height); then str device, str first buffer, str second buffer, str selector (save items)
SCREEN_SPEC = struct.Struct("<HHHHHH")

#: EARLY: space id, first and last address, mirror bits, the address whose read brings the device up to the beam;
#: then str device, u8 count and a str save item per register
EARLY_SPEC = struct.Struct("<HIIII")

#: the bridge's timing state beside a save state: ``<state path>`` + this suffix (lua/bridge.lua's TIMELINE_SUFFIX)
TIMELINE_SUFFIX = ".mame_zoo"

STEP_FRAME = 1
STEP_MAXPOOL = 2


class PixelFormat(enum.IntEnum):
    """How a step's screen is sent."""

    BGRA = 0  # MAME's screen: width x height x 4 bytes of B, G, R, A
    PEN16 = 1  # a device's indexed bitmap (SCREEN): whole rows of u16 palette indices

# value type name -> (wire code, numpy little-endian dtype)
TYPES: dict[str, tuple[int, np.dtype]] = {
    "u8": (1, np.dtype("<u1")),
    "s8": (2, np.dtype("<i1")),
    "u16": (3, np.dtype("<u2")),
    "s16": (4, np.dtype("<i2")),
    "u32": (5, np.dtype("<u4")),
    "s32": (6, np.dtype("<i4")),
}
SUM_DTYPE = np.dtype("<i8")

STEP_HEAD = struct.Struct("<HBH")
STEP_INPUT = struct.Struct("<HiH")  # field id, value, the step's frame it applies from
READ_SPEC = struct.Struct("<HIBIB")
WRITE_SPEC = struct.Struct("<HIBq")
HELLO_HEAD = struct.Struct("<H")
HELLO_SCREEN = struct.Struct("<HHdI")
PIXELS_HEAD = struct.Struct("<HHBB")  # width, height, count, PixelFormat
U16 = struct.Struct("<H")
U32 = struct.Struct("<I")
SPACE_INFO = struct.Struct("<HBBQ")
INPUT_INFO = struct.Struct("<HBBIiii")
MAP_RANGE = struct.Struct("<QQ")


class MalformedMessage(ValueError):
    """A message that does not decode as the protocol says (the client turns it into a ProtocolError)."""


def pack_str(text: str) -> bytes:
    """A protocol string: u16 length + UTF-8 bytes (``TypeError`` for non-strings, ``ValueError`` if too long)."""
    if not isinstance(text, str):
        raise OptionTypeError(f"bridge protocol strings are str, got {type(text).__name__} {text!r}")
    data = text.encode("utf-8")
    if len(data) > 0xFFFF:
        raise InvalidOption(f"string of {len(data)} bytes is too long for the bridge protocol (at most 65535)")
    return U16.pack(len(data)) + data


def unpack_str(buf: bytes | memoryview, pos: int) -> tuple[str, int]:
    """Decode a protocol string at ``pos``; returns (text, next position). Raises :class:`MalformedMessage`."""
    if pos + 2 > len(buf):
        raise MalformedMessage(f"string length at byte {pos} runs past the end of a {len(buf)}-byte message")
    (n,) = U16.unpack_from(buf, pos)
    pos += 2
    end = pos + n
    if end > len(buf):
        raise MalformedMessage(f"string of {n} bytes at byte {pos} runs past the end of a {len(buf)}-byte message")
    return bytes(buf[pos:end]).decode("utf-8", "replace"), end


def _int_or(value: Any, default: int) -> int:
    """``value`` as an int if it is one (Python or NumPy integer, not a float), else ``default``."""
    try:
        return operator.index(value)
    except TypeError:
        return default


def _unpack(fmt: struct.Struct, buf: bytes | memoryview, pos: int, what: str) -> tuple[Any, ...]:
    if pos < 0 or pos + fmt.size > len(buf):
        raise MalformedMessage(f"{what} at byte {pos} runs past the end of a {len(buf)}-byte message")
    return fmt.unpack_from(buf, pos)


def _check_end(buf: bytes | memoryview, pos: int, what: str) -> None:
    if pos != len(buf):
        raise MalformedMessage(f"{len(buf) - pos} unexpected bytes after {what}")


@dataclass(frozen=True)
class Hello:
    """What the machine reported when it started (the hello message, see docs/protocol.md)."""

    mame_version: str
    system: str
    description: str
    screen_width: int
    screen_height: int
    refresh_hz: float
    frame_number: int


def decode_hello(body: bytes | memoryview) -> tuple[int, Hello]:
    """Decode the hello body into (protocol version, :class:`Hello`). Raises :class:`MalformedMessage`."""
    (version,) = _unpack(HELLO_HEAD, body, 0, "the protocol version")
    pos = HELLO_HEAD.size
    mame_version, pos = unpack_str(body, pos)
    system, pos = unpack_str(body, pos)
    description, pos = unpack_str(body, pos)
    width, height, hz, frame = _unpack(HELLO_SCREEN, body, pos, "the screen geometry")
    _check_end(body, pos + HELLO_SCREEN.size, "the hello")
    return version, Hello(mame_version, system, description, width, height, hz, frame)


def decode_error(body: bytes | memoryview) -> tuple[int, str]:
    """Decode an ERROR reply body: (kind, message). Raises :class:`MalformedMessage`."""
    if len(body) < 1:
        raise MalformedMessage("an ERROR reply without a body")
    message, pos = unpack_str(body, 1)
    _check_end(body, pos, "an error message")
    return body[0], message


def decode_u16(body: bytes | memoryview, what: str) -> int:
    """A reply that is exactly one u16 (FIELD). Raises :class:`MalformedMessage`."""
    (value,) = _unpack(U16, body, 0, what)
    _check_end(body, U16.size, what)
    return int(value)


def decode_space(body: bytes | memoryview) -> tuple[int, int, bool, int]:
    """A SPACE reply: (space id, data width, big endian, address mask). Raises :class:`MalformedMessage`."""
    sid, width, big, mask = _unpack(SPACE_INFO, body, 0, "a space description")
    _check_end(body, SPACE_INFO.size, "a space description")
    return sid, width, bool(big), mask


def decode_inputs(body: bytes | memoryview) -> list[tuple[str, str, int, int, bool, int, int, int, int]]:
    """An INPUTS reply: (port, field, type, player, is_analog, mask, default, min, max) per field."""
    (n,) = _unpack(U16, body, 0, "the field count")
    pos, out = U16.size, []
    for _ in range(n):
        port, pos = unpack_str(body, pos)
        name, pos = unpack_str(body, pos)
        ftype, player, analog, mask, default, lo, hi = _unpack(INPUT_INFO, body, pos, "a field description")
        pos += INPUT_INFO.size
        out.append((port, name, ftype, player, bool(analog), mask, default, lo, hi))
    _check_end(body, pos, "the input list")
    return out


def decode_map(body: bytes | memoryview) -> list[tuple[int, int, str, str]]:
    """A MAP reply: (start, end, read handler, write handler) per range. Raises :class:`MalformedMessage`."""
    (n,) = _unpack(U16, body, 0, "the range count")
    pos, out = U16.size, []
    for _ in range(n):
        start, end = _unpack(MAP_RANGE, body, pos, "an address range")
        pos += MAP_RANGE.size
        rd, pos = unpack_str(body, pos)
        wr, pos = unpack_str(body, pos)
        out.append((start, end, rd, wr))
    _check_end(body, pos, "the address map")
    return out


def decode_values(specs: list[ReadSpec] | tuple[ReadSpec, ...], body: bytes | memoryview, pos: int,
                  frames: int) -> tuple[list[np.ndarray], int]:
    """Decode the values of ``specs`` at ``pos``: (values, next position). Raises :class:`MalformedMessage`."""
    values = []
    for spec in specs:
        size = spec.nbytes(frames)
        if pos + size > len(body):
            raise MalformedMessage(f"the values of {spec} run past the end of a {len(body)}-byte reply")
        values.append(spec.decode(body, pos, frames))
        pos += size
    return values, pos


@dataclass(frozen=True)
class ReadSpec:
    """One read: ``count`` consecutive values of ``dtype`` at ``address`` in space ``space_id``."""

    space_id: int
    address: int
    dtype: str
    count: int = 1
    agg: Agg = Agg.LAST

    def check(self) -> None:
        """Raise ``ValueError`` unless this spec can be sent (the client raises it as ``AddressError``)."""
        if self.dtype not in TYPES:
            raise InvalidOption(f"unknown value type {self.dtype!r}; use one of {', '.join(TYPES)}")
        limit = MAX_READ_COUNT.get(self.dtype, MAX_READ_COUNT_OTHER)
        if not 1 <= _int_or(self.count, 0) <= limit:
            raise InvalidOption(f"a read of {self.dtype} needs a count from 1 to {limit}, got {self.count!r}")
        if not 0 <= _int_or(self.address, -1) <= 0xFFFFFFFF:
            raise InvalidOption(f"read address {self.address!r} is not an int in 0..0xFFFFFFFF")
        if not 0 <= _int_or(self.space_id, -1) <= 0xFFFF:
            raise InvalidOption(f"space id {self.space_id!r} is not an id handed out by Bridge.space()")
        if self.agg not in (Agg.LAST, Agg.SUM, Agg.ALL):
            raise InvalidOption(f"unknown aggregation {self.agg!r}")

    def pack(self) -> bytes:
        """Encode for SET_READS / READ."""
        return READ_SPEC.pack(self.space_id, self.address, TYPES[self.dtype][0], self.count, int(self.agg))

    def nbytes(self, frames: int) -> int:
        """Size of this read's values in a STEP reply of ``frames`` frames."""
        if self.agg == Agg.SUM:
            return 8 * self.count
        size = TYPES[self.dtype][1].itemsize * self.count
        return size * frames if self.agg == Agg.ALL else size

    def decode(self, buf: bytes | memoryview, pos: int, frames: int) -> np.ndarray:
        """Decode this read's values from a reply at ``pos`` (a copy, safe to keep)."""
        # typed locals: numpy>=2.3's stubs type ndarray.copy() with typing.Self, which is Any for a 3.10 target
        out: np.ndarray
        if self.agg == Agg.SUM:
            out = np.frombuffer(buf, SUM_DTYPE, self.count, pos).copy()
            return out
        dtype = TYPES[self.dtype][1]
        if self.agg == Agg.ALL:
            out = np.frombuffer(buf, dtype, self.count * frames, pos).reshape(frames, self.count).copy()
            return out
        out = np.frombuffer(buf, dtype, self.count, pos).copy()
        return out

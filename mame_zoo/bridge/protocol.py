"""The bridge's wire format: constants and encoders. ``docs/protocol.md`` is the specification;
``lua/bridge.lua`` mirrors these numbers."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

import numpy as np

PROTOCOL_VERSION = 1

HEADER = struct.Struct("<IIB")  # body length, sequence number, opcode (request) / status (reply)


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


STEP_FRAME = 1
STEP_MAXPOOL = 2

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
STEP_INPUT = struct.Struct("<Hi")
READ_SPEC = struct.Struct("<HIBIB")
WRITE_SPEC = struct.Struct("<HIBq")
HELLO_HEAD = struct.Struct("<H")
HELLO_SCREEN = struct.Struct("<HHdI")
PIXELS_HEAD = struct.Struct("<HHB")
U16 = struct.Struct("<H")
U32 = struct.Struct("<I")
SPACE_INFO = struct.Struct("<HBBQ")
INPUT_INFO = struct.Struct("<HBBIiii")
MAP_RANGE = struct.Struct("<QQ")


def pack_str(text: str) -> bytes:
    """A protocol string: u16 length + UTF-8 bytes."""
    data = text.encode("utf-8")
    if len(data) > 0xFFFF:
        raise ValueError("string too long for the bridge protocol")
    return U16.pack(len(data)) + data


def unpack_str(buf: bytes | memoryview, pos: int) -> tuple[str, int]:
    """Decode a protocol string at ``pos``; returns (text, next position)."""
    (n,) = U16.unpack_from(buf, pos)
    pos += 2
    end = pos + n
    if end > len(buf):
        raise ValueError("string runs past the end of the message")
    return bytes(buf[pos:end]).decode("utf-8", "replace"), end


@dataclass(frozen=True)
class ReadSpec:
    """One read: ``count`` consecutive values of ``dtype`` at ``address`` in space ``space_id``."""

    space_id: int
    address: int
    dtype: str
    count: int = 1
    agg: Agg = Agg.LAST

    def pack(self) -> bytes:
        """Encode for SET_READS / READ."""
        return READ_SPEC.pack(self.space_id, self.address, TYPES[self.dtype][0], self.count, int(self.agg))

    def nbytes(self, frames: int) -> int:
        """Size of this read's values in a STEP reply of ``frames`` frames."""
        if self.agg == Agg.SUM:
            return 8 * self.count
        size = TYPES[self.dtype][1].itemsize * self.count
        return size * frames if self.agg == Agg.ALL else size

    def decode(self, buf: memoryview, pos: int, frames: int) -> np.ndarray:
        """Decode this read's values from a reply at ``pos`` (a copy, safe to keep)."""
        if self.agg == Agg.SUM:
            return np.frombuffer(buf, SUM_DTYPE, self.count, pos).copy()
        dtype = TYPES[self.dtype][1]
        if self.agg == Agg.ALL:
            return np.frombuffer(buf, dtype, self.count * frames, pos).reshape(frames, self.count).copy()
        return np.frombuffer(buf, dtype, self.count, pos).copy()

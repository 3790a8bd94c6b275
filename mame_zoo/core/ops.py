"""Plain-data pieces a game is declared with: RAM variables, start sequences, input maps.

The environment framework (:mod:`mame_zoo.env`) reads these; games never talk to MAME themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from mame_zoo.errors import InvalidGameSpec

Input = tuple[str, str]  # (port tag, field name)


@dataclass(frozen=True)
class Var:
    """A RAM variable: ``dtype`` value at ``address`` of ``device``'s ``space``."""

    address: int
    dtype: str = "u8"
    device: str = ":maincpu"
    space: str = "program"


# --- the game's own frame: what ends one, and where it reads its inputs ---------------------------
@dataclass(frozen=True)
class FrameLimit:
    """Stella's scanline limit: a frame also ends at the first write to ``first``..``last`` (or an address with
    some of the ``mirror`` bits set) once it has run more than ``lines`` scanlines of ``line_cycles`` CPU cycles.
    Stella (and so ALE) applies it to every frame (290 lines NTSC, 342 PAL); a 2600 game that switches VSYNC on
    time never meets it, so the bridge watches for it in start sequences and, where ``in_play``, in play too
    (it watches every write of the range: that costs)."""

    lines: int
    line_cycles: int
    first: int
    last: int
    mirror: int = 0
    in_play: bool = False
    #: the limit while the machine tells NTSC from PAL at power-on (Stella: NTSC's, whatever the format)
    detect_lines: int = 0


@dataclass(frozen=True)
class InstructionLimit:
    """Stella's instruction limit: ALE's frame (one ``TIA::update``) runs at most ``count`` CPU instructions
    (25000); a TV frame that has not ended by then goes on in the next step. A 2600 game that runs longer than
    that without VSYNC and without TIA writes (Entombed's title screen, while FIRE is held: the scanline limit
    needs a write) has more frames in ALE than VSYNCs. The bridge counts the instructions of the CPU (a 6502)
    from its reads of the code range ``first``..``last`` (and addresses with some of the ``mirror`` bits set);
    every code read is counted in Lua, which costs: only for the games that need it."""

    count: int
    first: int
    last: int
    mirror: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.count < 1 << 32:
            raise InvalidGameSpec(f"an instruction limit counts 1 to 2**32 - 1 instructions, not {self.count!r}")
        if not 0 <= self.first <= self.last:
            raise InvalidGameSpec(f"an instruction limit's code range {self.first:#x}..{self.last:#x} is empty")


@dataclass(frozen=True)
class FrameSignal:
    """What ends one of the game's frames: a write to ``address`` (or any address with some of the ``mirror``
    bits set) of ``device``'s ``space`` whose ``mask`` bits go from set to clear (``edge="fall"``) or the other
    way (``"rise"``). The 2600's: TIA VSYNC switched off, ``FrameSignal(0x00, 0x02, mirror=0x0F40)``, where
    Stella (and so ALE) ends a frame. Without one, MAME's own frame end is the frame. ``longest`` > 0: a frame
    also ends at MAME's ``longest``-th frame end without the signal (Stella cuts a frame after 25000
    instructions; a 2600 game that stops switching VSYNC while it thinks, or while a button is held, would
    otherwise never end one). ``limit``: Stella's scanline limit, counted in cycles of the CPU's ``clock_hz``;
    ``instructions``: Stella's instruction limit (exact where ``longest`` approximates it)."""

    address: int
    mask: int
    edge: str = "fall"
    mirror: int = 0
    device: str = ":maincpu"
    space: str = "program"
    longest: int = 0
    limit: FrameLimit | None = None
    clock_hz: int = 0
    instructions: InstructionLimit | None = None

    def __post_init__(self) -> None:
        if self.edge not in ("fall", "rise"):
            raise InvalidGameSpec(f"a frame signal's edge is \"fall\" or \"rise\", not {self.edge!r}")
        if not 0 < self.mask < 256:
            raise InvalidGameSpec(f"a frame signal's mask is a byte's bits (1-255), not {self.mask!r}")
        if not 0 <= self.longest < 1 << 16:
            raise InvalidGameSpec(f"a frame signal's longest frame is 0-65535 MAME frames, not {self.longest!r}")
        if self.limit is not None and self.clock_hz <= 0:
            raise InvalidGameSpec("a frame signal with a scanline limit needs the CPU clock (clock_hz)")


@dataclass(frozen=True)
class InputTap:
    """Where the game reads an input: reads of ``address`` (or its ``mirror`` addresses) of ``device``'s
    ``space`` carry the input in the ``mask`` bits (``active_low``: pressed reads 0). With a frame signal the
    bridge puts each step's value there at once, so the game reads it when it would in ALE (MAME itself takes
    new input values in only at its own frame end)."""

    address: int
    mask: int
    active_low: bool = True
    mirror: int = 0
    device: str = ":maincpu"
    space: str = "program"


@dataclass(frozen=True)
class ChargeTap:
    """Where the game reads an analog input that charges (the 2600's paddle pots, read as Stella times them):
    reads of ``address`` (or its ``mirror`` addresses) have the ``mask`` bits set once more CPU cycles than the
    input's value have passed since a write cleared the trigger bits (``trigger`` = address, mirror bits, mask:
    the 2600's VBLANK dump), clear while they are set; a negative value reads set at all times. The value is
    therefore in CPU cycles (of ``clock_hz``)."""

    address: int
    mask: int
    trigger: tuple[int, int, int]
    clock_hz: int
    mirror: int = 0
    device: str = ":maincpu"
    space: str = "program"


@dataclass(frozen=True)
class BusTap:
    """Reads of ``first``..``last`` (or their ``mirror`` addresses) whose ``mask`` bits the reference reads
    otherwise than MAME. ``model`` "stella_6502": bits the chip leaves undriven, which the bridge fills from the
    CPU's data bus as Stella's 6502 leaves it (the 2600's TIA drives 2 of 8 bits; MAME guesses the others, and
    games store what they read); "high": 1s (pins Stella reads as pulled up, whatever the data direction)."""

    first: int
    last: int
    mask: int
    mirror: int = 0
    model: str = "stella_6502"
    device: str = ":maincpu"
    space: str = "program"


@dataclass(frozen=True)
class EarlyWrite:
    """Writes of ``first``..``last`` (or their ``mirror`` addresses) that the reference applies from the pixel
    they happen at, where MAME's device applies them one pixel later: the bridge brings the device up to the
    beam (a read of ``catch_up``, on which it draws up to the current pixel) and sets its save items ``items``
    (one per register, in address order) to the written value just before MAME's own handler runs. The 2600's
    ENAM0, ENAM1 and ENABL: Stella's TIA applies them at once, MAME's one colour clock later, so a missile or
    the ball at the pixel of its enabling write appears a line earlier in Stella (and collides a frame
    earlier, in Combat)."""

    first: int
    last: int
    catch_up: int
    item_device: str
    items: tuple[str, ...]
    mirror: int = 0
    device: str = ":maincpu"
    space: str = "program"

    def __post_init__(self) -> None:
        if len(self.items) != self.last - self.first + 1:
            raise InvalidGameSpec(f"an early write needs one save item per register ({self.last - self.first + 1}), "
                                  f"got {len(self.items)}")


@dataclass(frozen=True)
class PenScreen:
    """A screen taken from a device's own double-buffered indexed bitmap (save items ``buffers``, u16 pens,
    ``row_pixels`` a row; save item ``selector`` names the buffer being drawn) rather than MAME's screen, which
    blends a frame with the one before it (the 2600's TIA). MAME's visible area starts at row ``top``, column
    ``left`` there; the device's palette gives the first ``colours`` pens' colours. ``row_cycles`` > 0 (CPU
    cycles a row, with a frame signal): ``top`` counts from the row of the frame's signal instead of the
    bitmap's first row (``Bridge.set_screen``); ``rows`` > 0: frames of that many rows, not MAME's screen's."""

    device: str
    buffers: tuple[str, str]
    selector: str
    row_pixels: int
    top: int
    left: int
    colours: int
    row_cycles: int = 0
    rows: int = 0


def bcd(value: int) -> int:
    """Decode one packed-BCD byte (0x59 -> 59)."""
    return 10 * ((value >> 4) & 0xF) + (value & 0xF)


# --- start sequences: run once from power-on, then saved as the start state ------------------------
@dataclass(frozen=True)
class Wait:
    """Let ``frames`` frames pass with every input released."""

    frames: int


@dataclass(frozen=True)
class Hold:
    """Hold ``inputs`` (field -> value) for ``frames`` frames; the next operation releases them.

    ``observed``: the last step of a restart whose hold goes on through the observed frame after it (ale-py's
    reset ends inside a soft reset); the first step releases it. An observed hold of 0 frames is held on the
    observed frame alone.
    """

    inputs: Mapping[Input, int]
    frames: int
    observed: bool = False


@dataclass(frozen=True)
class PressUntil:
    """Press ``inputs`` for ``press`` frames then release for ``release`` frames, until ``var`` equals ``value``.

    ``value`` is compared with the raw variable, or with ``bcd(var)`` when ``decode_bcd``. Stops with
    :class:`~mame_zoo.errors.InvalidGameSpec` after ``max_presses``: the sequence is wrong for this ROM.
    """

    inputs: Mapping[Input, int]
    var: Var
    value: int
    press: int = 1
    release: int = 1
    max_presses: int = 100
    decode_bcd: bool = False


@dataclass(frozen=True)
class Write:
    """Write ``value`` into RAM variable ``var`` (e.g. a game setting), then check it reads back."""

    var: Var
    value: int


@dataclass(frozen=True)
class MachineReset:
    """Reset the machine: its devices restart, its memory stays (Stella's ``System::reset``, with which ALE's
    environment resets begin; the machine's power-on model, if the game has one, says what else restarts)."""


@dataclass(frozen=True)
class LoadState:
    """Load the MAME save state at ``path``, then run one frame."""

    path: str


StartOp = Wait | Hold | PressUntil | Write | LoadState | MachineReset


def check_unique(names: list[str], what: str) -> None:
    """Raise :class:`InvalidGameSpec` if ``names`` has duplicates."""
    seen = set()
    for name in names:
        if name in seen:
            raise InvalidGameSpec(f"duplicate {what} {name!r}")
        seen.add(name)


@dataclass
class FrameOutcome:
    """What a game's rules say about one emulated frame."""

    rewards: list[float]
    terminal: bool = False
    lives: list[int] = field(default_factory=list)  # per agent; < 0 means that agent is out


__all__ = ["BusTap", "ChargeTap", "FrameLimit", "FrameOutcome", "FrameSignal", "Hold", "Input", "InputTap",
           "InstructionLimit", "LoadState", "MachineReset", "PressUntil", "StartOp", "Var", "Wait", "Write", "bcd",
           "check_unique"]

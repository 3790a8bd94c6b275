"""Machine models for game files that name one: ``[frame] machine = "atari2600"``.

Machine facts, not game facts: where a machine's games end their frames and read their controls, and how the
reference emulator (Stella inside ALE) powers the machine on, which MAME does otherwise. Measured on MAME's
``a2600``/``a2600p`` drivers (every field below pressed through MAME, and every address whose bit followed it
listed; ``tests/test_frame_signal.py`` and ``tests/test_machines.py`` check them on each supported MAME), matching
the 2600's documented registers (TIA VSYNC, VBLANK, INPT0-5; RIOT SWCHA/SWCHB, INTIM) and Stella's sources as
Multi-Agent-ALE and ale-py build them (``TIA.cxx``, ``M6532.cxx``, ``Console.cxx``, ``System.cxx``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from mame_zoo.core.game import PowerOn, RestartSpec
from mame_zoo.core.ops import (
    BusTap,
    ChargeTap,
    EarlyWrite,
    FrameLimit,
    FrameSignal,
    Input,
    InputTap,
    InstructionLimit,
    MachineReset,
    PenScreen,
    StartOp,
    Var,
    Wait,
)

# TIA: writes decode A0-A5 (A6, A8-A11 free), reads A0-A3 (A4-A6, A8-A11 free); RIOT I/O: A0-A2 with A3, A4 and
# A8, A10, A11 free (the timer's write registers need A4: A3, A8, A10, A11 free)
_TIA_WRITE_MIRROR, _TIA_READ_MIRROR, _RIOT_MIRROR, _TIMER_WRITE_MIRROR = 0x0F40, 0x0F70, 0x0D18, 0x0D08
_SWCHA, _SWCHB, _INPT4, _INPT5, _VBLANK = 0x280, 0x282, 0x0C, 0x0D, 0x01
_INTIM, _TIM1T, _TIM1024T = 0x284, 0x294, 0x297
_RESET_VECTOR_HIGH = 0x1FFD  # the 6507's 13-bit space: 0xFFFD
#: MAME's 6502 family spends 7 cycles from a reset to its first instruction (measured on 0.251, 0.276 and 0.289);
#: Stella's starts at once
_MAME_6502_RESET_CYCLES = 7
#: CPU clocks of MAME's 2600 systems (``mame -listxml``: the 6507 runs at the TIA's colour clock / 3)
CPU_HZ: Mapping[str, int] = {"a2600": 1193191, "a2600p": 1182298}
#: Stella's TIA ends a frame that runs past this many scanlines at its next TIA write (TIA.cxx, TIA::reset)
STELLA_LINES: Mapping[str, int] = {"NTSC": 290, "PAL": 342}
LINE_CYCLES = 76  # one scanline: 228 colour clocks
#: Stella's 6502 runs at most this many instructions per TIA::update, ALE's frame (TIA.cxx: execute(25000))
STELLA_INSTRUCTIONS = 25000
#: the cartridge: where the 6507 runs its code (A12 set; the 13-bit space)
_CART = (0x1000, 0x1FFF)


def _swcha(mask: int) -> InputTap:
    return InputTap(_SWCHA, mask, mirror=_RIOT_MIRROR)


def _taps_2600() -> dict[Input, InputTap]:
    taps: dict[Input, InputTap] = {}
    for port, player, shift, fire in ((":joyport1", "P1", 4, _INPT4), (":joyport2", "P2", 0, _INPT5)):
        for bit, direction in enumerate(("Up", "Down", "Left", "Right")):
            taps[(f"{port}:joy:JOY", f"{player} {direction}")] = _swcha(1 << (shift + bit))
        taps[(f"{port}:joy:JOY", f"{player} Button 1")] = InputTap(fire, 0x80, mirror=_TIA_READ_MIRROR)
    for port, pair, shift in ((":joyport1", ("P1", "P2"), 4), (":joyport2", ("P3", "P4"), 0)):
        first, second = pair  # the paddles' buttons; their pots are CHARGE inputs (_pots_2600)
        taps[(f"{port}:pad:JOY", f"{first} Button 1")] = _swcha(0x08 << shift)
        taps[(f"{port}:pad:JOY", f"{second} Button 1")] = _swcha(0x04 << shift)
    taps[(":SWB", "Reset Game")] = InputTap(_SWCHB, 0x01, mirror=_RIOT_MIRROR)
    taps[(":SWB", "Select Game")] = InputTap(_SWCHB, 0x02, mirror=_RIOT_MIRROR)
    return taps


#: the paddle pots and the dumped input each one charges: MAME's INPT_r(0..3) reads joyport1's POTX, POTY and
#: joyport2's POTX, POTY (a2600.cpp); Stella's INPT0/1 are the left jack's pins 9/5, INPT2/3 the right jack's
POTS: Mapping[Input, int] = {
    (":joyport1:pad:POTX", "Paddle"): 0x08, (":joyport1:pad:POTY", "Paddle 2"): 0x09,
    (":joyport2:pad:POTX", "Paddle 3"): 0x0A, (":joyport2:pad:POTY", "Paddle 4"): 0x0B,
}


def _pots_2600(clock_hz: int) -> dict[Input, ChargeTap]:
    """INPT0-3 bit 7: charged once the pot's value in CPU cycles has passed since VBLANK's bit 7 (the dump) was
    cleared, as Stella's TIA::peek times it."""
    return {pot: ChargeTap(address, 0x80, (_VBLANK, _TIA_WRITE_MIRROR, 0x80), clock_hz, mirror=_TIA_READ_MIRROR)
            for pot, address in POTS.items()}


def stella_paddle_cycles(resistance: int) -> int:
    """The CPU cycles a 2600 paddle of ``resistance`` ohms takes to charge, as Stella's TIA computes it
    (``(uInt32)(1.6 * r * 0.01E-6 * 1.19E6)``, the same double operations); 0 ohms reads charged at once (-1)."""
    if resistance <= 0:
        return -1
    return int(1.6 * resistance * 0.01e-6 * 1.19e6)


#: Stella's data bus model for the TIA's reads (bits 0-5 are undriven): TIA.cxx's ``noise``; games store what
#: they read (Boxing its fire buttons, Warlords its collisions)
#: and its RIOT's port B as Stella reads it: the console switches, where MAME reads the output latch of the pins a
#: game made outputs (Combat writes its clock to bit 4 after a match); bits 2, 4 and 5 have no switch (1)
_BUS_2600 = (BusTap(0x00, 0x0F, 0x3F, mirror=_TIA_READ_MIRROR),
             BusTap(_SWCHB, _SWCHB, 0x34, mirror=_RIOT_MIRROR, model="high"))

#: ENAM0, ENAM1 and ENABL take effect on the pixel of their write in Stella's TIA (its poke delay table: 0), one
#: colour clock later in MAME's (tia.cpp: 1); a read of CXM0P makes MAME's TIA draw up to the beam
_EARLY_2600 = (EarlyWrite(0x1D, 0x1F, 0x00, ":tia_video", ("0/ENAM0", "0/ENAM1", "0/ENABL"), mirror=_TIA_WRITE_MIRROR),)

#: MAME's 2600 screen: the TIA draws each frame into one of two bitmaps of 228 u16 pens a row (its colour registers'
#: value / 2, as Stella indexes its palette), from the line VSYNC switches on, and MAME's screen shows the last two
#: blended (tia.cpp). Stella's frame starts at the line VSYNC switches off, so the rows follow that line: MAME's
#: visible area (column 26, row 24 NTSC / 32 PAL, a2600.cpp) is rows 21 / 29 below it where VSYNC takes 3 lines.
#: Stella's PAL pictures reach further down than MAME's PAL screen (Combat: lines 39-294 after VSYNC off, where MAME
#: shows 29-287), so PAL frames carry 266 rows.
_TIA_ROW_PIXELS, _TIA_PENS, _VISIBLE_LEFT = 228, 128, 26
_TOP_AFTER_VSYNC, _TIA_ROWS = {"a2600": 21, "a2600p": 29}, {"a2600": 0, "a2600p": 266}


def _tia_screen(system: str) -> PenScreen:
    return PenScreen(":tia_video", ("0/helper[0]", "0/helper[1]"), "0/current_bitmap", _TIA_ROW_PIXELS,
                     _TOP_AFTER_VSYNC[system], _VISIBLE_LEFT, _TIA_PENS, row_cycles=LINE_CYCLES,
                     rows=_TIA_ROWS[system])


#: ALE's system random seed for the emulator (ale-py's ``system_random_seed``, default 4753849)
ALE_SYSTEM_SEED = 4753849
#: Stella's M6532 fills its 128 bytes of RAM from the system's RNG, then starts its timer at 25 + next % 75
_TIMER_BASE, _TIMER_SPAN = 25, 75
#: the draws before the first reset's timer: 128 RAM bytes and the timer M6532's constructor sets
_FIRST_RESET_DRAW = 129


@dataclass(frozen=True)
class StellaPowerOn(PowerOn):
    """The 2600 as Stella (ALE) builds it: RAM filled from a Mersenne twister (``std::mt19937``), and a random RIOT
    timer at each ``System::reset``, with which each of ALE's environment resets begins.

    Multi-Agent-ALE (the multi-agent envs' reference) seeds the twister with the episode seed
    (``reset(seed=...)``), draws 128 RAM bytes and a timer for every reset of its console, and re-seeds the
    twister before its environment resets. ale-py (the single-agent envs' reference) seeds it once with its
    fixed system seed (4753849), whatever the episode seed. Stella's console first runs 60 frames to tell PAL
    from NTSC (unless the cartridge's properties say which: ``detect=False``), with NTSC's scanline limit.
    ``timer_in_play``: the RIOT timer reads as Stella's M6532 in play too: once read after it expired, Stella's timer
    counts on in its interval (64 cycles after TIM64T), MAME's (as the chip) in cycles, so a game waiting for an
    expired timer waits far longer in Stella.
    """

    detect: bool = True
    timer_in_play: bool = False

    ram: tuple[Var, int] = (Var(0x80), 128)
    spec: RestartSpec = field(default_factory=lambda: RestartSpec(
        vector=_RESET_VECTOR_HIGH, timer_reads=(_INTIM, _INTIM + 3, _RIOT_MIRROR),
        timer_writes=(_TIM1T, _TIM1024T, _TIMER_WRITE_MIRROR), first_cycles=_MAME_6502_RESET_CYCLES,
        line_origin=(":tia_video", "0/frame_cycles")))

    def detection(self) -> tuple[StartOp, ...]:
        """Stella's format detection: 60 frames (NTSC's scanline limit), then the console's reset."""
        return (Wait(60), MachineReset()) if self.detect else ()

    def seeded(self, single_agent: bool) -> bool:
        """Multi-Agent-ALE's start depends on the episode seed; ale-py's does not."""
        return not single_agent

    def _draws(self, seed: int, single_agent: bool, count: int) -> np.ndarray:
        twister = np.random.RandomState(ALE_SYSTEM_SEED if single_agent else seed % (1 << 32))
        out: np.ndarray = twister.randint(0, 1 << 32, size=count, dtype=np.uint32)  # raw 32-bit outputs
        return out

    def fill(self, seed: int, single_agent: bool) -> bytes:
        """RAM 0x80-0xFF: the low bytes of the twister's first 128 outputs."""
        return bytes(int(x) & 0xFF for x in self._draws(seed, single_agent, 128))

    def charge(self, position: int) -> int:
        """A paddle's charging time in CPU cycles for its resistance (ALE's paddle position), as Stella's TIA
        computes it (:func:`stella_paddle_cycles`)."""
        return stella_paddle_cycles(position)

    def idle_charges(self, pots: Sequence[Input], start: int, single_agent: bool) -> dict[Input, int]:
        """Paddles no agent turns: Multi-Agent-ALE turns all four with no-ops (they stay at the start position);
        ale-py sets only the left jack's two (``setPaddles``): the right jack's read 0 ohms, always charged."""
        return {pot: stella_paddle_cycles(0 if single_agent and POTS[pot] >= 0x0A else start) for pot in pots}

    def timer(self, seed: int, single_agent: bool, index: int) -> int:
        """The timer (in intervals of 64 cycles) that machine reset number ``index`` (0: the one after power-on)
        starts. ale-py: the twister's next output for each reset. Multi-Agent-ALE: the same for the console's
        resets (power-on and, with detection, its end), then from the re-seeded twister's start."""
        console = 2 if self.detect else 1
        draw = _FIRST_RESET_DRAW + index if single_agent or index < console else index - console
        return _TIMER_BASE + int(self._draws(seed, single_agent, draw + 1)[draw]) % _TIMER_SPAN


@dataclass(frozen=True)
class MachineModel:
    """Everything a built-in machine gives a game file: its frame signal, input taps (digital and charging),
    bus taps, writes applied a pixel earlier, where its frames come from, and its power-on model."""

    signal: FrameSignal
    taps: Mapping[Input, InputTap]
    charges: Mapping[Input, ChargeTap]
    bus: tuple[BusTap, ...]
    early: tuple[EarlyWrite, ...]
    screen: PenScreen | None
    power_on: PowerOn | None


def atari2600(system: str, display: str | None = None, limit_in_play: bool = False,
              early: bool = False, timer: bool = False, instructions: bool = False) -> MachineModel:
    """The Atari 2600 as Stella (ALE) runs it, on MAME's ``system`` (``a2600`` or ``a2600p``). ``display`` is the
    cartridge's display format when Stella's properties fix it (no format detection at power-on): "NTSC" or
    "PAL"; None: detected (a PAL machine's games as PAL). ``limit_in_play``: watch Stella's scanline limit in play
    too; ``early``: apply ENAM0, ENAM1 and ENABL from the pixel of their write, as Stella; ``timer``: Stella's RIOT
    timer in play too (:class:`StellaPowerOn`'s ``timer_in_play``); ``instructions``: Stella's instruction limit
    (:class:`InstructionLimit`; counted on every read of the cartridge). Each taps every access of its registers
    (or of the cartridge), which costs: only for the games that need them."""
    clock = CPU_HZ[system]
    lines = STELLA_LINES[display or ("PAL" if system.endswith("p") else "NTSC")]
    limit = FrameLimit(lines, LINE_CYCLES, 0x00, 0x3F, _TIA_WRITE_MIRROR, in_play=limit_in_play,
                       detect_lines=STELLA_LINES["NTSC"])
    signal = FrameSignal(0x00, 0x02, "fall", _TIA_WRITE_MIRROR, limit=limit, clock_hz=clock,
                         instructions=InstructionLimit(STELLA_INSTRUCTIONS, *_CART) if instructions else None)
    return MachineModel(signal, _taps_2600(), _pots_2600(clock), _BUS_2600, _EARLY_2600 if early else (),
                        _tia_screen(system),
                        StellaPowerOn(detect=display is None, timer_in_play=timer))


#: the built-in machines: name -> model factory (system, display format, limit in play, early writes, timer,
#: instruction limit)
MACHINES = {"atari2600": atari2600}

__all__ = ["CPU_HZ", "MACHINES", "POTS", "STELLA_INSTRUCTIONS", "STELLA_LINES", "MachineModel", "StellaPowerOn",
           "atari2600", "stella_paddle_cycles"]

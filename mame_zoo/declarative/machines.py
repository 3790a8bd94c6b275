"""Frame signals and input taps of MAME machines, for game files that name one: ``[frame] machine = "atari2600"``.

Machine facts, not game facts: where a machine's games end their frames and read their controls. Measured on
MAME's ``a2600``/``a2600p`` drivers (every field below pressed through MAME, and every address whose bit
followed it listed; ``tests/test_frame_signal.py`` checks them on each supported MAME), matching the 2600's
documented registers (TIA VSYNC, INPT4/INPT5; RIOT SWCHA/SWCHB).
"""

from __future__ import annotations

from collections.abc import Mapping

from mame_zoo.core.ops import FrameSignal, Input, InputTap

# TIA: writes decode A0-A5 (A6, A8-A11 free), reads A0-A3 (A4-A6, A8-A11 free); RIOT I/O: A0-A2 with A3, A4 and
# A8, A10, A11 free
_TIA_WRITE_MIRROR, _TIA_READ_MIRROR, _RIOT_MIRROR = 0x0F40, 0x0F70, 0x0D18
_SWCHA, _SWCHB, _INPT4, _INPT5 = 0x280, 0x282, 0x0C, 0x0D


def _swcha(mask: int) -> InputTap:
    return InputTap(_SWCHA, mask, mirror=_RIOT_MIRROR)


def _taps_2600() -> dict[Input, InputTap]:
    taps: dict[Input, InputTap] = {}
    for port, player, shift, fire in ((":joyport1", "P1", 4, _INPT4), (":joyport2", "P2", 0, _INPT5)):
        for bit, direction in enumerate(("Up", "Down", "Left", "Right")):
            taps[(f"{port}:joy:JOY", f"{player} {direction}")] = _swcha(1 << (shift + bit))
        taps[(f"{port}:joy:JOY", f"{player} Button 1")] = InputTap(fire, 0x80, mirror=_TIA_READ_MIRROR)
    for port, pair, shift in ((":joyport1", ("P1", "P2"), 4), (":joyport2", ("P3", "P4"), 0)):
        first, second = pair  # paddle buttons; the pots themselves are analog and stay with MAME's frame end
        taps[(f"{port}:pad:JOY", f"{first} Button 1")] = _swcha(0x08 << shift)
        taps[(f"{port}:pad:JOY", f"{second} Button 1")] = _swcha(0x04 << shift)
    taps[(":SWB", "Reset Game")] = InputTap(_SWCHB, 0x01, mirror=_RIOT_MIRROR)
    taps[(":SWB", "Select Game")] = InputTap(_SWCHB, 0x02, mirror=_RIOT_MIRROR)
    return taps


#: machine name -> (frame signal, input taps); the Atari 2600 ends a frame where Stella does: VSYNC off. (Stella
#: also cuts a frame after 25000 instructions; a game that needs that bound says `longest` in its [frame].)
MACHINES: Mapping[str, tuple[FrameSignal, Mapping[Input, InputTap]]] = {
    "atari2600": (FrameSignal(0x00, 0x02, "fall", _TIA_WRITE_MIRROR), _taps_2600()),
}

__all__ = ["MACHINES"]

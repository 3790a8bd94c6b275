"""Kept for code that imported ``mame_zoo.spec``: the plain data of game declarations is in :mod:`mame_zoo.core.ops`."""

from mame_zoo.core.ops import (
    FrameOutcome,
    Hold,
    Input,
    LoadState,
    PressUntil,
    StartOp,
    Var,
    Wait,
    Write,
    bcd,
    check_unique,
)

__all__ = ["FrameOutcome", "Hold", "Input", "LoadState", "PressUntil", "StartOp", "Var", "Wait", "Write", "bcd",
           "check_unique"]

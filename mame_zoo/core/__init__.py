"""The floor every game stands on: the game interfaces (:mod:`mame_zoo.core.game`) and the plain data games are
declared with (:mod:`mame_zoo.core.ops`: RAM variables, start sequences, frame outcomes)."""

from mame_zoo.core.game import Controller, Game, Rules
from mame_zoo.core.ops import FrameOutcome, Hold, Input, LoadState, PressUntil, StartOp, Var, Wait, Write, bcd

__all__ = ["Controller", "FrameOutcome", "Game", "Hold", "Input", "LoadState", "PressUntil", "Rules", "StartOp",
           "Var", "Wait", "Write", "bcd"]

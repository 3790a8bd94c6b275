"""The controls a game file declares: action tables (ALE's built in), a paddle dial, each agent's wiring, and the
generic :class:`ActionController` that turns actions into MAME input values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mame_zoo.core.game import Controller
from mame_zoo.core.ops import Input
from mame_zoo.declarative.rules import Condition

# --- built-in action tables ------------------------------------------------------------------------------
#: ALE's 18 actions (src/common/Constants.h) as the buttons each one holds: up, down, left, right, fire
ATARI_TABLE: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (name, frozenset(buttons.split()))
    for name, buttons in (
        ("NOOP", ""), ("FIRE", "fire"), ("UP", "up"), ("RIGHT", "right"), ("LEFT", "left"), ("DOWN", "down"),
        ("UPRIGHT", "up right"), ("UPLEFT", "up left"), ("DOWNRIGHT", "down right"), ("DOWNLEFT", "down left"),
        ("UPFIRE", "up fire"), ("RIGHTFIRE", "right fire"), ("LEFTFIRE", "left fire"), ("DOWNFIRE", "down fire"),
        ("UPRIGHTFIRE", "up right fire"), ("UPLEFTFIRE", "up left fire"), ("DOWNRIGHTFIRE", "down right fire"),
        ("DOWNLEFTFIRE", "down left fire"),
    )
)
#: action tables a file can name with ``[actions] table = "..."``
BUILTIN_TABLES: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {"atari": ATARI_TABLE}


# --- controller ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dial:
    """An analog control turned by buttons (Atari paddles as ALE models them).

    The position starts at ``start``, moves by ``speed`` per frame while ``increase`` (or ``decrease``) is
    held, stays within ``minimum``..``maximum``; MAME gets ``round(multiply * position / divide + offset)``
    clipped to ``low``..``high``.
    """

    increase: str
    decrease: str
    start: int
    minimum: int
    maximum: int
    speed: int
    multiply: float = 1.0
    divide: float = 1.0
    offset: float = 0.0
    low: int = 0
    high: int = 255

    def value(self, position: int) -> int:
        """The input value MAME gets for a dial position."""
        return int(np.clip(round(self.multiply * position / self.divide + self.offset), self.low, self.high))


@dataclass(frozen=True)
class Wiring:
    """One agent's controls: button name -> input field, an optional dial field, and its ``out`` rule."""

    name: str
    buttons: Mapping[str, Input] = field(default_factory=dict)
    dial: Input | None = None
    out: Condition | None = None


class ActionController(Controller):
    """Maps each agent's action to the buttons it holds (and turns its dial), through an action table.

    ``sets`` holds one tuple of button sets per action component: one component gives ``Discrete`` actions
    (an index into it), several give ``MultiDiscrete`` actions whose buttons are combined. ``charge`` turns a
    dial's position into its field's value where the field is a charging input (the machine's; default
    :meth:`Dial.value`); ``idle`` holds fixed values of inputs no agent drives (paddles nobody turns).
    """

    def __init__(self, wirings: Sequence[Wiring], sets: Sequence[Sequence[frozenset[str]]], dial: Dial | None,
                 noop: Any, charge: Callable[[int], int] | None = None, idle: Mapping[Input, int] | None = None,
                 ) -> None:
        self.wirings = tuple(wirings)
        self.sets = tuple(tuple(s) for s in sets)
        self.dial = dial
        self.noop = noop
        self.charge = charge
        self.idle = dict(idle or {})
        fields: list[Input] = []
        for w in self.wirings:
            if w.dial is not None:
                fields.append(w.dial)
            fields.extend(w.buttons.values())
        self.inputs = tuple(dict.fromkeys([*fields, *self.idle]))
        self.per_frame = dial is not None and any(w.dial is not None for w in self.wirings)
        self.positions = [dial.start if dial else 0] * len(self.wirings)

    def _dial_value(self, position: int) -> int:
        assert self.dial is not None
        return self.charge(position) if self.charge is not None else self.dial.value(position)

    def reset(self) -> dict[Input, int]:
        """Dials back to their start positions; every input at its neutral value."""
        self.positions = [self.dial.start if self.dial else 0] * len(self.wirings)
        out = dict.fromkeys(self.inputs, 0)
        out.update(self.idle)
        if self.dial is not None:
            for w in self.wirings:
                if w.dial is not None:
                    out[w.dial] = self._dial_value(self.dial.start)
        return out

    def held(self, action: Any) -> frozenset[str]:
        """The buttons an action holds."""
        if len(self.sets) == 1:
            return self.sets[0][int(action)]
        return frozenset().union(*(s[int(a)] for s, a in zip(self.sets, action)))

    def encode(self, actions: Mapping[str, Any]) -> dict[Input, int]:
        """The input values for one frame of the agents' actions (a turned dial moves one frame's worth)."""
        out: dict[Input, int] = {}
        dial = self.dial
        for i, w in enumerate(self.wirings):
            held = self.held(actions.get(w.name, self.noop))
            if w.dial is not None and dial is not None:
                step = dial.speed if dial.increase in held else -dial.speed if dial.decrease in held else 0
                if step:
                    self.positions[i] = min(max(self.positions[i] + step, dial.minimum), dial.maximum)
                out[w.dial] = self._dial_value(self.positions[i])
            for button, input_field in w.buttons.items():
                out[input_field] = int(button in held)
        return out


__all__ = ["ATARI_TABLE", "BUILTIN_TABLES", "ActionController", "Dial", "Wiring"]

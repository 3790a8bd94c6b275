"""The interfaces every game implements: :class:`Game` (the declaration the framework reads), :class:`Rules` (rewards
and episode end over RAM values) and :class:`Controller` (actions to MAME inputs). Pure Python: no MAME, no
PettingZoo; the environment (:mod:`mame_zoo.env`) runs any :class:`Game`.
"""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import gymnasium

from mame_zoo.core.ops import (
    BusTap,
    ChargeTap,
    EarlyWrite,
    FrameOutcome,
    FrameSignal,
    Input,
    InputTap,
    PenScreen,
    StartOp,
    Var,
    Wait,
)

if TYPE_CHECKING:  # the bridge's plain configuration type, named in a signature only
    from mame_zoo.bridge import MachineConfig


class Rules(abc.ABC):
    """A game's per-frame reward and terminal logic over named RAM variables (pure Python, no MAME)."""

    @abc.abstractmethod
    def reset(self, values: Mapping[str, int]) -> None:
        """Prime the rules with the variables' values at the start of an episode."""

    @abc.abstractmethod
    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """Rewards per agent, terminal flag and lives after one emulated frame."""

    #: True while the agents' actions must be ignored (e.g. SF3 bonus stages with bonus="skip")
    wants_noop: bool = False

    def end_step(self) -> dict[str, Any]:
        """Info shared by every agent after a step (default: nothing); may reset per-step bookkeeping."""
        return {}

    def forced_inputs(self) -> dict[Input, int]:
        """Inputs set for the next step whatever the agents do (e.g. a coin on a continue screen)."""
        return {}


class Controller(abc.ABC):
    """Turns the agents' actions into MAME input values (may keep state, e.g. paddle positions)."""

    #: every input field the controller drives
    inputs: tuple[Input, ...]
    #: True when the same actions can give other values from one frame to the next (a dial that turns)
    per_frame: bool = False

    @abc.abstractmethod
    def reset(self) -> dict[Input, int]:
        """Forget state; return the neutral value of every input."""

    @abc.abstractmethod
    def encode(self, actions: Mapping[str, int]) -> dict[Input, int]:
        """Input values for one frame of the agents' actions (agents absent from ``actions`` do nothing)."""


@dataclasses.dataclass(frozen=True)
class RestartSpec:
    """Where a machine's reset is watched and what the bridge restarts with it (``Bridge.arm_restart``): the reset
    vector's high byte (the CPU's first instruction comes a cycle after reading it), the timer's read and write
    registers (first, last, mirror bits), MAME's cycles from a reset to the first instruction, and the save item
    (device tag, item name) that holds where the video chip's scanlines start."""

    vector: int
    timer_reads: tuple[int, int, int]
    timer_writes: tuple[int, int, int]
    first_cycles: int
    line_origin: tuple[str, str]
    device: str = ":maincpu"
    space: str = "program"


class PowerOn(abc.ABC):
    """How the reference emulator powers a machine on, where MAME does it otherwise: what its RAM holds, and what
    each machine reset restarts (a random timer, where scanlines start). With one, the env builds a game's start
    from power-on for the episode seed: ``reset(seed=...)`` gives the reference's start for that seed."""

    #: the RAM it fills: (first byte, size)
    ram: tuple[Var, int]
    spec: RestartSpec
    #: the reference's timer after the game's own timer writes too, not only from a reset to the first
    #: (``Bridge.arm_restart``'s ``in_play``)
    timer_in_play: bool = False

    @abc.abstractmethod
    def detection(self) -> tuple[StartOp, ...]:
        """What runs right after power-on, before the game's start sequence (e.g. a format detection)."""

    @abc.abstractmethod
    def seeded(self, single_agent: bool) -> bool:
        """Whether the start depends on the episode seed (in the single-agent form or the multi-agent one)."""

    @abc.abstractmethod
    def fill(self, seed: int, single_agent: bool) -> bytes:
        """The RAM at power-on for ``seed``."""

    @abc.abstractmethod
    def timer(self, seed: int, single_agent: bool, index: int) -> int:
        """The timer that machine reset number ``index`` (0: the one at power-on) starts, for ``seed``."""

    def charge(self, position: int) -> int:
        """The value a charging input (:class:`~mame_zoo.core.ops.ChargeTap`) gets for a dial at ``position``
        (default: the position itself)."""
        return position

    def idle_charges(self, pots: Sequence[Input], start: int, single_agent: bool) -> dict[Input, int]:
        """The values of charging inputs no agent turns, when the turned ones start at ``start`` (default: none
        set; MAME's own values)."""
        return {}


class Game(abc.ABC):
    """A game declaration: what the framework needs to know, as data plus small rule/controller objects."""

    name: str
    version: int
    description: str  # a paragraph for the docs and ``mame-zoo games``
    agents: tuple[str, ...]
    vars: Mapping[str, Var]  # read on every frame, handed to the rules
    start: Sequence[StartOp]  # from power-on to the saved start state
    #: run after every load of the start state, before the first observation. Needs >= 3 frames: MAME's
    #: screen content is not part of a save state, so the first frames after a load show stale pixels.
    restart: Sequence[StartOp] = (Wait(3),)
    render_fps: int = 60

    @property
    def env_name(self) -> str:
        """Versioned name, e.g. ``boxing_v0``."""
        return f"{self.name}_v{self.version}"

    @abc.abstractmethod
    def machine(self, rom_path: str | Sequence[str] | None) -> MachineConfig:
        """The MAME machine to run (raises :class:`~mame_zoo.errors.RomNotFound` if its ROM is absent)."""

    @abc.abstractmethod
    def action_space(self, agent: str,
                     full_action_space: bool) -> gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete:
        """The action space of ``agent`` (``Discrete`` or ``MultiDiscrete``)."""

    def noop_action(self, agent: str, full_action_space: bool) -> Any:
        """The action that does nothing (default 0)."""
        return 0

    @abc.abstractmethod
    def controller(self, full_action_space: bool) -> Controller:
        """A fresh controller."""

    @abc.abstractmethod
    def rules(self) -> Rules:
        """A fresh rules object."""

    @abc.abstractmethod
    def frame_shape(self) -> tuple[int, int]:
        """(height, width) of observations (after :attr:`crop`)."""

    #: the observed part of MAME's screen as (top, bottom, left, right); None: all of it
    crop: tuple[int, int, int, int] | None = None

    ram_obs: tuple[Var, int] | None = None  # (start, size) of the RAM observation, if the game offers one
    #: what ends one of the game's frames (None: MAME's frame end), and where the game reads which input
    frame_signal: FrameSignal | None = None
    input_taps: Mapping[Input, InputTap] = MappingProxyType({})
    #: charging inputs (paddle pots) read as the reference times them; bus bits the reference fills otherwise
    charge_taps: Mapping[Input, ChargeTap] = MappingProxyType({})
    bus_taps: tuple[BusTap, ...] = ()
    #: register writes the reference applies a pixel earlier than MAME's device
    early_writes: tuple[EarlyWrite, ...] = ()
    #: where the frames come from (None: MAME's screen)
    pen_screen: PenScreen | None = None
    #: how the reference powers the machine on (None: as MAME does)
    power_on: PowerOn | None = None
    #: True for the single-agent form of a game (its reference is the single-player emulator, e.g. ale-py)
    single_agent: bool = False

    #: names of the game's own settings, taken as env keywords (``characters``, ``num_players``, ...)
    options: tuple[str, ...] = ()

    def settings(self) -> dict[str, Any]:
        """The game's settings and their current values (default: the attributes named in :attr:`options`)."""
        return {k: getattr(self, k) for k in self.options}

    def with_settings(self, **values: Any) -> Game:
        """The same game with other settings (default: a dataclass copy with those fields replaced)."""
        return dataclasses.replace(self, **values)  # type: ignore[type-var]

    def ram_state_space(self) -> gymnasium.spaces.Dict | None:
        """The space of the game's RAM-state dict (health, timer, ...), or None if it has none."""
        return None

    def ram_state(self, rules: Rules, agent_index: int) -> dict[str, Any] | None:
        """The RAM-state dict of the last frame from ``agent_index``'s point of view (see :meth:`ram_state_space`)."""
        return None


__all__ = ["Controller", "Game", "PowerOn", "RestartSpec", "Rules"]

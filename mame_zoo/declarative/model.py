"""What a game file declares, as plain picklable records, and the generic rules and controller that run them.

:mod:`mame_zoo.declarative.parse` builds these records from a TOML file; :class:`DeclarativeGame` is the
:class:`~mame_zoo.env.Game` every file-declared game (and every built-in Atari game) runs as. Nothing here
talks to MAME: the environment (:mod:`mame_zoo.env`) reads the variables and drives the inputs.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium
import numpy as np

from mame_zoo.bridge import MachineConfig
from mame_zoo.core.game import Controller, Game, Rules
from mame_zoo.core.ops import FrameOutcome, Input, StartOp, Var, Wait
from mame_zoo.errors import InvalidGameSpec, InvalidOption
from mame_zoo.roms import atari_rom, require_romset, rom_paths

TYPE_SIZES = {"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4}

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


# --- variables -------------------------------------------------------------------------------------------
def bcd_decode(value: int) -> int:
    """Decode packed BCD of any width (0x1234 -> 1234); like :func:`mame_zoo.spec.bcd` for one byte."""
    out, scale = 0, 1
    value = int(value)
    while value > 0:
        out += (value & 0xF) * scale
        value >>= 4
        scale *= 10
    return out


def byteswap(value: int, size: int, signed: bool) -> int:
    """Reverse the byte order of a ``size``-byte value (two's complement when ``signed``)."""
    unsigned = value & ((1 << (8 * size)) - 1)
    swapped = int.from_bytes(unsigned.to_bytes(size, "little"), "big")
    if signed and swapped >= 1 << (8 * size - 1):
        swapped -= 1 << (8 * size)
    return swapped


@dataclass(frozen=True)
class Decoder:
    """How the raw value the CPU reads becomes the number the rules compare.

    In order: a raw value listed in ``special`` becomes its mapped number (Boxing's KO byte 0xC0 = 100);
    otherwise the bytes are reversed (``byteswap``), then ``value & mask``, ``>> shift``, and packed-BCD
    decoding (``bcd``).
    """

    dtype: str = "u8"
    byteswap: bool = False
    mask: int | None = None
    shift: int = 0
    bcd: bool = False
    special: tuple[tuple[int, int], ...] = ()

    @property
    def is_raw(self) -> bool:
        """True when the decoded value is the raw value."""
        return not (self.byteswap or self.mask is not None or self.shift or self.bcd or self.special)

    def __call__(self, raw: int) -> int:
        """The decoded value of ``raw``."""
        for key, mapped in self.special:
            if raw == key:
                return mapped
        value = raw
        if self.byteswap:
            value = byteswap(value, TYPE_SIZES[self.dtype], self.dtype.startswith("s"))
        if self.mask is not None:
            value &= self.mask
        if self.shift:
            value >>= self.shift
        if self.bcd:
            value = bcd_decode(value)
        return value

    def describe(self) -> str:
        """A short text for docs, e.g. ``"BCD, 0xC0 = 100"``."""
        parts = []
        if self.byteswap:
            parts.append("byte-swapped")
        if self.mask is not None:
            parts.append(f"& {self.mask:#x}")
        if self.shift:
            parts.append(f">> {self.shift}")
        if self.bcd:
            parts.append("BCD")
        parts += [f"{k:#x} = {v}" for k, v in self.special]
        return ", ".join(parts)


# --- conditions ------------------------------------------------------------------------------------------
COMPARISONS: dict[str, Callable[[int, Any], bool]] = {
    "equal": operator.eq, "not_equal": operator.ne, "above": operator.gt, "below": operator.lt,
    "at_least": operator.ge, "at_most": operator.le, "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
}
_SYMBOLS = {"equal": "==", "not_equal": "!=", "above": ">", "below": "<", "at_least": ">=", "at_most": "<=",
            "in": "in", "not_in": "not in"}


@dataclass(frozen=True)
class Condition:
    """A test over the decoded variables: ``var [& mask] <op> value``, or ``any``/``all``/``not`` of others."""

    kind: str  # "compare", "any", "all", "not"
    var: str = ""
    mask: int | None = None
    op: str = "equal"
    value: Any = 0
    children: tuple[Condition, ...] = ()

    def compile(self) -> Callable[[Mapping[str, int]], bool]:
        """A fast closure over a mapping of decoded values."""
        if self.kind == "compare":
            name, mask, test, value = self.var, self.mask, COMPARISONS[self.op], self.value
            if mask is None:
                return lambda d: test(d[name], value)
            return lambda d: test(d[name] & mask, value)
        parts = [c.compile() for c in self.children]
        if self.kind == "any":
            return lambda d: any(p(d) for p in parts)
        if self.kind == "all":
            return lambda d: all(p(d) for p in parts)
        (inner,) = parts
        return lambda d: not inner(d)

    def vars_used(self) -> set[str]:
        """Names of the variables the condition reads."""
        if self.kind == "compare":
            return {self.var}
        return set().union(*(c.vars_used() for c in self.children))

    def describe(self) -> str:
        """A readable text, e.g. ``score_first == 100``."""
        if self.kind == "compare":
            subject = f"({self.var} & {self.mask:#x})" if self.mask is not None else self.var
            value = list(self.value) if isinstance(self.value, tuple) else self.value
            return f"{subject} {_SYMBOLS[self.op]} {value}"
        if self.kind == "not":
            return f"not ({self.children[0].describe()})"
        joiner = " or " if self.kind == "any" else " and "
        return "(" + joiner.join(c.describe() for c in self.children) + ")"


# --- rewards ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AgentChoice:
    """Which agents a reward goes to: fixed indices, or chosen each time by a variable's value."""

    agents: tuple[int, ...] = ()
    var: str = ""
    by_value: tuple[tuple[int, tuple[int, ...]], ...] = ()
    default: tuple[int, ...] = ()

    def pick(self, values: Mapping[str, int]) -> tuple[int, ...]:
        """The agent indices for the current values."""
        if not self.var:
            return self.agents
        current = values[self.var]
        for key, agents in self.by_value:
            if current == key:
                return agents
        return self.default


@dataclass(frozen=True)
class DeltaReward:
    """``scale`` × the change since the last frame of ``var`` (minus ``minus``), to the chosen agents."""

    to: AgentChoice
    var: str
    minus: str | None = None
    scale: float = 1.0


@dataclass(frozen=True)
class EventReward:
    """``reward`` on each frame where ``when`` becomes true (it was false on the frame before)."""

    to: AgentChoice
    when: Condition
    reward: float


@dataclass(frozen=True)
class TimerReward:
    """``reward`` when ``condition`` has held for ``frames`` frames in a row; the count then restarts."""

    to: AgentChoice
    condition: Condition
    frames: int
    reward: float


@dataclass(frozen=True)
class OutReward:
    """``reward`` to an agent on the frame its ``out`` condition becomes true."""

    reward: float


@dataclass(frozen=True)
class SurvivorReward:
    """``reward`` on the episode's last frame to every agent that is not out."""

    reward: float


RewardRule = DeltaReward | EventReward | TimerReward | OutReward | SurvivorReward


@dataclass(frozen=True)
class RuleSet:
    """Everything the generic :class:`DeclarativeRules` needs: decoders, rewards, per-agent out rules, done."""

    agents: tuple[str, ...]
    decoders: Mapping[str, Decoder]
    rewards: tuple[RewardRule, ...] = ()
    outs: tuple[Condition | None, ...] = ()
    done: Condition | None = None
    agents_left: int | None = None

    def describe(self) -> str:
        """The rules in words (used for the docs when the file gives no ``rules_doc``)."""
        names = self.agents
        parts = []
        for rule in self.rewards:
            if isinstance(rule, DeltaReward):
                what = f"({rule.var} - {rule.minus})" if rule.minus else rule.var
                parts.append(f"{_who(rule.to, names)}: {rule.scale:+g} x the change of {what}")
            elif isinstance(rule, EventReward):
                parts.append(f"{_who(rule.to, names)}: {rule.reward:+g} when {rule.when.describe()} becomes true")
            elif isinstance(rule, TimerReward):
                parts.append(f"{_who(rule.to, names)}: {rule.reward:+g} after {rule.frames} frames in a row of "
                             f"{rule.condition.describe()}")
            elif isinstance(rule, OutReward):
                parts.append(f"an agent that is out: {rule.reward:+g}")
            else:
                parts.append(f"agents still in at the end: {rule.reward:+g}")
        ends = []
        if self.done is not None:
            ends.append(self.done.describe())
        if self.agents_left is not None:
            ends.append(f"at most {self.agents_left} agent(s) still in")
        outs = [f"{names[i]} when {c.describe()}" for i, c in enumerate(self.outs) if c is not None]
        text = "Rewards: " + ("; ".join(parts) if parts else "none") + "."
        if outs:
            text += " Out of the game: " + "; ".join(outs) + "."
        if ends:
            text += " Ends when " + " or ".join(ends) + "."
        return text


def _who(choice: AgentChoice, names: Sequence[str]) -> str:
    if not choice.var:
        return ", ".join(names[i] for i in choice.agents)
    cases = ", ".join(f"{'/'.join(names[i] for i in a)} if {choice.var} == {k}" for k, a in choice.by_value)
    return f"{cases}, else {'/'.join(names[i] for i in choice.default)}"


class DeclarativeRules(Rules):
    """Per-frame rewards and episode end computed from a :class:`RuleSet` (a game file's rewards and done)."""

    def __init__(self, rules: RuleSet) -> None:
        self.spec = rules
        self.n = len(rules.agents)
        self._decoders = [(name, d) for name, d in rules.decoders.items() if not d.is_raw]
        self._rewards = rules.rewards
        self._events = {i: r.when.compile() for i, r in enumerate(rules.rewards) if isinstance(r, EventReward)}
        self._timers = {i: r.condition.compile() for i, r in enumerate(rules.rewards) if isinstance(r, TimerReward)}
        self._outs = [c.compile() if c is not None else None for c in rules.outs]
        self._done = rules.done.compile() if rules.done is not None else None
        self._prev: dict[int, Any] = {}
        self.values: dict[str, int] = {}
        self.out = [False] * self.n

    def decode(self, values: Mapping[str, int]) -> dict[str, int]:
        """The decoded variables (raw values for variables without a decoding)."""
        out = dict(values)
        for name, decoder in self._decoders:
            out[name] = decoder(out[name])
        return out

    def _delta_value(self, rule: DeltaReward, d: Mapping[str, int]) -> int:
        return d[rule.var] - d[rule.minus] if rule.minus else d[rule.var]

    def reset(self, values: Mapping[str, int]) -> None:
        """Read the variables at the start of an episode."""
        d = self.values = self.decode(values)
        self._prev = {}
        for i, rule in enumerate(self._rewards):
            if isinstance(rule, DeltaReward):
                self._prev[i] = self._delta_value(rule, d)
            elif isinstance(rule, EventReward):
                self._prev[i] = self._events[i](d)
            elif isinstance(rule, TimerReward):
                self._prev[i] = 0
        self.out = [bool(c(d)) if c is not None else False for c in self._outs] + [False] * (self.n - len(self._outs))

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """Apply the file's ``[[rewards]]`` and ``[done]`` rules to one frame's values."""
        d = self.values = self.decode(values)
        rewards = [0.0] * self.n
        out = [bool(c(d)) if c is not None else False for c in self._outs] + [False] * (self.n - len(self._outs))
        survivors: float | None = None
        for i, rule in enumerate(self._rewards):
            if isinstance(rule, DeltaReward):
                now = self._delta_value(rule, d)
                change = now - self._prev[i]
                self._prev[i] = now
                if change:
                    for a in rule.to.pick(d):
                        rewards[a] += rule.scale * float(change)
            elif isinstance(rule, EventReward):
                now = self._events[i](d)
                if now and not self._prev[i]:
                    for a in rule.to.pick(d):
                        rewards[a] += rule.reward
                self._prev[i] = now
            elif isinstance(rule, TimerReward):
                count = self._prev[i] + 1 if self._timers[i](d) else 0
                if count >= rule.frames:
                    for a in rule.to.pick(d):
                        rewards[a] += rule.reward
                    count = 0
                self._prev[i] = count
            elif isinstance(rule, OutReward):
                for a in range(self.n):
                    if out[a] and not self.out[a]:
                        rewards[a] += rule.reward
            else:
                survivors = (survivors or 0.0) + rule.reward
        self.out = out
        terminal = bool(self._done(d)) if self._done is not None else False
        if self.spec.agents_left is not None and sum(not o for o in out) <= self.spec.agents_left:
            terminal = True
        if terminal and survivors is not None:
            rewards = [r + (0.0 if o else survivors) for r, o in zip(rewards, out)]
        lives = [-1 if o else 0 for o in out] if self._outs else []
        return FrameOutcome(rewards, terminal, lives)


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
    (an index into it), several give ``MultiDiscrete`` actions whose buttons are combined.
    """

    def __init__(self, wirings: Sequence[Wiring], sets: Sequence[Sequence[frozenset[str]]], dial: Dial | None,
                 noop: Any) -> None:
        self.wirings = tuple(wirings)
        self.sets = tuple(tuple(s) for s in sets)
        self.dial = dial
        self.noop = noop
        fields: list[Input] = []
        for w in self.wirings:
            if w.dial is not None:
                fields.append(w.dial)
            fields.extend(w.buttons.values())
        self.inputs = tuple(dict.fromkeys(fields))
        self.positions = [dial.start if dial else 0] * len(self.wirings)

    def reset(self) -> dict[Input, int]:
        """Dials back to their start positions; every input at its neutral value."""
        self.positions = [self.dial.start if self.dial else 0] * len(self.wirings)
        out = dict.fromkeys(self.inputs, 0)
        if self.dial is not None:
            for w in self.wirings:
                if w.dial is not None:
                    out[w.dial] = self.dial.value(self.dial.start)
        return out

    def held(self, action: Any) -> frozenset[str]:
        """The buttons an action holds."""
        if len(self.sets) == 1:
            return self.sets[0][int(action)]
        return frozenset().union(*(s[int(a)] for s, a in zip(self.sets, action)))

    def encode(self, actions: Mapping[str, Any], frames: int) -> dict[Input, int]:
        """The input values for the agents' actions over one step of ``frames`` frames."""
        out: dict[Input, int] = {}
        dial = self.dial
        for i, w in enumerate(self.wirings):
            held = self.held(actions.get(w.name, self.noop))
            if w.dial is not None and dial is not None:
                step = dial.speed if dial.increase in held else -dial.speed if dial.decrease in held else 0
                self.positions[i] = int(np.clip(self.positions[i] + step * frames, dial.minimum, dial.maximum))
                out[w.dial] = dial.value(self.positions[i])
            for button, input_field in w.buttons.items():
                out[input_field] = int(button in held)
        return out


# --- the game --------------------------------------------------------------------------------------------
def resolve_media(spec: str) -> str:
    """A media file: ``"ale:NAME"`` is ale-py's Atari ROM of that name, anything else a path."""
    if spec.startswith("ale:"):
        return atari_rom(spec[4:])
    return spec


@dataclass(frozen=True)
class PythonRules:
    """The escape hatch: ``"package.module:callable"`` called with ``kwargs`` returns a :class:`Rules`."""

    target: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def resolve(self) -> Callable[..., Any]:
        """Import the module and return the callable (never evaluates text)."""
        module_name, _, attr = self.target.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
        except ImportError as exc:
            raise InvalidGameSpec(f"rules.python: cannot import {module_name!r}: {exc}") from exc
        for part in attr.split("."):
            try:
                obj = getattr(obj, part)
            except AttributeError:
                raise InvalidGameSpec(f"rules.python: {module_name!r} has no {attr!r}") from None
        if not callable(obj):
            raise InvalidGameSpec(f"rules.python: {self.target!r} is not callable")
        return obj  # type: ignore[no-any-return]

    def build(self) -> Rules:
        """A fresh rules object from the factory."""
        made = self.resolve()(**dict(self.kwargs))
        if not isinstance(made, Rules):
            raise InvalidGameSpec(f"rules.python: {self.target!r} returned {type(made).__name__}, not a "
                                  "mame_zoo.env.Rules")
        return made


@dataclass(frozen=True)
class DeclarativeGame(Game):
    """A game declared by a file (see ``docs/declarative.md``); runs on :class:`~mame_zoo.env.MameParallelEnv`.

    Built by :func:`mame_zoo.declarative.load_game`; the built-in Atari games are instances too.
    """

    name: str
    version: int
    players: tuple[Wiring, ...] = ()
    vars: Mapping[str, Var] = field(default_factory=dict)
    decoders: Mapping[str, Decoder] = field(default_factory=dict)
    start_sequence: tuple[StartOp, ...] = ()
    restart: tuple[StartOp, ...] = (Wait(3),)
    single_agent_sequence: tuple[StartOp, ...] | None = None
    single_agent: bool = False
    system: str = ""
    media: Mapping[str, str] = field(default_factory=dict)
    romset: bool = True
    mame_options: tuple[str, ...] = ()
    crop: tuple[int, int, int, int] | None = None
    screen_size: tuple[int, int] | None = None
    ram_obs: tuple[Var, int] | None = None
    table: tuple[tuple[str, frozenset[str]], ...] = ()
    minimal: tuple[tuple[int, ...], ...] = ()
    full: tuple[int, ...] | None = None
    dial: Dial | None = None
    ruleset: RuleSet | None = None
    python_rules: PythonRules | None = None
    description: str = ""
    rules_text: str = ""
    sources: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    extra_doc: str = ""
    render_fps: int = 60
    path: str = ""
    options: tuple[str, ...] = ()

    @property
    def agents(self) -> tuple[str, ...]:  # type: ignore[override]
        """The agents, in the order of the file's ``[[agents]]`` (only the first in the single-agent form)."""
        names = tuple(w.name for w in self.players)
        return names[:1] if self.single_agent else names

    @property
    def start(self) -> tuple[StartOp, ...]:  # type: ignore[override]
        """The start sequence (in the single-agent form: the file's ``single_agent`` sequence, if it has one)."""
        if self.single_agent and self.single_agent_sequence is not None:
            return self.single_agent_sequence
        return self.start_sequence

    @property
    def one_player_mode(self) -> bool | None:
        """True when the game has a 1-player variant against the machine (``[start] single_agent``), else None."""
        return True if self.single_agent_sequence is not None else None

    @property
    def rom(self) -> str | None:
        """The ale-py ROM name of the cartridge (``media.cart = "ale:NAME"``), if it comes from there."""
        cart = self.media.get("cart", "")
        return cart[4:] if cart.startswith("ale:") else None

    @property
    def pal(self) -> bool:
        """True for the PAL Atari 2600 (``a2600p``)."""
        return self.system == "a2600p"

    @property
    def rules_doc(self) -> str:
        """The rules in words: the file's ``rules_doc``, else generated from the declared rules."""
        if self.rules_text:
            return self.rules_text
        if self.ruleset is not None:
            return self.ruleset.describe()
        return f"Rules from the Python factory {self.python_rules.target if self.python_rules else '?'}."

    def machine(self, rom_path: str | Sequence[str] | None) -> MachineConfig:
        """The MAME machine of the file, with ``ale:`` media resolved (RomNotFound if absent)."""
        paths = rom_paths(rom_path)
        if self.romset:
            require_romset(self.system, paths)
        media = {slot: resolve_media(spec) for slot, spec in self.media.items()}
        return MachineConfig(self.system, media, tuple(paths), self.mame_options)

    def _action_sets(self, full_action_space: bool) -> tuple[tuple[frozenset[str], ...], ...]:
        groups = (self.full,) if full_action_space and self.full is not None else self.minimal
        return tuple(tuple(self.table[i][1] for i in group) for group in groups)

    def action_space(self, agent: str,
                     full_action_space: bool) -> gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete:
        """The agent's action space: the minimal set, or the table's full set."""
        sets = self._action_sets(full_action_space)
        if len(sets) == 1:
            return gymnasium.spaces.Discrete(len(sets[0]))
        return gymnasium.spaces.MultiDiscrete([len(s) for s in sets])

    def noop_action(self, agent: str, full_action_space: bool) -> Any:
        """The first action that holds no button (0 if every action holds one)."""
        picks = [next((i for i, held in enumerate(s) if not held), 0) for s in self._action_sets(full_action_space)]
        return picks[0] if len(picks) == 1 else tuple(picks)

    def action_meanings(self, full_action_space: bool = False) -> list[str]:
        """Names of the actions in index order (for several components: each component's names in turn)."""
        groups = (self.full,) if full_action_space and self.full is not None else self.minimal
        return [self.table[i][0] for group in groups for i in group]

    def controller(self, full_action_space: bool) -> Controller:
        """A fresh controller over the file's wiring."""
        wired = [w for w in self.players if w.name in self.agents]
        return ActionController(wired, self._action_sets(full_action_space), self.dial,
                                self.noop_action(self.agents[0], full_action_space))

    def rules(self) -> Rules:
        """Fresh rules: the file's declarative rules or its Python factory's."""
        if self.python_rules is not None:
            return self.python_rules.build()
        assert self.ruleset is not None
        return DeclarativeRules(self.ruleset)

    def frame_shape(self) -> tuple[int, int]:
        """(height, width) of the observed screen, from [screen]."""
        if self.crop is not None:
            top, bottom, left, right = self.crop
            return bottom - top, right - left
        assert self.screen_size is not None
        return self.screen_size

    def with_single_agent(self) -> DeclarativeGame:
        """The 1-player variant: the first agent plays against the machine's own opponent."""
        if self.single_agent_sequence is None:
            raise InvalidOption(f"{self.env_name} has no 1-player mode against the machine (no [start] single_agent)")
        return replace(self, single_agent=True)


__all__ = ["ATARI_TABLE", "BUILTIN_TABLES", "ActionController", "AgentChoice", "Condition", "DeclarativeGame",
           "DeclarativeRules", "Decoder", "DeltaReward", "Dial", "EventReward", "OutReward", "PythonRules",
           "RuleSet", "SurvivorReward", "TimerReward", "Wiring", "bcd_decode", "byteswap", "resolve_media"]

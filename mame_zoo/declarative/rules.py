"""The rules a game file declares: typed variables and their decoding, conditions, rewards, and the generic
:class:`DeclarativeRules` that runs them over each frame's RAM values; the ``[rules] python`` escape hatch.

Plain picklable records; nothing here talks to MAME.
"""

from __future__ import annotations

import importlib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from mame_zoo.core.game import Rules
from mame_zoo.core.ops import FrameOutcome
from mame_zoo.errors import InvalidGameSpec

TYPE_SIZES = {"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4}

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
    multi_only: tuple[int, ...] = ()  # indices of rewards the 1-player form leaves out ([[rewards]] single_agent)

    def for_single_agent(self) -> RuleSet:
        """The rules of the 1-player form: without the rewards marked ``single_agent = false``."""
        kept = tuple(r for i, r in enumerate(self.rewards) if i not in self.multi_only)
        return replace(self, rewards=kept, multi_only=())

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
    """Per-frame rewards and episode end computed from a :class:`RuleSet` (a game file's rewards and done).

    Args:
        rules: The file's rewards, outs and end.
        playing: How many of its agents play (the first ones; a setting such as ``num_players`` may leave the
            others out): only they count for ``agents_left``. Default: all.
    """

    def __init__(self, rules: RuleSet, playing: int | None = None) -> None:
        self.spec = rules
        self.n = len(rules.agents)
        self.playing = self.n if playing is None else playing  # the first agents play (a setting may leave some out)
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
        if self.spec.agents_left is not None and sum(not o for o in out[:self.playing]) <= self.spec.agents_left:
            terminal = True
        if terminal and survivors is not None:
            rewards = [r + (0.0 if o else survivors) for r, o in zip(rewards, out)]
        lives = [-1 if o else 0 for o in out] if self._outs else []
        return FrameOutcome(rewards, terminal, lives)


def import_target(target: str, key: str) -> Callable[..., Any]:
    """The callable a file names as ``"package.module:name"`` under ``key``: imported, never evaluated."""
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidGameSpec(f"{key}: cannot import {module_name!r}: {exc}") from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise InvalidGameSpec(f"{key}: {module_name!r} has no {attr!r}") from None
    if not callable(obj):
        raise InvalidGameSpec(f"{key}: {target!r} is not callable")
    return obj  # type: ignore[no-any-return]


@dataclass(frozen=True)
class PythonRules:
    """The escape hatch: ``"package.module:callable"`` called with ``kwargs`` returns a :class:`Rules`."""

    target: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    single_agent_kwargs: Mapping[str, Any] = field(default_factory=dict)  # override kwargs in the 1-player form

    def resolve(self) -> Callable[..., Any]:
        """Import the module and return the callable (never evaluates text)."""
        return import_target(self.target, "rules.python")

    def build(self, single_agent: bool = False) -> Rules:
        """A fresh rules object from the factory (with ``single_agent_kwargs`` too in the 1-player form)."""
        made = self.resolve()(**{**self.kwargs, **(self.single_agent_kwargs if single_agent else {})})
        if not isinstance(made, Rules):
            raise InvalidGameSpec(f"rules.python: {self.target!r} returned {type(made).__name__}, not a "
                                  "mame_zoo.env.Rules")
        return made


__all__ = [
    "COMPARISONS",
    "TYPE_SIZES",
    "AgentChoice",
    "Condition",
    "DeclarativeRules",
    "Decoder",
    "DeltaReward",
    "EventReward",
    "OutReward",
    "PythonRules",
    "RuleSet",
    "SurvivorReward",
    "TimerReward",
    "bcd_decode",
    "byteswap",
    "import_target",
]

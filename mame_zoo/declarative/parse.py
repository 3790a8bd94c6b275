"""Reading and validating game files (TOML) into :class:`~mame_zoo.declarative.model.DeclarativeGame` records.

Every problem raises :class:`~mame_zoo.errors.InvalidGameSpec` naming the file, the key (``rewards[1].agent``)
and what is wrong. The format is documented in ``docs/declarative.md``.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

from mame_zoo.bridge.config import forbidden_option
from mame_zoo.core import ops as spec_module
from mame_zoo.core.ops import FrameSignal, Hold, Input, InputTap, MachineReset, PressUntil, StartOp, Var, Wait, Write
from mame_zoo.declarative.controls import BUILTIN_TABLES, Dial, Wiring
from mame_zoo.declarative.machines import MACHINES
from mame_zoo.declarative.model import Choice, DeclarativeGame, Setting
from mame_zoo.declarative.rules import (
    TYPE_SIZES,
    AgentChoice,
    Condition,
    Decoder,
    DeltaReward,
    EventReward,
    OutReward,
    PythonRules,
    RuleSet,
    SurvivorReward,
    TimerReward,
    import_target,
)
from mame_zoo.errors import InvalidGameSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

FORMAT_VERSION = 1
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DOTTED = r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*"
_TARGET = re.compile(f"{_DOTTED}:{_DOTTED}")
_OPTION = re.compile(r"-[a-z0-9_]+")
COMPARE_OPS = ("equal", "not_equal", "above", "below", "at_least", "at_most", "in", "not_in")


class _Ctx:
    """Where we are in which file, for error messages."""

    def __init__(self, source: str, base: Path | None) -> None:
        self.source = source
        self.base = base

    def fail(self, key: str, problem: str) -> NoReturn:
        raise InvalidGameSpec(f"{self.source}: {key}: {problem}" if key else f"{self.source}: {problem}")


def _kind(value: Any) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _table(ctx: _Ctx, value: Any, key: str, allowed: Sequence[str], required: Sequence[str] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        ctx.fail(key, f"must be a table, got {_kind(value)}")
    for k in value:
        if k not in allowed:
            close = difflib.get_close_matches(k, allowed, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; allowed: {', '.join(allowed)}"
            ctx.fail(f"{key}.{k}" if key else k, f"unknown key{hint}")
    for k in required:
        if k not in value:
            ctx.fail(f"{key}.{k}" if key else k, "is required")
    return value


def _int(ctx: _Ctx, value: Any, key: str, lo: int | None = None, hi: int | None = None) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        hint = " (write numbers without quotes; 0x92 is a TOML integer)" if isinstance(value, str) else ""
        ctx.fail(key, f"must be an integer, got {_kind(value)} {value!r}{hint}")
    if lo is not None and value < lo:
        ctx.fail(key, f"must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        ctx.fail(key, f"must be <= {hi}, got {value}")
    return value


def _num(ctx: _Ctx, value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        ctx.fail(key, f"must be a number, got {_kind(value)} {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        ctx.fail(key, f"must be a finite number, got {value}")
    return float(value)


def _str(ctx: _Ctx, value: Any, key: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
    if not isinstance(value, str):
        ctx.fail(key, f"must be a string, got {_kind(value)}")
    if pattern is not None and not pattern.fullmatch(value):
        ctx.fail(key, f"{value!r} is not {what}")
    return value


def _bool(ctx: _Ctx, value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        ctx.fail(key, f"must be true or false, got {_kind(value)}")
    return value


def _strings(ctx: _Ctx, value: Any, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        ctx.fail(key, f"must be a list of strings, got {_kind(value)}")
    return tuple(_str(ctx, v, f"{key}[{i}]") for i, v in enumerate(value))


def _input(ctx: _Ctx, value: Any, key: str) -> Input:
    if (not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, str) and v for v in value)):
        ctx.fail(key, f'must be an input field ["PORT", "FIELD"], e.g. [":SWB", "Reset Game"]; got {value!r}')
    if not value[0].startswith(":"):
        ctx.fail(key, f"the port tag {value[0]!r} must start with ':' (see `mame-zoo actions MACHINE`)")
    return value[0], value[1]


# --- sections ------------------------------------------------------------------------------------------
VAR_KEYS = ("address", "type", "device", "space", "byteswap", "decode", "mask", "shift", "special")


def _var(ctx: _Ctx, value: Any, key: str, keys: Sequence[str] = VAR_KEYS) -> tuple[Var, Decoder]:
    """A variable: an address, or a table with the address and how to read and decode it."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"address": value}
    if not isinstance(value, dict):
        hint = " (write numbers without quotes; 0x92 is a TOML integer)" if isinstance(value, str) else ""
        ctx.fail(key, f"must be an address or a table {{ address = ... }}, got {_kind(value)} {value!r}{hint}")
    t = _table(ctx, value, key, keys, ("address",))
    address = _int(ctx, t["address"], f"{key}.address", 0, 0xFFFFFFFF)
    dtype = t.get("type", "u8")
    if dtype not in TYPE_SIZES:
        ctx.fail(f"{key}.type", f"{dtype!r} is not a value type; use one of {', '.join(TYPE_SIZES)}")
    device = _str(ctx, t.get("device", ":maincpu"), f"{key}.device")
    if not device.startswith(":"):
        ctx.fail(f"{key}.device", f"the device tag {device!r} must start with ':' (e.g. ':maincpu')")
    space = _str(ctx, t.get("space", "program"), f"{key}.space")
    if address + TYPE_SIZES[dtype] - 1 > 0xFFFFFFFF:
        ctx.fail(f"{key}.address", f"{address:#x} + {TYPE_SIZES[dtype]} bytes is outside 32-bit addresses")
    decode = t.get("decode", "raw")
    if decode not in ("raw", "bcd"):
        ctx.fail(f"{key}.decode", f"must be 'raw' or 'bcd', got {decode!r}")
    if decode == "bcd" and dtype.startswith("s"):
        ctx.fail(f"{key}.decode", f"BCD needs an unsigned type (u8, u16, u32), not {dtype}")
    bits = 8 * TYPE_SIZES[dtype]
    mask = _int(ctx, t["mask"], f"{key}.mask", 1, (1 << bits) - 1) if "mask" in t else None
    shift = _int(ctx, t.get("shift", 0), f"{key}.shift", 0, bits - 1)
    swap = _bool(ctx, t.get("byteswap", False), f"{key}.byteswap")
    if swap and TYPE_SIZES[dtype] == 1:
        ctx.fail(f"{key}.byteswap", "a 1-byte value has no byte order")
    special: list[tuple[int, int]] = []
    if "special" in t:
        table = t["special"]
        if not isinstance(table, dict):
            ctx.fail(f"{key}.special", f"must be a table raw value -> number, e.g. {{ 0xC0 = 100 }}; got {table!r}")
        for raw, mapped in table.items():
            try:
                raw_value = int(raw, 0)
            except ValueError:
                ctx.fail(f"{key}.special.{raw}", "keys must be integers (e.g. 0xC0 or 192)")
            special.append((raw_value, _int(ctx, mapped, f"{key}.special.{raw}")))
    var = Var(address, dtype, device, space)
    return var, Decoder(dtype, swap, mask, shift, decode == "bcd", tuple(special))


def _condition(ctx: _Ctx, value: Any, key: str, names: Mapping[str, Any]) -> Condition:
    """``{var = NAME, [mask = M,] <op> = VALUE}`` or ``{any = [...]}``, ``{all = [...]}``, ``{not = {...}}``."""
    if not isinstance(value, dict):
        ctx.fail(key, f"must be a condition table such as {{ var = \"score\", equal = 100 }}; got {_kind(value)}")
    for combinator in ("any", "all"):
        if combinator in value:
            _table(ctx, value, key, (combinator,))
            items = value[combinator]
            if not isinstance(items, list) or not items:
                ctx.fail(f"{key}.{combinator}", "must be a non-empty list of conditions")
            return Condition(combinator, children=tuple(
                _condition(ctx, c, f"{key}.{combinator}[{i}]", names) for i, c in enumerate(items)))
    if "not" in value:
        _table(ctx, value, key, ("not",))
        return Condition("not", children=(_condition(ctx, value["not"], f"{key}.not", names),))
    t = _table(ctx, value, key, ("var", "mask", *COMPARE_OPS), ("var",))
    name = _var_name(ctx, t["var"], f"{key}.var", names)
    ops = [op for op in COMPARE_OPS if op in t]
    if len(ops) != 1:
        ctx.fail(key, f"give exactly one comparison of {', '.join(COMPARE_OPS)} (got {len(ops)})")
    op = ops[0]
    if op in ("in", "not_in"):
        items = t[op]
        if not isinstance(items, list) or not items:
            ctx.fail(f"{key}.{op}", "must be a non-empty list of integers")
        target: Any = tuple(_int(ctx, v, f"{key}.{op}[{i}]") for i, v in enumerate(items))
    else:
        target = _int(ctx, t[op], f"{key}.{op}")
    mask = _int(ctx, t["mask"], f"{key}.mask", 1) if "mask" in t else None
    return Condition("compare", name, mask, op, target)


def _var_name(ctx: _Ctx, value: Any, key: str, names: Mapping[str, Any]) -> str:
    name = _str(ctx, value, key)
    if name not in names:
        close = difflib.get_close_matches(name, list(names), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f"; variables: {', '.join(names) or '(none)'}"
        ctx.fail(key, f"no variable {name!r} in [vars]{hint}")
    return name


def _agent_choice(ctx: _Ctx, t: Mapping[str, Any], key: str, agents: Sequence[str],
                  names: Mapping[str, Any]) -> AgentChoice:
    def index(value: Any, k: str) -> int:
        name = _str(ctx, value, k)
        if name not in agents:
            ctx.fail(k, f"no agent {name!r}; agents: {', '.join(agents)}")
        return agents.index(name)

    def indices(value: Any, k: str) -> tuple[int, ...]:
        return tuple(index(v, f"{k}[{i}]") for i, v in enumerate(value)) if isinstance(value, list) else (index(
            value, k),)

    if "agent" in t and "agents" in t:
        ctx.fail(key, "give 'agent' or 'agents', not both")
    chosen = t.get("agent", t.get("agents"))
    k = f"{key}.{'agent' if 'agent' in t else 'agents'}"
    if chosen is None:
        ctx.fail(f"{key}.agent", "is required: the agent (or list of agents) the reward goes to")
    if isinstance(chosen, dict):
        sel = _table(ctx, chosen, k, ("var", "map", "default"), ("var", "map", "default"))
        var = _var_name(ctx, sel["var"], f"{k}.var", names)
        if not isinstance(sel["map"], dict) or not sel["map"]:
            ctx.fail(f"{k}.map", 'must be a table value -> agent, e.g. { 0 = "second_0" }')
        cases = []
        for raw, who in sel["map"].items():
            try:
                number = int(raw, 0)
            except ValueError:
                ctx.fail(f"{k}.map.{raw}", "keys must be integers")
            cases.append((number, indices(who, f"{k}.map.{raw}")))
        return AgentChoice(var=var, by_value=tuple(cases), default=indices(sel["default"], f"{k}.default"))
    return AgentChoice(agents=indices(chosen, k))


def _reward(ctx: _Ctx, value: Any, key: str, agents: Sequence[str], names: Mapping[str, Any],
            has_outs: bool) -> Any:
    if not isinstance(value, dict):
        ctx.fail(key, f"must be a table, got {_kind(value)}")
    kind = value.get("kind")
    kinds = ("delta", "event", "timer", "out", "survivors")
    if kind not in kinds:
        ctx.fail(f"{key}.kind", f"must be one of {', '.join(kinds)}; got {kind!r}")
    if kind == "delta":
        t = _table(ctx, value, key, ("kind", "agent", "agents", "var", "minus", "scale"), ("var",))
        minus = _var_name(ctx, t["minus"], f"{key}.minus", names) if "minus" in t else None
        return DeltaReward(_agent_choice(ctx, t, key, agents, names), _var_name(ctx, t["var"], f"{key}.var", names),
                           minus, _num(ctx, t.get("scale", 1), f"{key}.scale"))
    if kind == "event":
        t = _table(ctx, value, key, ("kind", "agent", "agents", "when", "reward"), ("when", "reward"))
        return EventReward(_agent_choice(ctx, t, key, agents, names), _condition(ctx, t["when"], f"{key}.when", names),
                           _num(ctx, t["reward"], f"{key}.reward"))
    if kind == "timer":
        t = _table(ctx, value, key, ("kind", "agent", "agents", "while", "frames", "reward"),
                   ("while", "frames", "reward"))
        return TimerReward(_agent_choice(ctx, t, key, agents, names),
                           _condition(ctx, t["while"], f"{key}.while", names),
                           _int(ctx, t["frames"], f"{key}.frames", 1), _num(ctx, t["reward"], f"{key}.reward"))
    t = _table(ctx, value, key, ("kind", "reward"), ("reward",))
    if not has_outs:
        ctx.fail(f"{key}.kind", f"{kind!r} rewards need an 'out' condition on at least one of the [[agents]]")
    reward = _num(ctx, t["reward"], f"{key}.reward")
    return OutReward(reward) if kind == "out" else SurvivorReward(reward)


def _ops(ctx: _Ctx, value: Any, key: str, inputs: Mapping[str, Input], names: Mapping[str, tuple[Var, Decoder]],
         restart: bool = False) -> tuple[StartOp, ...]:
    if not isinstance(value, list):
        ctx.fail(key, f"must be a list of steps such as [{{ wait = 60 }}, {{ hold = [\"start\"], frames = 4 }}]; "
                      f"got {_kind(value)}")
    ops = tuple(_op(ctx, op, f"{key}[{i}]", inputs, names) for i, op in enumerate(value))
    for i, op in enumerate(ops):
        if isinstance(op, Hold) and op.observed and not (restart and i == len(ops) - 1):
            ctx.fail(f"{key}[{i}].observed", "only the last step of a restart can go on through the observed frame")
    return ops


def _restart(ctx: _Ctx, value: Any, key: str, inputs: Mapping[str, Input],
             names: Mapping[str, tuple[Var, Decoder]]) -> tuple[StartOp, ...]:
    ops = _ops(ctx, value, key, inputs, names, restart=True)
    if sum(op.frames for op in ops if isinstance(op, Wait | Hold)) < 3:
        ctx.fail(key, "must let at least 3 frames pass (the screen is not part of a save state)")
    return ops


def _held(ctx: _Ctx, value: Any, key: str, inputs: Mapping[str, Input]) -> dict[Input, int]:
    """``["name", [":PORT", "Field"]]`` (held at 1) or ``{ name = value }`` (analog values)."""
    def one(item: Any, k: str) -> Input:
        if isinstance(item, list):
            return _input(ctx, item, k)
        name = _str(ctx, item, k)
        if name not in inputs:
            close = difflib.get_close_matches(name, list(inputs), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else f"; [inputs] has: {', '.join(inputs) or '(none)'}"
            ctx.fail(k, f"no input named {name!r}{hint}")
        return inputs[name]

    if isinstance(value, dict):
        return {one(name, f"{key}.{name}"): _int(ctx, v, f"{key}.{name}") for name, v in value.items()}
    if not isinstance(value, list):
        ctx.fail(key, f"must be a list of input names or [PORT, FIELD] pairs; got {_kind(value)}")
    return {one(item, f"{key}[{i}]"): 1 for i, item in enumerate(value)}


def _watched(ctx: _Ctx, value: Any, key: str, names: Mapping[str, tuple[Var, Decoder]]) -> tuple[Var, int, bool]:
    """The variable and value of a ``until`` / ``wait_until`` test (compared raw or as BCD).

    ``equal = "mode"`` (allowed where the caller has checked it) gives 0 here: the game's settings fill in the mode.
    """
    t = _table(ctx, value, key, ("var", "equal", *VAR_KEYS), ("equal",))
    if "var" in t:
        if "address" in t:
            ctx.fail(key, "give 'var' (a name from [vars]) or 'address', not both")
        _table(ctx, t, key, ("var", "equal"))
        var, decoder = names[_var_name(ctx, t["var"], f"{key}.var", names)]
    elif "address" in t:
        var, decoder = _var(ctx, {k: v for k, v in t.items() if k != "equal"}, key)
    else:
        ctx.fail(key, "needs 'var' (a name from [vars]) or 'address'")
    if decoder.byteswap or decoder.mask is not None or decoder.shift or decoder.special:
        ctx.fail(key, "start sequences compare the raw value or its BCD decoding only (no mask, shift, byteswap, "
                      "special); declare a plain variable for it")
    return var, 0 if t["equal"] == "mode" else _int(ctx, t["equal"], f"{key}.equal"), decoder.bcd


def _op(ctx: _Ctx, value: Any, key: str, inputs: Mapping[str, Input], names: Mapping[str, tuple[Var, Decoder]],
        ) -> StartOp:
    if not isinstance(value, dict):
        ctx.fail(key, f"must be a table such as {{ wait = 60 }}; got {_kind(value)}")
    kinds = [k for k in ("wait", "hold", "press", "wait_until", "write", "reset") if k in value]
    if len(kinds) != 1:
        ctx.fail(key, "give exactly one of wait, hold, press, wait_until, write, reset")
    kind = kinds[0]
    if kind == "reset":
        _table(ctx, value, key, ("reset",))
        if value["reset"] != "machine":
            ctx.fail(f"{key}.reset", f'the one reset is "machine" (its devices restart, memory stays), got '
                                     f'{value["reset"]!r}')
        return MachineReset()
    if kind == "wait":
        _table(ctx, value, key, ("wait",))
        return Wait(_int(ctx, value["wait"], f"{key}.wait", 1, 0xFFFF))
    if kind == "hold":
        t = _table(ctx, value, key, ("hold", "frames", "observed"), ("frames",))
        observed = _bool(ctx, t.get("observed", False), f"{key}.observed")
        # an observed hold may be held on the observed frame alone (ale-py's starting action on its last frame)
        return Hold(_held(ctx, t["hold"], f"{key}.hold", inputs),
                    _int(ctx, t["frames"], f"{key}.frames", 0 if observed else 1, 0xFFFF), observed)
    if kind == "press":
        t = _table(ctx, value, key, ("press", "until", "frames", "release", "max"), ("until",))
        var, target, bcd = _watched(ctx, t["until"], f"{key}.until", names)
        return PressUntil(_held(ctx, t["press"], f"{key}.press", inputs), var, target,
                          press=_int(ctx, t.get("frames", 1), f"{key}.frames", 1, 0xFFFF),
                          release=_int(ctx, t.get("release", 1), f"{key}.release", 1, 0xFFFF),
                          max_presses=_int(ctx, t.get("max", 100), f"{key}.max", 1), decode_bcd=bcd)
    if kind == "wait_until":
        t = _table(ctx, value, key, ("wait_until", "every", "max"))
        var, target, bcd = _watched(ctx, t["wait_until"], f"{key}.wait_until", names)
        every = _int(ctx, t.get("every", 2), f"{key}.every", 2, 0xFFFF)
        return PressUntil({}, var, target, press=every - 1, release=1,
                          max_presses=_int(ctx, t.get("max", 1000), f"{key}.max", 1), decode_bcd=bcd)
    t = _table(ctx, value, key, ("write", "value"), ("value",))
    target_var = t["write"]
    if isinstance(target_var, str):
        var, decoder = names[_var_name(ctx, target_var, f"{key}.write", names)]
        if not decoder.is_raw:
            ctx.fail(f"{key}.write", f"{target_var!r} has a decoding; writes store raw values, use a plain variable")
    else:
        var, _ = _var(ctx, target_var, f"{key}.write", ("address", "type", "device", "space"))
    return Write(var, _int(ctx, t["value"], f"{key}.value"))


def _state_op(ctx: _Ctx, value: Any, key: str) -> StartOp:
    path = _path(ctx, value, key)
    if not os.path.isfile(path):
        ctx.fail(key, f"save state {path} does not exist")
    with open(path, "rb") as fh:
        if fh.read(8) != b"MAMESAVE":
            ctx.fail(key, f"{path} is not a MAME save state")
    load_state = getattr(spec_module, "LoadState", None)
    if load_state is None:
        ctx.fail(key, "this mame_zoo's environment cannot start from a save state yet (mame_zoo.spec.LoadState is "
                      "missing); use a start sequence")
    return load_state(path)  # type: ignore[no-any-return]


def _path(ctx: _Ctx, value: Any, key: str) -> str:
    text = _str(ctx, value, key)
    if not text:
        ctx.fail(key, "must not be empty")
    path = Path(os.path.expanduser(text))
    if not path.is_absolute():
        if ctx.base is None:
            ctx.fail(key, f"relative path {text!r} in a game read from a string; give an absolute path")
        path = ctx.base / path
    return str(path)


def _actions(ctx: _Ctx, value: Any) -> tuple[tuple[tuple[str, frozenset[str]], ...], tuple[tuple[int, ...], ...],
                                             tuple[int, ...] | None]:
    t = _table(ctx, value, "actions", ("table", "minimal", "full", "groups"), ("table",))
    raw_table = t["table"]
    if isinstance(raw_table, str):
        if raw_table not in BUILTIN_TABLES:
            ctx.fail("actions.table", f"no built-in table {raw_table!r}; built-in: {', '.join(BUILTIN_TABLES)} (or "
                                      "write a table NAME = [buttons])")
        table = BUILTIN_TABLES[raw_table]
    elif isinstance(raw_table, dict) and raw_table:
        entries = []
        for name, buttons in raw_table.items():
            _str(ctx, name, f"actions.table.{name}", _IDENT, "an action name (letters, digits, _)")
            entries.append((name, frozenset(_strings(ctx, buttons, f"actions.table.{name}"))))
        table = tuple(entries)
    else:
        ctx.fail("actions.table", "must name a built-in table (\"atari\") or be a table NAME = [buttons held]")
    names = [n for n, _ in table]

    def pick(v: Any, k: str) -> tuple[int, ...]:
        if v == "all":
            return tuple(range(len(table)))
        chosen = _strings(ctx, v, k)
        if not chosen:
            ctx.fail(k, "must list at least one action")
        out = []
        for i, n in enumerate(chosen):
            if n not in names:
                close = difflib.get_close_matches(n, names, n=1)
                ctx.fail(f"{k}[{i}]", f"no action {n!r} in the table" + (f" (did you mean {close[0]!r}?)" if close
                                                                            else ""))
            out.append(names.index(n))
        if len(set(out)) != len(out):
            ctx.fail(k, "lists an action twice")
        return tuple(out)

    if "groups" in t:
        if "minimal" in t or "full" in t:
            ctx.fail("actions.groups", "give 'groups' (MultiDiscrete actions) or 'minimal'/'full', not both")
        groups = t["groups"]
        if not isinstance(groups, list) or len(groups) < 2:
            ctx.fail("actions.groups", "must be a list of at least two action lists (one per action component)")
        return table, tuple(pick(g, f"actions.groups[{i}]") for i, g in enumerate(groups)), None
    minimal = pick(t.get("minimal", "all"), "actions.minimal")
    full = pick(t["full"], "actions.full") if "full" in t else tuple(range(len(table)))
    return table, (minimal,), full


def _dial(ctx: _Ctx, value: Any) -> Dial:
    keys = ("increase", "decrease", "start", "min", "max", "speed", "multiply", "divide", "offset", "low", "high")
    t = _table(ctx, value, "dial", keys, ("increase", "decrease", "start", "min", "max", "speed"))
    lo, hi = _int(ctx, t["min"], "dial.min"), _int(ctx, t["max"], "dial.max")
    if lo > hi:
        ctx.fail("dial", f"min {lo} is above max {hi}")
    divide = _num(ctx, t.get("divide", 1), "dial.divide")
    if divide == 0:
        ctx.fail("dial.divide", "must not be 0")
    dial = Dial(_str(ctx, t["increase"], "dial.increase"), _str(ctx, t["decrease"], "dial.decrease"),
                _int(ctx, t["start"], "dial.start", lo, hi), lo, hi, _int(ctx, t["speed"], "dial.speed", 0),
                _num(ctx, t.get("multiply", 1), "dial.multiply"), divide,
                _num(ctx, t.get("offset", 0), "dial.offset"), _int(ctx, t.get("low", 0), "dial.low"),
                _int(ctx, t.get("high", 255), "dial.high"))
    if dial.low > dial.high:
        ctx.fail("dial", f"low {dial.low} is above high {dial.high}")
    return dial


def _machine(ctx: _Ctx, value: Any) -> tuple[str, dict[str, str], bool, tuple[str, ...]]:
    t = _table(ctx, value, "machine", ("system", "media", "romset", "options"), ("system",))
    system = _str(ctx, t["system"], "machine.system", re.compile(r"[a-z0-9_]+"),
                  "a MAME system short name (lower-case letters, digits, _; see `mame -listfull`)")
    media: dict[str, str] = {}
    raw_media = t.get("media", {})
    if not isinstance(raw_media, dict):
        ctx.fail("machine.media", f'must be a table slot -> file, e.g. {{ cart = "ale:boxing" }}; got {raw_media!r}')
    for slot, file in raw_media.items():
        if not re.fullmatch(r"[a-z0-9_]+", slot):
            ctx.fail(f"machine.media.{slot}", "media slot names are lower-case letters, digits or _ (cart, flop1, ...)")
        text = _str(ctx, file, f"machine.media.{slot}")
        if text.startswith("ale:"):
            if not re.fullmatch(r"ale:[a-z0-9_]+", text):
                ctx.fail(f"machine.media.{slot}", f"{text!r}: ale-py ROM names are lower-case, e.g. 'ale:boxing'")
            media[slot] = text
        else:
            media[slot] = _path(ctx, text, f"machine.media.{slot}")
    romset = _bool(ctx, t.get("romset", not media), "machine.romset")
    options = _strings(ctx, t.get("options", []), "machine.options")
    for i, word in enumerate(options):
        if word.startswith("-"):
            if not _OPTION.fullmatch(word):
                ctx.fail(f"machine.options[{i}]", f"{word!r} is not a MAME option name")
            if forbidden_option(word):
                ctx.fail(f"machine.options[{i}]", f"{word!r} is not allowed in a game file (it would run scripts or "
                                                  "plugins, touch files, or change what the bridge relies on)")
        elif i == 0 or not options[i - 1].startswith("-"):
            ctx.fail(f"machine.options[{i}]", f"{word!r} is a value without an option before it")
    return system, media, romset, options


def _screen(ctx: _Ctx, value: Any) -> tuple[tuple[int, int, int, int] | None, tuple[int, int] | None]:
    t = _table(ctx, value, "screen", ("crop", "size"))
    if ("crop" in t) == ("size" in t):
        ctx.fail("screen", "give either crop = [top, bottom, left, right] or size = [height, width]")
    if "crop" in t:
        crop = t["crop"]
        if not isinstance(crop, list) or len(crop) != 4:
            ctx.fail("screen.crop", "must be [top, bottom, left, right]")
        top, bottom, left, right = (_int(ctx, v, f"screen.crop[{i}]", 0, 4096) for i, v in enumerate(crop))
        if bottom <= top or right <= left:
            ctx.fail("screen.crop", f"needs top < bottom and left < right, got {crop}")
        return (top, bottom, left, right), None
    size = t["size"]
    if not isinstance(size, list) or len(size) != 2:
        ctx.fail("screen.size", "must be [height, width] (`mame-zoo find MACHINE` prints the screen size)")
    return None, (_int(ctx, size[0], "screen.size[0]", 1, 4096), _int(ctx, size[1], "screen.size[1]", 1, 4096))


TOP_KEYS = ("format", "game", "machine", "screen", "frame", "ram", "vars", "inputs", "start", "actions", "dial",
            "agents", "rewards", "done", "rules", "mode", "settings")
#: the sections of a file whose ``[game] python`` class declares agents, actions, start and rules
CLASS_TOP_KEYS = ("format", "game", "machine", "screen", "frame")


def _frame(ctx: _Ctx, value: Any, system: str) -> dict[str, Any]:
    """``[frame]``: what ends one of the game's frames, where it reads its inputs, and (a built-in machine's)
    how the reference powers the machine on: the game's fields frame_signal, input_taps, charge_taps, bus_taps,
    early_writes, pen_screen, power_on."""
    t = _table(ctx, value, "frame", ("machine", "signal", "taps", "longest", "display", "limit", "early", "timer",
                                          "instructions"))
    if ("machine" in t) == ("signal" in t):
        machines = " or ".join(repr(m) for m in MACHINES)
        ctx.fail("frame", f"give either machine = {machines} or signal = {{ address = ..., mask = ... }}")
    out: dict[str, Any] = {}
    taps: dict[Input, InputTap] = {}
    if "machine" in t:
        machine = _str(ctx, t["machine"], "frame.machine")
        if machine not in MACHINES:
            ctx.fail("frame.machine", f"no built-in machine {machine!r}; built-in: {', '.join(MACHINES)}")
        display = _str(ctx, t["display"], "frame.display") if "display" in t else None
        if display not in (None, "NTSC", "PAL"):
            ctx.fail("frame.display", f'must be "NTSC" or "PAL" (the cartridge\'s fixed format), got {display!r}')
        try:
            model = MACHINES[machine](system, display, _bool(ctx, t.get("limit", False), "frame.limit"),
                                      _bool(ctx, t.get("early", False), "frame.early"),
                                      _bool(ctx, t.get("timer", False), "frame.timer"),
                                      _bool(ctx, t.get("instructions", False), "frame.instructions"))
        except KeyError:
            ctx.fail("frame.machine", f"{machine!r} does not run on MAME system {system!r}")
        signal: FrameSignal = model.signal
        taps.update(model.taps)
        out.update(charge_taps=dict(model.charges), bus_taps=model.bus, early_writes=model.early,
                   pen_screen=model.screen, power_on=model.power_on)
    else:
        for key in ("display", "limit", "early", "timer", "instructions"):
            if key in t:
                ctx.fail(f"frame.{key}", "belongs to a built-in machine (frame.machine)")
        st = _table(ctx, t["signal"], "frame.signal", ("address", "mask", "edge", "mirror", "device", "space"),
                    ("address", "mask"))
        edge = _str(ctx, st.get("edge", "fall"), "frame.signal.edge")
        if edge not in ("fall", "rise"):
            ctx.fail("frame.signal.edge", f"must be \"fall\" or \"rise\", got {edge!r}")
        signal = FrameSignal(
            _int(ctx, st["address"], "frame.signal.address", 0), _int(ctx, st["mask"], "frame.signal.mask", 1, 255),
            edge, _int(ctx, st.get("mirror", 0), "frame.signal.mirror", 0),
            _str(ctx, st.get("device", ":maincpu"), "frame.signal.device"),
            _str(ctx, st.get("space", "program"), "frame.signal.space"))
    if "longest" in t:
        signal = replace(signal, longest=_int(ctx, t["longest"], "frame.longest", 1, 0xFFFF))
    raw = t.get("taps", [])
    if not isinstance(raw, list):
        ctx.fail("frame.taps", "must be a list of { input, address, mask } tables")
    for i, tap in enumerate(raw):
        key = f"frame.taps[{i}]"
        tt = _table(ctx, tap, key, ("input", "address", "mask", "active_low", "mirror", "device", "space"),
                    ("input", "address", "mask"))
        taps[_input(ctx, tt["input"], f"{key}.input")] = InputTap(
            _int(ctx, tt["address"], f"{key}.address", 0), _int(ctx, tt["mask"], f"{key}.mask", 1, 255),
            _bool(ctx, tt.get("active_low", True), f"{key}.active_low"),
            _int(ctx, tt.get("mirror", 0), f"{key}.mirror", 0),
            _str(ctx, tt.get("device", ":maincpu"), f"{key}.device"),
            _str(ctx, tt.get("space", "program"), f"{key}.space"))
    out.update(frame_signal=signal, input_taps=taps)
    return out


def _uses_mode(step: Any) -> bool:
    """Whether a start step waits for the game mode (``until = { ..., equal = "mode" }``)."""
    test = step.get("until", step.get("wait_until")) if isinstance(step, dict) else None
    return isinstance(test, dict) and test.get("equal") == "mode"


def _settings(ctx: _Ctx, top: Mapping[str, Any], agents: int,
              ) -> tuple[tuple[Setting, ...], int | None, int, tuple[tuple[dict[str, Any], int], ...]]:
    """``[settings.NAME]`` tables and ``[mode]``: (settings, mode default, mode offset, mode table)."""
    mode_default, offset = None, 0
    m: dict[str, Any] = {}
    if "mode" in top:
        m = _table(ctx, top["mode"], "mode", ("default", "offset", "table"), ("default",))
        mode_default = _int(ctx, m["default"], "mode.default", 0)
        offset = _int(ctx, m.get("offset", 0), "mode.offset")
    raw = top.get("settings", {})
    if not isinstance(raw, dict):
        ctx.fail("settings", "must be tables [settings.NAME] with default and choices")
    settings = []
    for name, value in raw.items():
        key = f"settings.{name}"
        _str(ctx, name, key, _IDENT, "a keyword name (letters, digits, _)")
        t = _table(ctx, value, key, ("default", "choices", "doc"), ("default", "choices"))
        default = t["default"]
        if not isinstance(default, bool | int | str):
            ctx.fail(f"{key}.default", f"must be a boolean, an integer or a string; got {_kind(default)}")
        if not isinstance(t["choices"], dict) or not t["choices"]:
            ctx.fail(f"{key}.choices", "must be a table VALUE = { mode = ..., add = ..., agents = ... }")
        choices = {}
        for text, effect in t["choices"].items():
            k = f"{key}.choices.{text}"
            if isinstance(default, bool):
                if text not in ("true", "false"):
                    ctx.fail(k, "the default is a boolean: the choices are true and false")
                choice_value: bool | int | str = text == "true"
            elif isinstance(default, int):
                if not re.fullmatch(r"-?\d+", text):
                    ctx.fail(k, "the default is an integer: every choice must be one")
                choice_value = int(text)
            else:
                choice_value = text
            e = _table(ctx, effect, k, ("mode", "add", "agents"))
            if ("mode" in e or "add" in e) and mode_default is None:
                ctx.fail(k, "changes the game mode: declare [mode] with its default")
            choices[choice_value] = Choice(
                _int(ctx, e["mode"], f"{k}.mode", 0) if "mode" in e else None, _int(ctx, e.get("add", 0), f"{k}.add"),
                _int(ctx, e["agents"], f"{k}.agents", 1, agents) if "agents" in e else None)
        if default not in choices:
            ctx.fail(f"{key}.default", f"{default!r} is not one of its choices ({', '.join(map(repr, choices))})")
        settings.append(Setting(name, default, choices, _str(ctx, t.get("doc", ""), f"{key}.doc")))
    table = []
    raw_table = m.get("table", [])
    if not isinstance(raw_table, list):
        ctx.fail("mode.table", "must be a list of { when = { SETTING = VALUE, ... }, mode = N } tables")
    specs = {st.name: st for st in settings}
    for i, entry in enumerate(raw_table):
        key = f"mode.table[{i}]"
        e = _table(ctx, entry, key, ("when", "mode"), ("when", "mode"))
        if not isinstance(e["when"], dict) or not e["when"]:
            ctx.fail(f"{key}.when", "must name settings and their values: { num_players = 2, ... }")
        for name, value in e["when"].items():
            if name not in specs:
                ctx.fail(f"{key}.when.{name}", f"no setting {name!r}; [settings] has: {', '.join(specs) or '(none)'}")
            if value not in specs[name].choices or type(value) is not type(specs[name].default):
                ctx.fail(f"{key}.when.{name}", f"{value!r} is not one of {', '.join(map(repr, specs[name].choices))}")
        table.append((dict(e["when"]), _int(ctx, e["mode"], f"{key}.mode", 0)))
    return tuple(settings), mode_default, offset, tuple(table)


def build_game(data: Mapping[str, Any], source: str, base: Path | None) -> DeclarativeGame:
    """Validate parsed TOML ``data`` and build the game (``source`` names it in errors; ``base`` resolves paths)."""
    ctx = _Ctx(source, base)
    game_table = data.get("game")
    python_game = isinstance(game_table, dict) and "python" in game_table
    if python_game:  # a game class supplies agents, actions, start and rules itself: the file gives the rest
        for key in TOP_KEYS:
            if key in data and key not in CLASS_TOP_KEYS:
                ctx.fail(key, f"the game.python class declares this itself; remove [{key}] or game.python")
    top = _table(ctx, dict(data), "", CLASS_TOP_KEYS if python_game else TOP_KEYS,
                 ("game", "machine", "screen") if python_game else ("game", "machine", "agents", "actions", "screen"))
    version = _int(ctx, top.get("format", FORMAT_VERSION), "format")
    if version != FORMAT_VERSION:
        ctx.fail("format", f"this mame_zoo reads format {FORMAT_VERSION}, the file says {version}")

    g = _table(ctx, top["game"], "game", ("name", "version", "description", "rules_doc", "sources", "history",
                                          "render_fps", "notes", "python"), ("name",))
    name = _str(ctx, g["name"], "game.name", _NAME, "a game name (lower-case letters, digits, _; starting with a "
                                                    "letter)")
    if re.search(r"_v\d+$", name):
        ctx.fail("game.name", f"{name!r} ends in a version; give the version in game.version")
    system, media, romset, options = _machine(ctx, top["machine"])
    crop, size = _screen(ctx, top["screen"])
    common: dict[str, Any] = dict(**(_frame(ctx, top["frame"], system) if "frame" in top else {}),
        name=name, version=_int(ctx, g.get("version", 0), "game.version", 0), system=system, media=media,
        romset=romset, mame_options=options, crop=crop, screen_size=size,
        description=_str(ctx, g.get("description", ""), "game.description"),
        rules_text=_str(ctx, g.get("rules_doc", ""), "game.rules_doc"),
        sources=_strings(ctx, g.get("sources", []), "game.sources"),
        history=_strings(ctx, g.get("history", []), "game.history"),
        extra_doc=_str(ctx, g.get("notes", ""), "game.notes"),
        render_fps=_int(ctx, g.get("render_fps", 60), "game.render_fps", 1, 1000), path=source)
    if python_game:
        return _game_class(ctx, g["python"])(**common)

    named: dict[str, tuple[Var, Decoder]] = {}
    raw_vars = top.get("vars", {})
    if not isinstance(raw_vars, dict):
        ctx.fail("vars", f"must be a table NAME = {{ address = ... }}; got {_kind(raw_vars)}")
    for vname, vdef in raw_vars.items():
        _str(ctx, vname, f"vars.{vname}", _IDENT, "a variable name (letters, digits, _)")
        named[vname] = _var(ctx, vdef, f"vars.{vname}")

    ram_obs = None
    if "ram" in top:
        r = _table(ctx, top["ram"], "ram", ("start", "size", "device", "space"), ("start", "size"))
        var, _ = _var(ctx, {k: r[k] for k in ("device", "space") if k in r} | {"address": r["start"]}, "ram")
        ram_obs = (var, _int(ctx, r["size"], "ram.size", 1, 1 << 20))

    inputs: dict[str, Input] = {}
    raw_inputs = top.get("inputs", {})
    if not isinstance(raw_inputs, dict):
        ctx.fail("inputs", 'must be a table NAME = [":PORT", "Field"]')
    for iname, idef in raw_inputs.items():
        inputs[iname] = _input(ctx, idef, f"inputs.{iname}")

    table, minimal, full = _actions(ctx, top["actions"])
    buttons_used = set().union(*(b for _, b in table))
    dial = _dial(ctx, top["dial"]) if "dial" in top else None

    raw_agents = top["agents"]
    if not isinstance(raw_agents, list) or not raw_agents:
        ctx.fail("agents", "declare the players with [[agents]] tables (name, buttons)")
    players: list[Wiring] = []
    for i, a in enumerate(raw_agents):
        key = f"agents[{i}]"
        t = _table(ctx, a, key, ("name", "buttons", "dial", "out"), ("name",))
        aname = _str(ctx, t["name"], f"{key}.name", _IDENT, "an agent name (letters, digits, _)")
        if any(p.name == aname for p in players):
            ctx.fail(f"{key}.name", f"duplicate agent {aname!r}")
        raw_buttons = t.get("buttons", {})
        if not isinstance(raw_buttons, dict):
            ctx.fail(f"{key}.buttons", 'must be a table BUTTON = [":PORT", "Field"]')
        wired: dict[str, Input] = {}
        for button, fdef in raw_buttons.items():
            if button not in buttons_used:
                ctx.fail(f"{key}.buttons.{button}", f"no action holds a button {button!r}; the table's buttons: "
                                                    f"{', '.join(sorted(buttons_used)) or '(none)'}")
            wired[button] = _input(ctx, fdef, f"{key}.buttons.{button}")
        dial_field = None
        if "dial" in t:
            if dial is None:
                ctx.fail(f"{key}.dial", "needs a [dial] section with its settings")
            dial_field = _input(ctx, t["dial"], f"{key}.dial")
        if not wired and dial_field is None:
            ctx.fail(key, "needs buttons (and/or a dial): the input fields its actions drive")
        out = _condition(ctx, t["out"], f"{key}.out", named) if "out" in t else None
        players.append(Wiring(aname, wired, dial_field, out))
    agent_names = [p.name for p in players]

    settings, mode_default, mode_offset, mode_table = _settings(ctx, top, len(players))
    raw_start = top.get("start", {})
    s = _table(ctx, raw_start, "start", ("sequence", "restart", "single_agent", "single_agent_restart", "state"))
    for part in ("restart", "single_agent", "single_agent_restart"):
        for i, step in enumerate(s.get(part, []) if isinstance(s.get(part), list) else []):
            if _uses_mode(step):
                ctx.fail(f"start.{part}[{i}]", 'only [start] sequence may wait for equal = "mode"')
    raw_sequence = s.get("sequence", [])
    steps = raw_sequence if isinstance(raw_sequence, list) else []
    mode_steps = [i for i, step in enumerate(steps) if _uses_mode(step)]
    if mode_steps and mode_default is None:
        ctx.fail(f"start.sequence[{mode_steps[0]}]", 'waits for equal = "mode": declare [mode] with its default')
    sequence = _ops(ctx, raw_sequence, "start.sequence", inputs, named)
    if "state" in s:
        sequence = (_state_op(ctx, s["state"], "start.state"), *sequence)
        mode_steps = [i + 1 for i in mode_steps]
    restart = _restart(ctx, s.get("restart", [{"wait": 3}]), "start.restart", inputs, named)
    single = _ops(ctx, s["single_agent"], "start.single_agent", inputs, named) if "single_agent" in s else None
    single_restart = None
    if "single_agent_restart" in s:
        if single is None:
            ctx.fail("start.single_agent_restart", "needs a [start] single_agent sequence")
        single_restart = _restart(ctx, s["single_agent_restart"], "start.single_agent_restart", inputs, named)

    python_rules = None
    ruleset = None
    if "rules" in top:
        if "rewards" in top or "done" in top:
            ctx.fail("rules", "a Python rules factory replaces [[rewards]] and [done]; give one or the other")
        r = _table(ctx, top["rules"], "rules", ("python", "kwargs", "single_agent_kwargs"), ("python",))
        target = _str(ctx, r["python"], "rules.python", _TARGET, "'package.module:callable'")
        kwargs = r.get("kwargs", {})
        single_kwargs = r.get("single_agent_kwargs", {})
        for key, value in (("kwargs", kwargs), ("single_agent_kwargs", single_kwargs)):
            if not isinstance(value, dict):
                ctx.fail(f"rules.{key}", "must be a table of keyword arguments")
        python_rules = PythonRules(target, dict(kwargs), dict(single_kwargs))
        try:
            python_rules.resolve()
        except InvalidGameSpec as exc:
            ctx.fail("rules.python", str(exc).split(": ", 1)[1])
    else:
        has_outs = any(p.out is not None for p in players)
        raw_rewards = top.get("rewards", [])
        if not isinstance(raw_rewards, list):
            ctx.fail("rewards", "must be [[rewards]] tables")
        multi_only = tuple(i for i, r in enumerate(raw_rewards) if isinstance(r, dict)
                           and not _bool(ctx, r.get("single_agent", True), f"rewards[{i}].single_agent"))
        rewards = tuple(_reward(ctx, {k: v for k, v in r.items() if k != "single_agent"} if isinstance(r, dict)
                                else r, f"rewards[{i}]", agent_names, named, has_outs)
                        for i, r in enumerate(raw_rewards))
        done_t = _table(ctx, top.get("done", {}), "done", ("when", "agents_left"))
        done = _condition(ctx, done_t["when"], "done.when", named) if "when" in done_t else None
        left = _int(ctx, done_t["agents_left"], "done.agents_left", 0) if "agents_left" in done_t else None
        if left is not None and not has_outs:
            ctx.fail("done.agents_left", "needs an 'out' condition on the [[agents]]")
        ruleset = RuleSet(tuple(agent_names), {n: d for n, (_, d) in named.items()}, rewards,
                          tuple(p.out for p in players), done, left, multi_only)

    game = DeclarativeGame(
        players=tuple(players), vars={n: v for n, (v, _) in named.items()},
        decoders={n: d for n, (_, d) in named.items()}, start_sequence=sequence, restart_sequence=restart,
        single_agent_sequence=single, single_agent_restart=single_restart, ram_obs=ram_obs, table=table,
        minimal=minimal, full=full, dial=dial, ruleset=ruleset, python_rules=python_rules,
        options=tuple(st.name for st in settings), setting_specs=settings,
        chosen={st.name: st.default for st in settings}, mode_default=mode_default, mode_offset=mode_offset,
        mode_steps=tuple(mode_steps), mode_table=mode_table, **common)
    return game.with_settings()  # the defaults' mode into the start sequence


def _game_class(ctx: _Ctx, value: Any) -> type[DeclarativeGame]:
    """The class ``[game] python`` names: a :class:`DeclarativeGame` subclass for what data cannot say."""
    target = _str(ctx, value, "game.python", _TARGET, "'package.module:Class'")
    try:
        cls = import_target(target, "game.python")
    except InvalidGameSpec as exc:
        ctx.fail("game.python", str(exc).split(": ", 1)[1])
    if not (isinstance(cls, type) and issubclass(cls, DeclarativeGame)):
        ctx.fail("game.python", f"{target!r} is not a subclass of mame_zoo.declarative.DeclarativeGame")
    return cls


def loads(text: str, source: str = "<string>", base: str | os.PathLike[str] | None = None) -> DeclarativeGame:
    """A game from TOML text; ``base`` is the folder relative paths (media, save state) are resolved against."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidGameSpec(f"{source}: not valid TOML: {exc}") from None
    return build_game(data, source, Path(base) if base is not None else None)


def load(path: str | os.PathLike[str]) -> DeclarativeGame:
    """A game from a TOML file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidGameSpec(f"{file}: no such game file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidGameSpec(f"{file}: cannot read it: {exc}") from None
    return loads(text, str(file), file.resolve().parent)


def load_machine(path: str | os.PathLike[str]) -> tuple[str, dict[str, str], bool, tuple[str, ...],
                                                       DeclarativeGame | None]:
    """The ``[machine]`` of a game file, and the game if the file is complete.

    A file the finder has started (only ``[machine]``, ``[screen]`` and ``[vars]``) is enough for
    ``mame-zoo find``; returns ``(system, media, romset, options, game or None)``.
    """
    file = Path(path)
    try:
        game = load(file)
        return game.system, dict(game.media), game.romset, game.mame_options, game
    except InvalidGameSpec:
        pass
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidGameSpec(f"{file}: no such game file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidGameSpec(f"{file}: cannot read it: {exc}") from None
    ctx = _Ctx(str(file), file.resolve().parent)
    if "machine" not in data:
        ctx.fail("machine", "is required")
    system, media, romset, options = _machine(ctx, data["machine"])
    return system, media, romset, options, None


__all__ = ["FORMAT_VERSION", "build_game", "load", "load_machine", "loads"]

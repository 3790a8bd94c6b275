"""The protocol's numbers are written twice, in ``mame_zoo/bridge/protocol.py`` and ``lua/bridge.lua``: this
checks that both sides agree, without MAME, by reading the Lua constants from the script's text."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mame_zoo import _paths
from mame_zoo.bridge import protocol as p

pytestmark = pytest.mark.no_mame  # pure logic: runs on one MAME version only

LUA = _paths.lua_script("bridge.lua").read_text(encoding="utf-8")


def _value(text: str) -> int:
    """A Lua integer literal or ``a << b``."""
    parts = [int(x, 0) for x in text.split("<<")]
    return parts[0] << parts[1] if len(parts) == 2 else parts[0]


def lua_constants() -> dict[str, int]:
    """Every ``local NAME, NAME2 = v1, v2`` line of upper-case integer constants in bridge.lua."""
    found: dict[str, int] = {}
    for names, values in re.findall(r"^local ([A-Z][A-Z0-9_]*(?:, [A-Z][A-Z0-9_]*)*) = ([0-9x <,]+)$", LUA,
                                    re.MULTILINE):
        keys, nums = names.split(", "), [_value(v) for v in values.split(",")]
        assert len(keys) == len(nums), f"cannot read the line {names} = {values}"
        found.update(zip(keys, nums))
    return found


def lua_types() -> dict[int, tuple[str, str, str, int]]:
    """bridge.lua's TYPES table: code -> (read method, write method, string.pack code, size)."""
    body = LUA.split("local TYPES = {", 1)[1].split("\n}", 1)[0]
    rows = re.findall(r'\[(\d+)\] = \{ "(\w+)", "(\w+)", "(\w+)", (\d+) \}', body)
    return {int(code): (read, write, fmt, int(size)) for code, read, write, fmt, size in rows}


def test_every_lua_constant_matches_python() -> None:
    expected = {"PROTOCOL_VERSION": p.PROTOCOL_VERSION, "F_FRAME": p.STEP_FRAME, "F_MAXPOOL": p.STEP_MAXPOOL,
                "MAX_COUNT_U8": p.MAX_READ_COUNT["u8"], "MAX_COUNT_OTHER": p.MAX_READ_COUNT_OTHER}
    for prefix, enum in (("OP_", p.Op), ("ST_", p.Status), ("E_", p.ErrorKind), ("AGG_", p.Agg), ("EDGE_", p.Edge),
                         ("BUS_", p.BusModel), ("PX_", p.PixelFormat)):
        expected.update({prefix + member.name: int(member) for member in enum})
    assert lua_constants() == expected  # both ways: no constant missing on either side, none differing


def test_value_types_match() -> None:
    lua = lua_types()
    assert sorted(lua) == sorted(code for code, _ in p.TYPES.values())
    pack_codes = {"u1": "B", "i1": "b", "u2": "I2", "i2": "i2", "u4": "I4", "i4": "i4"}
    for name, (code, dtype) in p.TYPES.items():
        read, write, fmt, size = lua[code]
        assert dtype.str[0] in "<|" and dtype.itemsize == size  # little-endian on the wire
        assert fmt == pack_codes[f"{dtype.kind}{dtype.itemsize}"]
        signed = np.issubdtype(dtype, np.signedinteger)
        bits = f"{'i' if signed else 'u'}{8 * size}"
        assert (read, write) == (f"read_{bits}", f"write_{bits}")
        assert name == f"{'s' if signed else 'u'}{8 * size}"


def test_the_parser_sees_a_changed_constant() -> None:
    """The check above could not fail if the regular expression matched nothing: show that it reads the lines."""
    constants = lua_constants()
    assert constants["OP_MAP"] == 12 and constants["MAX_COUNT_U8"] == 1 << 24 and len(constants) >= 25


def test_signal_and_tap_bodies_match() -> None:
    """SIGNAL, TAP, CHARGE, BUS, RESTART, EARLY and SCREEN bodies: the Lua side decodes exactly Python's struct
    layout."""
    codes = {"H": "I2", "I": "I4", "B": "B"}
    # (op, fixed part, what follows it): RESTART ends with two protocol strings (device, save item), EARLY with a
    # string (device) and a count (of the save item strings after it), SCREEN with four (device, save items)
    for op, spec, tail in (("OP_SIGNAL", p.SIGNAL_SPEC, ""), ("OP_TAP", p.TAP_SPEC, ""),
                           ("OP_CHARGE", p.CHARGE_SPEC, ""), ("OP_BUS", p.BUS_SPEC, ""),
                           ("OP_RESTART", p.RESTART_SPEC, "s2s2"), ("OP_EARLY", p.EARLY_SPEC, "s2B"),
                           ("OP_SCREEN", p.SCREEN_SPEC, "s2s2s2s2")):
        lua_format = "<" + "".join(codes[c] for c in spec.format.lstrip("<")) + tail
        branch = LUA.split(f"elseif op == {op} then", 1)[1].split("elseif op ==", 1)[0]
        assert f'take("{lua_format}", body, 1)' in branch, f"{op}: Lua does not decode {lua_format}"


def test_the_timeline_suffix_matches() -> None:
    assert f'local TIMELINE_SUFFIX = "{p.TIMELINE_SUFFIX}"' in LUA

"""Bad input: fuzzing the protocol decoders and the action validation, and hostile strings everywhere a user (or
a game file) can put one. Nothing received is ever executed, and every bad input ends in a clear error.

Four kinds of test, labelled in their names:

* ``test_pure_*``: pure logic, no process (the decoders in ``mame_zoo/bridge/protocol.py``, address parsing,
  the MultiDiscrete action check). Hypothesis feeds random and structured-but-wrong bytes.
* ``test_fake_emulator_*``: a FAKE emulator, a tiny Python program standing in for MAME that writes
  hypothesis-chosen bytes on the real pipes. It exercises the client's whole reply path (framing, lengths,
  status, sequence numbers, every reply decoder, the kill and clean-up after a malformed reply), which the
  real Lua script never gets wrong on purpose.
* ``test_real_*``: real MAME. Random requests sent to ``bridge.lua`` (malformed ones must be rejected and the
  session go on); random actions through a real env; hostile names and paths through the public API.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from procs import running

import mame_zoo
from mame_zoo.bridge import Bridge, MachineConfig, ReadSpec, SpaceInfo, protocol
from mame_zoo.bridge.protocol import (
    HEADER,
    HELLO_SCREEN,
    INPUT_INFO,
    MAP_RANGE,
    PROTOCOL_VERSION,
    SPACE_INFO,
    MalformedMessage,
    Op,
    pack_str,
)
from mame_zoo.emulator import Address, parse_address
from mame_zoo.env import _check_multi_discrete
from mame_zoo.errors import (
    AddressError,
    EmulatorClosed,
    InputNotFound,
    InvalidAction,
    MameZooError,
    ProtocolError,
    RomNotFound,
    StateError,
    UnknownGame,
)
from mame_zoo.games import boxing_v0

pytestmark = pytest.mark.timeout(180)

FUZZ = settings(database=None, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])


# --- pure logic: the decoders -----------------------------------------------------------------------------
DECODERS = [
    ("hello", protocol.decode_hello),
    ("error", protocol.decode_error),
    ("inputs", protocol.decode_inputs),
    ("map", protocol.decode_map),
    ("space", protocol.decode_space),
    ("u16", lambda b: protocol.decode_u16(b, "a field id")),
    ("str", lambda b: protocol.unpack_str(b, 0)),
    ("values", lambda b: protocol.decode_values([ReadSpec(1, 0, "u16", 3), ReadSpec(1, 0, "s8", 2, protocol.Agg.ALL),
                                                  ReadSpec(1, 0, "u32", 1, protocol.Agg.SUM)], b, 0, 4)),
]


@pytest.mark.no_mame
@FUZZ
@given(data=st.binary(max_size=300), which=st.sampled_from(DECODERS))
def test_pure_decoders_reject_garbage_cleanly(data: bytes, which: tuple[str, Any]) -> None:
    """Any bytes either decode or raise MalformedMessage; never struct.error, IndexError, a huge allocation."""
    _name, decode = which
    for buf in (data, memoryview(data)):
        try:
            decode(buf)
        except MalformedMessage:
            pass


def _str(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<H", len(data)) + data


names = st.text(max_size=20)


@pytest.mark.no_mame
@FUZZ
@given(version=st.integers(0, 0xFFFF), mame=names, system=names, desc=names, w=st.integers(0, 0xFFFF),
       h=st.integers(0, 0xFFFF), hz=st.floats(allow_nan=False), frame=st.integers(0, 0xFFFFFFFF),
       cut=st.integers(0, 200), extra=st.binary(min_size=1, max_size=4))
def test_pure_hello_round_trip_and_damage(version: int, mame: str, system: str, desc: str, w: int, h: int,
                                          hz: float, frame: int, cut: int, extra: bytes) -> None:
    """A hello encoded as bridge.lua does decodes to the same values; cut short or padded, it is refused."""
    body = struct.pack("<H", version) + _str(mame) + _str(system) + _str(desc) + HELLO_SCREEN.pack(w, h, hz, frame)
    got_version, info = protocol.decode_hello(body)
    assert (got_version, info.mame_version, info.system, info.description) == (version, mame, system, desc)
    assert (info.screen_width, info.screen_height, info.refresh_hz, info.frame_number) == (w, h, hz, frame)
    with pytest.raises(MalformedMessage):
        protocol.decode_hello(body[: min(cut, len(body) - 1)])
    with pytest.raises(MalformedMessage):
        protocol.decode_hello(body + extra)


field_rows = st.lists(st.tuples(names, names, st.integers(0, 0xFFFF), st.integers(0, 255), st.booleans(),
                                st.integers(0, 0xFFFFFFFF), st.integers(-2**31, 2**31 - 1),
                                st.integers(-2**31, 2**31 - 1), st.integers(-2**31, 2**31 - 1)), max_size=6)


@pytest.mark.no_mame
@FUZZ
@given(rows=field_rows, cut=st.integers(1, 40))
def test_pure_inputs_round_trip_and_damage(rows: list[tuple], cut: int) -> None:
    body = struct.pack("<H", len(rows)) + b"".join(
        _str(p) + _str(f) + INPUT_INFO.pack(t, pl, int(a), m, d, lo, hi) for p, f, t, pl, a, m, d, lo, hi in rows)
    assert protocol.decode_inputs(body) == [tuple(r) for r in rows]
    assume(cut < len(body))
    with pytest.raises(MalformedMessage):
        protocol.decode_inputs(body[:-cut])


@pytest.mark.no_mame
@FUZZ
@given(rows=st.lists(st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1), names, names), max_size=6),
       cut=st.integers(1, 40))
def test_pure_map_round_trip_and_damage(rows: list[tuple], cut: int) -> None:
    body = struct.pack("<H", len(rows)) + b"".join(MAP_RANGE.pack(a, b) + _str(r) + _str(w) for a, b, r, w in rows)
    assert protocol.decode_map(body) == [tuple(r) for r in rows]
    assume(cut < len(body))
    with pytest.raises(MalformedMessage):
        protocol.decode_map(body[:-cut])


@pytest.mark.no_mame
@FUZZ
@given(text=st.text(max_size=40), tail=st.binary(max_size=3))
def test_pure_strings(text: str, tail: bytes) -> None:
    packed = pack_str(text)
    assert protocol.unpack_str(packed + tail, 0) == (text, len(packed))
    with pytest.raises(MalformedMessage):
        protocol.unpack_str(packed[:-1], 0) if len(packed) > 2 else protocol.unpack_str(packed[:1], 0)


@pytest.mark.no_mame
def test_pure_pack_str_refuses_what_cannot_travel() -> None:
    with pytest.raises(TypeError):
        pack_str(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pack_str(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="too long"):
        pack_str("x" * 70000)
    with pytest.raises(ValueError):
        pack_str("\ud800")  # a lone surrogate is not UTF-8


@pytest.mark.no_mame
@FUZZ
@given(space=st.integers(-5, 70000), address=st.one_of(st.integers(-5, 2**33), st.floats(), st.text(max_size=5)),
       dtype=st.sampled_from(["u8", "s8", "u16", "s16", "u32", "s32", "u64", "", "U8", "float"]),
       count=st.one_of(st.integers(-2, 2**25), st.floats(allow_nan=True)),
       agg=st.one_of(st.sampled_from(list(protocol.Agg)), st.integers(-1, 5)))
def test_pure_read_spec_check(space: int, address: Any, dtype: str, count: Any, agg: Any) -> None:
    """ReadSpec.check accepts exactly what the wire and bridge.lua's limits can carry; pack() never fails then."""
    spec = ReadSpec(space, address, dtype, count, agg)
    limit = protocol.MAX_READ_COUNT.get(dtype, protocol.MAX_READ_COUNT_OTHER)
    valid = (0 <= space <= 0xFFFF and isinstance(address, int) and 0 <= address <= 0xFFFFFFFF
             and dtype in protocol.TYPES and isinstance(count, int) and 1 <= count <= limit
             and agg in (0, 1, 2))
    if valid:
        spec.check()
        assert len(spec.pack()) == protocol.READ_SPEC.size
    else:
        with pytest.raises(ValueError):
            spec.check()


@pytest.mark.no_mame
@FUZZ
@given(text=st.one_of(st.text(max_size=30), st.from_regex(r"\s*0[xX][0-9a-fA-F]{1,12}\s*", fullmatch=True),
                      st.from_regex(r"\s*[0-9]{1,12}\s*", fullmatch=True)))
def test_pure_address_strings(text: str) -> None:
    """MAMEToolkit-style address strings: an int in range, or AddressError (never eval'd, never another error)."""
    try:
        value = parse_address(text)
    except AddressError:
        return
    assert isinstance(value, int) and 0 <= value <= 0xFFFFFFFF
    assert value == int(text.strip(), 16 if text.strip().lower().startswith("0x") else 10)


@pytest.mark.no_mame
@pytest.mark.parametrize("bad", ['0x80"); os.execute("touch x") --', "0x80\n;", "]]..os.exit()..[[", "1e3", "0b101",
                                 "-1", "0x1_0", "", " ", "0x", "0x100000000", "80h", None, 1.5, [0x80]])
def test_pure_hostile_address_strings(bad: Any) -> None:
    with pytest.raises(AddressError):
        Address(bad)
    with pytest.raises(AddressError):
        Address("0x80", mode=str(bad))


NVEC = np.array([9, 10, 3])
md_actions = st.one_of(
    st.lists(st.integers(-3, 12), min_size=0, max_size=4).map(np.array),
    st.lists(st.integers(-3, 12), min_size=3, max_size=3).map(lambda v: np.array(v, dtype=np.int8)),
    st.lists(st.floats(allow_nan=True), min_size=3, max_size=3).map(np.array),
    st.lists(st.integers(0, 2), min_size=3, max_size=3),
    st.tuples(st.integers(0, 8), st.integers(0, 9), st.integers(0, 2)),
    st.lists(st.booleans(), min_size=3, max_size=3).map(np.array),
    st.integers(), st.none(), st.text(max_size=3))


@pytest.mark.no_mame
@FUZZ
@given(action=md_actions)
def test_pure_multi_discrete_actions(action: Any) -> None:
    space = gymnasium.spaces.MultiDiscrete(NVEC)
    arr = np.asarray(action) if not isinstance(action, str | type(None)) else None
    valid = (arr is not None and arr.shape == (3,) and np.issubdtype(arr.dtype, np.integer)
             and bool(((arr >= 0) & (arr < NVEC)).all()))
    if valid:
        assert _check_multi_discrete("p1", action, space) == tuple(int(x) for x in arr)
    else:
        with pytest.raises(InvalidAction):
            _check_multi_discrete("p1", action, space)


# --- a FAKE emulator on the real pipes ----------------------------------------------------------------------
FAKE = """\
import json, os, struct, sys
if "-version" in sys.argv:
    print("0.251 (fake emulator for mame_zoo's fuzz tests)")
    sys.exit(0)
chunks = [bytes.fromhex(c) for c in json.loads(os.environ["MZ_FAKE_CHUNKS"])]
cmd = os.open(os.environ["MAME_ZOO_IN"], os.O_RDONLY)
out = os.open(os.environ["MAME_ZOO_OUT"], os.O_WRONLY)

def read(n):
    data = b""
    while len(data) < n:
        got = os.read(cmd, n - len(data))
        if not got:
            sys.exit(0)
        data += got
    return data

for i, chunk in enumerate(chunks):
    if i:  # every chunk after the hello answers one request
        length = struct.unpack("<I", read(9)[:4])[0]
        read(length)
    os.write(out, chunk)
if os.environ.get("MZ_FAKE_HANG"):
    read(1 << 30)
"""


@pytest.fixture(scope="module")
def fake_mame(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("fake") / "mame"
    path.write_text(f"#!{sys.executable} -S\n" + FAKE)
    path.chmod(0o755)
    return str(path)


def reply(seq: int, status: int, body: bytes) -> bytes:
    return HEADER.pack(len(body), seq, status) + body


def good_hello(w: int = 4, h: int = 2) -> bytes:
    body = struct.pack("<H", PROTOCOL_VERSION) + pack_str("0.251") + pack_str("fake") + pack_str("Fake machine")
    return reply(0, 0, body + HELLO_SCREEN.pack(w, h, 60.0, 0))


def run_fake(fake: str, chunks: list[bytes], action: str, workdir: Path, hang: bool = False) -> str:
    # (the fake exits after its last chunk: a message cut short ends in EOF at once, not in a timeout)
    """Start a Bridge on the fake emulator, do one request, return what happened ('ok' or an error name)."""
    os.environ["MZ_FAKE_CHUNKS"] = json.dumps([c.hex() for c in chunks])
    if hang:
        os.environ["MZ_FAKE_HANG"] = "1"
    bridge = None
    try:
        try:
            bridge = Bridge(MachineConfig("fake"), mame=fake, timeout=1.0, boot_timeout=3.0, workdir=workdir)
            if action == "step":
                bridge.step(1)
            elif action == "step_noframe":
                bridge.step(2, frame=False)
            elif action == "inputs":
                bridge.inputs()
            elif action == "field":
                bridge.field(":P1", "Button 1")
            elif action == "space":
                bridge.space()
            elif action == "read":
                bridge.read([ReadSpec(1, 0x80, "u8", 2)])
            elif action == "map":
                bridge.memory_map(SpaceInfo(1, ":maincpu", "program", 8, False, 0xFFFF))
            outcome = "ok"
        except MameZooError as exc:
            outcome = type(exc).__name__
            if bridge is not None and isinstance(exc, ProtocolError | EmulatorClosed):
                assert bridge.closed
        return outcome
    finally:
        os.environ.pop("MZ_FAKE_CHUNKS", None)
        os.environ.pop("MZ_FAKE_HANG", None)
        if bridge is not None:
            bridge.close()
            assert bridge.proc is not None and bridge.proc.poll() is not None
        assert list(workdir.glob("mame_zoo-*")) == [], "temp folder left behind"


ACTIONS = ["step", "step_noframe", "inputs", "field", "space", "read", "map"]


def mutated(data: bytes, how: st.DataObject) -> bytes:
    """Structured damage: flip, cut, pad, or rewrite the header's length / sequence / status."""
    kind = how.draw(st.sampled_from(["flip", "cut", "pad", "length", "seq", "status", "same"]))
    if kind == "flip" and data:
        i = how.draw(st.integers(0, len(data) - 1))
        return data[:i] + bytes([data[i] ^ how.draw(st.integers(1, 255))]) + data[i + 1:]
    if kind == "cut" and data:
        return data[: how.draw(st.integers(0, len(data) - 1))]
    if kind == "pad":
        return data + how.draw(st.binary(min_size=1, max_size=8))
    if kind in ("length", "seq", "status") and len(data) >= 9:
        length, seq, status = HEADER.unpack_from(data, 0)
        if kind == "length":
            length = how.draw(st.sampled_from([0, length - 1, length + 1, 0xFFFFFFFF, protocol.MAX_BODY + 1]))
        elif kind == "seq":
            seq = how.draw(st.integers(0, 5))
        else:
            status = how.draw(st.integers(0, 255))
        return HEADER.pack(max(length, 0), seq, status) + data[9:]
    return data


def valid_reply(action: str) -> bytes:
    """What bridge.lua would answer to request 1 for ``action`` (no read set, 4x2 screen)."""
    if action == "step":
        return reply(1, 0, struct.pack("<I", 1) + struct.pack("<HHBB", 4, 2, 1, 0) + bytes(range(32)))
    if action == "step_noframe":
        return reply(1, 0, struct.pack("<I", 2))
    if action == "inputs":
        return reply(1, 0, struct.pack("<H", 1) + pack_str(":P1") + pack_str("Button 1")
                     + INPUT_INFO.pack(1, 0, 0, 1, 0, 0, 1))
    if action == "field":
        return reply(1, 0, struct.pack("<H", 1))
    if action == "space":
        return reply(1, 0, SPACE_INFO.pack(1, 8, 0, 0xFFFF))
    if action == "read":
        return reply(1, 0, b"\x01\x02")
    return reply(1, 0, struct.pack("<H", 1) + MAP_RANGE.pack(0, 0x7F) + pack_str("ram") + pack_str("ram"))


@pytest.mark.no_mame
def test_fake_emulator_valid_replies_decode(fake_mame: str, tmp_path: Path) -> None:
    """The fake speaks the protocol correctly when not told otherwise (else the fuzz below proves nothing)."""
    for action in ACTIONS:
        assert run_fake(fake_mame, [good_hello(), valid_reply(action)], action, tmp_path) == "ok", action


@pytest.mark.no_mame
@settings(FUZZ, max_examples=120)
@given(action=st.sampled_from(ACTIONS), how=st.data(), damage_hello=st.booleans())
def test_fake_emulator_malformed_replies(fake_mame: str, tmp_path: Path, action: str, how: st.DataObject,
                                         damage_hello: bool) -> None:
    """A malformed hello or reply ends in a mame_zoo error (ProtocolError, or EmulatorCrashed when the fake
    hangs up mid-message), quickly; the fake is reaped and the temp folder removed."""
    # with a damaged hello the fake hangs up after it: the request, if any, meets EOF
    chunks = [mutated(good_hello(), how)] if damage_hello else [good_hello(), mutated(valid_reply(action), how)]
    start = time.monotonic()
    outcome = run_fake(fake_mame, chunks, action, tmp_path)
    assert time.monotonic() - start < 8.0
    assert outcome in ("ok", "ProtocolError", "EmulatorCrashed", "LuaError", "InputNotFound", "AddressError",
                       "StateError", "EmulatorTimeout"), outcome


@pytest.mark.no_mame
@settings(FUZZ, max_examples=60)
@given(action=st.sampled_from(ACTIONS), garbage=st.binary(min_size=0, max_size=64), hello_too=st.booleans())
def test_fake_emulator_random_bytes(fake_mame: str, tmp_path: Path, action: str, garbage: bytes,
                                    hello_too: bool) -> None:
    chunks = [garbage] if hello_too else [good_hello(), garbage]
    outcome = run_fake(fake_mame, chunks, action, tmp_path)
    assert outcome != "ok" or (not hello_too and len(garbage) >= 9)


@pytest.mark.no_mame
def test_fake_emulator_huge_length_is_refused_at_once(fake_mame: str, tmp_path: Path) -> None:
    """A corrupted length of 4 GiB must not be allocated or waited for."""
    for length in (0xFFFFFFFF, protocol.MAX_BODY + 1):
        start = time.monotonic()
        bad = HEADER.pack(length, 1, 0) + b"x" * 100
        assert run_fake(fake_mame, [good_hello(), bad], "step", tmp_path, hang=True) == "ProtocolError"
        assert time.monotonic() - start < 3.0, "waited for the announced bytes instead of refusing the length"


@pytest.mark.no_mame
def test_fake_emulator_unknown_status_and_wrong_sequence(fake_mame: str, tmp_path: Path) -> None:
    ok = valid_reply("step_noframe")
    assert run_fake(fake_mame, [good_hello(), ok[:8] + b"\x07" + ok[9:]], "step_noframe", tmp_path) == "ProtocolError"
    assert run_fake(fake_mame, [good_hello(), reply(9, 0, ok[9:])], "step_noframe", tmp_path) == "ProtocolError"
    # a screen that does not fit the reply, a reply with bytes left over: refused, not misread
    short_screen = reply(1, 0, struct.pack("<I", 1) + struct.pack("<HHBB", 400, 300, 1, 0) + bytes(32))
    assert run_fake(fake_mame, [good_hello(), short_screen], "step", tmp_path) == "ProtocolError"
    assert run_fake(fake_mame, [good_hello(), reply(1, 0, struct.pack("<I", 1) + b"xx")], "step_noframe",
                    tmp_path) == "ProtocolError"


# --- real MAME: random requests to bridge.lua ----------------------------------------------------------------
@pytest.fixture(scope="module")
def lua_target(boxing_rom: str) -> Iterator[dict[str, Any]]:
    box: dict[str, Any] = {}

    def fresh() -> Bridge:
        bridge = Bridge(MachineConfig("a2600", {"cart": boxing_rom}), timeout=5.0)
        bridge.space()
        box["reset"] = bridge.field(":SWB", "Reset Game")
        box["bridge"] = bridge
        return bridge

    box["fresh"] = fresh
    fresh()
    yield box
    box["bridge"].close()


SAFE_OPS = [op for op in Op if op not in (Op.SAVE, Op.LOAD, Op.EXIT)]  # no files written, no exit
opcodes = st.one_of(st.sampled_from(SAFE_OPS), st.sampled_from([0, 13, 14, 100, 255]))


@settings(FUZZ, max_examples=250)
@given(op=opcodes, body=st.binary(max_size=48), frames=st.integers(0, 3), n=st.integers(0, 3))
def test_real_lua_rejects_malformed_requests(lua_target: dict[str, Any], op: int, body: bytes, frames: int,
                                             n: int) -> None:
    """Whatever request arrives, bridge.lua answers it (OK or a rejection) and the session goes on."""
    bridge: Bridge = lua_target["bridge"]
    if bridge.closed:
        bridge = lua_target["fresh"]()
    if op == Op.STEP:  # keep the emulated frames small; the rest of the body stays random
        body = struct.pack("<HBH", frames, 1, n) + body
    try:
        bridge._request(op, body, what="fuzzing bridge.lua")  # the raw request, as a broken client would send it
    except (InputNotFound, AddressError, StateError, ProtocolError) as exc:
        assert not bridge.closed, f"the session died on a rejected request: {exc}"
    assert not bridge.closed
    bridge.set_reads([])  # the raw SET_READS may have changed the read set behind the client's back
    first = bridge.step(1, frame=False).frame_number
    assert bridge.step(1, frame=False).frame_number == first + 1


def test_real_lua_malformed_requests_examples(lua_target: dict[str, Any]) -> None:
    """The cases that once killed the session with a Lua error (sunpack on a short body outside pcall)."""
    bridge: Bridge = lua_target["bridge"]
    if bridge.closed:
        bridge = lua_target["fresh"]()
    cases = [(Op.STEP, b""), (Op.STEP, b"\x01\x00"), (Op.STEP, struct.pack("<HBH", 1, 0, 2)),
             (Op.FIELD, b"\x05\x00ab"), (Op.SPACE, b""), (Op.SET_READS, b"\x02\x00"), (Op.READ, b"\x01"),
             (Op.WRITE, struct.pack("<H", 3)), (Op.MAP, b""), (Op.INPUTS, b"x"), (Op.SOFT_RESET, b"x"),
             (Op.SET_READS, struct.pack("<H", 1) + struct.pack("<HIBIB", 1, 0, 3, 1 << 20, 0))]
    for op, body in cases:
        with pytest.raises(ProtocolError, match=r"malformed request|above the limit"):
            bridge._request(op, body, what="a malformed request")
        assert not bridge.closed, (op, body)
    assert bridge.step(1).frame is not None


# --- real MAME: random actions through a real env -------------------------------------------------------------
@pytest.fixture(scope="module")
def action_env() -> Iterator[Any]:
    env = boxing_v0.parallel_env(obs_type="ram", max_cycles=10**9)
    env.reset(seed=0)
    yield env
    env.close()


scalars = st.one_of(
    st.integers(-3, 20), st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(), st.none(), st.text(max_size=3), st.binary(max_size=2),
    st.sampled_from([np.int8, np.uint8, np.int64, np.uint64, np.float32, np.bool_]).flatmap(
        lambda t: st.integers(0, 20).map(lambda v: t(v))),
    st.integers(-2, 20).map(np.array), st.integers(0, 5).map(lambda v: np.array([v])),
    st.floats(0, 17).map(np.array), st.lists(st.integers(0, 17), max_size=2), st.just({"a": 1}))
agent_keys = st.one_of(st.sampled_from(["first_0", "second_0"]), st.text(max_size=8), st.integers(0, 2), st.none())


def _valid_action(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        return False
    return 0 <= int(value) < 18


@settings(FUZZ, max_examples=200)
@given(actions=st.one_of(st.dictionaries(agent_keys, scalars, max_size=3), st.lists(st.integers(0, 17)),
                         st.integers(), st.none(), st.text(max_size=3)))
def test_real_env_action_validation(action_env: Any, actions: Any) -> None:
    """Any actions: a valid step, or InvalidAction before anything reaches MAME."""
    env = action_env
    if not env.agents:
        env.reset()
    calls = []
    bridge = env.bridge
    original = bridge.step
    bridge.step = lambda *a, **k: calls.append(1) or original(*a, **k)
    try:
        valid = isinstance(actions, dict) and all(
            k in ("first_0", "second_0") and _valid_action(v) for k, v in actions.items())
        if valid:
            env.step(actions)
            assert calls == [1]
        else:
            with pytest.raises(InvalidAction):
                env.step(actions)
            assert calls == [], "an invalid action reached MAME"
    finally:
        del bridge.step
    assert not bridge.closed


def test_real_gymnasium_env_rejects_bad_actions(closing: Any) -> None:
    env = closing(gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram"))
    env.reset(seed=0)
    for bad in (float("nan"), 18, -1, True, "1", np.array([1]), 2.0, np.float64(1), [1], 2**64, np.uint8(200)):
        with pytest.raises(InvalidAction):
            env.step(bad)
    obs, *_ = env.step(np.int64(3))
    assert obs.shape == (128,)


# --- hostile strings: names, paths, options ---------------------------------------------------------------------
@pytest.fixture
def marker(tmp_path: Path) -> Iterator[Path]:
    """A file that hostile strings try to create (by shell, Lua or option injection); it must never appear."""
    path = tmp_path / "PWNED"
    yield path
    assert not path.exists(), "a hostile string was executed"


def hostile(marker: Path) -> list[str]:
    m = str(marker)
    return [
        f'"); os.execute("touch {m}") --', f"]] os.execute('touch {m}') [[", f"\nos.execute('touch {m}')\n--",
        f"$(touch {m})", f"`touch {m}`", f"; touch {m}", f"' || touch {m} || '",
        f"-autoboot_command os.execute('touch {m}')",
        "../../../../etc/passwd", "%s%s%s%n", "\u202etxt.exe", "名前", "a\tb\rc", "\\", "'", '"', "", " ",
    ]


def test_real_hostile_game_names(marker: Path) -> None:
    for name in [*hostile(marker), "x" * 70000, "\ud800", "boxing_v0\x00", None, 3, ["boxing_v0"]]:
        with pytest.raises(UnknownGame):
            mame_zoo.make(name)  # type: ignore[arg-type]


def test_real_hostile_machine_configs(marker: Path, boxing_rom: str, tmp_path: Path) -> None:
    for name in [*hostile(marker), "-listxml", "-autoboot_script", "a2600 ", "a" * 65, "\x00", None]:
        with pytest.raises(UnknownGame):
            MachineConfig(name)  # type: ignore[arg-type]
    for bad in [("-autoboot_script", "x.lua"), ("-autoboot_command", f"os.execute('touch {marker}')"),
                ("-console",), ("-plugin", "hiscore"), ("-http",), ("-homepath", "/"), ("-cfg_directory", "/"),
                ("-AUTOBOOT_SCRIPT", "x"), ("--autoboot_script", "x"), ("-bios", "-autoboot_script"),
                ("-bios", "\x00")]:
        with pytest.raises(ValueError):
            MachineConfig("a2600", {"cart": boxing_rom}, options=bad)
    with pytest.raises(TypeError, match="separate words"):
        MachineConfig("a2600", {"cart": boxing_rom}, options="-joyport1 pad")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="';'"):
        MachineConfig("invaders", rompath=[f"{tmp_path};/etc"])
    with pytest.raises(ValueError, match="slot"):
        MachineConfig("a2600", {"cart; -x": boxing_rom})
    with pytest.raises(ValueError, match="not a path"):
        MachineConfig("a2600", {"cart": "boxing\x00.bin"})
    assert MachineConfig("invaders", rompath=str(tmp_path)).rompath == (str(tmp_path),)  # one folder as a str

    for path in hostile(marker)[:8]:  # no such cartridge: named in the error, never run by a shell
        with pytest.raises(RomNotFound):
            Bridge(MachineConfig("a2600", {"cart": path}), workdir=tmp_path)
    assert list(tmp_path.glob("mame_zoo-*")) == []


def test_real_hostile_but_valid_file_names_work(marker: Path, boxing_rom: str, tmp_path: Path) -> None:
    """Real files with quotes, newlines, shell and Lua syntax in their names are just files: a cartridge and
    save states with such names work, in exactly the place asked for."""
    folder = tmp_path / f"dir '\"$(touch {marker.name}) ;\n]]"
    folder.mkdir()
    cart = folder / f"cart\"');os.execute('touch {marker.name}')--.bin"
    shutil.copy(boxing_rom, cart)
    with Bridge(MachineConfig("a2600", {"cart": str(cart)}, options=("-bios", f'"; touch {marker}'))) as bridge:
        bridge.step(5)
        for name in ["a'b\"c.sta", "new\nline.sta", f"$(touch {marker.name}).sta", "]]..os.exit()..[[.sta",
                     "名前 with spaces.sta", "-autoboot_script.sta"]:
            target = folder / name
            bridge.save_state(target)
            frame = bridge.step(1).frame_number
            assert target.is_file() and target.stat().st_size > 1000, name
            bridge.step(3)
            bridge.load_state(target)
            assert bridge.step(1).frame_number == frame, name
        names = ["a'b\"c.sta", "new\nline.sta", f"$(touch {marker.name}).sta", "]]..os.exit()..[[.sta",
                 "名前 with spaces.sta", "-autoboot_script.sta"]
        # each state and the bridge's timing file beside it
        assert sorted(p.name for p in folder.iterdir() if not p.name.endswith(".bin")) == sorted(
            names + [n + ".mame_zoo" for n in names])
        # paths MAME cannot take: a clear StateError, and the session goes on
        for bad in (folder / "nul\x00.sta", folder, folder / ("x" * 300 + ".sta"), 42):
            with pytest.raises(StateError):
                bridge.save_state(bad)  # type: ignore[arg-type]
                bridge.step(1)
            assert not bridge.closed
        for bad in (folder / "nul\x00.sta", folder, folder / "missing.sta", cart):
            with pytest.raises(StateError):
                bridge.load_state(bad)
        assert bridge.step(1).frame is not None


def test_real_hostile_port_field_device_names(marker: Path, boxing: Bridge) -> None:
    for text in hostile(marker):
        with pytest.raises(InputNotFound):
            boxing.field(text, "P1 Up")
        with pytest.raises(InputNotFound):
            boxing.field(":SWB", text)
        with pytest.raises(AddressError):
            boxing.space(text)
        with pytest.raises(AddressError):
            boxing.space(":maincpu", text)
    with pytest.raises(InputNotFound):
        boxing.field(":SWB\x00", "Reset Game")
    with pytest.raises(ValueError, match="too long"):
        boxing.field("x" * 70000, "y")
    with pytest.raises(TypeError):
        boxing.field(None, "P1 Up")  # type: ignore[arg-type]
    assert not boxing.closed and running({boxing.pid})
    assert boxing.step(1).frame_number == 1


def test_real_bad_step_arguments_keep_the_session(boxing: Bridge) -> None:
    """Bad frames or input values are refused before anything is sent, and the sticky-input cache stays right
    (once a bug: a bad value after a good one left the good one recorded as sent though it never was)."""
    reset = boxing.field(":SWB", "Reset Game")
    select = boxing.field(":SWB", "Select Game")
    for frames in (0, 70000, 1.5, "2", None):
        with pytest.raises((ValueError, TypeError)):
            boxing.step(frames)  # type: ignore[arg-type]
    for value in (float("nan"), float("inf"), 2**31, -2**31 - 1, "x", None, [1]):
        with pytest.raises(InvalidAction):
            boxing.step(1, {select: 1, reset: value})
    assert not boxing.closed
    # select=1 was never sent: the next step must send it
    sp = boxing.space()
    boxing.set_reads([ReadSpec(sp.id, 0x80, "u8", 128)])
    seen = [boxing.step(1, {select: 1}, frame=False) for _ in range(3)]
    assert all(r.values for r in seen)
    assert boxing._sent[select] == 1

"""The RAM address finder on real MAME: the tutorial replayed, the search operations, big-endian CPUs, the CLI.

``docs/tutorial_address_finder.md`` is executable: its finder sessions (the blocks after
``<!-- finder session -->``) run through ``mame-zoo find --script`` and must print exactly what the page shows,
finding Boxing's score bytes 0x92/0x93 and clock bytes 0x90/0x91 (Multi-Agent-ALE's addresses); its game file
must then play like the built-in ``boxing_v0``, and its training snippet must run.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from placeholders import make_romset

from mame_zoo.bridge.process import hermetic_args
from mame_zoo.declarative import load_game, make_from_file
from mame_zoo.declarative.parse import load_machine
from mame_zoo.declarative.write import save_vars
from mame_zoo.errors import InputNotFound, InvalidGameSpec
from mame_zoo.finder import TYPES, Finder, debug_command, register, resolve_target
from mame_zoo.games import boxing_v0
from mame_zoo.games.atari import ACTION_NAMES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

pytestmark = pytest.mark.timeout(120)

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial_address_finder.md"


def fenced_after(text: str, marker: str | None, lang: str) -> list[list[str]]:
    """The lines of every ```lang block (preceded by the ``marker`` line, if given)."""
    blocks = []
    pattern = (re.escape(marker) + r"\n" if marker else "") + f"```{lang}\n(.*?)```"
    for match in re.finditer(pattern, text, re.S):
        blocks.append(match.group(1).rstrip("\n").split("\n"))
    return blocks


def cli(argv: list[str]) -> int:
    """Run ``mame-zoo <argv>`` through the subcommands :func:`mame_zoo.finder.register` adds."""
    parser = argparse.ArgumentParser(prog="mame-zoo")
    parser.add_argument("--mame")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


# --- 1. the tutorial, replayed -------------------------------------------------------------------------------
def test_tutorial_sessions_find_boxings_score_and_clock(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         closing: Callable) -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    sessions = fenced_after(text, "<!-- finder session -->", "text")
    assert len(sessions) == 5
    lines = [ln for block in sessions for ln in block]
    command = lines.pop(0)
    assert command.startswith("$ mame-zoo find ")
    commands = [ln.removeprefix("find> ") for ln in lines if ln.startswith("find> ")]
    script = tmp_path / "session.txt"
    script.write_text("\n".join(commands) + "\n")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert cli([*shlex.split(command)[2:], "--script", str(script)]) == 0
    printed = capsys.readouterr().out.rstrip("\n").split("\n")
    assert printed == lines, "the tutorial's sessions no longer print what the page shows"

    # what the finder found, in the file it wrote: Multi-Agent-ALE's Boxing addresses
    written = tmp_path / "my_boxing.toml"
    system, media, _, _, game = load_machine(written)
    assert (system, media, game) == ("a2600", {"cart": "ale:boxing"}, None)  # only [machine]/[vars] so far
    found = tomllib.loads(written.read_text())["vars"]
    assert found == {"score_first": {"address": 0x92, "decode": "bcd"},
                     "score_second": {"address": 0x93, "decode": "bcd"},
                     "clock_sec": {"address": 0x91, "decode": "bcd"},
                     "clock_min": {"address": 0x90, "mask": 0xF0, "shift": 4}}
    (shown,) = [b for b in fenced_after(text, None, "toml") if b and b[0].startswith("# Game file started")]
    assert "\n".join(shown) == written.read_text().rstrip("\n")

    # the complete file of section 5 keeps those variables and plays exactly like the built-in boxing_v0
    (complete,) = [b for b in fenced_after(text, None, "toml") if b and b[0] == "[game]"]
    written.write_text("\n".join(complete) + "\n")
    game = load_game(written)
    assert {n: (v.address, game.decoders[n].bcd) for n, v in game.vars.items()} == {
        "score_first": (0x92, True), "score_second": (0x93, True), "clock_sec": (0x91, True),
        "clock_min": (0x90, False)}
    mine = closing(make_from_file(written, obs_type="ram", noop_max=0))
    builtin = closing(boxing_v0.parallel_env(obs_type="ram", noop_max=0))
    obs, _ = mine.reset(seed=0)
    assert np.array_equal(obs["first_0"], builtin.reset(seed=0)[0]["first_0"])
    rng = np.random.default_rng(0)
    events = 0
    for step in range(400):  # first_0 chases second_0 (18 pixels above it) and punches; second_0 jitters
        ram = obs["first_0"]
        dy = int(ram[0x23]) - 18 - int(ram[0x22])
        move = ("DOWN" if dy > 0 else "UP") if abs(dy) > 2 else "RIGHT"
        chase = ACTION_NAMES.index(move + ("FIRE" if step % 4 == 0 else ""))
        actions = {"first_0": chase, "second_0": int(rng.integers(18)) if step % 8 == 0 else 0}
        a, b = mine.step(actions), builtin.step(actions)
        obs = a[0]
        assert np.array_equal(a[0]["first_0"], b[0]["first_0"]) and a[1:4] == b[1:4], f"step {step}"
        events += any(a[1].values())
    assert events > 0  # punches landed: the rewards were compared, not only zeros


def test_tutorial_training_snippet_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("stable_baselines3")
    text = TUTORIAL.read_text(encoding="utf-8")
    (complete,) = [b for b in fenced_after(text, None, "toml") if b and b[0] == "[game]"]
    (train,) = [b for b in fenced_after(text, None, "python") if "PPO" in "\n".join(b)]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_boxing.toml").write_text("\n".join(complete) + "\n")
    code = "\n".join(train)
    assert "TIMESTEPS = 200_000" in code
    exec(compile(code.replace("TIMESTEPS = 200_000", "TIMESTEPS = 256"), "tutorial", "exec"), {})
    assert (tmp_path / "my_boxing_ppo.zip").is_file()


# --- 2. the search ------------------------------------------------------------------------------------------
@pytest.fixture
def boxing_finder(mame_binary: str) -> Iterator[Finder]:
    with Finder.open("a2600", cart="ale:boxing", mame=mame_binary) as f:
        f.wait(60)
        f.press("Reset Game", frames=4)
        f.wait(120)  # the clock runs
        yield f


def test_filters_types_labels_and_undo(boxing_finder: Finder) -> None:
    f = boxing_finder
    assert f.ranges == [(0x80, 0xFF)] and not f.space.big_endian
    assert f.new("u8") == 128
    assert f.count == 128
    snap = f.snapshot("start")
    seconds = snap.data[0][0x11]
    f.wait(60 * 3)
    assert f.changed_by(-3, since="start") < 128  # a BCD clock crossing no ten: -3 as a byte too
    assert 0x91 in {c.address for c in f.candidates()}
    f.undo()
    assert f.count == 128
    f.restrict("u8")
    f.new("bcd8", "hi4", "lo4")
    assert f.value(bcd_of(seconds) - 3) >= 1
    assert ("bcd8", 0x91) in {(c.type, c.address) for c in f.candidates()}
    # hi4 of 0x90 is the minute (1), lo4 is not a clock digit
    f.new("hi4")
    assert f.value(1) >= 1 and 0x90 in {c.address for c in f.candidates()}
    assert f.read(0x90, "hi4") == 1 and f.read(0x91, "bcd8") == bcd_of(f.peek(0x91, 1)[0])
    with pytest.raises(ValueError, match="not valid bcd8"):
        f.read(0x90, "bcd8")  # 0x1b is no BCD
    rows = f.watch(f.candidates(limit=2), frames=30, every=10)
    assert [len(v) for _, v in rows] == [2, 2, 2] and rows[-1][0] - rows[0][0] == 20
    with pytest.raises(ValueError, match="unknown comparison"):
        f.filter("bigger")
    with pytest.raises(ValueError, match="no snapshot labelled 'nope'"):
        f.equal(since="nope")
    with pytest.raises(ValueError, match="unknown type 'u24'"):
        f.new("u24")


def bcd_of(value: int) -> int:
    return 10 * (int(value) >> 4) + (int(value) & 0xF)


def test_types_read_every_width_and_byte_order(boxing_finder: Finder) -> None:
    """Multi-byte types over the same bytes, checked against numpy's own decoding of the snapshot."""
    f = boxing_finder
    f.new()
    assert set(f.masks) == set(TYPES)
    data = f.snapshots[-1].data[0]
    for name, dtype in (("u16le", "<u2"), ("u16be", ">u2"), ("s16be", ">i2"), ("u32le", "<u4"), ("s32be", ">i4")):
        size = TYPES[name].size
        values, ok = TYPES[name].values_at(data, np.arange(0, len(data) - size + 1))
        expected = [int(np.frombuffer(data[i:i + size].tobytes(), dtype)[0]) for i in range(len(data) - size + 1)]
        assert ok.all() and values.tolist() == expected, name
    values, ok = TYPES["bcd16be"].values_at(np.array([0x12, 0x34, 0x5A, 0x00], np.uint8), np.arange(3))
    assert values[:1].tolist() == [1234] and ok.tolist() == [True, False, False]


def test_inputs_by_name(boxing_finder: Finder) -> None:
    f = boxing_finder
    assert f.input("P1 Right") == (":joyport1:joy:JOY", "P1 Right")
    assert f.input("p1 right") == (":joyport1:joy:JOY", "P1 Right")
    assert f.input(":SWB/Reset Game") == (":SWB", "Reset Game")
    with pytest.raises(InputNotFound, match="did you mean P1 Right"):
        f.input("P1 Rigth")
    f.hold("P1 Right")
    x = f.peek(0xA0, 1)[0]
    f.wait(20)
    f.release()
    assert f.held == {(":SWB", "Reset Game"): 0, (":joyport1:joy:JOY", "P1 Right"): 0}  # released, not forgotten
    assert f.peek(0xA0, 1)[0] != x  # the left boxer moved


def test_finder_on_a_game_runs_its_start_sequence(mame_binary: str, closing: Callable) -> None:
    """`start` reaches the state the env reaches: the same RAM as after reset(noop_max=0)."""
    env = closing(boxing_v0.parallel_env(obs_type="ram", noop_max=0))
    ram = env.reset(seed=0)[0]["first_0"]
    with Finder.open("boxing_v0", mame=mame_binary) as f:
        assert f.game is not None and f.media_specs == {"cart": "ale:boxing"}
        assert f.input("first_0.fire") == (":joyport1:joy:JOY", "P1 Button 1")
        f.start()
        f.wait(1)
        assert f.peek(0x80, 128) == ram.tobytes()


# --- 3. big-endian CPUs: sfiii3n's SH-2 (placeholder romset: RAM is all zeros, the machine runs no game) -------
def test_big_endian_sh2_space(mame_binary: str, tmp_path: Path) -> None:
    make_romset(tmp_path, "sfiii3n", mame_binary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the placeholder's wrong checksums
        f = Finder.open("sfiii3n", rom_path=str(tmp_path), mame=mame_binary)
    with f:
        assert f.space.big_endian and f.space.data_width == 32
        assert (0x02000000, 0x0207FFFF) in f.ranges  # main RAM, from the memory map
        total = sum(hi - lo + 1 for lo, hi in f.ranges)
        assert f.new("u8") == total
        assert f.new("u16", "u32le") == total // 2 + total // 4  # aligned: the bus is 32 bits wide
        assert set(f.masks) == {"u16be", "u32le"}
        assert f.value(0) == f.count  # all zeros
        # a value the CPU writes big-endian reads back as u32be, byte-swapped as u32le
        space = f.bridge.space(":maincpu", "program").id
        f.bridge.write(space, 0x02000010, "u32", 0x12345678)
        assert f.peek(0x02000010, 4) == bytes([0x12, 0x34, 0x56, 0x78])
        assert f.read(0x02000010, "u32be") == 0x12345678 and f.read(0x02000010, "u32le") == 0x78563412
        f.new("u32", "u32le", "u16")
        f.bridge.write(space, 0x02000010, "u32", 0x12345679)  # +1 to the u32, and to its low u16 (at +2)
        assert f.changed_by(1) == 2
        assert [(c.address, c.type) for c in f.candidates()] == [(0x02000010, "u32be"), (0x02000012, "u16be")]
        assert f.pick(type="u32be").address == 0x02000010
        out = tmp_path / "sf.toml"
        var, decoder = f.save(out, "native", 0x02000010, "u32")
        assert (var.dtype, decoder.byteswap) == ("u32", False)
        var, decoder = f.save(out, "swapped", 0x02000010, "u32le")
        assert (var.dtype, decoder.byteswap) == ("u32", True)
        assert "swapped = { address = 0x2000010, type = \"u32\", byteswap = true }" in out.read_text()
        assert load_machine(out)[0] == "sfiii3n"


# --- 4. files, the command line, MAME's debugger ----------------------------------------------------------------
def test_save_vars_keeps_the_rest_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "g.toml"
    path.write_text("# my game\n[machine]\nsystem = \"a2600\"  # keep me\n\n[vars]\nold = 0x80\nscore = 0x81\n\n"
                    "[[agents]]\nname = \"a\"\n")
    save_vars(path, {"score": "{ address = 0x92 }", "clock": "{ address = 0x91, decode = \"bcd\" }"},
              {"clock": "found"})
    assert path.read_text() == ("# my game\n[machine]\nsystem = \"a2600\"  # keep me\n\n[vars]\nold = 0x80\n"
                                "score = { address = 0x92 }\nclock = { address = 0x91, decode = \"bcd\" }  # found\n"
                                "\n[[agents]]\nname = \"a\"\n")
    path.write_text("[vars.score]\naddress = 0x81\n")
    with pytest.raises(InvalidGameSpec, match=r"vars.score is written as its own \[vars.score\] table"):
        save_vars(path, {"score": "{ address = 0x92 }"})
    path.write_text("[vars\n")
    with pytest.raises(InvalidGameSpec, match="not valid TOML, not changing it"):
        save_vars(path, {"x": "{ address = 1 }"})
    assert path.read_text() == "[vars\n"


def test_cli_script_errors_and_targets(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    script = tmp_path / "s.txt"
    script.write_text("wait 10\nnew u8\nwait 1\nchanged\nsave x 0x80 u8\nvalue twelve\nwait 10\n")
    out = tmp_path / "x.toml"
    assert cli(["find", "a2600", "--cart", "ale:boxing", "--script", str(script), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    assert "find> value twelve" in captured.out and "find> wait 10" not in captured.out.split("twelve")[1]
    assert "invalid literal" in captured.err
    assert "x = { address = 0x80 }" in out.read_text()
    # the written file is a target: its [machine] runs
    script.write_text("peek 0x80 4\n")
    assert cli(["find", str(out), "--script", str(script)]) == 0
    assert re.search(r"0x00000080  [0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2} [0-9a-f]{2}\n", capsys.readouterr().out)
    t = resolve_target("a2600", media={"cart": "ale:pong"}, rom_path=str(tmp_path))
    assert t.game is None and t.media_specs == {"cart": "ale:pong"} and t.machine.rompath == (str(tmp_path),)
    assert resolve_target("pong_v0").machine.options == ("-joyport1", "pad", "-joyport2", "pad")


def test_debug_runs_mame_hermetically_with_its_debugger(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                       mame_binary: str) -> None:
    machine = resolve_target("pong_v0").machine
    argv = debug_command(machine, tmp_path, mame_binary)
    assert argv[:2] == [mame_binary, "a2600"]
    assert argv[2:4] == ["-cart", machine.media["cart"]]
    joined = " ".join(argv)
    assert " ".join(hermetic_args(tmp_path)) in joined  # -noreadconfig -noplugins ... folders in the temp dir
    assert argv[-1] == "-debug" and "-window" in argv and "-joyport1 pad -joyport2 pad" in joined
    assert "-autoboot_script" not in argv and "-video" not in argv
    assert cli(["debug", "boxing_v0", "--dry-run"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.endswith("-window -debug") and "-homepath '<temp dir>'" in line and "boxing.bin" in line


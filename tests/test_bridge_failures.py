"""Every way the bridge can fail, against real MAME: the right exception type, a message that says what went
wrong, no hang, no MAME left behind (the autouse fixture in conftest.py checks that) and no temp dir left.

The time bounds here are hang guards (a broken bridge would wait forever), not performance assertions.
"""

from __future__ import annotations

import gc
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from placeholders import make_romset

from mame_zoo import _paths
from mame_zoo.bridge import Bridge, MachineConfig, ReadSpec
from mame_zoo.errors import (
    AddressError,
    EmulatorClosed,
    EmulatorCrashed,
    EmulatorTimeout,
    InputNotFound,
    LuaError,
    MameNotFound,
    MameVersionError,
    RomNotFound,
    StateError,
    UnknownGame,
)

pytestmark = pytest.mark.timeout(90)

HANG_GUARD = 30.0  # seconds; far above any expected time, only there to turn a hang into a failure
STEP_TEXT = 'local frames, flags, n, pos = sunpack("<I2BI2", body)'


@contextmanager
def within(seconds: float = HANG_GUARD) -> Iterator[None]:
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s (hang guard {seconds:g} s)"


def mame_gone(bridge: Bridge) -> bool:
    return bridge.proc is not None and bridge.proc.poll() is not None


def assert_cleaned_up(bridge: Bridge) -> None:
    assert bridge.closed
    assert mame_gone(bridge)
    assert not bridge.workdir.exists(), f"temp dir {bridge.workdir} left behind"


@pytest.fixture
def patched_lua(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[[Callable[[str], str]], Path]:
    """Run the bridge with a modified copy of bridge.lua (the copy lives in tmp_path)."""
    original = _paths.lua_script("bridge.lua")

    def patch(edit: Callable[[str], str]) -> Path:
        text = original.read_text()
        changed = edit(text)
        assert changed != text, "the edit did not change bridge.lua: the test would prove nothing"
        copy = tmp_path / "lua" / "bridge.lua"
        copy.parent.mkdir(exist_ok=True)
        copy.write_text(changed)
        monkeypatch.setattr(_paths, "lua_script", lambda name: copy)
        return copy

    return patch


def temp_dirs(parent: Path) -> set[Path]:
    return set(parent.glob("mame_zoo-*"))


# --- finding MAME -------------------------------------------------------------------------------------
def test_mame_missing_explicit_path(boxing_config: MachineConfig) -> None:
    with within(), pytest.raises(MameNotFound) as info:
        Bridge(boxing_config, mame="/nonexistent/mame")
    message = str(info.value)
    assert "/nonexistent/mame" in message
    assert "mame= argument" in message
    assert "apt-get install mame" in message  # says how to fix it


def test_mame_missing_from_environment(boxing_config: MachineConfig, monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    missing = tmp_path / "no" / "mame"
    monkeypatch.setenv("MAME_ZOO_MAME", str(missing))
    with within(), pytest.raises(MameNotFound) as info:
        Bridge(boxing_config)
    assert str(missing) in str(info.value)
    assert "MAME_ZOO_MAME" in str(info.value)


def test_mame_not_executable(boxing_config: MachineConfig, tmp_path: Path) -> None:
    fake = tmp_path / "mame"
    fake.write_text("#!/bin/sh\necho 0.251\n")
    fake.chmod(0o644)
    with pytest.raises(MameNotFound, match="not executable"):
        Bridge(boxing_config, mame=fake)


def test_mame_too_old_or_not_mame(boxing_config: MachineConfig, tmp_path: Path) -> None:
    old = tmp_path / "oldmame"
    old.write_text("#!/bin/sh\necho '0.200 (mame0200)'\n")
    old.chmod(0o755)
    with pytest.raises(MameVersionError, match=r"0\.200.*too old"):
        Bridge(boxing_config, mame=old)
    other = tmp_path / "notmame"
    other.write_text("#!/bin/sh\necho hello\n")
    other.chmod(0o755)
    with pytest.raises(MameVersionError, match="not a MAME version"):
        Bridge(boxing_config, mame=other)


# --- what to run --------------------------------------------------------------------------------------
def test_unknown_system(mame_binary: str, tmp_path: Path) -> None:
    with within(), pytest.raises(UnknownGame) as info:
        Bridge(MachineConfig("nosuchgame"), mame=mame_binary, workdir=tmp_path)
    assert "'nosuchgame'" in str(info.value)
    assert "-listfull" in str(info.value)
    assert temp_dirs(tmp_path) == set(), "the temp dir of a failed start must be removed"
    with pytest.raises(UnknownGame, match=r"Close matches: .*\binvaders\b"):
        Bridge(MachineConfig("invaderz"), mame=mame_binary, workdir=tmp_path)


def test_missing_cart_file(mame_binary: str, tmp_path: Path) -> None:
    cart = tmp_path / "missing.bin"
    with within(), pytest.raises(RomNotFound) as info:
        Bridge(MachineConfig("a2600", {"cart": str(cart)}), mame=mame_binary, workdir=tmp_path)
    assert str(cart) in str(info.value)
    assert "cart" in str(info.value)
    assert temp_dirs(tmp_path) == set()


def test_placeholder_romset_with_a_missing_file(mame_binary: str, tmp_path: Path) -> None:
    roms = tmp_path / "roms"
    files = make_romset(roms, "invaders", mame_binary)
    victim = files[1]
    victim.unlink()
    with within(), pytest.raises(RomNotFound) as info:
        Bridge(MachineConfig("invaders", rompath=[str(roms)]), mame=mame_binary, workdir=tmp_path)
    message = str(info.value)
    assert victim.name in message
    assert f"missing: {victim.name}" in message  # named as the missing file, not only somewhere in the log
    assert str(roms) in message  # where MAME looked
    assert not any(f.name in message.split("\n", 1)[0] for f in files if f != victim)
    assert temp_dirs(tmp_path) == set()


# --- a machine that dies or hangs ---------------------------------------------------------------------
def test_kill_9_then_step_raises_crashed(boxing: Bridge) -> None:
    boxing.step(3)
    os.kill(boxing.pid, signal.SIGKILL)
    with within(), pytest.raises(EmulatorCrashed) as info:
        boxing.step(1)
    message = str(info.value)
    assert "code -9" in message
    assert "a2600" in message
    assert "stepping" in message
    assert_cleaned_up(boxing)
    with pytest.raises(EmulatorClosed):
        boxing.step(1)


def test_kill_9_while_idle_then_read_raises_crashed(boxing: Bridge) -> None:
    sid = boxing.space().id
    boxing.step(1)
    os.kill(boxing.pid, signal.SIGKILL)
    time.sleep(0.2)  # fully dead: the request now meets a closed pipe rather than a dying process
    with within(), pytest.raises(EmulatorCrashed, match="code -9"):
        boxing.read([ReadSpec(sid, 0x80, "u8")])
    assert_cleaned_up(boxing)


def test_stopped_mame_times_out_and_is_killed(mame_binary: str, boxing_config: MachineConfig) -> None:
    bridge = Bridge(boxing_config, mame=mame_binary, timeout=2)
    try:
        bridge.step(2)
        os.kill(bridge.pid, signal.SIGSTOP)
        start = time.monotonic()
        with pytest.raises(EmulatorTimeout) as info:
            bridge.step(1)
        waited = time.monotonic() - start
        assert 1.5 < waited < HANG_GUARD  # it did wait for the timeout, and no longer than the hang guard
        message = str(info.value)
        assert "2 s" in message and "killed" in message and "timeout=" in message
        assert_cleaned_up(bridge)
        with pytest.raises(EmulatorClosed):
            bridge.step(1)
    finally:
        bridge.close()


# Once a bug: the timeout message named `timeout=` (7 s) instead of the boot_timeout that expired.
def test_boot_timeout_message_names_the_boot_timeout(mame_binary: str, boxing_config: MachineConfig,
                                                       patched_lua, monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    patched_lua(lambda text: 'while os.getenv("MZ_HANG") do end\n' + text)
    monkeypatch.setenv("MZ_HANG", "1")
    start = time.monotonic()
    with pytest.raises(EmulatorTimeout) as info:
        Bridge(boxing_config, mame=mame_binary, timeout=7, boot_timeout=1.5, workdir=tmp_path)
    assert time.monotonic() - start < HANG_GUARD
    assert temp_dirs(tmp_path) == set()
    assert "starting the machine" in str(info.value)
    assert "1.5 s" in str(info.value)


def test_boot_hang_times_out_and_cleans_up(mame_binary: str, boxing_config: MachineConfig, patched_lua,
                                           monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    patched_lua(lambda text: 'while os.getenv("MZ_HANG") do end\n' + text)
    monkeypatch.setenv("MZ_HANG", "1")
    with within(), pytest.raises(EmulatorTimeout, match="starting the machine"):
        Bridge(boxing_config, mame=mame_binary, timeout=7, boot_timeout=1.5, workdir=tmp_path)
    assert temp_dirs(tmp_path) == set()


# --- bad requests: rejected, the session goes on -------------------------------------------------------
def test_unknown_port_and_field(boxing: Bridge) -> None:
    with within(), pytest.raises(InputNotFound) as info:
        boxing.field(":NOPE", "P1 Up")
    message = str(info.value)
    assert "':NOPE'" in message
    for port in (":SWB", ":joyport1:joy:JOY", ":joyport2:joy:JOY"):
        assert port in message  # lists the ports that do exist
    assert isinstance(info.value, KeyError)

    with pytest.raises(InputNotFound) as info:
        boxing.field(":SWB", "Reset Gam")
    message = str(info.value)
    assert "'Reset Gam'" in message
    assert "Select Game" in message and "TV Type" in message  # lists the fields of the port
    assert "did you mean Reset Game" in message

    assert not boxing.closed
    assert boxing.step(1).frame_number == 1
    assert boxing.field(":SWB", "Reset Game") >= 1


def test_unknown_device_space_and_addresses(boxing: Bridge) -> None:
    with within(), pytest.raises(AddressError, match="no device ':nodevice'"):
        boxing.space(":nodevice")
    with pytest.raises(AddressError, match="has no address space 'io'"):
        boxing.space(":maincpu", "io")
    sp = boxing.space()
    assert sp.address_mask == 0x1FFF
    beyond = [ReadSpec(sp.id, 0x2000, "u8"), ReadSpec(sp.id, 0x1FFF, "u16"), ReadSpec(sp.id, 0x1F00, "u8", 0x101),
              ReadSpec(sp.id, 0xFFFFFFFF, "u8")]
    for spec in beyond:
        with pytest.raises(AddressError, match="outside the space") as info:
            boxing.read([spec])
        assert isinstance(info.value, ValueError)
        with pytest.raises(AddressError, match="outside the space"):
            boxing.set_reads([spec])
    with pytest.raises(AddressError, match="outside the space"):
        boxing.write(sp.id, 0x2000, "u8", 1)
    with pytest.raises(AddressError, match="unknown space id"):
        boxing.read([ReadSpec(sp.id + 40, 0x80, "u8")])
    with pytest.raises(AddressError, match="u64"):
        boxing.read([ReadSpec(sp.id, 0x80, "u64")])
    with pytest.raises(AddressError):
        boxing.read([ReadSpec(sp.id, -1, "u8")])
    with pytest.raises(AddressError):
        boxing.read([ReadSpec(sp.id, 0x80, "u8", 0)])

    # the last valid address is fine, and a rejected set_reads left the old read set in place
    assert boxing.read([ReadSpec(sp.id, 0x1FFF, "u8")])[0].shape == (1,)
    assert boxing.step(1).values == []
    assert not boxing.closed


def test_state_errors(boxing: Bridge, mame_binary: str, tmp_path: Path) -> None:
    with pytest.raises(StateError, match="does not exist"):
        boxing.load_state(tmp_path / "never_saved.sta")
    with pytest.raises(StateError, match="not a writable folder"):
        boxing.save_state(tmp_path / "no" / "such" / "folder" / "x.sta")
    garbage = tmp_path / "garbage.sta"
    garbage.write_bytes(b"garbage" * 1000)
    with pytest.raises(StateError, match="not a MAME save state"):
        boxing.load_state(garbage)

    good = tmp_path / "good.sta"
    boxing.step(5)
    boxing.save_state(good)
    boxing.step(1)
    data = good.read_bytes()
    truncated = tmp_path / "truncated.sta"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(StateError, match=r"truncated|corrupt"):
        boxing.load_state(truncated)

    roms = tmp_path / "roms"
    make_romset(roms, "invaders", mame_binary)
    other = tmp_path / "invaders.sta"
    with pytest.warns(RuntimeWarning), Bridge(MachineConfig("invaders", rompath=[str(roms)]),
                                              mame=mame_binary) as invaders:
        invaders.step(2)
        invaders.save_state(other)
        invaders.step(1)
    with pytest.raises(StateError, match="invaders"):
        boxing.load_state(other)

    # none of the rejected loads reached the machine; the good state still loads
    assert boxing.step(1).frame_number == 7
    boxing.load_state(good)
    assert boxing.step(1).frame_number == 6
    assert not boxing.closed


# Once a bug: an unknown field id reached bridge.lua, whose error() outside the pcall killed the session.
def test_unknown_field_id_in_step_is_rejected(boxing: Bridge) -> None:
    boxing.step(1)
    with pytest.raises((InputNotFound, ValueError), match="999"):
        boxing.step(1, {999: 1})
    assert not boxing.closed
    assert boxing.step(1).frame_number == 2


# --- closing ------------------------------------------------------------------------------------------
def test_use_after_close_and_double_close(boxing: Bridge) -> None:
    boxing.step(1)
    pid = boxing.pid
    boxing.close()
    assert_cleaned_up(boxing)
    assert boxing.pid == pid
    assert "closed" in repr(boxing)
    boxing.close()  # a second close is a no-op
    with pytest.raises(EmulatorClosed, match="closed"):
        boxing.step(1)
    with pytest.raises(EmulatorClosed):
        boxing.read([ReadSpec(1, 0x80, "u8")])
    with pytest.raises(EmulatorClosed):
        boxing.field(":SWB", "Reset Game")
    with pytest.raises(EmulatorClosed):
        boxing.save_state(boxing.workdir.parent / "x.sta")


def test_context_manager_closes(mame_binary: str, boxing_config: MachineConfig) -> None:
    with Bridge(boxing_config, mame=mame_binary) as bridge:
        assert bridge.step(1).frame_number == 1
        assert not mame_gone(bridge)
    assert_cleaned_up(bridge)

    with pytest.raises(RuntimeError, match="user code"), Bridge(boxing_config, mame=mame_binary) as failing:
        failing.step(1)
        raise RuntimeError("user code failed")
    assert_cleaned_up(failing)


def test_garbage_collected_bridge_kills_mame(mame_binary: str, boxing_config: MachineConfig) -> None:
    bridge = Bridge(boxing_config, mame=mame_binary)
    bridge.step(1)
    proc, workdir = bridge.proc, bridge.workdir
    del bridge
    gc.collect()
    assert proc is not None and proc.poll() is not None
    assert not workdir.exists()


# --- errors on the Lua side ---------------------------------------------------------------------------
def test_lua_runtime_error_raises_lua_error(mame_binary: str, boxing_config: MachineConfig, patched_lua,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def inject(text: str) -> str:
        assert text.count(STEP_TEXT) == 1
        return text.replace(STEP_TEXT, f'if os.getenv("MZ_FAIL") then error("injected failure") end\n{STEP_TEXT}')

    patched_lua(inject)
    monkeypatch.setenv("MZ_FAIL", "1")
    bridge = Bridge(boxing_config, mame=mame_binary)
    try:
        assert bridge.hello.system == "a2600"
        assert bridge.space().address_mask == 0x1FFF  # requests other than STEP still work
        with within(), pytest.raises(LuaError) as info:
            bridge.step(1)
        message = str(info.value)
        assert "injected failure" in message
        assert "stack traceback" in message
        assert "bridge.lua" in message  # the traceback names the script and line
        assert "stepping 1 frame" in message
        assert_cleaned_up(bridge)
        with pytest.raises(EmulatorClosed):
            bridge.step(1)
    finally:
        bridge.close()


def test_lua_syntax_error_raises_lua_error(mame_binary: str, boxing_config: MachineConfig, patched_lua,
                                           tmp_path: Path) -> None:
    patched_lua(lambda text: text + "\nthis is = not lua (\n")
    with within(), pytest.raises(LuaError) as info:
        Bridge(boxing_config, mame=mame_binary, workdir=tmp_path)
    message = str(info.value)
    assert "could not run the bridge script" in message
    assert "syntax error" in message or "unexpected symbol" in message
    assert temp_dirs(tmp_path) == set()


# MAME 0.251 with -autoboot_script segfaults at teardown in about half of its exits (MAME_LUA_BRIDGE.md,
# surprise 1), also after a start-up failure: the exit code is then -11 instead of 3 (script error) or
# 4 (media error). The next two tests start the failing machine several times so that both outcomes occur.
# Once a bug: failures were mapped by exit code only (3 -> LuaError, 4 -> RomNotFound), so a run that ended
# in the teardown segfault was reported as EmulatorCrashed; the log text must decide.
ATTEMPTS = 12


def test_lua_error_while_loading_raises_lua_error(mame_binary: str, boxing_config: MachineConfig, patched_lua,
                                                  tmp_path: Path) -> None:
    patched_lua(lambda text: 'error("boom at load")\n' + text)
    for _ in range(ATTEMPTS):
        with within(), pytest.raises(LuaError, match="boom at load"):
            Bridge(boxing_config, mame=mame_binary, workdir=tmp_path)
        assert temp_dirs(tmp_path) == set()


def test_invalid_cart_raises_rom_not_found(mame_binary: str, tmp_path: Path) -> None:
    cart = tmp_path / "empty.bin"
    cart.write_bytes(b"")
    for _ in range(ATTEMPTS):
        with within(), pytest.raises(RomNotFound, match=r"(Invalid|Unsupported cartridge) ROM file size"):
            Bridge(MachineConfig("a2600", {"cart": str(cart)}), mame=mame_binary, workdir=tmp_path)
        assert temp_dirs(tmp_path) == set()


# --- hermetic runs ------------------------------------------------------------------------------------
def _tree(path: Path) -> dict[str, tuple[int, int]] | None:
    if not path.exists():
        return None
    return {str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns) for p in path.rglob("*")}


def test_home_is_untouched_and_workdir_is_private(mame_binary: str, boxing_config: MachineConfig,
                                                  monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_home_mame = Path.home() / ".mame"
    real_before = _tree(real_home_mame)
    fake_home = tmp_path / "home"
    fake_home.mkdir()
    monkeypatch.setenv("HOME", str(fake_home))  # if the bridge let MAME use $HOME, files would appear here
    with Bridge(boxing_config, mame=mame_binary) as bridge:
        environ = Path(f"/proc/{bridge.pid}/environ").read_bytes().split(b"\0")
        assert f"HOME={bridge.workdir}".encode() in environ
        bridge.step(30)
        bridge.save_state(tmp_path / "s.sta")
        bridge.step(1)
        workdir = bridge.workdir
    assert not workdir.exists()
    assert list(fake_home.iterdir()) == []
    assert _tree(real_home_mame) == real_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "s.sta", "s.sta.mame_zoo"]  # + the bridge's timing



def test_interrupt_mid_step_closes_the_bridge_cleanly(mame_binary: str, boxing_config: MachineConfig) -> None:
    """A KeyboardInterrupt while waiting for MAME must not leave a half-read reply for the next request."""
    import threading

    bridge = Bridge(boxing_config, mame=mame_binary)
    assert bridge.pid is not None
    os.kill(bridge.pid, signal.SIGSTOP)  # the step will wait; interrupt it from a timer thread
    timer = threading.Timer(0.5, lambda: signal.pthread_kill(threading.main_thread().ident, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            bridge.step(1)
    finally:
        timer.cancel()
    assert bridge.closed
    with pytest.raises(EmulatorClosed):
        bridge.step(1)
    assert mame_gone(bridge)

"""What must hold on every supported MAME version (run the suite with ``MAME_ZOO_MAME`` or ``make test
MAME=...`` to check another one): headless without a display, processes found by PID and the bridge's marker
whatever the binary is called, nothing written to ``$HOME`` by MAME or its wrapper, no Lua deprecation
warnings, the version named in results, and the tested-range checks."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import warnings
from pathlib import Path

import pytest
from procs import mame_descendants, running, wait_gone

from mame_zoo.bridge import Bridge, MachineConfig, find_mame, process
from mame_zoo.cli import main as cli_main

pytestmark = pytest.mark.timeout(120)


def write_script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def step_a_little(bridge: Bridge) -> None:
    bridge.step(5)
    assert bridge.step(1).frame_number == 6


# --- headless ---------------------------------------------------------------------------------------------
def test_starts_without_any_display(mame_binary: str, boxing_config: MachineConfig,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A server, CI job or Ray worker: no X or Wayland display, and an SDL driver the user's environment asks
    for that cannot work there. MAME 0.289 exits with code 255 in that case unless the bridge sets its
    environment."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    with Bridge(boxing_config, mame=mame_binary) as bridge:
        step_a_little(bridge)
        environ = Path(f"/proc/{bridge.pid}/environ").read_bytes().split(b"\0")
        assert b"SDL_VIDEODRIVER=dummy" in environ
    assert os.environ["SDL_VIDEODRIVER"] == "x11"  # only MAME's own environment is changed


def test_lua_side_prints_no_deprecation_warning(boxing: Bridge) -> None:
    """bridge.lua feature-detects the frame callback: none of MAME's "[LUA] ... is deprecated" warnings."""
    boxing.step(10)
    boxing.save_state(boxing.workdir / "x.sta")
    boxing.step(1)
    log = boxing.log_path.read_text("utf-8", "replace")
    assert "deprecated" not in log.lower(), log


# --- processes by PID, whatever the binary is called -------------------------------------------------------
@pytest.mark.parametrize("kind", ["renamed", "exec wrapper", "forking wrapper"])
def test_processes_are_found_and_ended_whatever_the_binary_is_called(kind: str, mame_binary: str,
                                                                      boxing_config: MachineConfig,
                                                                      tmp_path: Path) -> None:
    """A renamed binary (``mame64``), a launcher that execs MAME, and a wrapper that runs MAME as its child:
    the leak checks find every one of them by PID and marker (none is called ``mame``), and killing a bridge
    ends MAME even where it is the wrapper's child (the whole process group goes)."""
    if kind == "renamed":
        binary = tmp_path / "mame64"
        binary.symlink_to(mame_binary)
    elif kind == "exec wrapper":
        binary = write_script(tmp_path / "mame-launcher", f'exec {shlex.quote(mame_binary)} "$@"\n')
    else:
        binary = write_script(tmp_path / "mame-wrapper", f'{shlex.quote(mame_binary)} "$@"\nexit $?\n')
    before = mame_descendants()
    bridge = Bridge(boxing_config, mame=binary)
    try:
        step_a_little(bridge)
        found = mame_descendants() - before
        assert bridge.pid in found
        assert len(found) == (2 if kind == "forking wrapper" else 1), found
        if kind == "forking wrapper":
            # what a crash clean-up does: kill the process the bridge started. Its child must go too.
            assert bridge.proc is not None
            process.kill(bridge.proc)
            assert wait_gone(found, 10.0) == set()
    finally:
        bridge.close()
    assert wait_gone(found, 10.0) == set()
    assert running(found) == set()


def test_process_table_ignores_processes_without_the_marker(tmp_path: Path) -> None:
    """A process named ``mame`` that no bridge started is nobody's leak (the old name-based check counted it)."""
    import subprocess

    impostor = tmp_path / "mame"
    impostor.symlink_to("/bin/sleep")
    proc = subprocess.Popen([str(impostor), "30"])
    try:
        assert process.is_running(proc.pid)
        assert proc.pid not in process.mame_processes()
        assert proc.pid not in mame_descendants()
    finally:
        proc.kill()
        proc.wait()
    assert not process.is_running(proc.pid)


# --- nothing in $HOME ---------------------------------------------------------------------------------------
def test_a_wrapper_that_writes_to_home_writes_into_the_private_folder(mame_binary: str,
                                                                      boxing_config: MachineConfig,
                                                                      monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    """Debian sid's /usr/games/mame is a shell script that creates $HOME/.mame/*.ini before exec'ing MAME.
    Started by mame_zoo (the bridge, the version check, the machine list), it writes only into MAME's
    private folder."""
    from mame_zoo.emulator import see_games

    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    wrapper = write_script(tmp_path / "mame", 'mkdir -p "$HOME/.mame"\n: > "$HOME/.mame/mame.ini"\n'
                           f'exec {shlex.quote(mame_binary)} "$@"\n')
    assert process.mame_version(str(wrapper)) == process.mame_version(mame_binary)
    with Bridge(boxing_config, mame=wrapper) as bridge:
        step_a_little(bridge)
        assert (bridge.workdir / ".mame" / "mame.ini").is_file()
    assert ("a2600", "Atari 2600 (NTSC)") in see_games(str(wrapper), "a2600")
    assert list(home.iterdir()) == []


# --- the version in results, and the tested range ------------------------------------------------------
def test_env_metadata_names_the_mame_version(mame_binary: str, closing) -> None:
    import gymnasium

    from mame_zoo.games import boxing_v0

    expected = process.version_name(mame_binary)
    env = closing(boxing_v0.parallel_env(obs_type="ram", mame=mame_binary))
    assert env.metadata["mame_version"] == expected  # known before MAME starts
    env.reset(seed=1)
    assert env.metadata["mame_version"] == expected
    single = closing(gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram", mame=mame_binary))
    assert single.metadata["mame_version"] == expected


def test_doctor_says_whether_the_version_is_tested(mame_binary: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["--mame", mame_binary, "doctor"]) == 0
    out = capsys.readouterr().out
    version = process.version_name(mame_binary)
    assert f"version {version}" in out
    if process.mame_version(mame_binary) in process.TESTED_VERSIONS:
        assert f"{version} is supported and tested" in out
    else:
        assert "WARNING" in out


def test_untested_versions_warn_once_and_old_ones_are_refused(tmp_path: Path) -> None:
    from mame_zoo.errors import MameVersionError

    newer = write_script(tmp_path / "mame-next", "echo '0.301 (mame0301)'\n")
    with pytest.warns(RuntimeWarning, match=r"MAME 0\.301 is newer than the versions mame_zoo is tested on"):
        assert process.check_version(str(newer)) == (0, 301)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        process.check_version(str(newer))  # once per binary
    between = write_script(tmp_path / "mame-260", "echo '0.260'\n")
    with pytest.warns(RuntimeWarning, match=r"0\.260 is not one of the versions"):
        process.check_version(str(between))
    old = write_script(tmp_path / "mame-old", "echo '0.226'\n")
    with pytest.raises(MameVersionError, match=r"0\.226 is too old.*0\.227"):
        process.check_version(str(old))
    for version in process.TESTED_VERSIONS:
        assert process.version_support(version) is None


def test_a_machine_started_without_its_mandatory_cartridge(mame_binary: str) -> None:
    """MAME 0.251 runs an a2600 with an empty slot; newer versions refuse to start it: a RomNotFound that says
    which slot is empty, not a Lua error."""
    from mame_zoo.errors import RomNotFound

    if process.mame_version(mame_binary) <= (0, 251):
        with Bridge(MachineConfig("a2600"), mame=mame_binary) as bridge:
            step_a_little(bridge)
    else:
        with pytest.raises(RomNotFound, match=r"a2600 needs media in its cartridge slot"):
            Bridge(MachineConfig("a2600"), mame=mame_binary)


def test_a_window_still_opens_where_there_is_a_display(mame_binary: str, boxing_config: MachineConfig,
                                                       monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """``render=True`` keeps SDL's own video driver: on a (virtual) X display MAME opens its window and runs."""
    import shutil
    import subprocess

    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed (make test installs it: apt-get install xvfb)")
    display = f":{90 + os.getpid() % 100}"
    server = subprocess.Popen([xvfb, display, "-screen", "0", "800x600x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
        deadline = time.monotonic() + 10
        while not socket.exists() and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert socket.exists(), f"Xvfb did not start (exit code {server.poll()})"
        monkeypatch.setenv("DISPLAY", display)
        monkeypatch.delenv("SDL_VIDEODRIVER", raising=False)
        with Bridge(boxing_config, mame=mame_binary, render=True) as bridge:
            step_a_little(bridge)
            environ = Path(f"/proc/{bridge.pid}/environ").read_bytes().split(b"\0")
            assert not any(e.startswith(b"SDL_VIDEODRIVER=") for e in environ)
            assert f"DISPLAY={display}".encode() in environ
    finally:
        server.kill()
        server.wait()


@pytest.mark.no_mame
def test_a_no_mame_test_that_starts_mame_fails() -> None:
    """The marker that keeps a test off the newer versions is checked (conftest's ``mame_free``)."""
    with pytest.raises(AssertionError, match="is marked no_mame but starts MAME"):
        subprocess.run([find_mame(), "-version"], capture_output=True, timeout=30)

"""Shared fixtures for the bridge tests. Every test runs against the real MAME binary; none uses a fake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parent
if str(TESTS_DIR) not in sys.path:  # lets the test modules `import placeholders`
    sys.path.insert(0, str(TESTS_DIR))

from procs import mame_pids, parent_of  # noqa: E402

from mame_zoo.bridge import Bridge, MachineConfig, find_mame  # noqa: E402
from mame_zoo.bridge.process import unreaped  # noqa: E402
from mame_zoo.errors import MameNotFound  # noqa: E402

REAP_GRACE = 2.0  # seconds a finished MAME may take to disappear from the process table


def _ours(pids: set[int]) -> set[int]:
    """The pids that are children of this pytest process.

    Other people's MAME processes on the same machine (a concurrent test run, a demo) are not our leak, so a
    new MAME counts only if we are its parent (the bridge spawns MAME directly, no double fork).
    """
    me = os.getpid()
    return {pid for pid in pids if parent_of(pid) == me}


def _left(before: set[int]) -> set[int]:
    """MAME processes started since ``before``: running children of ours (found by the bridge's marker, not by
    name) and processes this process spawned and never reaped (zombies too)."""
    return _ours(mame_pids() - before) | (unreaped() - before)


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_interrupts() -> None:
    """Ctrl-C raises KeyboardInterrupt, as the interrupt tests expect, also when pytest runs as a background job
    (a non-interactive shell starts those with SIGINT ignored, and Python then keeps it ignored)."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def no_mame_left() -> Iterator[None]:
    """Fail the test if it leaves a MAME process behind (after a short grace period for reaping)."""
    before = mame_pids() | unreaped()
    yield
    deadline = time.monotonic() + REAP_GRACE
    left = _left(before)
    while left and time.monotonic() < deadline:
        time.sleep(0.05)
        left = _left(before)
    if left:
        for pid in left:  # do not let one leak fail every later test
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        pytest.fail(f"MAME process(es) {sorted(left)} still running {REAP_GRACE:g} s after the test")


@pytest.fixture(autouse=True)
def mame_free(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test marked ``no_mame`` (run on one MAME version only: it cannot depend on it) fails if it starts MAME."""
    if request.node.get_closest_marker("no_mame") is None:
        return
    try:
        mame = os.path.realpath(find_mame())
    except MameNotFound:
        return
    real_init = subprocess.Popen.__init__

    def guarded(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        program = args[0] if isinstance(args, (list, tuple)) else args
        if os.path.realpath(os.fspath(program)) == mame:
            raise AssertionError(f"{request.node.nodeid} is marked no_mame but starts MAME ({program})")
        real_init(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", guarded)


@pytest.fixture(scope="session")
def mame_binary() -> str:
    """The MAME binary; the only reason any test here is skipped is that MAME is not installed."""
    try:
        return find_mame()
    except MameNotFound as exc:
        pytest.skip(f"MAME is not installed: {exc}")


@pytest.fixture(scope="session")
def boxing_rom() -> str:
    from ale_py.roms import get_rom_path

    path = get_rom_path("boxing")
    assert path is not None and os.path.isfile(path), "ale-py does not ship boxing.bin"
    return os.fspath(path)


@pytest.fixture
def boxing_config(boxing_rom: str) -> MachineConfig:
    return MachineConfig("a2600", {"cart": boxing_rom})


@pytest.fixture
def boxing(mame_binary: str, boxing_config: MachineConfig) -> Iterator[Bridge]:
    """A fresh Boxing machine (power-on, frame 0), closed after the test."""
    bridge = Bridge(boxing_config, mame=mame_binary)
    try:
        yield bridge
    finally:
        bridge.close()


@pytest.fixture
def closing() -> Iterator[Callable[[Any], Any]]:
    """``track(env)`` registers an env to be closed after the test (before the MAME-leak check runs)."""
    envs: list[Any] = []

    def track(env: Any) -> Any:
        envs.append(env)
        return env

    yield track
    for env in reversed(envs):
        try:
            env.close()
        except Exception:
            pass

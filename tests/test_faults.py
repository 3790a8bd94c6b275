"""Real faults provoked on real MAME, at the level users meet them: environments and vector environments.

Every fault must end in a named ``mame_zoo.errors`` exception within seconds (no hang), leave no MAME process
and no temp folder behind, and leave an environment that can be reset (or re-created) and played again. In a
vector env the exception reaching the parent names the worker. The single-bridge versions of some of these
faults are in ``test_bridge_failures.py``; this file does not repeat them.

Faults: MAME SIGKILLed mid-step (inside a long emulated step), mid-boot and mid-reset; MAME stopped (SIGSTOP)
during a step and a reset; a Lua error; the ROM deleted or truncated between runs; a full disk (tmpfs, root
only) and a file-size limit (RLIMIT_FSIZE, any user) for the state files; a missing or read-only temp folder;
the Python parent SIGKILLed or SIGTERMed (MAME dies, its folder is swept by the next process); an exception in
a user wrapper; KeyboardInterrupt during a step and during a boot; a forked child dropping its copy of the
parent's env; and, in Gymnasium ``AsyncVectorEnv`` and SuperSuit ``concat_vec_envs_v1`` workers: SIGKILL,
SIGSTOP, Lua error, wrapper error, KeyboardInterrupt.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
import supersuit as ss
from procs import mame_descendants, parent_of, running, wait_gone

import mame_zoo  # noqa: F401  (registers the Gymnasium ids)
from mame_zoo import _paths
from mame_zoo.bridge import Bridge, MachineConfig
from mame_zoo.env import MameParallelEnv
from mame_zoo.errors import (
    EmulatorClosed,
    EmulatorCrashed,
    EmulatorTimeout,
    LuaError,
    MameZooError,
    RomNotFound,
    StateError,
)
from mame_zoo.games import boxing_v0

pytestmark = pytest.mark.timeout(120)

FAST = 10.0  # seconds: a dead MAME must be reported well within this (it is usually ~0.1 s)
TIMEOUT = 2.0  # the env timeout used for hangs; the error must come within TIMEOUT + FAST
STEP_HOOK = 'local frames, flags, n, pos = sunpack("<I2BI2", body)'
NOOP = {"first_0": 0, "second_0": 0}


# --- helpers shared with test_leaks / test_isolation / test_fuzz ----------------------------------------
@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail if the block takes ``seconds`` or more (a hang guard with a budget)."""
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s (budget {seconds:g} s)"


def workdirs(parent: Path) -> set[Path]:
    """The bridges' private folders under ``parent``."""
    return set(parent.glob("mame_zoo-*"))


def assert_gone(pid: int, workdir: Path) -> None:
    """MAME ``pid`` has ended and its folder is removed."""
    assert wait_gone({pid}, 5.0) == set(), f"MAME {pid} still running"
    assert not workdir.exists(), f"temp folder {workdir} left behind"


def playable(env: Any, old_pid: int | None = None) -> int:
    """Reset and step ``env`` (a parallel env) again; returns the new MAME pid (a new process)."""
    env.reset(seed=1)
    env.step(dict(NOOP))
    pid = env.bridge.pid
    assert pid is not None and pid != old_pid and running({pid})
    return pid


def delayed(seconds: float, fn: Callable[[], Any]) -> threading.Timer:
    timer = threading.Timer(seconds, fn)
    timer.daemon = True
    timer.start()
    return timer


def interrupt_main_thread() -> None:
    """What Ctrl-C does: SIGINT to the main thread (Python raises KeyboardInterrupt there)."""
    main = threading.main_thread().ident
    assert main is not None
    signal.pthread_kill(main, signal.SIGINT)


@pytest.fixture
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temp folder of this test only (also for forked workers and child processes): nothing else's
    folders can be mistaken for ours, and leftovers are easy to see."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture
def lua_fail_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[Bridge | None], Path]:
    """bridge.lua with a Lua error on the first STEP after a file ``mz_fail`` appears in the machine's folder.

    Returns ``arm(bridge)``, which creates that file for one running bridge (its ``HOME`` is its folder).
    Forked workers inherit the patched script.
    """
    original = _paths.lua_script("bridge.lua").read_text()
    assert original.count(STEP_HOOK) == 1
    inject = ('do local f = io.open((os.getenv("HOME") or "") .. "/mz_fail", "rb") '
              'if f then f:close(); error("injected Lua failure") end end\n')
    copy = tmp_path / "lua" / "bridge.lua"
    copy.parent.mkdir()
    copy.write_text(original.replace(STEP_HOOK, inject + STEP_HOOK))
    monkeypatch.setattr(_paths, "lua_script", lambda name: copy)

    def arm(bridge: Bridge | None, workdir: Path | None = None) -> Path:
        folder = workdir if workdir is not None else bridge.workdir  # type: ignore[union-attr]
        flag = Path(folder) / "mz_fail"
        flag.write_text("")
        return flag

    return arm  # type: ignore[return-value]


def mame_of(worker: int) -> int:
    """The MAME process started by worker process ``worker``."""
    for _ in range(50):
        kids = [p for p in mame_descendants() if parent_of(p) == worker]
        if kids:
            assert len(kids) == 1, kids
            return kids[0]
        time.sleep(0.1)
    raise AssertionError(f"worker {worker} has no MAME")


def workdir_of(mame_pid: int) -> Path:
    """A MAME's private folder (its HOME)."""
    environ = Path(f"/proc/{mame_pid}/environ").read_bytes().split(b"\0")
    home = next(v for v in environ if v.startswith(b"HOME="))
    return Path(home[5:].decode())


# --- MAME killed ----------------------------------------------------------------------------------------
def test_sigkill_inside_a_long_step(closing: Callable) -> None:
    """MAME killed while it emulates the frames of a step (600 frames, about half a second)."""
    env = closing(boxing_v0.parallel_env(obs_type="ram", frameskip=600, noop_max=0))
    env.reset(seed=0)
    pid, workdir = env.bridge.pid, env.bridge.workdir
    started = threading.Event()
    original = env.bridge.step

    def step(*args: Any, **kwargs: Any) -> Any:
        started.set()
        return original(*args, **kwargs)

    env.bridge.step = step
    killer = threading.Thread(target=lambda: (started.wait(5), time.sleep(0.15), os.kill(pid, signal.SIGKILL)))
    killer.start()
    with within(FAST), pytest.raises(EmulatorCrashed) as info:
        env.step(dict(NOOP))
    killer.join()
    message = str(info.value)
    assert "code -9" in message and "SIGKILL" in message and "stepping 600 frame" in message
    assert f"pid {pid}" in message
    assert_gone(pid, workdir)
    with pytest.raises(EmulatorClosed):
        env.step(dict(NOOP))  # the env says so, it does not hang or misread
    playable(env, pid)


def test_sigkill_during_the_first_reset(closing: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    """MAME killed while the env boots (after the start sequence, before the start state is written)."""
    seen: dict[str, Any] = {}
    original = Bridge.save_state

    def save_then_die(self: Bridge, path: Any) -> None:
        original(self, path)
        seen.update(pid=self.pid, workdir=self.workdir)
        os.kill(self.pid, signal.SIGKILL)

    monkeypatch.setattr(Bridge, "save_state", save_then_die)
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    with within(FAST), pytest.raises(EmulatorCrashed, match="code -9"):
        env.reset(seed=0)
    assert env.bridge is None
    assert_gone(seen["pid"], seen["workdir"])
    monkeypatch.setattr(Bridge, "save_state", original)
    playable(env, seen["pid"])


def test_sigkill_during_a_later_reset(closing: Callable) -> None:
    """MAME killed between the load of the start state and the first frame of a new episode."""
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    env.reset(seed=0)
    bridge = env.bridge
    pid, workdir = bridge.pid, bridge.workdir
    original = bridge.load_state

    def load_then_die(path: Any) -> None:
        original(path)
        os.kill(pid, signal.SIGKILL)

    bridge.load_state = load_then_die
    with within(FAST), pytest.raises(EmulatorCrashed, match="code -9"):
        env.reset(seed=0)
    assert_gone(pid, workdir)
    playable(env, pid)


# --- MAME hung ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("during", ["step", "reset"])
def test_stopped_mame_times_out(closing: Callable, during: str) -> None:
    env = closing(boxing_v0.parallel_env(obs_type="ram", timeout=TIMEOUT))
    env.reset(seed=0)
    pid, workdir = env.bridge.pid, env.bridge.workdir
    os.kill(pid, signal.SIGSTOP)
    start = time.monotonic()
    with pytest.raises(EmulatorTimeout) as info:
        env.step(dict(NOOP)) if during == "step" else env.reset(seed=0)
    waited = time.monotonic() - start
    assert TIMEOUT * 0.9 < waited < TIMEOUT + FAST
    assert "killed" in str(info.value) and f"pid {pid}" in str(info.value)
    assert_gone(pid, workdir)
    playable(env, pid)


# --- Lua error ------------------------------------------------------------------------------------------
def test_lua_error_in_an_env(closing: Callable, lua_fail_flag: Callable) -> None:
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    env.reset(seed=0)
    env.step(dict(NOOP))
    pid, workdir = env.bridge.pid, env.bridge.workdir
    lua_fail_flag(env.bridge)
    with within(FAST), pytest.raises(LuaError) as info:
        env.step(dict(NOOP))
    message = str(info.value)
    assert "injected Lua failure" in message and "stack traceback" in message and f"pid {pid}" in message
    assert_gone(pid, workdir)  # the flag went with the folder: a new MAME runs normally
    playable(env, pid)


# --- the ROM changes between runs ----------------------------------------------------------------------
class CartCopy:
    """A game declaration whose cartridge is a copy the test can delete or truncate (everything else is the
    real game's, through the public ``Game.machine`` interface)."""

    def __init__(self, game: Any, cart: Path) -> None:
        self._game, self.cart = game, cart

    def __getattr__(self, name: str) -> Any:
        return getattr(self._game, name)

    def machine(self, rom_path: Any) -> MachineConfig:
        machine = self._game.machine(rom_path)
        return dataclasses.replace(machine, media={**machine.media, "cart": str(self.cart)})


def test_rom_deleted_or_truncated_between_runs(closing: Callable, tmp_path: Path) -> None:
    real = Path(boxing_v0.GAME.machine(None).media["cart"])
    cart = tmp_path / "boxing.bin"
    shutil.copy(real, cart)
    env = closing(MameParallelEnv(CartCopy(boxing_v0.GAME, cart), obs_type="ram"))
    env.reset(seed=0)
    env.step(dict(NOOP))
    pid = env.bridge.pid

    # deleted while MAME runs: nothing happens until MAME has to start again (here: after a crash)
    cart.unlink()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(EmulatorCrashed):
        env.step(dict(NOOP))
    with within(FAST), pytest.raises(RomNotFound) as info:
        env.reset(seed=0)
    assert str(cart) in str(info.value)

    # truncated: MAME refuses the image, the error says so
    cart.write_bytes(real.read_bytes()[:1000])
    with within(FAST), pytest.raises(RomNotFound, match=r"(Invalid|Unsupported cartridge) ROM file size"):
        env.reset(seed=0)
    cart.write_bytes(b"")
    with within(FAST), pytest.raises(RomNotFound):
        env.reset(seed=0)

    # restored: the same env object plays again
    shutil.copy(real, cart)
    playable(env, pid)
    env.close()
    fresh = closing(MameParallelEnv(CartCopy(boxing_v0.GAME, cart), obs_type="ram"))
    playable(fresh)


# --- no room for the state files ------------------------------------------------------------------------
@pytest.fixture
def full_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs filled to the last byte (needs root to mount; skipped otherwise)."""
    mnt = tmp_path / "full"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root; test_state_file_too_large covers a full disk for any user")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=700", "tmpfs", str(mnt)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        fd = os.open(mnt / "fill", os.O_WRONLY | os.O_CREAT)
        try:
            while True:
                os.write(fd, b"\0" * 4096)
        except OSError:
            pass
        finally:
            os.close(fd)
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_for_states(closing: Callable, full_tmpfs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The env's temp folder is on a full disk: its start state cannot be written."""
    monkeypatch.setattr(tempfile, "tempdir", str(full_tmpfs))
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    with within(FAST), pytest.raises(StateError) as info:
        env.reset(seed=0)
    message = str(info.value)
    assert "start.sta" in message and "disk full" in message and "bytes free" in message
    assert workdirs(full_tmpfs) == set()
    assert env.bridge is None
    (full_tmpfs / "fill").unlink()  # space again: the same env boots
    playable(env)
    env.close()
    assert workdirs(full_tmpfs) == set()


FSIZE_CHILD = textwrap.dedent("""
    import json, resource, signal, sys, tempfile
    # a full disk for every file MAME writes: writes beyond 16 KiB fail with EFBIG (SIGXFSZ ignored, as MAME
    # inherits the disposition), so the 55 KB start state cannot be written
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (16384, 16384))
    from mame_zoo.games import boxing_v0
    from mame_zoo.errors import MameZooError
    env = boxing_v0.parallel_env(obs_type="ram")
    try:
        env.reset(seed=0)
        result = {"error": None}
    except MameZooError as exc:
        result = {"error": type(exc).__name__, "message": str(exc)}
    env.close()
    print(json.dumps(result), flush=True)
""")


def test_state_file_too_large(private_tmp: Path) -> None:
    """RLIMIT_FSIZE (works for any user): MAME cannot write the start state, the env says so."""
    with within(60):
        out = subprocess.run([sys.executable, "-c", FSIZE_CHILD], capture_output=True, text=True, timeout=60,
                             cwd=private_tmp)
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["error"] == "StateError", result
    assert "did not write the save state" in result["message"]
    assert workdirs(private_tmp) == set()


def test_missing_or_read_only_temp_folder(closing: Callable, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    with within(FAST), pytest.raises(StateError, match="cannot create MAME's private folder") as info:
        env.reset(seed=0)
    assert str(missing) in str(info.value) and "TMPDIR" in str(info.value)

    read_only = tmp_path / "ro"
    read_only.mkdir()
    mounted = False
    if os.geteuid() == 0:  # root writes through permission bits: use a read-only tmpfs instead
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(read_only)],
                                 capture_output=True, check=False).returncode == 0
        if not mounted:
            pytest.skip("root cannot mount a read-only tmpfs here")
    else:
        read_only.chmod(0o500)
    try:
        monkeypatch.setattr(tempfile, "tempdir", str(read_only))
        with within(FAST), pytest.raises(StateError, match="cannot create MAME's private folder"):
            env.reset(seed=0)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(read_only)], check=False)
        else:
            read_only.chmod(0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    playable(env)


# --- the Python process dies ----------------------------------------------------------------------------
PARENT_CHILD = textwrap.dedent("""
    import sys, time
    from mame_zoo.games import boxing_v0
    env = boxing_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    env.step({"first_0": 1, "second_0": 1})
    print(env.bridge.pid, env.bridge.workdir, flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_parent_killed_mame_dies_and_its_folder_is_swept(private_tmp: Path, sig: signal.Signals,
                                                         boxing_config: MachineConfig) -> None:
    child = subprocess.Popen([sys.executable, "-c", PARENT_CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline().split()
        assert len(line) == 2, "the child did not start its env"
        pid, workdir = int(line[0]), Path(line[1])
        assert running({pid}) and workdir.parent == private_tmp
        os.kill(child.pid, sig)
        child.wait(10)
        with within(FAST):
            assert wait_gone({pid}, FAST) == set(), "MAME outlived its Python process"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    # a killed process cannot clean up; the first bridge of the next process removes the orphaned folder
    assert workdir.exists()
    with Bridge(boxing_config) as bridge:
        assert bridge.workdir.parent == private_tmp
        assert not workdir.exists(), "the orphaned folder was not swept"
    assert workdirs(private_tmp) == set()


# --- user code fails ------------------------------------------------------------------------------------
class FailingWrapper(gymnasium.Wrapper):
    """A user's wrapper that raises on its ``fail_at``-th step (after the env's step ran)."""

    def __init__(self, env: gymnasium.Env, fail_at: int = 3) -> None:
        super().__init__(env)
        self.fail_at, self.steps = fail_at, 0

    def step(self, action: Any) -> Any:
        out = self.env.step(action)
        self.steps += 1
        if self.steps == self.fail_at:
            raise RuntimeError("user wrapper failed")
        return out


def test_exception_in_user_wrapper_leaves_the_env_usable(closing: Callable) -> None:
    env = closing(FailingWrapper(gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram")))
    env.reset(seed=0)
    bridge = env.unwrapped.parallel_env.bridge
    with pytest.raises(RuntimeError, match="user wrapper failed"):
        for _ in range(5):
            env.step(0)
    assert not bridge.closed and running({bridge.pid})  # MAME is fine: the failure was not in mame_zoo
    obs, *_ = env.step(1)
    assert obs.shape == (128,)
    pid, workdir = bridge.pid, bridge.workdir
    env.close()
    assert_gone(pid, workdir)

    # a SuperSuit lambda wrapper (PettingZoo side) failing in the middle of a step
    armed = {"fail": False}

    def obs_fn(obs: np.ndarray, space: Any) -> np.ndarray:
        if armed["fail"]:
            armed["fail"] = False
            raise ValueError("user observation function failed")
        return obs

    penv = closing(ss.observation_lambda_v0(boxing_v0.parallel_env(obs_type="ram"), obs_fn))
    penv.reset(seed=0)
    penv.step(dict(NOOP))
    armed["fail"] = True
    with pytest.raises(ValueError, match="user observation function failed"):
        penv.step(dict(NOOP))
    penv.step(dict(NOOP))
    inner = penv.unwrapped
    pid, workdir = inner.bridge.pid, inner.bridge.workdir
    penv.close()
    assert_gone(pid, workdir)


# --- KeyboardInterrupt ----------------------------------------------------------------------------------
def test_keyboard_interrupt_during_a_step(closing: Callable) -> None:
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    env.reset(seed=0)
    pid, workdir = env.bridge.pid, env.bridge.workdir
    os.kill(pid, signal.SIGSTOP)  # the step waits for MAME: Ctrl-C arrives while it does
    timer = delayed(0.3, interrupt_main_thread)
    try:
        with within(FAST), pytest.raises(KeyboardInterrupt):
            env.step(dict(NOOP))
    finally:
        timer.cancel()
    assert_gone(pid, workdir)
    with pytest.raises(EmulatorClosed):
        env.step(dict(NOOP))
    playable(env, pid)


def test_keyboard_interrupt_during_a_boot(closing: Callable, tmp_path: Path, private_tmp: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while MAME starts (a boot stuck in Lua): nothing is left, the env boots next time."""
    original = _paths.lua_script("bridge.lua").read_text()
    copy = tmp_path / "lua" / "bridge.lua"
    copy.parent.mkdir()
    copy.write_text('while os.getenv("MZ_HANG") do end\n' + original)
    monkeypatch.setattr(_paths, "lua_script", lambda name: copy)
    monkeypatch.setenv("MZ_HANG", "1")
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    timer = delayed(1.0, interrupt_main_thread)
    try:
        with within(FAST), pytest.raises(KeyboardInterrupt):
            env.reset(seed=0)
    finally:
        timer.cancel()
    assert wait_gone(mame_descendants(), 5.0) == set()
    assert workdirs(private_tmp) == set()
    monkeypatch.delenv("MZ_HANG")
    playable(env)


# --- fork -----------------------------------------------------------------------------------------------
def _drop_inherited_env(env: Any) -> None:  # runs in a forked child
    env.close()
    del env
    import gc

    gc.collect()


def test_forked_child_cannot_touch_the_parents_mame(closing: Callable) -> None:
    """A forked worker inherits a copy of its parent's env: closing or collecting it must leave the parent's
    MAME and its files alone (once a bug: the child's close() sent EXIT to the parent's MAME and its garbage
    collection deleted the parent's temp folder), and using it is a clear error."""
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    env.reset(seed=0)
    pid, workdir = env.bridge.pid, env.bridge.workdir
    ctx = multiprocessing.get_context("fork")
    child = ctx.Process(target=_drop_inherited_env, args=(env,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    assert running({pid}) and workdir.exists() and (workdir / "start.sta").exists()
    env.step(dict(NOOP))
    env.reset(seed=0)
    assert env.bridge.pid == pid

    queue = ctx.Queue()
    user = ctx.Process(target=_use_inherited_env, args=(env, queue))
    user.start()
    answer = queue.get(timeout=30)
    user.join(30)
    assert answer[0] == "EmulatorClosed" and f"belongs to process {os.getpid()}" in answer[1]
    env.step(dict(NOOP))


def _use_inherited_env(env: Any, queue: Any) -> None:  # runs in a forked child
    try:
        env.step(dict(NOOP))
        queue.put(("no error", ""))
    except MameZooError as exc:
        queue.put((type(exc).__name__, str(exc)))


# --- vector envs: the parent learns which worker failed --------------------------------------------------
def _gym_make(wrapper_fails: bool) -> Callable[[], gymnasium.Env]:
    def make() -> gymnasium.Env:
        env = gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram", timeout=TIMEOUT)
        return FailingWrapper(env, fail_at=3) if wrapper_fails else env

    return make


def _gym_vector(wrapper_fails: bool) -> tuple[Any, list[int]]:
    fns = [_gym_make(False), _gym_make(wrapper_fails)]  # only worker 1 gets the failing wrapper
    vec = gymnasium.vector.AsyncVectorEnv(fns, context="fork")
    return vec, [p.pid for p in vec.processes]


def _failing_obs(obs: np.ndarray, space: Any) -> np.ndarray:
    """A user's observation function that fails once the test arms it (a file in the worker's temp folder)."""
    flag = Path(tempfile.gettempdir()) / "mz_wrapper_fail"
    if flag.exists():
        flag.unlink(missing_ok=True)
        raise RuntimeError("user wrapper failed")
    return obs


def _ss_vector(wrapper_fails: bool) -> tuple[Any, list[int]]:
    base = boxing_v0.parallel_env(obs_type="ram", timeout=TIMEOUT)
    if wrapper_fails:
        base = ss.observation_lambda_v0(base, _failing_obs)
    vec = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(base), 2, num_cpus=2, base_class="gymnasium")
    return vec, [p.pid for p in vec.procs]


VECTORS = {"gymnasium_async": _gym_vector, "supersuit": _ss_vector}
FAULTS = {"sigkill": EmulatorCrashed, "sigstop": EmulatorTimeout, "lua_error": LuaError,
          "wrapper_error": RuntimeError}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind", list(VECTORS))
def test_vector_env_worker_fault(kind: str, fault: str, private_tmp: Path, lua_fail_flag: Callable) -> None:
    if kind == "supersuit" and multiprocessing.get_start_method() != "fork":
        pytest.skip("SuperSuit workers must be forked to inherit the patched bridge.lua")
    before = mame_descendants()
    vec, workers = VECTORS[kind](fault == "wrapper_error")
    mames: set[int] = set()
    try:
        vec.reset(seed=0)
        actions = np.zeros(vec.num_envs, dtype=np.int64)
        vec.step(actions)
        mames = mame_descendants() - before
        assert len(mames) == 2
        victim = mame_of(workers[1])
        if fault == "sigkill":
            os.kill(victim, signal.SIGKILL)
        elif fault == "sigstop":
            os.kill(victim, signal.SIGSTOP)
        elif fault == "lua_error":
            lua_fail_flag(None, workdir_of(victim))
        elif kind == "supersuit":  # wrapper_error: the next observation in a worker fails
            (private_tmp / "mz_wrapper_fail").write_text("")
        with within(TIMEOUT + FAST), pytest.raises(FAULTS[fault]) as info:
            for _ in range(4):
                vec.step(actions)
        message = str(info.value)
        if fault != "wrapper_error":  # a user's exception is the user's; ours name the worker
            assert f"pid {victim}" in message
            assert f"Python pid {workers[1]}" in message
            if kind == "gymnasium_async":
                assert "Worker<AsyncVectorEnv>-1" in message
    finally:
        with within(FAST + 10):
            vec.close()
    assert wait_gone(mames | set(workers), FAST) == set()
    assert wait_gone(mame_descendants() - before, 1.0) == set()
    # removed by the workers, also by a SuperSuit worker that exits after an error without closing its env
    assert workdirs(private_tmp) == set()


def test_vector_env_can_be_recreated_after_a_fault(private_tmp: Path) -> None:
    before = mame_descendants()
    vec, workers = _gym_vector(False)
    try:
        vec.reset(seed=0)
        os.kill(mame_of(workers[0]), signal.SIGKILL)
        with pytest.raises(EmulatorCrashed, match="Worker<AsyncVectorEnv>-0"):
            vec.step(np.zeros(2, dtype=np.int64))
    finally:
        vec.close()
    again, _ = _gym_vector(False)
    try:
        again.reset(seed=0)
        obs, *_ = again.step(np.ones(2, dtype=np.int64))
        assert obs.shape == (2, 128)
    finally:
        again.close()
    assert wait_gone(mame_descendants() - before, FAST) == set()


def _ctrl_c(pids: list[int]) -> None:
    """What Ctrl-C in a terminal does to a vector env: SIGINT to the workers and the parent."""
    for pid in pids:
        os.kill(pid, signal.SIGINT)
    interrupt_main_thread()


@pytest.mark.parametrize("kind", list(VECTORS))
def test_vector_env_keyboard_interrupt(kind: str, private_tmp: Path) -> None:
    before = mame_descendants()
    vec, workers = VECTORS[kind](False)
    try:
        vec.reset(seed=0)
        for worker in workers:  # every worker is waiting for its MAME when Ctrl-C comes
            os.kill(mame_of(worker), signal.SIGSTOP)
        timer = delayed(0.5, lambda: _ctrl_c(workers))
        try:
            with within(FAST), pytest.raises(KeyboardInterrupt):
                vec.step(np.zeros(vec.num_envs, dtype=np.int64))
        finally:
            timer.cancel()
    finally:
        with within(FAST + 10):
            try:
                vec.close()
            except KeyboardInterrupt:  # Gymnasium re-raises the workers' interrupt from the pending step
                vec.close()
    assert wait_gone(mame_descendants() - before, FAST) == set()
    assert wait_gone(set(workers), FAST) == set()

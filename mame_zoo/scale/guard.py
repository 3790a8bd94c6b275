"""Worker processes that leave no MAME behind: finding a worker's MAME processes, the guard that ends them with
the worker or its creator, and the errors a parent sees when a worker fails."""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import select
import shutil
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import cloudpickle

from mame_zoo.bridge import process
from mame_zoo.bridge.client import own_bridges
from mame_zoo.errors import EmulatorCrashed


# --- processes ------------------------------------------------------------------------------------------
def mame_descendants(root: int | None = None) -> set[int]:
    """Running MAME processes below process ``root`` (default: this process), at any depth.

    MAME processes of vectorised workers or Ray actors are grandchildren of the process that made them; this
    finds them by the bridge's marker, whatever the binary is called (Linux ``/proc``; empty elsewhere).
    """
    return process.mame_processes(os.getpid() if root is None else root)


# --- worker guard ---------------------------------------------------------------------------------------
_guard_lock = threading.Lock()
_guarded_pid = 0


def _hard_exit(code: int) -> None:
    """Kill this worker's MAME processes, remove their temp folders and end the process at once.

    The folders go only once their MAME is dead and reaped: the worker's main thread may be closing an env at
    this moment, and a MAME that is exiting writes its settings into its folder while it goes.
    """
    try:
        me = os.getpid()
        bridges = own_bridges(include_closed=True)
        for bridge in bridges:
            if bridge.pid and process.parent_of(bridge.pid) == me:  # not yet reaped: still ours
                process.kill_group(bridge.pid)
        for bridge in bridges:
            if bridge.proc is not None:
                process.wait(bridge.proc, 2.0)
            shutil.rmtree(bridge.workdir, ignore_errors=True)
    finally:
        os._exit(code)


def _close_own_bridges() -> None:
    """Close this process's bridges (a normal exit of a worker that did not close its envs)."""
    for bridge in own_bridges():
        try:
            bridge.close()
        except Exception:  # exiting anyway: the bridge's own finalizer is the backstop
            pass


def _watch(creator: int) -> None:
    """Wait until process ``creator`` ends, then end this worker (a watchdog thread)."""
    try:
        # Linux >= 5.3, Python >= 3.9 (unused-ignore: typeshed has it on Linux, not on macOS)
        fd = os.pidfd_open(creator)  # type: ignore[attr-defined, unused-ignore]
    except ProcessLookupError:
        _hard_exit(1)
        return
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        while not select.select([fd], [], [])[0]:
            pass
        _hard_exit(1)
        return
    while True:  # no pidfd: poll
        try:
            os.kill(creator, 0)
        except ProcessLookupError:
            _hard_exit(1)
        except PermissionError:
            pass
        time.sleep(0.5)


def _on_sigterm(signum: int, frame: Any) -> None:
    _hard_exit(128 + signum)


def guard_worker(creator_pid: int) -> None:
    """Make this worker process clean up its MAME processes however it ends.

    Call it in a worker process (the helpers here do it for you). Installs, once per process:

    * a watchdog thread that ends the worker as soon as process ``creator_pid`` (the one that made the
      vector env) dies, even by SIGKILL: it kills the MAME processes this worker started, removes their temp
      folders and exits;
    * a SIGTERM handler doing the same (``Process.terminate()``, a cluster manager stopping the worker);
    * an exit hook that closes any bridge still open when the worker exits normally (SuperSuit's workers exit
      after an error without closing their envs).

    Does nothing in the creating process itself.
    """
    global _guarded_pid
    with _guard_lock:
        if os.getpid() == creator_pid or _guarded_pid == os.getpid():
            return
        _guarded_pid = os.getpid()
    threading.Thread(target=_watch, args=(creator_pid,), name="mame_zoo-worker-guard", daemon=True).start()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _on_sigterm)
    import atexit
    import multiprocessing.util as mp_util

    mp_util.Finalize(None, _close_own_bridges, exitpriority=100)  # multiprocessing children skip atexit
    atexit.register(_close_own_bridges)


class GuardedFn:
    """A picklable env factory that guards the worker process it runs in (see :func:`guard_worker`)."""

    def __init__(self, fn: Callable[[], Any], creator_pid: int) -> None:
        self.fn = fn
        self.creator_pid = creator_pid

    def __call__(self, *args: Any) -> Any:
        """Guard the worker this runs in, then build the env."""
        guard_worker(self.creator_pid)
        return self.fn()

    def __getstate__(self) -> bytes:
        blob: bytes = cloudpickle.dumps((self.fn, self.creator_pid))
        return blob

    def __setstate__(self, state: bytes) -> None:
        self.fn, self.creator_pid = cloudpickle.loads(state)


def _describe_exit(proc: multiprocessing.process.BaseProcess) -> str:
    proc.join(2.0)
    code = proc.exitcode
    if code is None:
        return "stopped answering (still running)"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def worker_died(kind: str, index: int, proc: multiprocessing.process.BaseProcess,
                 after_error: bool = False) -> EmulatorCrashed:
    """The EmulatorCrashed a parent raises for a worker process that died."""
    if after_error:
        return EmulatorCrashed(f"{kind} worker {index} (pid {proc.pid}) stopped after the error it reported "
                               "earlier (its envs are gone). close() this vector env and make a new one.")
    return EmulatorCrashed(
        f"{kind} worker {index} (pid {proc.pid}) {_describe_exit(proc)}; the MAME processes it ran died with it. "
        "close() this vector env and make a new one.")


def with_remote_traceback(exc: BaseException, trace: str | None) -> BaseException:
    """``exc`` from a worker, with the worker's traceback attached as a note."""
    if trace and hasattr(exc, "add_note"):
        exc.add_note(f"in the worker process:\n{trace.rstrip()}")
    return exc


def end_processes(procs: Sequence[multiprocessing.process.BaseProcess], deadline: float) -> None:
    """Join worker processes until ``deadline``; SIGTERM (the guard cleans up), then SIGKILL, the rest."""
    for proc in procs:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(3.0)
        if proc.is_alive():
            proc.kill()
            proc.join(3.0)

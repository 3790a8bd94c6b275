"""Running many MAME environments at once: hogwild threads, vectorised envs in worker processes, clean-up.

Three ways to scale out, all with one MAME process per environment (see ``docs/scaling.md``):

* **Threads** (:func:`hogwild`, :class:`EnvThreadPool`): N environments in one Python process, stepped from N
  threads. The bridge waits for MAME in ``select``/``readv``, which release the GIL, so the MAME processes
  emulate concurrently while Python only holds the GIL for the short encode/decode around each step.
* **Worker processes** (:func:`make_vector_env` for the single-agent Gymnasium envs, :func:`concat_vec_envs`
  for SuperSuit vector envs of the multi-agent ones): drop-in forms of Gymnasium's ``AsyncVectorEnv`` and
  SuperSuit's ``concat_vec_envs_v1`` that hand worker errors to the parent as the original mame_zoo exception,
  turn a dead worker into :class:`~mame_zoo.errors.EmulatorCrashed`, close quickly, and leave no MAME behind
  whether the vector env is closed, a worker is killed or the parent process is killed.
* **Ray RLlib** across machines: ``examples/rllib_ppo.py``; every env runner owns its MAME processes.

Worker processes are guarded by :func:`guard_worker` (installed automatically by the helpers here): a thread
that notices when the process that created the worker dies, and a SIGTERM handler; either kills the MAME
processes this worker started, removes their temp folders and exits. MAME itself is also started with
``PR_SET_PDEATHSIG``, so it dies with whichever process started it.
"""

from __future__ import annotations

import copy
import multiprocessing
import multiprocessing.connection
import os
import select
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import cloudpickle
import gymnasium
import numpy as np
from supersuit.vector import ProcConcatVec

from mame_zoo.bridge import process
from mame_zoo.bridge.client import own_bridges
from mame_zoo.errors import EmulatorCrashed, MameZooError

E = TypeVar("E")
R = TypeVar("R")

__all__ = [
    "EnvThreadPool",
    "MameAsyncVectorEnv",
    "MameProcVecEnv",
    "concat_vec_envs",
    "guard_worker",
    "hogwild",
    "make_vector_env",
    "mame_descendants",
]


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
    """Kill this worker's MAME processes, remove their temp folders and end the process at once."""
    try:
        me = os.getpid()
        for bridge in own_bridges():
            if bridge.pid and process.parent_of(bridge.pid) == me:  # not yet reaped: still ours
                try:
                    os.kill(bridge.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
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


class _GuardedFn:
    """A picklable env factory that guards the worker process it runs in (see :func:`guard_worker`)."""

    def __init__(self, fn: Callable[[], Any], creator_pid: int) -> None:
        self.fn = fn
        self.creator_pid = creator_pid

    def __call__(self, *args: Any) -> Any:
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


def _worker_died(kind: str, index: int, proc: multiprocessing.process.BaseProcess,
                 after_error: bool = False) -> EmulatorCrashed:
    if after_error:
        return EmulatorCrashed(f"{kind} worker {index} (pid {proc.pid}) stopped after the error it reported "
                               "earlier (its envs are gone). close() this vector env and make a new one.")
    return EmulatorCrashed(
        f"{kind} worker {index} (pid {proc.pid}) {_describe_exit(proc)}; the MAME processes it ran died with it. "
        "close() this vector env and make a new one.")


def _with_remote_traceback(exc: BaseException, trace: str | None) -> BaseException:
    if trace and hasattr(exc, "add_note"):
        exc.add_note(f"in the worker process:\n{trace.rstrip()}")
    return exc


# --- threads --------------------------------------------------------------------------------------------
def hogwild(envs: Sequence[E], worker: Callable[[int, E], R], *, stop: threading.Event | None = None,
            name: str = "mame_zoo-hogwild") -> list[R]:
    """Run ``worker(i, envs[i])`` for every env at once, one thread each, and return the results in order.

    Each thread steps its own environment (typically a whole rollout or training loop sharing parameters with
    the others, lock-free: "hogwild"). MAME emulates outside the GIL, so N environments use up to N cores.
    If a worker raises, ``stop`` (an event the workers may poll; created if not given) is set so the others
    can finish early, and the first exception is re-raised here, with its original type, once every thread
    has ended. The envs are neither reset nor closed here.
    """
    stop = stop if stop is not None else threading.Event()
    results: list[Any] = [None] * len(envs)
    errors: list[tuple[int, BaseException]] = []

    def run(i: int) -> None:
        try:
            results[i] = worker(i, envs[i])
        except BaseException as exc:
            errors.append((i, exc))
            stop.set()

    threads = [threading.Thread(target=run, args=(i,), name=f"{name}-{i}", daemon=True) for i in range(len(envs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        errors.sort(key=lambda e: e[0])
        raise errors[0][1]
    return results


class EnvThreadPool(Generic[E]):
    """N environments stepped together from a pool of N threads, in lockstep (a thread-based vector env).

    Works with any env type (PettingZoo parallel envs, Gymnasium envs): :meth:`map` runs a function on every
    env concurrently; :meth:`reset` and :meth:`step` are shortcuts. Because MAME emulates outside the GIL, a
    batch of N steps takes about as long as the slowest single step on a machine with N free cores.

    Args:
        envs: the environments (the pool owns them: :meth:`close` closes them).
    """

    def __init__(self, envs: Sequence[E]) -> None:
        if not envs:
            raise ValueError("EnvThreadPool needs at least one environment")
        self.envs = list(envs)
        self._pool = ThreadPoolExecutor(max_workers=len(self.envs), thread_name_prefix="mame_zoo-envpool")
        self._closed = False

    @classmethod
    def from_factory(cls, factory: Callable[[], E], n: int) -> EnvThreadPool[E]:
        """A pool of ``n`` envs made by ``factory()`` (cheap: MAME starts at the first reset)."""
        return cls([factory() for _ in range(n)])

    def __len__(self) -> int:
        return len(self.envs)

    def map(self, fn: Callable[[int, E], R]) -> list[R]:
        """``[fn(i, env) for each env]``, computed concurrently; re-raises the first error (original type)."""
        if self._closed:
            raise MameZooError("the EnvThreadPool is closed")
        futures = [self._pool.submit(fn, i, env) for i, env in enumerate(self.envs)]
        return [f.result() for f in futures]

    def reset(self, seed: int | Sequence[int | None] | None = None,
              options: dict[str, Any] | None = None) -> list[Any]:
        """Reset every env concurrently (the first reset boots MAME); an int seed gives env i ``seed + i``."""
        seeds = _seed_list(seed, len(self.envs))
        return self.map(lambda i, env: env.reset(seed=seeds[i], options=options))  # type: ignore[attr-defined]

    def step(self, actions: Sequence[Any]) -> list[Any]:
        """Step env i with ``actions[i]``, all concurrently; returns each env's step result."""
        if len(actions) != len(self.envs):
            raise ValueError(f"got {len(actions)} actions for {len(self.envs)} envs")
        return self.map(lambda i, env: env.step(actions[i]))  # type: ignore[attr-defined]

    def close(self) -> None:
        """Close every env (concurrently) and stop the threads. Safe to call twice."""
        if self._closed:
            return
        try:
            self.map(lambda i, env: env.close())  # type: ignore[attr-defined]
        finally:
            self._closed = True
            self._pool.shutdown(wait=True)

    def __enter__(self) -> EnvThreadPool[E]:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __iter__(self) -> Iterator[E]:
        return iter(self.envs)


def _seed_list(seed: int | Sequence[int | None] | None, n: int) -> list[int | None]:
    if seed is None:
        return [None] * n
    if isinstance(seed, (int, np.integer)):
        return [int(seed) + i for i in range(n)]
    seeds = list(seed)
    if len(seeds) != n:
        raise ValueError(f"got {len(seeds)} seeds for {n} envs")
    return seeds


# --- Gymnasium vector envs (single-agent) ---------------------------------------------------------------
class MameAsyncVectorEnv(gymnasium.vector.AsyncVectorEnv):
    """Gymnasium's ``AsyncVectorEnv`` (one worker process per env) made safe for MAME environments.

    Differences from the original: workers are guarded (:func:`guard_worker`: a killed parent or
    ``terminate()`` leaves no MAME behind); an error in a worker is raised here as the worker's original
    exception (type and message; the worker's traceback is attached as a note) instead of a wrapped copy; a
    worker that died is reported as :class:`~mame_zoo.errors.EmulatorCrashed`; :meth:`close` never hangs on a
    dead or stuck worker (it closes the live ones, then terminates whatever is left after ``timeout``).

    Takes the arguments of ``gymnasium.vector.AsyncVectorEnv``.
    """

    def __init__(self, env_fns: Sequence[Callable[[], gymnasium.Env]], **kwargs: Any) -> None:
        creator = os.getpid()
        super().__init__([_GuardedFn(fn, creator) for fn in env_fns], **kwargs)

    def _call_worker(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (EOFError, BrokenPipeError, ConnectionResetError) as exc:
            for i, proc in enumerate(self.processes):
                if not proc.is_alive():
                    self._state = gymnasium.vector.async_vector_env.AsyncState.DEFAULT
                    raise _worker_died("AsyncVectorEnv", i, proc) from exc
            raise
        except MameZooError as exc:
            # Gymnasium re-raises a worker error as type(error)(error): unwrap to the original exception.
            if len(exc.args) == 1 and isinstance(exc.args[0], MameZooError):
                raise exc.args[0] from None
            raise

    def reset_wait(self, *args: Any, **kwargs: Any) -> Any:
        """See ``AsyncVectorEnv.reset_wait``; errors as described in the class docstring."""
        return self._call_worker(super().reset_wait, *args, **kwargs)

    def step_wait(self, *args: Any, **kwargs: Any) -> Any:
        """See ``AsyncVectorEnv.step_wait``; errors as described in the class docstring."""
        return self._call_worker(super().step_wait, *args, **kwargs)

    def call_wait(self, *args: Any, **kwargs: Any) -> Any:
        """See ``AsyncVectorEnv.call_wait``; errors as described in the class docstring."""
        return self._call_worker(super().call_wait, *args, **kwargs)

    def _check_workers(self) -> None:
        for i, (pipe, proc) in enumerate(zip(self.parent_pipes, self.processes)):
            if pipe is None:  # Gymnasium drops a worker's pipe after that worker reported an error (and ended)
                raise _worker_died("AsyncVectorEnv", i, proc, after_error=True)
            if not proc.is_alive():
                raise _worker_died("AsyncVectorEnv", i, proc)

    def step_async(self, actions: Any) -> None:
        """See ``AsyncVectorEnv.step_async``; a dead worker raises :class:`EmulatorCrashed`."""
        self._check_workers()
        self._call_worker(super().step_async, actions)

    def reset_async(self, *args: Any, **kwargs: Any) -> None:
        """See ``AsyncVectorEnv.reset_async``; a dead worker raises :class:`EmulatorCrashed`."""
        self._check_workers()
        self._call_worker(super().reset_async, *args, **kwargs)

    def close_extras(self, timeout: float | None = 30.0, terminate: bool = False) -> None:
        """Close the workers' envs (they stop MAME), then end the workers; never waits more than ``timeout``."""
        deadline = time.monotonic() + (0.0 if terminate else (timeout if timeout is not None else 30.0))
        pipes = list(getattr(self, "parent_pipes", []))
        procs = list(getattr(self, "processes", []))
        if self._state != gymnasium.vector.async_vector_env.AsyncState.DEFAULT:  # a call still pending: drain it
            for pipe in pipes:
                if pipe is not None and not pipe.closed:
                    try:
                        if pipe.poll(max(0.0, deadline - time.monotonic())):
                            pipe.recv()
                    except (EOFError, OSError):
                        pass
        asked = []
        for pipe, proc in zip(pipes, procs):
            if pipe is not None and not pipe.closed and proc.is_alive():
                try:
                    pipe.send(("close", None))
                    asked.append(pipe)
                except OSError:
                    pass
        for pipe in asked:
            try:
                if pipe.poll(max(0.0, deadline - time.monotonic())):
                    pipe.recv()
            except (EOFError, OSError):
                pass
        _end_processes(procs, deadline)
        for pipe in pipes:
            if pipe is not None:
                pipe.close()
        self._state = gymnasium.vector.async_vector_env.AsyncState.DEFAULT


def _end_processes(procs: Sequence[multiprocessing.process.BaseProcess], deadline: float) -> None:
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


def make_vector_env(env: str | Callable[[], gymnasium.Env], num_envs: int, *, asynchronous: bool = True,
                    **kwargs: Any) -> gymnasium.vector.VectorEnv:
    """A Gymnasium vector env of ``num_envs`` single-agent mame_zoo envs.

    Args:
        env: a registered id (``"mame_zoo/Boxing-v0"``; ``kwargs`` go to ``gymnasium.make``) or a factory.
        num_envs: how many envs (each runs its own MAME).
        asynchronous: one worker process per env (:class:`MameAsyncVectorEnv`); else ``SyncVectorEnv`` in this
            process (use :class:`EnvThreadPool` or :func:`hogwild` for concurrency in one process).
    """
    if num_envs < 1:
        raise ValueError(f"num_envs must be >= 1, got {num_envs}")
    if isinstance(env, str):
        env_id = env

        def factory() -> gymnasium.Env:
            import mame_zoo  # noqa: F401  (registers the mame_zoo/* ids in a fresh worker)

            return gymnasium.make(env_id, **kwargs)
    else:
        if kwargs:
            raise TypeError("keyword arguments are only accepted with an env id, not with a factory")
        factory = env
    fns = [factory] * num_envs
    if asynchronous:
        return MameAsyncVectorEnv(fns)
    return gymnasium.vector.SyncVectorEnv(fns)


# --- SuperSuit vector envs (multi-agent) ----------------------------------------------------------------
class _ConcatInWorker:
    """Builds, in a SuperSuit worker process, a ``ConcatVecEnv`` of pickled vector envs (one copy per blob)."""

    def __init__(self, blobs: Sequence[bytes], creator_pid: int) -> None:
        self.blobs = list(blobs)  # equal blobs are one object: pickled to the worker once
        self.creator_pid = creator_pid

    def __call__(self, *args: Any) -> Any:
        from supersuit.vector import ConcatVecEnv

        guard_worker(self.creator_pid)
        envs = [cloudpickle.loads(blob) for blob in self.blobs]
        return ConcatVecEnv([lambda env=env: env for env in envs], envs[0].observation_space, envs[0].action_space)


class MameProcVecEnv(ProcConcatVec):  # type: ignore[misc]  # supersuit ships no types: ProcConcatVec is Any
    """SuperSuit's ``ProcConcatVec`` (what ``concat_vec_envs_v1`` builds with ``num_cpus > 1``), made safe for MAME.

    Build it with :func:`concat_vec_envs`. Differences from the original: workers are guarded
    (:func:`guard_worker`); a worker's error is raised here with its original type and message (the worker's
    traceback attached as a note, not printed); a dead worker raises :class:`~mame_zoo.errors.EmulatorCrashed`
    instead of a bare ``EOFError``; :meth:`close` closes the envs in the workers (MAME exits, temp folders are
    removed), then ends the workers within ``close_timeout`` s instead of always waiting 10 s for workers
    that never exit on their own.
    """

    def __init__(self, *args: Any, close_timeout: float = 30.0, **kwargs: Any) -> None:
        self.close_timeout = close_timeout
        self._finalizer: Any = None
        self._failed: set[int] = set()  # workers that reported an error: SuperSuit's worker loop ends after one
        try:
            super().__init__(*args, **kwargs)
        except BaseException:
            _shutdown_workers(getattr(self, "pipes", []), getattr(self, "procs", []), close_timeout)
            raise
        # SuperSuit's workers are not daemons: an interpreter exiting without close() would wait for them
        # forever. multiprocessing runs this before it joins its children (and only in this process).
        import multiprocessing.util as mp_util

        self._finalizer = mp_util.Finalize(self, _shutdown_workers, args=(self.pipes, self.procs, close_timeout),
                                           exitpriority=50)

    def _send(self, messages: Sequence[Any]) -> None:
        for i, (pipe, message) in enumerate(zip(self.pipes, messages)):
            try:
                pipe.send(message)
            except OSError as exc:
                raise _worker_died("SuperSuit", i, self.procs[i], i in self._failed) from exc

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, Any]:
        """Reset every copy; worker ``i`` gets ``seed + i`` (as in SuperSuit)."""
        self._send([("reset", (None if seed is None else seed + i, options)) for i in range(len(self.pipes))])
        info = self._receive_info()
        return _numpy_copy(self.observations_buffers), copy.deepcopy(info)

    def step_async(self, actions: Any) -> None:
        """Send each worker its share of ``actions``."""
        from gymnasium.vector.utils import iterate

        actions = list(iterate(self.action_space, actions))
        self._send([("step", actions[self.idx_starts[i]:self.idx_starts[i + 1]]) for i in range(len(self.pipes))])

    def _receive_info(self) -> list[Any]:
        failure: BaseException | None
        data, failure = [], None
        for i, pipe in enumerate(self.pipes):
            try:
                item = pipe.recv()
            except (EOFError, OSError) as exc:
                if failure is None:
                    failure = _worker_died("SuperSuit", i, self.procs[i], i in self._failed)
                    failure.__cause__ = exc
                continue
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], BaseException):
                self._failed.add(i)
                failure = failure or _with_remote_traceback(item[0], item[1])
                continue
            data.append(item)
        if failure is not None:
            raise failure
        return data

    def close(self) -> None:
        """Close the envs in every worker (stopping MAME), then end the workers. Safe to call twice."""
        finalizer = getattr(self, "_finalizer", None)
        if finalizer is not None:
            finalizer()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


def _numpy_copy(buf: Any) -> Any:
    if isinstance(buf, dict):
        return {k: _numpy_copy(v) for k, v in buf.items()}
    if isinstance(buf, tuple):
        return tuple(_numpy_copy(v) for v in buf)
    return np.array(buf, copy=True)


def _shutdown_workers(pipes: Sequence[multiprocessing.connection.Connection],
                      procs: Sequence[multiprocessing.process.BaseProcess], timeout: float) -> None:
    """Ask SuperSuit workers to close their envs (MAME exits cleanly), then end them within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    asked = []
    for pipe, proc in zip(pipes, procs):
        if proc.is_alive() and not pipe.closed:
            try:
                pipe.send("close")  # SuperSuit's own close() sends ("close", None), which its worker rejects
                asked.append(pipe)
            except OSError:
                pass
    for pipe in asked:
        try:
            if pipe.poll(max(0.0, deadline - time.monotonic())):
                pipe.recv()
            pipe.send("terminate")  # SuperSuit's worker loop returns on this; it never exits after "close"
        except (EOFError, OSError):
            pass
    _end_processes(procs, deadline)
    for pipe in pipes:
        pipe.close()


def concat_vec_envs(vec_env: Any, num_vec_envs: int, num_cpus: int = 0, base_class: str = "gymnasium", *,
                    close_timeout: float = 30.0) -> Any:
    """Drop-in for ``supersuit.concat_vec_envs_v1`` that is safe with MAME environments.

    Args:
        vec_env: a vector env such as ``supersuit.pettingzoo_env_to_vec_env_v1(parallel_env)`` (one entry per
            agent), or a PettingZoo ``ParallelEnv``, which is converted that way. It is copied by pickling
            (mame_zoo envs pickle by their arguments; MAME starts in each copy's first reset).
        num_vec_envs: how many copies.
        num_cpus: worker processes (copies are split evenly between them); 0 or 1: all copies in this process,
            exactly as SuperSuit does it.
        base_class: ``"gymnasium"``, ``"stable_baselines"`` or ``"stable_baselines3"``, as in SuperSuit.
        close_timeout: seconds :meth:`MameProcVecEnv.close` waits for workers before terminating them.

    With worker processes the result is (or wraps) a :class:`MameProcVecEnv`; see there for what differs from
    SuperSuit's own process pool.
    """
    import supersuit as ss
    from pettingzoo.utils.env import ParallelEnv

    _check_base_class(base_class)
    if isinstance(vec_env, ParallelEnv):
        vec_env = ss.pettingzoo_env_to_vec_env_v1(vec_env)
    if min(num_cpus, num_vec_envs) <= 1:
        return ss.concat_vec_envs_v1(vec_env, num_vec_envs, num_cpus=0, base_class=base_class)
    return concat_vec_env_list([vec_env] * num_vec_envs, num_cpus, base_class, close_timeout=close_timeout)


def concat_vec_env_list(vec_envs: Sequence[Any], num_cpus: int = 0, base_class: str = "gymnasium", *,
                        close_timeout: float = 30.0) -> Any:
    """Like :func:`concat_vec_envs`, for a list of vector envs that may differ in size (e.g. self-play matches
    with two agents next to one-agent matches against the CPU); their observation and action spaces must match.

    Each entry is copied by pickling; the result's envs are theirs in list order. ``num_cpus`` worker
    processes take consecutive, equally long slices of the list (0 or 1: all in this process).
    """
    from supersuit.vector import ConcatVecEnv

    _check_base_class(base_class)
    if not vec_envs:
        raise ValueError("concat_vec_env_list needs at least one vector env")
    first = vec_envs[0]
    blobs = {id(v): cloudpickle.dumps(v) for v in vec_envs}  # one pickle per distinct env
    order = [blobs[id(v)] for v in vec_envs]
    num_cpus = min(num_cpus, len(order))
    if num_cpus <= 1:
        cat = ConcatVecEnv([lambda blob=blob: cloudpickle.loads(blob) for blob in order], first.observation_space,
                           first.action_space)
    else:
        per_cpu = -(-len(order) // num_cpus)
        creator = os.getpid()
        cat = MameProcVecEnv([_ConcatInWorker(order[i:i + per_cpu], creator) for i in range(0, len(order), per_cpu)],
                             first.observation_space, first.action_space,
                             sum(getattr(v, "num_envs", 1) for v in vec_envs), first.metadata,
                             close_timeout=close_timeout)
    if base_class == "gymnasium":
        return cat
    if base_class == "stable_baselines":
        from supersuit.vector.sb_vector_wrapper import SBVecEnvWrapper

        return SBVecEnvWrapper(cat)
    from supersuit.vector.sb3_vector_wrapper import SB3VecEnvWrapper

    return SB3VecEnvWrapper(cat)


def _check_base_class(base_class: str) -> None:
    if base_class not in ("gymnasium", "stable_baselines", "stable_baselines3"):
        raise ValueError(f"base_class must be 'gymnasium', 'stable_baselines' or 'stable_baselines3', "
                         f"got {base_class!r}")


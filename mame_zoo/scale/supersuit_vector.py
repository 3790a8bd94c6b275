"""SuperSuit's ``ProcConcatVec`` made safe for MAME envs (multi-agent vector envs in worker processes)."""

from __future__ import annotations

import copy
import multiprocessing
import multiprocessing.connection
import os
import time
from collections.abc import Sequence
from typing import Any

import cloudpickle
import numpy as np
from supersuit.vector import ProcConcatVec

from mame_zoo.errors import InvalidOption
from mame_zoo.scale.guard import end_processes, guard_worker, with_remote_traceback, worker_died


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
                raise worker_died("SuperSuit", i, self.procs[i], i in self._failed) from exc

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
                    failure = worker_died("SuperSuit", i, self.procs[i], i in self._failed)
                    failure.__cause__ = exc
                continue
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], BaseException):
                self._failed.add(i)
                failure = failure or with_remote_traceback(item[0], item[1])
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
    end_processes(procs, deadline)
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
        raise InvalidOption("concat_vec_env_list needs at least one vector env")
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
        raise InvalidOption(f"base_class must be 'gymnasium', 'stable_baselines' or 'stable_baselines3', "
                         f"got {base_class!r}")

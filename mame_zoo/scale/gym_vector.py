"""Gymnasium's ``AsyncVectorEnv`` made safe for MAME envs (single-agent, one worker process per env)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium

from mame_zoo.errors import InvalidOption, MameZooError, OptionTypeError
from mame_zoo.scale.guard import GuardedFn, end_processes, worker_died


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
        super().__init__([GuardedFn(fn, creator) for fn in env_fns], **kwargs)

    def _call_worker(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (EOFError, BrokenPipeError, ConnectionResetError) as exc:
            for i, proc in enumerate(self.processes):
                if not proc.is_alive():
                    self._state = gymnasium.vector.async_vector_env.AsyncState.DEFAULT
                    raise worker_died("AsyncVectorEnv", i, proc) from exc
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
                raise worker_died("AsyncVectorEnv", i, proc, after_error=True)
            if not proc.is_alive():
                raise worker_died("AsyncVectorEnv", i, proc)

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
        end_processes(procs, deadline)
        for pipe in pipes:
            if pipe is not None:
                pipe.close()
        self._state = gymnasium.vector.async_vector_env.AsyncState.DEFAULT


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
        raise InvalidOption(f"num_envs must be >= 1, got {num_envs}")
    if isinstance(env, str):
        env_id = env

        def factory() -> gymnasium.Env:
            import mame_zoo  # noqa: F401  (registers the mame_zoo/* ids in a fresh worker)

            return gymnasium.make(env_id, **kwargs)
    else:
        if kwargs:
            raise OptionTypeError("keyword arguments are only accepted with an env id, not with a factory")
        factory = env
    fns = [factory] * num_envs
    if asynchronous:
        return MameAsyncVectorEnv(fns)
    return gymnasium.vector.SyncVectorEnv(fns)

"""Many envs in one Python process, stepped from threads (MAME emulates outside the GIL)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Generic, TypeVar

import numpy as np

from mame_zoo.errors import InvalidOption, MameZooError

E = TypeVar("E")
R = TypeVar("R")

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
            raise InvalidOption("EnvThreadPool needs at least one environment")
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
            raise InvalidOption(f"got {len(actions)} actions for {len(self.envs)} envs")
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
        raise InvalidOption(f"got {len(seeds)} seeds for {n} envs")
    return seeds

"""Finding the MAME processes a test started (worker processes' too): the library's process table, by PID and
the bridge's environment marker, never by process name."""

from __future__ import annotations

import os
import time

from mame_zoo.bridge.process import is_running, mame_processes, parent_of

__all__ = ["mame_descendants", "mame_pids", "parent_of", "running", "wait_gone"]


def mame_pids() -> set[int]:
    """Every running MAME process a bridge started on this machine (any owner we may read)."""
    return mame_processes()


def mame_descendants() -> set[int]:
    """Running MAME processes that descend from this pytest process (not other users' MAMEs)."""
    return mame_processes(os.getpid())


def running(pids: set[int]) -> set[int]:
    """The pids of ``pids`` that are still running (not gone, not zombies)."""
    return {pid for pid in pids if is_running(pid)}


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait up to ``timeout`` s for ``pids`` to end; returns those still running."""
    deadline = time.monotonic() + timeout
    while running(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running(pids)

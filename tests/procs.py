"""Finding the MAME processes a test started, including those started by worker processes."""

from __future__ import annotations

import os
import subprocess
import time


def parent_of(pid: int) -> int | None:
    """The parent pid of ``pid`` (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def mame_pids() -> set[int]:
    """Every running ``mame`` process on the machine."""
    out = subprocess.run(["pgrep", "-x", "mame"], capture_output=True, text=True, check=False).stdout
    return {int(p) for p in out.split()}


def mame_descendants() -> set[int]:
    """Running ``mame`` processes that descend from this pytest process (not other users' MAMEs)."""
    me, found = os.getpid(), set()
    for pid in mame_pids():
        p: int | None = pid
        while p is not None and p > 1:
            p = parent_of(p)
            if p == me:
                found.add(pid)
                break
    return found


def running(pids: set[int]) -> set[int]:
    """The pids of ``pids`` that are still running (not gone, not zombies)."""
    alive = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X"):
            alive.add(pid)
    return alive


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait up to ``timeout`` s for ``pids`` to end; returns those still running."""
    deadline = time.monotonic() + timeout
    while running(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running(pids)

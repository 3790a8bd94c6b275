"""MAME must die with the Python process that started it, whichever thread created the bridge."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

CHILD = textwrap.dedent("""
    import sys, threading, time
    from mame_zoo.bridge import Bridge, MachineConfig
    box = {}
    def make():  # created in a thread that then exits: PDEATHSIG must not fire with that thread
        box["b"] = Bridge(MachineConfig("a2600", {"cart": sys.argv[1]}))
    t = threading.Thread(target=make); t.start(); t.join()
    box["b"].step(5)
    print(box["b"].pid, box["b"].workdir, flush=True)
    time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_mame_dies_when_its_python_parent_is_killed(mame_binary: str, boxing_rom: str) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, boxing_rom], stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline().split() if child.stdout else []
        assert len(line) == 2, "the child did not start MAME"
        pid, workdir = int(line[0]), Path(line[1])
        time.sleep(1.0)  # the creating thread has exited by now
        assert _alive(pid), "MAME died when the thread that created it exited"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), "MAME outlived its parent"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    # a killed parent cannot clean its temp dir; the next interpreter never sees it: remove it here
    if workdir.exists():
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)

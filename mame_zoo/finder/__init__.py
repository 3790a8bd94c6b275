"""Finding RAM addresses: snapshots of a running machine's RAM, narrowed down like a cheat finder.

The seed's advice holds: talking to MAME is easy, finding the memory addresses is the work. The finder runs
any MAME machine over the bridge, lets you play it (MAME's window) or script its inputs, takes RAM snapshots
and keeps the candidates (address, value type) that behave as the value you look for: equal, changed,
increased, decreased, changed by N, or equal to a number you see on screen. Survivors are shown with their
types (``u8``..``s32`` in both byte orders, packed BCD); chosen ones are written into a game file
(``docs/declarative.md``). It works on any CPU and address space: values are read as the CPU sees them, so
big-endian machines (e.g. the SH-2 of ``sfiii3n``) work the same way.

Python::

    from mame_zoo.finder import Finder

    with Finder.open("a2600", cart="ale:boxing") as f:
        f.wait(60)
        f.press("Reset Game", frames=4)
        f.new("u8", "bcd8")        # every RAM byte is a candidate
        f.wait(30)
        f.equal()                  # keep those that did not change
        ...
        f.save("boxing.toml", "score_first", type="bcd8")

Command line: ``mame-zoo find GAME`` (interactive, or ``--script FILE``); ``mame-zoo debug GAME`` opens MAME's
own debugger (with its cheat commands) on the same machine. Tutorial: ``docs/tutorial_address_finder.md``.
"""

from mame_zoo.finder.cli import debug_command, register, run_debugger
from mame_zoo.finder.search import OPS, TYPES, Candidate, Finder, Snapshot, Target, ValueType, resolve_target
from mame_zoo.finder.shell import FinderShell, run_script

__all__ = ["OPS", "TYPES", "Candidate", "Finder", "FinderShell", "Snapshot", "Target", "ValueType",
           "debug_command", "register", "resolve_target", "run_debugger", "run_script"]

"""MAME's own debugger on a game's machine, and the ``find`` and ``debug`` subcommands of ``mame-zoo``."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mame_zoo.bridge import MachineConfig
from mame_zoo.bridge.process import find_mame, hermetic_args, media_args
from mame_zoo.errors import InvalidOption, MameZooError
from mame_zoo.finder.search import Finder, resolve_target
from mame_zoo.finder.shell import FinderShell, run_script


# --- MAME's own debugger --------------------------------------------------------------------------------------
def debug_command(machine: MachineConfig, workdir: str | os.PathLike[str], mame: str | None = None) -> list[str]:
    """The command line ``mame-zoo debug`` runs: the machine with MAME's debugger, hermetic like the bridge."""
    binary = find_mame(mame)
    argv = [binary, machine.system, *media_args(dict(machine.media)), *hermetic_args(Path(workdir))]
    if machine.rompath:
        argv += ["-rompath", ";".join(os.fspath(p) for p in machine.rompath)]
    return [*argv, "-window", *machine.options, "-debug"]


def run_debugger(machine: MachineConfig, mame: str | None = None) -> int:
    """Open MAME's debugger on ``machine`` (a window; its cheat commands search RAM too) and wait for it."""
    with tempfile.TemporaryDirectory(prefix="mame_zoo-debug-") as tmp:
        work = Path(tmp)
        for sub in ("cfg", "nvram", "sta", "snap", "inp", "diff", "comments", "run"):
            (work / sub).mkdir()
        (work / "run").chmod(0o700)
        argv = debug_command(machine, work, mame)
        env = {**os.environ, "HOME": str(work), "XDG_RUNTIME_DIR": str(work / "run")}
        return subprocess.run(argv, cwd=work, env=env, check=False).returncode


# --- command line ----------------------------------------------------------------------------------------------
def _add_target(p: argparse.ArgumentParser) -> None:
    p.add_argument("game", help="a game (boxing_v0), a game file (my.toml) or a MAME system (a2600, sfiii3n)")
    p.add_argument("--cart", help="cartridge for console systems: a file, or ale:NAME for ale-py's Atari ROMs")
    p.add_argument("--media", action="append", default=[], metavar="SLOT=FILE", help="other media (repeatable)")
    p.add_argument("--rom-path", help="folder with the romset (default: MAME_ZOO_ROMS)")


def _media(items: Sequence[str]) -> dict[str, str]:
    out = {}
    for item in items:
        slot, sep, file = item.partition("=")
        if not sep or not slot or not file:
            raise InvalidOption(f"--media needs SLOT=FILE, got {item!r}")
        out[slot] = file
    return out


def _range(text: str) -> tuple[int, int]:
    lo, sep, hi = text.partition("-")
    if not sep:
        raise argparse.ArgumentTypeError(f"a range is FIRST-LAST (e.g. 0x80-0xff), got {text!r}")
    return int(lo, 0), int(hi, 0)


def _find_main(args: argparse.Namespace) -> int:
    finder = Finder.open(args.game, cart=args.cart, media=_media(args.media), rom_path=args.rom_path,
                         device=args.device, space=args.space, ranges=args.range or None, window=args.window,
                         mame=getattr(args, "mame", None))
    with finder:
        if args.script:
            text = sys.stdin.read() if args.script == "-" else Path(args.script).read_text(encoding="utf-8")
            try:
                run_script(finder, text.splitlines(), out_file=args.out)
            except (MameZooError, ValueError) as exc:
                print(f"mame-zoo find: {exc}", file=sys.stderr)
                return 1
            return 0
        shell = FinderShell(finder, out_file=args.out)
        if not sys.stdin.isatty():
            shell.use_rawinput = False
            shell.prompt = ""
        shell.cmdloop()
    return 0


def _debug_main(args: argparse.Namespace) -> int:
    t = resolve_target(args.game, cart=args.cart, media=_media(args.media), rom_path=args.rom_path)
    if args.dry_run:
        print(shlex.join(debug_command(t.machine, "<temp dir>", getattr(args, "mame", None))))
        return 0
    return run_debugger(t.machine, getattr(args, "mame", None))


def register(subparsers: Any) -> None:
    """Add the ``find`` and ``debug`` subcommands to ``mame-zoo``'s argparse subparsers."""
    p = subparsers.add_parser("find", help="find RAM addresses of game values (interactive, or --script)",
                              description="Search a running machine's RAM for game values; see "
                                          "docs/tutorial_address_finder.md.")
    _add_target(p)
    p.add_argument("--device", default=":maincpu", help="CPU (device tag) whose memory is searched")
    p.add_argument("--space", default="program", help="its address space (program, data, io, ...)")
    p.add_argument("--range", action="append", type=_range, metavar="FIRST-LAST",
                   help="search these addresses (repeatable; default: every RAM range of the map)")
    p.add_argument("--window", action="store_true", help="show MAME's window at real speed and play in it")
    p.add_argument("--script", help="run the commands of this file ('-': stdin) and exit")
    p.add_argument("--out", help="the game file `save` writes variables into")
    p.set_defaults(func=_find_main)

    p = subparsers.add_parser("debug", help="open MAME's own debugger on a game or machine")
    _add_target(p)
    p.add_argument("--dry-run", action="store_true", help="print the MAME command line instead of running it")
    p.set_defaults(func=_debug_main)

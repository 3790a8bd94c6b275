"""The finder's interactive shell (``mame-zoo find``) and its script runner."""

from __future__ import annotations

import cmd
import inspect
import shlex
import sys
from collections.abc import Iterable
from typing import TextIO

from mame_zoo.declarative.write import var_entry
from mame_zoo.errors import InvalidOption, MameZooError
from mame_zoo.finder.search import TYPES, Finder


# --- the interactive shell -----------------------------------------------------------------------------------
def _candidates(count: int) -> str:
    return f"{count} candidate{'' if count == 1 else 's'}"


class FinderShell(cmd.Cmd):
    """``mame-zoo find``'s command loop; ``strict`` (scripts) stops at the first error instead of reporting it."""

    prompt = "find> "

    def __init__(self, finder: Finder, *, out_file: str | None = None, strict: bool = False,
                 stdin: TextIO | None = None, stdout: TextIO | None = None) -> None:
        super().__init__(stdin=stdin, stdout=stdout)
        if stdin is not None:
            self.use_rawinput = False
        self.finder = finder
        self.out_file = out_file
        self.strict = strict
        self.failed = False
        f = finder
        ranges = ", ".join(f"{lo:#x}-{hi:#x}" for lo, hi in f.ranges)
        self.banner = (f"{f.bridge.hello.description} ({f.bridge.hello.system}), screen "
                       f"{f.bridge.hello.screen_height}x{f.bridge.hello.screen_width}; searching {f.space.device} "
                       f"{f.space.name} ({'big' if f.space.big_endian else 'little'}-endian, "
                       f"{f.space.data_width}-bit) at {ranges}")
        self.intro = self.banner + ". Type help for the commands."

    def say(self, text: str) -> None:
        """Print a line."""
        self.stdout.write(text + "\n")

    def onecmd(self, line: str) -> bool:
        """Run one command; errors are printed (or raised when ``strict``)."""
        try:
            return bool(super().onecmd(line))
        except (MameZooError, ValueError) as exc:
            self.failed = True
            if self.strict:
                raise
            self.say(f"error: {exc}")
            return False

    def emptyline(self) -> bool:
        """An empty line does nothing (cmd.Cmd would repeat the last command)."""
        return False

    def do_help(self, arg: str) -> None:
        """`help [COMMAND]`: list the commands, or explain one."""
        func = getattr(self, f"do_{arg.strip()}", None) if arg.strip() else None
        if func is not None and func.__doc__:
            self.say(inspect.cleandoc(func.__doc__))
            return
        super().do_help(arg)

    def default(self, line: str) -> bool:  # type: ignore[override]  # onecmd() returns it: typeshed says None
        """A comment line does nothing; any other line that is no command is an error (``type help``)."""
        if line.strip().startswith("#"):
            return False
        raise InvalidOption(f"unknown command {line.split()[0]!r}; type help")

    def _words(self, arg: str) -> list[str]:
        return shlex.split(arg)

    def _fields_and_frames(self, arg: str, default: int = 1) -> tuple[list[str], int]:
        words = self._words(arg)
        frames = default
        if words and words[-1].isdigit():
            frames = int(words.pop())
        return words, frames

    def _report(self, count: int) -> None:
        self.say(_candidates(count))

    # commands ---------------------------------------------------------------------------------------------
    def do_inputs(self, arg: str) -> None:
        """`inputs [TEXT]`: list the input fields (those containing TEXT)."""
        for f in self.finder.fields():
            if arg.lower() in f"{f.port}/{f.field}".lower():
                kind = f"analog {f.minimum}..{f.maximum}" if f.is_analog else "digital"
                self.say(f"{f.port}/{f.field}  (P{f.player + 1}, {kind})")

    def do_press(self, arg: str) -> None:
        """`press FIELD... [FRAMES]`: hold the fields for FRAMES frames (default 1), then let them go."""
        names, frames = self._fields_and_frames(arg)
        if not names:
            raise InvalidOption("press needs at least one input field")
        self.finder.press(*names, frames=frames)

    def do_hold(self, arg: str) -> None:
        """`hold FIELD...`: keep the fields pressed during the following commands, until release."""
        self.finder.hold(*self._words(arg))

    def do_release(self, arg: str) -> None:
        """`release [FIELD...]`: let the fields go (all held fields when none are given)."""
        self.finder.release(*self._words(arg))

    def do_wait(self, arg: str) -> None:
        """`wait FRAMES`: let FRAMES frames pass (held fields stay held)."""
        self.finder.wait(int(arg))

    def do_play(self, arg: str) -> None:
        """`play SECONDS`: run SECONDS of game time (with --window: in real time; play with the keyboard)."""
        self.finder.play(float(arg))

    def do_start(self, arg: str) -> None:
        """`start`: run the game's start sequence (games and game files)."""
        self.finder.start()

    def do_new(self, arg: str) -> None:
        """`new [TYPE...]`: start a search; every RAM address as every TYPE (default all) is a candidate."""
        self._report(self.finder.new(*self._words(arg)))

    def do_types(self, arg: str) -> None:
        """`types [TYPE...]`: keep only candidates of these types (without arguments: list the types)."""
        if not arg.strip():
            self.say("types: " + " ".join(TYPES) + "  (u16, s16, u32, s32, bcd16, bcd32: the space's byte order)")
            return
        self._report(self.finder.restrict(*self._words(arg)))

    def do_snap(self, arg: str) -> None:
        """`snap [LABEL]`: take a snapshot (the next comparison is against it; LABEL names it for `since`)."""
        snap = self.finder.snapshot(arg.strip() or None)
        self.say(f"snapshot at frame {snap.frame}" + (f" labelled {snap.label}" if snap.label else ""))

    def _filter(self, op: str, arg: str, with_value: bool = False) -> None:
        words = self._words(arg)
        value = int(words.pop(0), 0) if with_value and words else None
        since = None
        if words[:1] == ["since"] and len(words) == 2:
            since = words[1]
        elif words:
            raise InvalidOption(f"unexpected {' '.join(words)!r}; write e.g. `{op} since LABEL`")
        self._report(self.finder.filter(op, value, since=since))

    def do_equal(self, arg: str) -> None:
        """`equal [since LABEL]`: keep values that did not change (alias: unchanged)."""
        self._filter("equal", arg)

    do_unchanged = do_equal

    def do_changed(self, arg: str) -> None:
        """`changed [since LABEL]`: keep values that changed (alias: not_equal)."""
        self._filter("not_equal", arg)

    do_not_equal = do_changed

    def do_increased(self, arg: str) -> None:
        """`increased [since LABEL]`: keep values that went up."""
        self._filter("increased", arg)

    def do_decreased(self, arg: str) -> None:
        """`decreased [since LABEL]`: keep values that went down."""
        self._filter("decreased", arg)

    def do_delta(self, arg: str) -> None:
        """`delta N [since LABEL]`: keep values that changed by exactly N (e.g. -1)."""
        self._filter("changed_by", arg, with_value=True)

    def do_value(self, arg: str) -> None:
        """`value N`: keep values that are N now (BCD types: the decimal number you see)."""
        self._filter("value", arg, with_value=True)

    def do_undo(self, arg: str) -> None:
        """`undo`: undo the last filter or types command."""
        self._report(self.finder.undo())

    def do_list(self, arg: str) -> None:
        """`list [N] [TYPE...]`: show up to N (default 30) candidates: address, type, value now, earlier values."""
        words = self._words(arg)
        limit = int(words.pop(0)) if words and words[0].isdigit() else 30
        found = self.finder.candidates(limit=limit, types=words)
        self.say(_candidates(self.finder.count) + (f", first {len(found)}:" if found else ""))
        if found:
            self.say(f"{'address':<10} {'type':<8} {'now':>12}   earlier (oldest first)")
        for c in found:
            self.say(str(c))

    def do_watch(self, arg: str) -> None:
        """`watch [FRAMES] [EVERY]`: run FRAMES (default 60) frames, printing the first 8 candidates every EVERY."""
        words = self._words(arg)
        frames = int(words[0]) if words else 60
        every = int(words[1]) if len(words) > 1 else 10
        cands = self.finder.candidates(limit=8)
        self.say("frame     " + " ".join(f"{c.address:#x}/{c.type}".rjust(14) for c in cands))
        for frame, values in self.finder.watch(cands, frames, every):
            self.say(f"{frame:<9} " + " ".join(("-" if v is None else str(v)).rjust(14) for v in values))

    def do_peek(self, arg: str) -> None:
        """`peek ADDRESS [COUNT]`: hex dump of COUNT (default 16) bytes."""
        words = self._words(arg)
        address = int(words[0], 0)
        count = int(words[1], 0) if len(words) > 1 else 16
        data = self.finder.peek(address, count)
        for i in range(0, len(data), 16):
            self.say(f"{address + i:#010x}  {data[i:i + 16].hex(' ')}")

    def do_save(self, arg: str) -> None:
        """`save NAME [ADDRESS] [TYPE] [mask=M] [shift=S]`: write variable NAME into the game file: the single
        survivor, unless ADDRESS/TYPE say which; mask/shift pick bits (e.g. a nibble). `file PATH` (or --out)
        sets the file."""
        words = self._words(arg)
        if not words:
            raise InvalidOption("save needs a variable name")
        name, rest = words[0], words[1:]
        extra = {k: int(v, 0) for k, _, v in (w.partition("=") for w in rest if "=" in w)}
        rest = [w for w in rest if "=" not in w]
        if set(extra) - {"mask", "shift"}:
            raise InvalidOption(f"save knows mask= and shift=, not {', '.join(sorted(set(extra) - {'mask', 'shift'}))}")
        address = int(rest.pop(0), 0) if rest and rest[0][:1].isdigit() else None
        type_name = rest.pop(0) if rest else None
        if rest:
            raise InvalidOption(f"unexpected {' '.join(rest)!r}")
        if self.out_file is None:
            raise InvalidOption("no game file: give --out FILE or use `file PATH` first")
        var, decoder = self.finder.save(self.out_file, name, address, type_name, **extra)
        self.say(f"{self.out_file}: {name} = {var_entry(var, decoder)}")

    def do_file(self, arg: str) -> None:
        """`file PATH`: the game file `save` writes to."""
        self.out_file = arg.strip() or None
        self.say(f"game file: {self.out_file}")

    def do_savestate(self, arg: str) -> None:
        """`savestate PATH`: save a MAME state here (usable as a game file's [start] state)."""
        self.finder.save_state(arg.strip())
        self.say(f"saved {arg.strip()}")

    def do_loadstate(self, arg: str) -> None:
        """`loadstate PATH`: load a MAME state of this machine."""
        self.finder.load_state(arg.strip())

    def do_repeat(self, arg: str) -> None:
        """`repeat N COMMAND[; COMMAND...]`: run commands N times (e.g. repeat 10 press "P1 Button 1" 2; wait 8)."""
        count, _, commands = arg.strip().partition(" ")
        if not count.isdigit() or not commands.strip():
            raise InvalidOption("write repeat N COMMAND[; COMMAND...]")
        for _ in range(int(count)):
            for command in commands.split(";"):
                if command.strip():
                    self.onecmd(command.strip())

    def do_frame(self, arg: str) -> None:
        """`frame`: the current frame number."""
        self.say(f"frame {self.finder.frame}")

    def do_quit(self, arg: str) -> bool:
        """`quit`: stop MAME and leave."""
        return True

    do_exit = do_quit

    def do_EOF(self, arg: str) -> bool:
        """End of input: leave."""
        return True


def run_script(finder: Finder, lines: Iterable[str], *, out_file: str | None = None,
               stdout: TextIO | None = None) -> FinderShell:
    """Run finder commands non-interactively (stops at the first error); returns the shell."""
    shell = FinderShell(finder, out_file=out_file, strict=True, stdout=stdout or sys.stdout)
    shell.say(shell.banner)
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        shell.say(f"{shell.prompt}{line}")
        if shell.onecmd(line):
            break
    return shell

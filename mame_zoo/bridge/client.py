"""The Python side of the lockstep bridge: one MAME process, one request in flight, every wait bounded."""

from __future__ import annotations

import difflib
import fcntl
import os
import select
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time
import warnings
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from mame_zoo import _paths
from mame_zoo.bridge import process
from mame_zoo.bridge.config import (
    FORBIDDEN_OPTIONS,
    FORBIDDEN_PREFIXES,
    InputField,
    MachineConfig,
    MapEntry,
    SpaceInfo,
    StepResult,
    forbidden_option,
)
from mame_zoo.bridge.diagnose import exit_error, log_tail, rom_mismatch
from mame_zoo.bridge.protocol import (
    BUS_SPEC,
    CHARGE_SPEC,
    EARLY_SPEC,
    HEADER,
    MAX_BODY,
    PIXELS_HEAD,
    PROTOCOL_VERSION,
    RESTART_SPEC,
    SCREEN_SPEC,
    SIGNAL_SPEC,
    STEP_FRAME,
    STEP_HEAD,
    STEP_INPUT,
    STEP_MAXPOOL,
    TAP_SPEC,
    TIMELINE_SUFFIX,
    TYPES,
    U16,
    U32,
    WRITE_SPEC,
    Agg,
    BusModel,
    Edge,
    ErrorKind,
    Hello,
    MalformedMessage,
    Op,
    PixelFormat,
    ReadSpec,
    Status,
    decode_error,
    decode_hello,
    decode_inputs,
    decode_map,
    decode_space,
    decode_u16,
    decode_values,
    pack_str,
)
from mame_zoo.bridge.savestate import check_state_path, space_hint, validate_state
from mame_zoo.errors import (
    AddressError,
    EmulatorClosed,
    EmulatorTimeout,
    InputNotFound,
    InvalidAction,
    InvalidOption,
    LuaError,
    MameZooError,
    OptionTypeError,
    ProtocolError,
    RomChecksumMismatch,
    RomNotFound,
    StateError,
)

PIPE_SIZE = 1 << 20  # F_SETPIPE_SZ: a 1 MiB pipe takes a whole frame in one go
_F_SETPIPE_SZ = 1031
_DECODE_ERRORS = (MalformedMessage, struct.error, ValueError, IndexError)
_ERROR = int(Status.ERROR)  # a plain int: compared on every reply


def _cleanup(proc: subprocess.Popen[bytes] | None, fds: list[int], workdir: str | None, owner: int) -> None:
    """Finalizer backstop: kill MAME, remove the temp dir, close pipes and the lock. Safe to run more than once.

    Only the process that started MAME does this: a forked child that inherited the bridge must not kill its
    parent's MAME or delete its files (see :func:`_disown_after_fork`).
    """
    if os.getpid() != owner:
        return
    if proc is not None:
        process.kill(proc)
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    for fd in fds:  # the lock goes last: a sweeper in another process must not race the removal above
        try:
            os.close(fd)
        except OSError:
            pass
    fds.clear()


# Every live bridge, so that a fork() can disown them in the child (a forked worker of a vector env inherits
# copies of its parent's bridges: closing or garbage-collecting those copies must not touch the parent's MAME).
_live: weakref.WeakSet[Bridge] = weakref.WeakSet()


def own_bridges(include_closed: bool = False) -> list[Bridge]:
    """The open bridges this process started. A forked child's copies of its parent's bridges are not its own
    (they are disowned at the fork, and their MAME belongs to the parent).

    ``include_closed`` adds the closed ones whose clean-up has not finished (MAME died, or :meth:`Bridge.close`
    is running in another thread): their temp folders still exist.
    """
    me = os.getpid()
    return [b for b in list(_live) if b._owner == me and (include_closed or not b.closed)]


def _disown_after_fork() -> None:
    for bridge in list(_live):
        bridge._disown()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_disown_after_fork)


def _process_label() -> str:
    """This Python process as a vector env's worker would be named in its parent (empty in the main process)."""
    mp = sys.modules.get("multiprocessing")
    name = mp.current_process().name if mp is not None else "MainProcess"
    return f"Python pid {os.getpid()}" + (f", {name}" if name != "MainProcess" else "")


class Bridge:
    """One MAME process driven in lockstep.

    The machine only emulates while :meth:`step` runs; every other call happens between two frames.
    The process is hermetic (its own temp dir for cfg/nvram/states; the user's ``~/.mame`` is not read
    unless ``use_user_config=True``), dies with this Python process, and is killed by :meth:`close`.

    Args:
        machine: what to run.
        mame: path of the MAME binary (default: see :func:`mame_zoo.bridge.process.find_mame`).
        render: show a window instead of running headless.
        throttle: run at the machine's real speed instead of as fast as possible.
        sound: enable sound output.
        timeout: seconds to wait for any reply before MAME is killed and :class:`EmulatorTimeout` raised.
        boot_timeout: seconds to wait for the machine to start.
        strict_roms: raise :class:`RomChecksumMismatch` when MAME reports wrong ROM checksums (default: warn).
        use_user_config: let MAME read the user's ini files (off: nothing of the user's MAME setup is used).
        workdir: parent folder for the per-process temp dir (default: the system temp dir).
    """

    def __init__(self, machine: MachineConfig, *, mame: str | os.PathLike[str] | None = None, render: bool = False,
                 throttle: bool = False, sound: bool = False, timeout: float = 10.0, boot_timeout: float = 60.0,
                 strict_roms: bool = False, use_user_config: bool = False,
                 workdir: str | os.PathLike[str] | None = None) -> None:
        if not isinstance(machine, MachineConfig):
            raise OptionTypeError(f"machine must be a MachineConfig, got {type(machine).__name__}")
        self.machine = machine
        self.timeout = timeout
        self._seq = 0
        self._closed = False
        self._closed_reason = ""
        self._owner = os.getpid()
        self._cmd = self._obs = -1
        self._lock = threading.Lock()
        self._fields: dict[tuple[str, str], int] = {}
        self._sent: dict[int, int] = {}
        self._field_ids: set[int] = set()
        self._spaces: dict[tuple[str, str], SpaceInfo] = {}
        self._reads: list[ReadSpec] = []
        self._pens: tuple[int, int, np.ndarray] | None = None  # SCREEN: (left, width, RGB of each pen)
        self._pending_save: str | None = None
        self._valid_states: set[tuple[str, int, int]] = set()
        self._inputs: list[InputField] | None = None
        self._buf = bytearray(1 << 16)
        self._view = memoryview(self._buf)
        self.proc: subprocess.Popen[bytes] | None = None

        self.binary = process.find_mame(mame)
        process.check_version(self.binary)
        self._check_media(machine)

        self._fds: list[int] = []
        self.workdir = self._make_workdir(workdir)
        self._finalizer = weakref.finalize(self, _cleanup, None, self._fds, str(self.workdir), self._owner)
        self.log_path = self.workdir / "mame.log"
        _live.add(self)
        try:
            self._launch(render, throttle, sound, use_user_config)
            self.hello = self._await_hello(boot_timeout)
            self._check_rom_warnings(strict_roms)
        except BaseException:
            self.close()
            raise

    # --- launch -------------------------------------------------------------------------------------
    def _make_workdir(self, parent: str | os.PathLike[str] | None) -> Path:
        folder = os.fspath(parent) if parent is not None else tempfile.gettempdir()
        process.sweep_stale_workdirs(folder)
        try:
            path = Path(tempfile.mkdtemp(prefix=process.WORKDIR_PREFIX, dir=folder))
        except OSError as exc:
            raise StateError(f"cannot create MAME's private folder (config, nvram, save states) in {folder}: "
                             f"{exc}. Free some space there or point TMPDIR at a writable folder.") from exc
        try:
            self._fds.append(process.lock_workdir(path))
        except OSError as exc:
            shutil.rmtree(path, ignore_errors=True)
            raise StateError(f"cannot write in MAME's private folder {path}: {exc}. Free some space there or "
                             "point TMPDIR at a writable folder.") from exc
        return path

    def _disown(self) -> None:
        """In a forked child: drop this copy of the parent's bridge without touching the parent's MAME.

        Only flags are changed: this also runs in the child that is about to exec a new MAME, where closing
        file descriptors by number could hit ones that another thread of the parent has just reused (the
        parent's pipe ends are close-on-exec anyway; a forked worker keeps its copies until it exits).
        """
        self._finalizer.detach()
        if not self._closed:
            self._closed = True
            self._closed_reason = (f"this {self.machine.system} emulator belongs to process {self._owner}; a forked "
                                   "child cannot use it. Create the env inside the child (e.g. in the vector env's "
                                   "env function).")

    @staticmethod
    def _check_media(machine: MachineConfig) -> None:
        for slot, path in machine.media.items():
            if not os.path.isfile(path):
                raise RomNotFound(f"{slot} image {path!r} for {machine.system} does not exist. Check the path "
                                  "(for Atari games, `pip install ale-py` ships the ROMs).")

    def _launch(self, render: bool, throttle: bool, sound: bool, use_user_config: bool) -> None:
        cmd_r, cmd_w = os.pipe()
        obs_r, obs_w = os.pipe()
        self._fds += [cmd_r, cmd_w, obs_r, obs_w]
        for fd in (cmd_w, obs_r):
            try:
                fcntl.fcntl(fd, _F_SETPIPE_SZ, PIPE_SIZE)
            except OSError:  # not Linux, or above /proc/sys/fs/pipe-max-size
                pass
        os.set_blocking(obs_r, False)
        os.set_blocking(cmd_w, False)  # a hung MAME must not block a write: requests wait with a deadline
        os.set_inheritable(cmd_r, True)
        os.set_inheritable(obs_w, True)
        try:
            for sub in ("cfg", "nvram", "sta", "snap", "inp", "diff", "comments", "run"):
                (self.workdir / sub).mkdir(exist_ok=True)
            (self.workdir / "run").chmod(0o700)
        except OSError as exc:
            raise StateError(f"cannot write in MAME's private folder {self.workdir}: {exc}. Free some space there "
                             "or point TMPDIR at a writable folder.") from exc

        m = self.machine
        argv = [self.binary, m.system, *process.media_args(dict(m.media))]
        if not use_user_config:
            argv += process.hermetic_args(self.workdir)
        if m.rompath:
            argv += ["-rompath", ";".join(os.fspath(p) for p in m.rompath)]
        argv += ["-window", "-video", "auto"] if render else ["-video", "none"]
        if not sound:
            argv += ["-sound", "none"]
        if not throttle:
            argv += ["-nothrottle"]
        argv += [*m.options, "-autoboot_script", str(_paths.lua_script("bridge.lua"))]

        env = process.headless_env(self.workdir, window=render)
        if use_user_config:  # the user's own MAME set-up (~/.mame) is wanted
            env.pop("HOME")
            if "HOME" in os.environ:
                env["HOME"] = os.environ["HOME"]
        env.update(MAME_ZOO_IN=f"/dev/fd/{cmd_r}", MAME_ZOO_OUT=f"/dev/fd/{obs_w}")
        env[process.OWNER_ENV] = str(os.getpid())
        self.proc = process.spawn(argv, env=env, cwd=self.workdir, pass_fds=(cmd_r, obs_w), log_path=self.log_path)
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _cleanup, self.proc, self._fds, str(self.workdir), self._owner)
        mp_util = sys.modules.get("multiprocessing.util")
        if mp_util is not None:
            # multiprocessing's workers leave with os._exit(), which skips weakref.finalize's atexit hook; its
            # own exit hook runs these (forked children drop the parent's registrations).
            mp_util.Finalize(self, self._finalizer, exitpriority=0)
        os.close(cmd_r)
        os.close(obs_w)
        self._fds.remove(cmd_r)
        self._fds.remove(obs_w)
        self._cmd, self._obs = cmd_w, obs_r

    def _await_hello(self, boot_timeout: float) -> Hello:
        what = "starting the machine"
        status, body = self._receive(0, boot_timeout, what)
        if status != Status.OK:
            raise self._malformed(what, f"the first message had status {status}")
        try:
            version, hello = decode_hello(body)
        except _DECODE_ERRORS as exc:
            raise self._malformed(what, exc) from None
        if version != PROTOCOL_VERSION:
            self._shutdown()
            raise ProtocolError(f"bridge.lua speaks protocol {version}, this mame_zoo speaks "
                                f"{PROTOCOL_VERSION}: reinstall mame_zoo so both come from the same version")
        return hello

    def _check_rom_warnings(self, strict: bool) -> None:
        message = rom_mismatch(log_tail(self.log_path, 400), self.machine.system, self.hello.mame_version)
        if message is None:
            return
        if strict:
            raise RomChecksumMismatch(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)

    # --- transport ----------------------------------------------------------------------------------
    def _ensure_buffer(self, size: int, keep: int, what: str) -> None:
        if size > len(self._buf):
            if size > MAX_BODY + HEADER.size:
                raise self._malformed(what, f"a reply announced {size - HEADER.size} bytes (limit {MAX_BODY})")
            grown = bytearray(max(size, 2 * len(self._buf)))
            grown[:keep] = self._buf[:keep]
            self._buf, self._view = grown, memoryview(grown)

    def _read_at_least(self, pos: int, need: int, deadline: float, timeout: float, what: str) -> int:
        """Read into the buffer from ``pos`` until ``need`` bytes are there; returns the bytes held.

        Reads as much as the pipe has (up to the buffer's end) in each call: only one reply is ever in
        flight, so a larger read cannot take bytes of the next message, and a whole reply usually arrives in
        one system call.
        """
        view, fd = self._view, self._obs
        while pos < need:
            try:
                n = os.readv(fd, [view[pos:]])
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                    self._fail_timeout(what, timeout)
                continue
            if n == 0:
                self._fail_dead(what)
            pos += n
        return pos

    def _receive(self, seq: int, timeout: float, what: str) -> tuple[int, memoryview]:
        deadline = time.monotonic() + timeout
        held = self._read_at_least(0, HEADER.size, deadline, timeout, what)
        length, got_seq, status = HEADER.unpack_from(self._buf, 0)
        total = HEADER.size + length
        if held < total:
            self._ensure_buffer(total, held, what)
            held = self._read_at_least(held, total, deadline, timeout, what)
        if held != total:
            raise self._malformed(what, f"{held - total} unexpected bytes after a reply")
        body = self._view[HEADER.size:total]
        if status > _ERROR or got_seq != seq:  # the common case costs two int comparisons
            if status == Status.FATAL:
                text = bytes(body).decode("utf-8", "replace")
                self._shutdown()
                raise LuaError(f"Lua error in {self._who()} while {what}:\n{text}")
            if status > Status.FATAL:
                raise self._malformed(what, f"unknown reply status {status}")
            raise self._malformed(what, f"reply sequence {got_seq} does not match request {seq}")
        return status, body

    def _request(self, op: Op, body: bytes = b"", *, what: str | None = None,
                 timeout: float | None = None) -> memoryview:
        if self._closed:
            raise EmulatorClosed(self._closed_reason or f"the {self.machine.system} emulator is closed; create a "
                                 "new one")
        self._seq = (self._seq + 1) & 0xFFFFFFFF or 1
        what = what or op.name
        if timeout is None:
            timeout = self.timeout
        data = HEADER.pack(len(body), self._seq, op) + body
        try:
            try:
                sent = os.write(self._cmd, data)
            except BrokenPipeError:
                self._fail_dead(what)
            except BlockingIOError:
                sent = 0
            if sent != len(data):  # only a request larger than the pipe, or a MAME that stopped reading
                self._write_rest(data, sent, timeout, what)
            status, reply = self._receive(self._seq, timeout, what)
        except MameZooError:
            raise  # already handled: MAME is gone and the bridge closed
        except BaseException:
            # Interrupted mid-request (KeyboardInterrupt, a signal handler's exception, ...): the reply may be
            # half read, so the session cannot go on. Kill MAME rather than misread the next reply.
            self._shutdown()
            raise
        if status:
            self._raise_rejected(reply, what)
        return reply

    def _write_rest(self, data: bytes, sent: int, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while sent < len(data):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([], [self._cmd], [], remaining)[1]:
                self._fail_timeout(what, timeout)
            try:
                sent += os.write(self._cmd, view[sent:])
            except BlockingIOError:
                continue
            except BrokenPipeError:
                self._fail_dead(what)

    def _raise_rejected(self, reply: memoryview, what: str) -> None:
        """An ERROR reply: the request was refused, the session goes on."""
        try:
            kind, message = decode_error(reply)
        except _DECODE_ERRORS as exc:
            raise self._malformed(what, exc) from None
        rejected: dict[int, type[MameZooError]] = {ErrorKind.INPUT: InputNotFound, ErrorKind.ADDRESS: AddressError,
                                                   ErrorKind.STATE: StateError}
        raise rejected.get(kind, ProtocolError)(message)

    def _who(self) -> str:
        """Which MAME and which Python process, for failure messages (a vector env's parent sees only those)."""
        return f"MAME ({self.machine.system}, pid {self.pid}; {_process_label()})"

    def _malformed(self, what: str, problem: object) -> ProtocolError:
        """A reply that cannot be decoded: the session is out of step, so MAME is killed. Returns the error."""
        self._shutdown()
        return ProtocolError(f"malformed message from {self._who()} while {what}: {problem}")

    def _fail_timeout(self, what: str, timeout: float) -> None:
        who = self._who()
        self._shutdown()
        option = "boot_timeout" if what == "starting the machine" else "timeout"
        raise EmulatorTimeout(
            f"{who} did not answer within {timeout:g} s while {what}; it was killed. "
            f"If the machine is just slow, pass a larger {option}=.")

    def _fail_dead(self, what: str) -> None:
        proc = self.proc
        code = process.wait(proc, 5.0) if proc is not None else None
        log = log_tail(self.log_path)
        who = self._who()
        self._shutdown()
        raise exit_error(code, log, self.machine, what, who)

    def _shutdown(self) -> None:
        """Kill MAME and release everything; the bridge is closed afterwards."""
        self._closed = True
        self._finalizer()
        _live.discard(self)

    # --- public API ---------------------------------------------------------------------------------
    @property
    def closed(self) -> bool:
        """True after :meth:`close` or after MAME died."""
        return self._closed

    @property
    def pid(self) -> int | None:
        """MAME's process id."""
        return self.proc.pid if self.proc else None

    def field(self, port: str, field_name: str) -> int:
        """The id of input field ``field_name`` of port ``port`` (raises :class:`InputNotFound` if absent)."""
        key = (port, field_name)
        fid = self._fields.get(key)
        if fid is None:
            body = pack_str(port) + pack_str(field_name)
            try:
                reply = self._request(Op.FIELD, body)
            except InputNotFound as exc:
                raise InputNotFound(self._input_hint(str(exc), port, field_name)) from None
            try:
                fid = decode_u16(reply, "a field id")
            except _DECODE_ERRORS as exc:
                raise self._malformed("looking up an input field", exc) from None
            self._fields[key] = fid
            self._field_ids.add(fid)
        return fid

    def _input_hint(self, message: str, port: str, field_name: str) -> str:
        fields = self.inputs()
        ports = sorted({f.port for f in fields})
        if port not in ports:
            close = difflib.get_close_matches(port, ports, n=3)
            return f"{message}. Ports of {self.machine.system}: {', '.join(ports)}" + (
                f" (did you mean {', '.join(close)}?)" if close else "")
        names = sorted(f.field for f in fields if f.port == port)
        close = difflib.get_close_matches(field_name, names, n=3)
        return f"{message}. Fields of {port}: {', '.join(names)}" + (
            f" (did you mean {', '.join(close)}?)" if close else "")

    def space(self, device: str = ":maincpu", name: str = "program") -> SpaceInfo:
        """An address space by device tag and space name (raises :class:`AddressError` if absent)."""
        key = (device, name)
        info = self._spaces.get(key)
        if info is None:
            reply = self._request(Op.SPACE, pack_str(device) + pack_str(name))
            try:
                sid, width, big, mask = decode_space(reply)
            except _DECODE_ERRORS as exc:
                raise self._malformed("looking up an address space", exc) from None
            info = self._spaces[key] = SpaceInfo(sid, device, name, width, big, mask)
        return info

    def set_reads(self, specs: Sequence[ReadSpec]) -> None:
        """Choose what every :meth:`step` returns in :attr:`StepResult.values`."""
        body = self._pack_specs(specs)
        self._request(Op.SET_READS, body)
        self._reads = list(specs)

    @staticmethod
    def _pack_specs(specs: Sequence[ReadSpec]) -> bytes:
        specs = list(specs)
        if len(specs) > 0xFFFF:
            raise AddressError(f"at most 65535 reads per request, got {len(specs)}")
        for s in specs:
            if not isinstance(s, ReadSpec):
                raise AddressError(f"reads are ReadSpec objects, got {type(s).__name__} {s!r}")
            try:
                s.check()
            except ValueError as exc:
                raise AddressError(str(exc)) from None
        return U16.pack(len(specs)) + b"".join(s.pack() for s in specs)

    def read(self, specs: Sequence[ReadSpec]) -> list[np.ndarray]:
        """Read values now, between frames (LAST aggregation only)."""
        specs = list(specs)
        reply = self._request(Op.READ, self._pack_specs(specs))
        try:
            values, pos = decode_values(specs, reply, 0, 1)
            if pos != len(reply):
                raise MalformedMessage(f"{len(reply) - pos} unexpected bytes after the values")
        except _DECODE_ERRORS as exc:
            raise self._malformed("reading memory", exc) from None
        return values

    def write(self, space_id: int, address: int, dtype: str, value: int) -> None:
        """Write one value into an address space (takes effect before the next frame)."""
        self.write_many([(space_id, address, dtype, value)])

    def write_many(self, writes: Sequence[tuple[int, int, str, int]]) -> None:
        """Write (space id, address, type, value) values in one request; all are checked before any is done."""
        self._request(Op.WRITE, self._pack_writes(writes))

    @staticmethod
    def _pack_writes(writes: Sequence[tuple[int, int, str, int]]) -> bytes:
        parts = [U16.pack(len(writes))]
        for space_id, address, dtype, value in writes:
            if dtype not in TYPES:
                raise AddressError(f"unknown value type {dtype!r}; use one of {', '.join(TYPES)}")
            try:
                parts.append(WRITE_SPEC.pack(space_id, address, TYPES[dtype][0], int(value)))
            except (struct.error, TypeError, ValueError, OverflowError) as exc:
                raise AddressError(f"cannot write {value!r} as {dtype} at {address!r} of space {space_id!r}: "
                                   f"{exc}") from None
        return b"".join(parts)

    def set_signal(self, space_id: int, address: int, mask: int, edge: Edge = Edge.FALL, mirror: int = 0,
                   longest: int = 0, *, limit: tuple[int, int, int, int, int] | None = None,
                   clock_hz: int = 0, instructions: tuple[int, int, int, int] | None = None) -> None:
        """End every frame of a step on a game's own signal instead of MAME's frame end: a write of ``address``
        (or any of its ``mirror`` addresses) whose ``mask`` bits change the way ``edge`` says (the 2600's
        VSYNC switched off: address 0x00, mask 0x02, falling). Steps, frame skip, the per-frame reads and start
        sequences then count those frames, and a step's reply leaves the machine right after the signal.
        ``longest`` > 0: a frame also ends at MAME's ``longest``-th frame end without the signal (a game that
        stops signalling, as Stella cuts a frame after 25000 instructions). ``limit`` = (lines, CPU cycles per
        line, first, last, mirror): a frame also ends at the first write to ``first``..``last`` (and mirrors) once
        it has run more than ``lines`` lines (Stella's scanline limit); it needs ``clock_hz``, the CPU's clock.
        ``instructions`` = (count, first, last, mirror): a frame also ends before the CPU's ``count`` + 1st
        instruction since its start (Stella's instruction limit; the TV frame goes on in the next), the space's
        CPU (a 6502) running code from ``first``..``last`` (and mirrors); every read there is counted in Lua.
        ``space_id`` 0 goes back to MAME's frame end."""
        lines, per_line, first, last, limit_mirror = limit or (0, 0, 0, 0, 0)
        count, code_first, code_last, code_mirror = instructions or (0, 0, 0, 0)
        try:
            body = SIGNAL_SPEC.pack(space_id, address, mirror, mask, int(edge), longest, lines, per_line, first,
                                    last, limit_mirror, clock_hz, count, code_first, code_last, code_mirror)
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise InvalidOption(f"bad frame signal (space {space_id!r}, address {address!r}, mask {mask!r}): "
                                f"{exc}") from None
        self._request(Op.SIGNAL, body)

    def tap_input(self, field_id: int, space_id: int, address: int, mask: int, active_low: bool,
                  mirror: int = 0) -> None:
        """Make reads of ``address`` (and its ``mirror`` addresses) see field ``field_id``'s value in the ``mask``
        bits from the moment a step sets it, instead of from MAME's next frame end (when MAME itself takes
        input values in). For stepping on a game signal: the game reads the new action at once, as in ALE."""
        if field_id not in self._field_ids:
            raise InputNotFound(f"field id {field_id!r} was not handed out by field()")
        try:
            body = TAP_SPEC.pack(field_id, space_id, address, mirror, mask, int(bool(active_low)))
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise InvalidOption(f"bad input tap (space {space_id!r}, address {address!r}, mask {mask!r}): "
                                f"{exc}") from None
        self._request(Op.TAP, body)

    def tap_charge(self, field_id: int, space_id: int, address: int, mask: int, trigger: tuple[int, int, int],
                   clock_hz: int, mirror: int = 0) -> None:
        """Make field ``field_id`` a charging input read at ``address`` (and its ``mirror`` addresses): the ``mask``
        bits read set once more CPU cycles than the field's value have passed since the ``trigger`` = (address,
        mirror, mask) bits were last cleared by a write, and clear while they are set (the 2600's paddle pots,
        dumped by VBLANK, as Stella times them); a negative value reads set at all times. Cycles are counted from
        a frame's start as Stella counts them, at ``clock_hz``."""
        if field_id not in self._field_ids:
            raise InputNotFound(f"field id {field_id!r} was not handed out by field()")
        try:
            body = CHARGE_SPEC.pack(field_id, space_id, address, mirror, mask, *trigger, clock_hz)
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise InvalidOption(f"bad charge tap (space {space_id!r}, address {address!r}, mask {mask!r}): "
                                f"{exc}") from None
        self._request(Op.CHARGE, body)

    def tap_bus(self, space_id: int, first: int, last: int, mask: int, model: BusModel = BusModel.STELLA_6502,
                mirror: int = 0) -> None:
        """Make reads of ``first``..``last`` (and mirrors) carry, in the ``mask`` bits the reference fills
        otherwise than MAME, what ``model`` puts there: :attr:`BusModel.STELLA_6502`, the CPU data bus in bits the
        hardware leaves undriven (the 2600's TIA drives 2 of 8 bits; Stella fills the others with the byte fetched
        before the read, MAME with a guess; the space's device must be a 6502), or :attr:`BusModel.HIGH`, 1s."""
        try:
            body = BUS_SPEC.pack(space_id, first, last, mirror, mask, int(model))
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise InvalidOption(f"bad bus tap (space {space_id!r}, range {first!r}-{last!r}): {exc}") from None
        self._request(Op.BUS, body)

    def tap_early(self, space_id: int, first: int, last: int, catch_up: int, device: str, items: Sequence[str],
                  mirror: int = 0) -> None:
        """Make writes of ``first``..``last`` (and mirrors) take effect from the pixel they happen at: before
        MAME's handler runs, the bridge reads ``catch_up`` (a read that brings ``device`` up to the beam: the
        2600 TIA's collision registers) and sets the device's save item for that register (``items``, one per
        register) to the written value. The reference applies the 2600 TIA's ENAM0, ENAM1 and ENABL at once,
        MAME's TIA one colour clock later."""
        try:
            if len(items) != last - first + 1:
                raise ValueError(f"it needs one save item per register ({last - first + 1}), got {len(items)}")
            body = EARLY_SPEC.pack(space_id, first, last, mirror, catch_up) + pack_str(device) \
                + bytes([len(items)]) + b"".join(pack_str(i) for i in items)
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise InvalidOption(f"bad early write (space {space_id!r}, range {first!r}-{last!r}, device {device!r}): "
                                f"{exc}") from None
        self._request(Op.EARLY, body)

    def set_screen(self, device: str, buffers: tuple[str, str], selector: str, row_pixels: int, top: int, left: int,
                   colours: int, row_cycles: int = 0, rows: int = 0) -> None:
        """Take every later frame from ``device``'s own indexed bitmap instead of MAME's screen: two save items
        (``buffers``, u16 palette indices, ``row_pixels`` a row) of which save item ``selector`` (0 or 1) names
        the one being drawn, so the other holds the last complete frame; the screen's visible area starts at
        ``top``, ``left`` there. The device's palette gives the colours of pens 0 to ``colours`` - 1. MAME's own
        screen blends a frame with the one before where a device draws that way (the 2600's TIA); the bitmap is
        the frame alone, and needs no screen update at a game's own signal. With a frame signal (:meth:`set_signal`)
        and ``row_cycles`` > 0 (CPU cycles a row), the rows follow the signal: the device starts a bitmap where the
        signal's bit changes the other way (the 2600's TIA at VSYNC on), and the visible area starts ``top`` rows
        below the row where the frame's signal came (VSYNC off, where Stella's frame starts), however many rows
        apart the two were. ``rows`` > 0: frames of that many rows instead of the screen's height."""
        try:
            body = SCREEN_SPEC.pack(row_pixels, top, left, colours, row_cycles, rows) + b"".join(
                pack_str(s) for s in (device, *buffers, selector))
        except (struct.error, TypeError, ValueError) as exc:
            raise InvalidOption(f"bad screen source ({device!r}, {buffers!r}, {selector!r}): {exc}") from None
        reply = self._request(Op.SCREEN, body)
        try:
            count = decode_u16(reply[:2], "a colour count")
            argb = np.frombuffer(reply, "<u4", count, 2)
        except _DECODE_ERRORS as exc:
            raise self._malformed("setting the screen source", exc) from None
        rgb = np.stack([(argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF], axis=1).astype(np.uint8)
        self._pens = (left, self.hello.screen_width, rgb)

    def step(self, frames: int = 1, inputs: Mapping[int, int] | None = None, *, frame: bool = True,
             maxpool: bool = False, crop: tuple[int, int, int, int] | None = None,
             later: Sequence[tuple[int, Mapping[int, int]]] = ()) -> StepResult:
        """Set inputs, emulate ``frames`` frames, and return the read set's values and (optionally) the screen.

        ``inputs`` maps field ids (from :meth:`field`) to values (digital: 0/1, analog: the raw value). Fields
        keep their value until changed; only changes travel to MAME. ``later`` holds the changes of the step's
        later frames, as ``(frame, {field id: value})`` pairs with ``0 < frame < frames`` in increasing order:
        each applies from that frame of the step on (ALE turns paddles and repeats sticky actions frame by
        frame). With ``maxpool`` the frame is the element-wise maximum of the last two frames (ALE-style flicker
        removal). ``crop`` = (top, bottom, left, right) returns only ``screen[top:bottom, left:right]``, converted
        without copying the rest.
        """
        if not 1 <= frames <= 0xFFFF:
            raise InvalidOption(f"frames must be between 1 and 65535, got {frames}")
        changes = []
        flags = (STEP_FRAME if frame else 0) | (STEP_MAXPOOL if frame and maxpool and frames >= 2 else 0)
        sent = self._sent
        try:
            known = self._field_ids
            previous = 0
            for at, changed in ((0, inputs), *later):
                if at and not previous < at < frames:
                    raise InvalidOption(f"later inputs need increasing frames from 1 to {frames - 1}, got {at}")
                previous = at
                for fid, value in (changed or {}).items():
                    if fid not in known:
                        raise InputNotFound(f"field id {fid!r} was not handed out by field() on this bridge")
                    value = int(value)
                    if sent.get(fid) != value:
                        changes.append(STEP_INPUT.pack(fid, value, at))
                        sent[fid] = value
            head = STEP_HEAD.pack(frames, flags, len(changes))
        except BaseException as exc:
            sent.clear()  # values may be recorded as sent that never will be: send every value again next time
            if isinstance(exc, (TypeError, ValueError, OverflowError, struct.error)):
                raise self._bad_step(frames, inputs) from None
            raise
        what = f"stepping {frames} frame(s)"
        with self._lock:
            try:
                reply = self._request(Op.STEP, head + b"".join(changes), what=what)
            except MameZooError:
                sent.clear()
                raise
        if self._pending_save is not None:
            self._verify_pending_save()
        try:
            (frame_number,) = U32.unpack_from(reply, 0)
            pos = 4
            values = []
            for spec in self._reads:
                values.append(spec.decode(reply, pos, frames))
                pos += spec.nbytes(frames)
            image = None
            if frame:
                width, height, count, fmt = PIXELS_HEAD.unpack_from(reply, pos)
                pos += PIXELS_HEAD.size
                pens = self._pens if fmt == PixelFormat.PEN16 else None
                size = width * height * (2 if pens else 4)
                if count > 2 or pos + count * size != len(reply) or (fmt == PixelFormat.PEN16 and not pens):
                    raise MalformedMessage(f"a {len(reply)}-byte reply does not hold {count} {width}x{height} "
                                           f"screen(s) of format {fmt} at byte {pos}")
                image = _pens_to_rgb(reply, pos, height, width, pens, crop) if pens else \
                    _bgra_to_rgb(reply, pos, height, width, crop)
                if count == 2:
                    np.maximum(image, _pens_to_rgb(reply, pos + size, height, width, pens, crop) if pens else
                               _bgra_to_rgb(reply, pos + size, height, width, crop), out=image)
            elif pos != len(reply):
                raise MalformedMessage(f"{len(reply) - pos} unexpected bytes after the values")
        except _DECODE_ERRORS as exc:
            raise self._malformed(what, exc) from None
        return StepResult(frame_number, values, image)

    def _bad_step(self, frames: Any, inputs: Any) -> MameZooError | ValueError:
        """The error for a step whose frames or inputs cannot be sent (nothing was sent)."""
        try:
            STEP_HEAD.pack(frames, 0, 0)
        except (struct.error, TypeError):
            return ValueError(f"frames must be an int between 1 and 65535, got {frames!r}")
        if not isinstance(inputs, Mapping):
            return InvalidAction(f"inputs must be a mapping {{field id: value}}, got {type(inputs).__name__}")
        for fid, value in inputs.items():
            try:
                STEP_INPUT.pack(fid, int(value), 0)
            except (struct.error, TypeError, ValueError, OverflowError):
                return InvalidAction(f"input value {value!r} for field id {fid!r} is not an int in "
                                     "[-2**31, 2**31)")
        return InvalidAction(f"inputs {inputs!r} cannot be sent to MAME")

    def save_state(self, path: str | os.PathLike[str]) -> None:
        """Save the machine state to ``path``; it is written before the next frame (checked at the next step)."""
        target = check_state_path(path)
        folder = os.path.dirname(target)
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise StateError(f"cannot save state to {target}: {folder} is not a writable folder")
        if os.path.isdir(target):
            raise StateError(f"cannot save state to {target}: it is a folder")
        try:
            for old in (target, target + TIMELINE_SUFFIX):  # the state and the bridge's timing beside it
                if os.path.lexists(old):
                    os.remove(old)
        except OSError as exc:
            raise StateError(f"cannot save state to {target}: {exc}") from None
        self._request(Op.SAVE, pack_str(target))
        self._pending_save = target

    def _verify_pending_save(self) -> None:
        target, self._pending_save = self._pending_save, None
        if target is None:
            return
        if not (os.path.isfile(target) and os.path.getsize(target) > 0):
            raise StateError(f"MAME did not write the save state {target} ({space_hint(target)}). "
                             f"MAME log:\n{log_tail(self.log_path, 5)}")
        try:
            self._validate_state(target)
        except StateError as exc:
            raise StateError(f"MAME wrote an unusable save state ({space_hint(target)}): {exc}") from None

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Load a state saved by :meth:`save_state`; it takes effect before the next frame."""
        target = check_state_path(path)
        self._validate_state(target)
        self._request(Op.LOAD, pack_str(target))

    def _validate_state(self, target: str) -> None:
        # MAME ignores a bad state file silently and keeps running, so check it here (once per file version)
        key = validate_state(target, self.hello.system, self._valid_states)
        self._valid_states.add(key)

    def soft_reset(self) -> None:
        """Soft-reset the machine (like its reset button): its devices reset, its memory stays."""
        self._request(Op.SOFT_RESET)

    def arm_restart(self, space_id: int, vector: int, timer_reads: tuple[int, int, int],
                    timer_writes: tuple[int, int, int], intervals: int, clock_hz: int, first_cycles: int,
                    line_origin: tuple[str, str] = ("", ""), in_play: bool = False) -> None:
        """Make the next machine reset restart the CPU as Stella's (ALE's) ``System::reset`` does: its first
        instruction (one cycle after it reads ``vector``, the reset vector's high byte) starts a scanline (the
        save item ``line_origin`` = (device tag, item name) is set to ``first_cycles``, the CPU's cycles from its
        reset to its first instruction), and
        timer reads (``timer_reads`` = first, last, mirror bits; odd addresses read the interrupt flag) see
        Stella's RIOT timer of ``intervals`` x 64 cycles from it until the game writes a timer register
        (``timer_writes``). MAME's CPU first runs its reset sequence and keeps its own timer running. ``in_play``:
        the timer reads stay Stella's after the game's timer writes too (an expired timer counts on in intervals,
        not cycles, once read), at the cost of a tap on every timer read."""
        try:
            body = RESTART_SPEC.pack(space_id, vector, *timer_reads, *timer_writes, intervals, clock_hz, first_cycles,
                                     in_play)
        except (struct.error, TypeError, ValueError, OverflowError) as exc:
            raise InvalidOption(f"bad restart (space {space_id!r}, timer {intervals!r}): {exc}") from None
        self._request(Op.RESTART, body + pack_str(line_origin[0]) + pack_str(line_origin[1]))

    def inputs(self) -> list[InputField]:
        """Every input field of the running machine, sorted by port and field name."""
        if self._inputs is None:
            reply = self._request(Op.INPUTS)
            try:
                fields = [InputField(*f) for f in decode_inputs(reply)]
            except _DECODE_ERRORS as exc:
                raise self._malformed("listing the inputs", exc) from None
            self._inputs = sorted(fields, key=lambda f: (f.port, f.player, f.field))
        return list(self._inputs)

    def memory_map(self, space: SpaceInfo) -> list[MapEntry]:
        """The address map of a space: ranges with their read/write handler kinds (``ram``, ``rom``, ``unmap``…)."""
        reply = self._request(Op.MAP, U16.pack(space.id))
        try:
            return [MapEntry(*e) for e in decode_map(reply)]
        except _DECODE_ERRORS as exc:
            raise self._malformed("reading an address map", exc) from None

    def close(self) -> None:
        """Ask MAME to exit, kill it if it does not, and remove the temp dir. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        proc = self.proc
        if proc is not None and proc.poll() is None:
            # Ask Lua to stop (it replies, then exits the machine); then kill: MAME's own teardown takes
            # ~0.5 s and often segfaults (0.251), and nothing in the temp dir outlives us anyway.
            try:
                self._closed = False
                self._request(Op.EXIT, timeout=2.0)
            except MameZooError:
                pass
            self._closed = True
        self._finalizer()
        _live.discard(self)

    def __enter__(self) -> Bridge:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"pid {self.pid}"
        return f"<Bridge {self.machine.system} {state}>"


def _pens_to_rgb(buf: memoryview, offset: int, height: int, row_pixels: int, pens: tuple[int, int, np.ndarray],
                 crop: tuple[int, int, int, int] | None = None) -> np.ndarray:
    left, width, rgb = pens
    src = np.frombuffer(buf, "<u2", height * row_pixels, offset).reshape(height, row_pixels)[:, left:left + width]
    if crop is not None:
        src = src[crop[0]:crop[1], crop[2]:crop[3]]
    out: np.ndarray = np.take(rgb, src, axis=0, mode="clip")  # a pen past the palette: its last colour
    return out


def _bgra_to_rgb(buf: memoryview, offset: int, height: int, width: int,
                 crop: tuple[int, int, int, int] | None = None) -> np.ndarray:
    src = np.frombuffer(buf, np.uint8, height * width * 4, offset).reshape(height, width, 4)
    if crop is not None:
        src = src[crop[0]:crop[1], crop[2]:crop[3]]
    out = np.empty((*src.shape[:2], 3), np.uint8)
    out[..., 0] = src[..., 2]
    out[..., 1] = src[..., 1]
    out[..., 2] = src[..., 0]
    return out


__all__ = [
    "FORBIDDEN_OPTIONS",
    "FORBIDDEN_PREFIXES",
    "Agg",
    "Bridge",
    "Hello",
    "InputField",
    "MachineConfig",
    "MapEntry",
    "ReadSpec",
    "SpaceInfo",
    "StepResult",
    "forbidden_option",
    "own_bridges",
]

"""The Python side of the lockstep bridge: one MAME process, one request in flight, every wait bounded."""

from __future__ import annotations

import difflib
import fcntl
import os
import re
import select
import shutil
import subprocess
import tempfile
import threading
import time
import warnings
import weakref
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mame_zoo import _paths
from mame_zoo.bridge import process
from mame_zoo.bridge.protocol import (
    HEADER,
    HELLO_HEAD,
    HELLO_SCREEN,
    INPUT_INFO,
    MAP_RANGE,
    PIXELS_HEAD,
    PROTOCOL_VERSION,
    SPACE_INFO,
    STEP_FRAME,
    STEP_HEAD,
    STEP_INPUT,
    STEP_MAXPOOL,
    TYPES,
    U16,
    U32,
    WRITE_SPEC,
    Agg,
    ErrorKind,
    Op,
    ReadSpec,
    Status,
    pack_str,
    unpack_str,
)
from mame_zoo.errors import (
    AddressError,
    EmulatorClosed,
    EmulatorCrashed,
    EmulatorTimeout,
    InputNotFound,
    LuaError,
    MameZooError,
    ProtocolError,
    RomChecksumMismatch,
    RomNotFound,
    StateError,
    UnknownGame,
)

PIPE_SIZE = 1 << 20  # F_SETPIPE_SZ: a 1 MiB pipe takes a whole frame in one go
_F_SETPIPE_SZ = 1031
CLEAN_EXIT_CODES = (0, -11, 139)  # MAME 0.251 often segfaults at teardown after a requested exit


@dataclass(frozen=True)
class MachineConfig:
    """What MAME should run: a system (romset) name, optional media and where to look for ROMs.

    Args:
        system: MAME's short name of the machine, e.g. ``"sfiii3n"`` or ``"a2600"``.
        media: media slots to fill, e.g. ``{"cart": "/path/boxing.bin"}`` for ``a2600``.
        rompath: folders (or zip locations) MAME searches for romsets.
        options: extra MAME command-line options as separate words, e.g. ``("-joyport1", "pad")``.
    """

    system: str
    media: Mapping[str, str] = field(default_factory=dict)
    rompath: Sequence[str] = ()
    options: Sequence[str] = ()


@dataclass(frozen=True)
class Hello:
    """What the machine reported when it started."""

    mame_version: str
    system: str
    description: str
    screen_width: int
    screen_height: int
    refresh_hz: float
    frame_number: int


@dataclass(frozen=True)
class SpaceInfo:
    """An address space the bridge can read: its id and geometry."""

    id: int
    device: str
    name: str
    data_width: int
    big_endian: bool
    address_mask: int


@dataclass(frozen=True)
class InputField:
    """One input field of the running machine."""

    port: str
    field: str
    type: int
    player: int  # 0-based
    is_analog: bool
    mask: int
    default: int
    minimum: int
    maximum: int


@dataclass(frozen=True)
class MapEntry:
    """One range of an address space map and the kind of its read and write handlers."""

    start: int
    end: int
    read: str
    write: str


@dataclass
class StepResult:
    """The outcome of one STEP: frame number, the read set's values (in order) and the screen as RGB."""

    frame_number: int
    values: list[np.ndarray]
    frame: np.ndarray | None


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text("utf-8", "replace")
    except OSError:
        return ""
    kept = [ln for ln in text.splitlines() if ln.strip() and "snd_seq" not in ln and "XDG_RUNTIME" not in ln]
    return "\n".join(kept[-lines:])


def _cleanup(proc: subprocess.Popen[bytes] | None, fds: list[int], workdir: str | None) -> None:
    """Finalizer backstop: kill MAME, close pipes, remove the temp dir. Safe to run more than once."""
    if proc is not None:
        process.kill(proc)
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    fds.clear()
    if workdir:
        shutil.rmtree(workdir, ignore_errors=True)


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
        self.machine = machine
        self.timeout = timeout
        self._seq = 0
        self._closed = False
        self._lock = threading.Lock()
        self._fields: dict[tuple[str, str], int] = {}
        self._sent: dict[int, int] = {}
        self._field_ids: set[int] = set()
        self._spaces: dict[tuple[str, str], SpaceInfo] = {}
        self._reads: list[ReadSpec] = []
        self._pending_save: str | None = None
        self._valid_states: set[tuple[str, int, int]] = set()
        self._inputs: list[InputField] | None = None
        self._buf = bytearray(1 << 16)
        self._view = memoryview(self._buf)
        self.proc: subprocess.Popen[bytes] | None = None

        self.binary = process.find_mame(mame)
        process.check_version(self.binary)
        self._check_media(machine)

        self.workdir = Path(tempfile.mkdtemp(prefix="mame_zoo-", dir=workdir))
        self._fds: list[int] = []
        self._finalizer = weakref.finalize(self, _cleanup, None, self._fds, str(self.workdir))
        self.log_path = self.workdir / "mame.log"
        try:
            self._launch(render, throttle, sound, use_user_config)
            self.hello = self._await_hello(boot_timeout)
            self._check_rom_warnings(strict_roms)
        except BaseException:
            self.close()
            raise

    # --- launch -------------------------------------------------------------------------------------
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
        os.set_inheritable(cmd_r, True)
        os.set_inheritable(obs_w, True)
        for sub in ("cfg", "nvram", "sta", "snap", "inp", "diff", "comments", "run"):
            (self.workdir / sub).mkdir(exist_ok=True)
        (self.workdir / "run").chmod(0o700)

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

        env = dict(os.environ)
        env.update(MAME_ZOO_IN=f"/dev/fd/{cmd_r}", MAME_ZOO_OUT=f"/dev/fd/{obs_w}",
                   XDG_RUNTIME_DIR=str(self.workdir / "run"))
        if not use_user_config:
            env["HOME"] = str(self.workdir)
        self.proc = process.spawn(argv, env=env, cwd=self.workdir, pass_fds=(cmd_r, obs_w), log_path=self.log_path)
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _cleanup, self.proc, self._fds, str(self.workdir))
        os.close(cmd_r)
        os.close(obs_w)
        self._fds.remove(cmd_r)
        self._fds.remove(obs_w)
        self._cmd, self._obs = cmd_w, obs_r

    def _await_hello(self, boot_timeout: float) -> Hello:
        status, body = self._receive(0, boot_timeout, "starting the machine")
        if status != Status.OK:
            raise ProtocolError(f"MAME's first message had status {status}")
        (version,) = HELLO_HEAD.unpack_from(body, 0)
        if version != PROTOCOL_VERSION:
            raise ProtocolError(f"bridge.lua speaks protocol {version}, this mame_zoo speaks {PROTOCOL_VERSION}: "
                                "reinstall mame_zoo so both come from the same version")
        pos = HELLO_HEAD.size
        mame_version, pos = unpack_str(body, pos)
        system, pos = unpack_str(body, pos)
        description, pos = unpack_str(body, pos)
        width, height, hz, frame = HELLO_SCREEN.unpack_from(body, pos)
        return Hello(mame_version, system, description, width, height, hz, frame)

    def _check_rom_warnings(self, strict: bool) -> None:
        text = _log_tail(self.log_path, 400)
        bad = re.findall(r"^(\S+) WRONG (?:CHECKSUMS|LENGTH)", text, re.MULTILINE)
        if not bad:
            return
        message = (f"ROM files of {self.machine.system} do not match what MAME expects: {', '.join(bad)}. "
                   "The machine may not run correctly; use a romset that matches this MAME version "
                   f"({self.hello.mame_version}).")
        if strict:
            raise RomChecksumMismatch(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)

    # --- transport ----------------------------------------------------------------------------------
    def _ensure_buffer(self, size: int, keep: int) -> None:
        if size > len(self._buf):
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
            self._ensure_buffer(total, held)
            held = self._read_at_least(held, total, deadline, timeout, what)
        if held != total:
            self._shutdown()
            raise ProtocolError(f"{held - total} unexpected bytes after a reply while {what}")
        body = self._view[HEADER.size:total]
        if status == Status.FATAL:
            text = bytes(body).decode("utf-8", "replace")
            self._shutdown()
            raise LuaError(f"Lua error in MAME ({self.machine.system}) while {what}:\n{text}")
        if got_seq != seq:
            self._shutdown()
            raise ProtocolError(f"reply sequence {got_seq} does not match request {seq} while {what}")
        return status, body

    def _request(self, op: Op, body: bytes = b"", *, what: str | None = None,
                 timeout: float | None = None) -> memoryview:
        if self._closed:
            raise EmulatorClosed(f"the {self.machine.system} emulator is closed; create a new one")
        self._seq = (self._seq + 1) & 0xFFFFFFFF or 1
        what = what or op.name
        try:
            try:
                os.write(self._cmd, HEADER.pack(len(body), self._seq, op) + body)
            except BrokenPipeError:
                self._fail_dead(what)
            status, reply = self._receive(self._seq, self.timeout if timeout is None else timeout, what)
        except MameZooError:
            raise  # already handled: MAME is gone and the bridge closed
        except BaseException:
            # Interrupted mid-request (KeyboardInterrupt, a signal handler's exception, ...): the reply may be
            # half read, so the session cannot go on. Kill MAME rather than misread the next reply.
            self._shutdown()
            raise
        if status == Status.ERROR:
            kind = reply[0]
            message, _ = unpack_str(reply, 1)
            raise {ErrorKind.INPUT: InputNotFound, ErrorKind.ADDRESS: AddressError,
                   ErrorKind.STATE: StateError}.get(kind, ProtocolError)(message)
        return reply

    def _fail_timeout(self, what: str, timeout: float) -> None:
        self._shutdown()
        option = "boot_timeout" if what == "starting the machine" else "timeout"
        raise EmulatorTimeout(
            f"MAME ({self.machine.system}) did not answer within {timeout:g} s while {what}; it was killed. "
            f"If the machine is just slow, pass a larger {option}=.")

    def _fail_dead(self, what: str) -> None:
        proc = self.proc
        code = None
        if proc is not None:
            try:
                code = proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        log = _log_tail(self.log_path)
        self._shutdown()
        self._raise_for_exit(code, log, what)

    def _raise_for_exit(self, code: int | None, log: str, what: str) -> None:
        system = self.machine.system
        if code == 5 or "Unknown system" in log:
            names = re.findall(r"^(\w+)\s{2,}\S", log.split("best match first", 1)[-1], re.MULTILINE)
            hint = f" Close matches: {', '.join(names[:8])}." if names else ""
            raise UnknownGame(f"MAME has no system named {system!r}.{hint} List systems with `mame -listfull`.")
        # MAME 0.251 often segfaults while exiting after an error: trust the log text over the exit code.
        missing = re.findall(r"^(\S+) NOT FOUND", log, re.MULTILINE)
        if code == 2 or missing:
            paths = ", ".join(os.fspath(p) for p in self.machine.rompath) or "(no rompath given)"
            raise RomNotFound(
                f"ROM files for {system} are missing: {', '.join(missing) or '(see log)'}. MAME looked in {paths}. "
                f"Put {system}.zip (or a {system}/ folder) there, or set MAME_ZOO_ROMS.\n{log}")
        if code == 4 or re.search(r"Fatal error: Device .* load.* failed|Unrecognized cart", log):
            raise RomNotFound(f"MAME could not load the media for {system} (missing, empty or not a valid "
                              f"image):\n{log}")
        if code == 3 or "autoboot script" in log:
            raise LuaError(f"MAME could not run the bridge script:\n{log}")
        raise EmulatorCrashed(f"MAME ({system}) exited with code {code} while {what}.\nLast lines of its log:\n{log}")

    def _shutdown(self) -> None:
        """Kill MAME and release everything; the bridge is closed afterwards."""
        self._closed = True
        self._finalizer()

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
            try:
                reply = self._request(Op.FIELD, pack_str(port) + pack_str(field_name))
            except InputNotFound as exc:
                raise InputNotFound(self._input_hint(str(exc), port, field_name)) from None
            fid = self._fields[key] = U16.unpack_from(reply, 0)[0]
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
            sid, width, big, mask = SPACE_INFO.unpack_from(reply, 0)
            info = self._spaces[key] = SpaceInfo(sid, device, name, width, bool(big), mask)
        return info

    def set_reads(self, specs: Sequence[ReadSpec]) -> None:
        """Choose what every :meth:`step` returns in :attr:`StepResult.values`."""
        self._check_specs(specs)
        self._request(Op.SET_READS, U16.pack(len(specs)) + b"".join(s.pack() for s in specs))
        self._reads = list(specs)

    @staticmethod
    def _check_specs(specs: Sequence[ReadSpec]) -> None:
        for s in specs:
            if s.dtype not in TYPES:
                raise AddressError(f"unknown value type {s.dtype!r}; use one of {', '.join(TYPES)}")
            if not 0 <= s.address <= 0xFFFFFFFF or s.count < 1:
                raise AddressError(f"bad read of {s.count} {s.dtype} at {s.address:#x}")

    def read(self, specs: Sequence[ReadSpec]) -> list[np.ndarray]:
        """Read values now, between frames (LAST aggregation only)."""
        self._check_specs(specs)
        reply = self._request(Op.READ, U16.pack(len(specs)) + b"".join(s.pack() for s in specs))
        out, pos = [], 0
        for s in specs:
            out.append(s.decode(reply, pos, 1))
            pos += s.nbytes(1)
        return out

    def write(self, space_id: int, address: int, dtype: str, value: int) -> None:
        """Write one value into an address space (takes effect before the next frame)."""
        if dtype not in TYPES:
            raise AddressError(f"unknown value type {dtype!r}; use one of {', '.join(TYPES)}")
        self._request(Op.WRITE, U16.pack(1) + WRITE_SPEC.pack(space_id, address, TYPES[dtype][0], int(value)))

    def step(self, frames: int = 1, inputs: Mapping[int, int] | None = None, *, frame: bool = True,
             maxpool: bool = False, crop: tuple[int, int, int, int] | None = None) -> StepResult:
        """Set inputs, emulate ``frames`` frames, and return the read set's values and (optionally) the screen.

        ``inputs`` maps field ids (from :meth:`field`) to values (digital: 0/1, analog: the raw value). Fields
        keep their value until changed; only changes travel to MAME. With ``maxpool`` the frame is the
        element-wise maximum of the last two frames (ALE-style flicker removal). ``crop`` = (top, bottom, left,
        right) returns only ``screen[top:bottom, left:right]``, converted without copying the rest.
        """
        if not 1 <= frames <= 0xFFFF:
            raise ValueError(f"frames must be between 1 and 65535, got {frames}")
        changes = []
        if inputs:
            sent = self._sent
            known = self._field_ids
            for fid, value in inputs.items():
                if fid not in known:
                    raise InputNotFound(f"field id {fid!r} was not handed out by field() on this bridge")
                value = int(value)
                if sent.get(fid) != value:
                    changes.append(STEP_INPUT.pack(fid, value))
                    sent[fid] = value
        flags = (STEP_FRAME if frame else 0) | (STEP_MAXPOOL if frame and maxpool and frames >= 2 else 0)
        with self._lock:
            reply = self._request(Op.STEP, STEP_HEAD.pack(frames, flags, len(changes)) + b"".join(changes),
                                  what=f"stepping {frames} frame(s)")
        self._verify_pending_save()
        (frame_number,) = U32.unpack_from(reply, 0)
        pos = 4
        values = []
        for spec in self._reads:
            values.append(spec.decode(reply, pos, frames))
            pos += spec.nbytes(frames)
        image = None
        if frame:
            width, height, count = PIXELS_HEAD.unpack_from(reply, pos)
            pos += PIXELS_HEAD.size
            size = width * height * 4
            image = _bgra_to_rgb(reply, pos, height, width, crop)
            if count == 2:
                np.maximum(image, _bgra_to_rgb(reply, pos + size, height, width, crop), out=image)
        return StepResult(frame_number, values, image)

    def save_state(self, path: str | os.PathLike[str]) -> None:
        """Save the machine state to ``path``; it is written before the next frame (checked at the next step)."""
        target = os.path.abspath(os.fspath(path))
        folder = os.path.dirname(target)
        if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
            raise StateError(f"cannot save state to {target}: {folder} is not a writable folder")
        if os.path.exists(target):
            os.remove(target)
        self._request(Op.SAVE, pack_str(target))
        self._pending_save = target

    def _verify_pending_save(self) -> None:
        target, self._pending_save = self._pending_save, None
        if target is not None and not (os.path.isfile(target) and os.path.getsize(target) > 0):
            raise StateError(f"MAME did not write the save state {target} (disk full or folder removed?). "
                             f"MAME log:\n{_log_tail(self.log_path, 5)}")

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Load a state saved by :meth:`save_state`; it takes effect before the next frame."""
        target = os.path.abspath(os.fspath(path))
        self._validate_state(target)
        self._request(Op.LOAD, pack_str(target))

    def _validate_state(self, target: str) -> None:
        # MAME ignores a bad state file silently and keeps running, so check it here (cached per file version).
        try:
            stat = os.stat(target)
        except OSError:
            raise StateError(f"save state {target} does not exist") from None
        key = (target, stat.st_mtime_ns, stat.st_size)
        if key in self._valid_states:
            return
        with open(target, "rb") as fh:
            data = fh.read()
        if len(data) < 32 or data[:8] != b"MAMESAVE":
            raise StateError(f"{target} is not a MAME save state")
        system = data[10:28].split(b"\0", 1)[0].decode("ascii", "replace")
        if system != self.hello.system:
            raise StateError(f"{target} is a state of {system!r}, but this machine is {self.hello.system!r}")
        if data[32:33] == b"\x78":  # zlib stream: it must be complete
            inflater = zlib.decompressobj()
            try:
                inflater.decompress(data[32:])
            except zlib.error as exc:
                raise StateError(f"save state {target} is corrupt: {exc}") from None
            if not inflater.eof:
                raise StateError(f"save state {target} is truncated (the file ends early)")
        self._valid_states.add(key)

    def soft_reset(self) -> None:
        """Soft-reset the machine (like its reset button)."""
        self._request(Op.SOFT_RESET)

    def inputs(self) -> list[InputField]:
        """Every input field of the running machine, sorted by port and field name."""
        if self._inputs is None:
            reply = self._request(Op.INPUTS)
            (n,) = U16.unpack_from(reply, 0)
            pos, fields = 2, []
            for _ in range(n):
                port, pos = unpack_str(reply, pos)
                name, pos = unpack_str(reply, pos)
                ftype, player, analog, mask, default, lo, hi = INPUT_INFO.unpack_from(reply, pos)
                pos += INPUT_INFO.size
                fields.append(InputField(port, name, ftype, player, bool(analog), mask, default, lo, hi))
            self._inputs = sorted(fields, key=lambda f: (f.port, f.player, f.field))
        return list(self._inputs)

    def memory_map(self, space: SpaceInfo) -> list[MapEntry]:
        """The address map of a space: ranges with their read/write handler kinds (``ram``, ``rom``, ``unmap``…)."""
        reply = self._request(Op.MAP, U16.pack(space.id))
        (n,) = U16.unpack_from(reply, 0)
        pos, entries = 2, []
        for _ in range(n):
            start, end = MAP_RANGE.unpack_from(reply, pos)
            pos += MAP_RANGE.size
            rd, pos = unpack_str(reply, pos)
            wr, pos = unpack_str(reply, pos)
            entries.append(MapEntry(start, end, rd, wr))
        return entries

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

    def __enter__(self) -> Bridge:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"pid {self.pid}"
        return f"<Bridge {self.machine.system} {state}>"


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


__all__ = ["Agg", "Bridge", "Hello", "InputField", "MachineConfig", "MapEntry", "ReadSpec", "SpaceInfo",
           "StepResult"]

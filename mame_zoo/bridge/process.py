"""Finding and launching MAME: binary lookup, version check, hermetic command line, process ownership."""

from __future__ import annotations

import ctypes
import fcntl
import functools
import os
import queue
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mame_zoo.errors import InvalidOption, MameNotFound, MameVersionError

MIN_VERSION = (0, 227)  # emu.register_frame_done, space:read_range, screen:pixels
# The versions the test suite runs on (docs/mame_versions.md): Debian 12's 0.251, Debian 13's 0.276 and the
# newest Debian package. Others at or above MIN_VERSION start, with a warning.
TESTED_VERSIONS = ((0, 251), (0, 276), (0, 289))
DEBIAN_MAME = "/usr/games/mame"
INSTALL_HINT = (
    "Install MAME (Debian/Ubuntu: `sudo apt-get install mame`; macOS: `brew install mame`), "
    "or point MAME_ZOO_MAME (or the `mame=` argument) at the binary."
)


def find_mame(explicit: str | os.PathLike[str] | None = None) -> str:
    """Return the path of the MAME binary to use.

    Order: the explicit argument, the ``MAME_ZOO_MAME`` environment variable, ``mame`` on ``PATH``, then
    Debian's ``/usr/games/mame``. Raises :class:`MameNotFound` with the install command when none exists.
    """
    for origin, value in (("the mame= argument", explicit), ("MAME_ZOO_MAME", os.environ.get("MAME_ZOO_MAME"))):
        if value:
            resolved = shutil.which(os.fspath(value))
            if resolved is None:
                raise MameNotFound(f"MAME binary {os.fspath(value)!r} (from {origin}) does not exist or is not "
                                   "executable. " + INSTALL_HINT)
            return resolved
    for candidate in ("mame", DEBIAN_MAME):
        resolved = shutil.which(candidate)
        if resolved:
            return resolved
    raise MameNotFound("No MAME binary found (looked at MAME_ZOO_MAME, `mame` on PATH and "
                       f"{DEBIAN_MAME}). " + INSTALL_HINT)


def headless_env(home: str | os.PathLike[str], *, window: bool = False) -> dict[str, str]:
    """The environment MAME runs in: this process's, with ``HOME`` (and the XDG runtime folder) moved to
    ``home`` so that no wrapper (Debian sid's ``/usr/games/mame`` writes ``$HOME/.mame/*.ini``) and no MAME
    touches the user's home, and, without a window, SDL's dummy video driver: MAME initialises SDL video even
    with ``-video none``, and newer versions (0.289) exit with code 255 ("No available video device") where
    there is no display."""
    env = dict(os.environ)
    env["HOME"] = os.fspath(home)
    env["XDG_RUNTIME_DIR"] = os.path.join(os.fspath(home), "run")
    if not window:
        env["SDL_VIDEODRIVER"] = "dummy"
    return env


def query(binary: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run an information command of MAME (``-version``, ``-listfull``, ``-listroms``...) without a display
    and without touching the user's home or configuration; raises :class:`MameNotFound` if it cannot run."""
    with tempfile.TemporaryDirectory(prefix=WORKDIR_PREFIX + "query-") as home:
        try:
            return subprocess.run([binary, *args], capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL, cwd=home, env=headless_env(home))
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MameNotFound(f"Could not run {binary} {' '.join(args)}: {exc}. " + INSTALL_HINT) from exc


@functools.lru_cache(maxsize=16)
def mame_version(binary: str) -> tuple[int, int]:
    """The (major, minor) version of a MAME binary, from ``mame -version``."""
    out = query(binary, "-version", timeout=30).stdout
    match = re.match(r"\s*(\d+)\.(\d+)", out)
    if not match:
        raise MameVersionError(f"{binary} -version printed {out.strip()!r}, not a MAME version. " + INSTALL_HINT)
    return int(match.group(1)), int(match.group(2))


def version_name(binary: str) -> str:
    """A MAME binary's version as results name it, e.g. ``"0.276"``."""
    major, minor = mame_version(binary)
    return f"{major}.{minor}"


def version_support(version: tuple[int, int]) -> str | None:
    """None for a tested MAME version; otherwise what to know about ``version`` (too old, or untested)."""
    if version in TESTED_VERSIONS:
        return None
    tested = ", ".join(f"{a}.{b}" for a, b in TESTED_VERSIONS)
    name = f"MAME {version[0]}.{version[1]}"
    if version < MIN_VERSION:
        return (f"{name} is too old: mame_zoo needs {MIN_VERSION[0]}.{MIN_VERSION[1]} or newer for its Lua API "
                f"(tested: {tested})")
    where = "newer than" if version > TESTED_VERSIONS[-1] else "not one of"
    return (f"{name} is {where} the versions mame_zoo is tested on ({tested}); it should work, but results may "
            "differ (emulation changes between versions: docs/mame_versions.md)")


_warned: set[str] = set()


def check_version(binary: str) -> tuple[int, int]:
    """Raise :class:`MameVersionError` unless ``binary`` supports the Lua API the bridge uses; warn once per
    binary when its version is not one the test suite runs on."""
    version = mame_version(binary)
    problem = version_support(version)
    if version < MIN_VERSION:
        raise MameVersionError(f"{problem} at {binary}. " + INSTALL_HINT)
    if problem and binary not in _warned:
        _warned.add(binary)
        warnings.warn(f"{problem} ({binary})", RuntimeWarning, stacklevel=3)
    return version


def hermetic_args(workdir: Path) -> list[str]:
    """Options that keep MAME's files inside ``workdir`` and away from the user's configuration."""
    args = ["-noreadconfig", "-noplugins", "-skip_gameinfo", "-homepath", str(workdir)]
    for option, sub in (("-cfg_directory", "cfg"), ("-nvram_directory", "nvram"), ("-state_directory", "sta"),
                        ("-snapshot_directory", "snap"), ("-input_directory", "inp"),
                        ("-diff_directory", "diff"), ("-comment_directory", "comments")):
        args += [option, str(workdir / sub)]
    return args


def media_args(media: dict[str, str]) -> list[str]:
    """``-cart path`` style options for machines with media slots (paths made absolute, so that no path can
    be taken for an option)."""
    args: list[str] = []
    for slot, path in media.items():
        if not isinstance(slot, str) or not re.fullmatch(r"[a-z0-9_]+", slot):
            raise InvalidOption(f"media slot name {slot!r} must be lower-case letters, digits or _")
        args += [f"-{slot}", os.path.abspath(os.fspath(path))]
    return args


# --- per-process work folders ---------------------------------------------------------------------
# Every MAME gets a private folder (tempfile.mkdtemp, prefix WORKDIR_PREFIX) holding a lock file that its
# Python process keeps flock()ed while the folder is in use. close() and crashes remove the folder; a Python
# process that is killed outright (SIGKILL, OOM killer) cannot, so the first bridge of every later process
# removes folders in the same parent whose lock nobody holds any more.

WORKDIR_PREFIX = "mame_zoo-"
LOCK_NAME = ".lock"
_swept: set[tuple[int, str]] = set()


def lock_workdir(workdir: Path) -> int:
    """Create ``workdir``'s lock file already locked (so a sweeper never sees it unlocked); returns its fd."""
    tmp = workdir / (LOCK_NAME + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.replace(tmp, workdir / LOCK_NAME)
    except BaseException:
        os.close(fd)
        raise
    return fd


def sweep_stale_workdirs(parent: str | os.PathLike[str]) -> list[str]:
    """Remove the work folders in ``parent`` left by Python processes that died without cleaning up.

    Only folders of this user whose lock file exists and is not held by any process are removed; folders of
    live processes, of other users, without a lock file, or symlinks are left alone. Runs once per process and
    parent folder. Returns the folders removed.
    """
    key = (os.getpid(), os.path.abspath(os.fspath(parent)))
    if key in _swept:
        return []
    _swept.add(key)
    removed: list[str] = []
    uid = os.getuid()
    try:
        entries = list(os.scandir(key[1]))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(WORKDIR_PREFIX):
            continue
        try:
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != uid:
                continue
            fd = os.open(os.path.join(entry.path, LOCK_NAME), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: the folder's process is alive
            os.close(fd)
            continue
        try:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
        finally:
            os.close(fd)
    return removed


# --- the process table ----------------------------------------------------------------------------
# A MAME process is known by its PID and by the marker its bridge puts into its environment, never by its
# name: a distro wrapper, a launcher (e.g. a newer MAME run through its own loader) or a renamed binary
# (`mame64`, `mamearcade`) is a process of another name. Linux /proc; elsewhere nothing is found.

OWNER_ENV = "MAME_ZOO_OWNER"  # set in every MAME's environment: the PID of the Python process that started it
_OWNER_MARK = OWNER_ENV.encode() + b"="


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].decode().split()
    except (OSError, IndexError):
        return None


def parent_of(pid: int) -> int | None:
    """The parent PID of process ``pid`` (None when it is gone)."""
    fields = _stat_fields(pid)
    return int(fields[1]) if fields else None


def is_running(pid: int) -> bool:
    """True while process ``pid`` exists and is not a zombie."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def started_by_bridge(pid: int) -> bool:
    """True if process ``pid`` is (or descends from, through a wrapper that forked) a MAME a bridge started."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as fh:
            environ = fh.read()
    except OSError:  # gone, or another user's
        return False
    return environ.startswith(_OWNER_MARK) or b"\0" + _OWNER_MARK in environ


def mame_processes(root: int | None = None) -> set[int]:
    """Running MAME processes started by a bridge; with ``root``, only those below process ``root``.

    MAME processes of vector-env workers or Ray actors are grandchildren of the process that made them; this
    finds them at any depth. Identified by :data:`OWNER_ENV` in their environment, not by name.
    """
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return set()
    found = set()
    me = os.getpid()
    for pid in pids:
        if pid == me or not started_by_bridge(pid) or not is_running(pid):
            continue
        if root is None:
            found.add(pid)
            continue
        p: int | None = pid
        while p is not None and p > 1:
            p = parent_of(p)
            if p == root:
                found.add(pid)
                break
    return found


# --- process ownership ----------------------------------------------------------------------------
# PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, so every MAME is spawned from one
# long-lived daemon thread: MAME then dies when the Python process dies, whichever thread created the env.

_PR_SET_PDEATHSIG = 1
_libc: Any = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(None, use_errno=True)
    except OSError:  # pragma: no cover - no libc symbols (unusual)
        _libc = None


def _die_with_parent(parent_pid: int) -> None:  # runs in the child between fork and exec
    # A file-size limit (ulimit -f, RLIMIT_FSIZE) would kill MAME with SIGXFSZ when a state file outgrows it;
    # ignored, the write fails instead and the bridge reports a StateError while MAME goes on.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)


class _Spawner:
    """A daemon thread that performs every Popen, so PDEATHSIG is tied to the process, not a thread."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]] = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def run(self, fn: Callable[[], Any], undo: Callable[[Any], object] | None = None) -> Any:
        """Run ``fn`` on the spawner thread and return its result. If the caller is interrupted while waiting
        (KeyboardInterrupt), the job still finishes and ``undo`` is applied to its result (e.g. kill the process
        it started), so nothing is left running that nobody owns."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._jobs = queue.Queue()  # a forked child inherits no threads: start our own
                self._thread = threading.Thread(target=self._loop, args=(self._jobs,), name="mame_zoo-spawner",
                                                daemon=True)
                self._thread.start()
                self._pid = os.getpid()
            jobs = self._jobs
        done: queue.Queue[Any] = queue.Queue(maxsize=1)
        jobs.put((fn, done))
        try:
            ok, value = done.get()
        except BaseException:
            ok, value = done.get()  # the job is under way: let it finish, then undo it
            if ok and undo is not None:
                undo(value)
            raise
        if ok:
            return value
        raise value

    @staticmethod
    def _loop(jobs: queue.Queue[tuple[Callable[[], Any], queue.Queue[Any]]]) -> None:
        while True:
            fn, done = jobs.get()
            try:
                done.put((True, fn()))
            except BaseException as exc:  # handed back to the caller's thread
                done.put((False, exc))


_spawner = _Spawner()


def spawn(argv: list[str], *, env: dict[str, str], cwd: Path, pass_fds: tuple[int, ...],
          log_path: Path) -> subprocess.Popen[bytes]:
    """Start MAME owned by this Python process (it is SIGKILLed if the process dies)."""
    parent = os.getpid()

    def start() -> subprocess.Popen[bytes]:
        with open(log_path, "wb") as log:
            return subprocess.Popen(
                argv, env=env, cwd=cwd, pass_fds=pass_fds, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=functools.partial(_die_with_parent, parent),
            )

    proc: subprocess.Popen[bytes] = _spawner.run(start, undo=kill)
    _spawned.add(proc)
    return proc


_spawned: weakref.WeakSet[subprocess.Popen[bytes]] = weakref.WeakSet()


def unreaped() -> set[int]:
    """PIDs of the MAME processes this Python process started that have not been reaped: still running, or
    exited and left as zombies."""
    return {proc.pid for proc in list(_spawned) if proc.returncode is None}


def wait(proc: subprocess.Popen[bytes], timeout: float) -> int | None:
    """Wait up to ``timeout`` s for ``proc`` to exit and reap it; returns its exit code (None if still running).

    Uses a pidfd where the platform has one, so the wait ends the moment the process exits (``Popen.wait`` with
    a timeout polls with growing sleeps).
    """
    if proc.returncode is not None:
        return proc.returncode
    pidfd_open = getattr(os, "pidfd_open", None)
    if pidfd_open is not None:
        try:
            fd = pidfd_open(proc.pid)
        except OSError:  # already reaped elsewhere, or no pidfd support in this kernel
            pass
        else:
            try:
                select.select([fd], [], [], timeout)
            finally:
                os.close(fd)
            return proc.poll()
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        return None


def kill_group(pid: int) -> None:
    """SIGKILL the MAME started as ``pid`` and its whole process group (MAME starts in a session of its own,
    group id = its PID), so a wrapper script that runs MAME as its child instead of exec'ing it leaves nothing
    behind either. Does not wait."""
    for sig in (signal.SIGKILL, signal.SIGCONT):  # a SIGSTOPped process still dies, but be explicit
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            try:
                os.kill(pid, sig)
            except (ProcessLookupError, PermissionError):
                pass


def kill(proc: subprocess.Popen[bytes], timeout: float = 5.0) -> int | None:
    """SIGKILL ``proc`` and its process group (:func:`kill_group`; MAME ignores SIGTERM headless) and reap it;
    returns its exit code."""
    if proc.poll() is None:
        kill_group(proc.pid)
    return wait(proc, timeout)

"""Isolation on real MAME: concurrent envs never share a file, nothing is written to $HOME (or the working
folder), and every MAME's private temp folder goes away however the env or its Python process ends."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
import supersuit as ss
from procs import mame_descendants, wait_gone
from test_faults import private_tmp, workdirs  # noqa: F401  (a fixture and a helper)

import mame_zoo  # noqa: F401  (registers the Gymnasium ids)
from mame_zoo.bridge import Bridge, MachineConfig
from mame_zoo.emulator import Address, Emulator
from mame_zoo.games import boxing_v0

pytestmark = pytest.mark.timeout(180)

DIR_OPTIONS = ("-homepath", "-cfg_directory", "-nvram_directory", "-state_directory", "-snapshot_directory",
               "-input_directory", "-diff_directory", "-comment_directory")


def cmdline(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


def environ(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")
    return dict(p.split("=", 1) for p in pairs if "=" in p)


def open_paths(pid: int) -> set[str]:
    """Files (not pipes, sockets or devices) that process ``pid`` has open."""
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("/") and not target.startswith(("/dev/", "/proc/")):
            found.add(target)
    return found


def files_under(folder: Path) -> set[str]:
    return {str(p) for p in folder.rglob("*")}


def trajectory(env: Any, actions: list[dict[str, int]]) -> list[bytes]:
    return [env.step(a)[0]["first_0"].tobytes() for a in actions]


def test_two_envs_of_the_same_game_share_nothing(closing: Callable, private_tmp: Path) -> None:  # noqa: F811
    a = closing(boxing_v0.parallel_env(obs_type="ram"))
    b = closing(boxing_v0.parallel_env(obs_type="ram"))
    a.reset(seed=5)
    b.reset(seed=5)
    pa, pb = a.bridge.pid, b.bridge.pid
    wa, wb = a.bridge.workdir, b.bridge.workdir
    assert wa != wb and wa.parent == wb.parent == private_tmp
    for pid, own in ((pa, wa), (pb, wb)):
        argv = cmdline(pid)
        for option in DIR_OPTIONS:  # every folder MAME writes to is inside its own temp folder
            value = argv[argv.index(option) + 1]
            assert Path(value) == own or Path(value).parent == own, (option, value)
        assert "-noreadconfig" in argv
        env = environ(pid)
        assert env["HOME"] == str(own) and env["XDG_RUNTIME_DIR"].startswith(str(own))
        assert os.readlink(f"/proc/{pid}/cwd") == str(own)

    # played at the same time with the same seed and actions, both follow exactly the solo trajectory: neither
    # sees the other's inputs, states or files
    rng = np.random.default_rng(1)
    actions = [{"first_0": int(rng.integers(18)), "second_0": int(rng.integers(18))} for _ in range(150)]
    together_a, together_b = [], []
    for act in actions:
        together_a.append(a.step(act)[0]["first_0"].tobytes())
        together_b.append(b.step(act)[0]["first_0"].tobytes())
    a.reset(seed=5)
    b.reset(seed=9)  # b moves on differently meanwhile
    solo = []
    for act in actions:
        solo.append(a.step(act)[0]["first_0"].tobytes())
        b.step({"first_0": 1, "second_0": 1})
    assert together_a == together_b == solo

    for pid, other in ((pa, wb), (pb, wa)):
        assert not any(p.startswith(str(other)) for p in open_paths(pid)), "a MAME has the other's files open"
    files_a, files_b = files_under(wa), files_under(wb)
    assert str(wa / "start.sta") in files_a and str(wb / "start.sta") in files_b
    assert not files_a & files_b
    a.close()
    b.close()
    assert workdirs(private_tmp) == set()


def _home_tree(path: Path) -> dict[str, int] | None:
    if not path.exists():
        return None
    return {str(p.relative_to(path)): p.stat().st_mtime_ns for p in path.rglob("*")}


def test_nothing_is_written_to_home_or_the_working_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          private_tmp: Path, boxing_rom: str) -> None:  # noqa: F811
    """Every API, including vector envs in worker processes, with $HOME and the working folder empty."""
    real_home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    real_before = {name: _home_tree(real_home / name) for name in (".mame", ".config/mame", ".local/share/mame")}
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "MAME_ZOO_STATE_CACHE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(cwd)
    before = mame_descendants()

    env = boxing_v0.parallel_env()
    env.reset(seed=0)
    env.step({"first_0": 1, "second_0": 2})
    env.close()
    aec = boxing_v0.env(obs_type="ram")
    aec.reset(seed=0)
    for _ in aec.agent_iter(4):
        aec.step(1)
    aec.close()
    gym = gymnasium.make("mame_zoo/Boxing-v0")
    gym.reset(seed=0)
    gym.step(3)
    gym.close()
    with Emulator("e", None, "a2600", {"clock": Address(0x91)}, media={"cart": boxing_rom}) as emu:
        assert emu.step()["frame"].shape[2] == 3
    vec = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(boxing_v0.parallel_env(obs_type="ram")), 2,
                                num_cpus=2, base_class="gymnasium")
    vec.reset(seed=0)
    vec.step(np.ones(4, dtype=np.int64))
    vec.close()
    avec = gymnasium.vector.AsyncVectorEnv([lambda: gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram")] * 2)
    avec.reset(seed=0)
    avec.step(np.ones(2, dtype=np.int64))
    avec.close()
    assert wait_gone(mame_descendants() - before, 10.0) == set()

    assert list(home.rglob("*")) == [], "files were written to $HOME"
    assert list(cwd.rglob("*")) == [], "files were written to the working folder"
    assert workdirs(private_tmp) == set()
    assert {name: _home_tree(real_home / name) for name in real_before} == real_before, "the real ~ changed"


ENDINGS = textwrap.dedent("""
    import os, sys, multiprocessing
    from mame_zoo.games import boxing_v0
    how = sys.argv[1]
    env = boxing_v0.parallel_env(obs_type="ram")
    env.reset(seed=0)
    print(env.bridge.workdir, flush=True)
    if how == "no_close":
        sys.exit(0)                           # interpreter exit without close(): finalizers run
    if how == "exception":
        raise RuntimeError("crash in user code")
    if how == "worker":                        # a multiprocessing worker that never closes its env
        def work(q):
            global kept                        # still referenced when the worker leaves with os._exit()
            kept = boxing_v0.parallel_env(obs_type="ram")
            kept.reset(seed=0)
            q.put(str(kept.bridge.workdir))
        q = multiprocessing.get_context("fork").Queue()
        p = multiprocessing.get_context("fork").Process(target=work, args=(q,))
        p.start()
        print(q.get(timeout=60), flush=True)
        p.join(60)
        env.close()
    if how == "os_exit":
        os._exit(0)                           # no clean-up at all: the next process sweeps the folder
""")


@pytest.mark.parametrize("how", ["no_close", "exception", "worker", "os_exit"])
def test_temp_folder_removed_however_the_process_ends(how: str, private_tmp: Path,  # noqa: F811
                                                      boxing_config: MachineConfig) -> None:
    done = subprocess.run([sys.executable, "-c", ENDINGS, how], capture_output=True, text=True, timeout=120)
    folders = [Path(line) for line in done.stdout.split()]
    assert folders and all(f.parent == private_tmp for f in folders), done.stdout + done.stderr[-2000:]
    assert (done.returncode != 0) == (how == "exception"), done.stderr[-2000:]
    if how == "os_exit":
        assert folders[0].exists()
        with Bridge(boxing_config):  # the next bridge in that temp folder sweeps the orphan
            assert not folders[0].exists()
    assert workdirs(private_tmp) == set(), f"left behind: {workdirs(private_tmp)}"

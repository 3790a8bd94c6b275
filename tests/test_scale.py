"""Scaling out on real MAME: hogwild threads, vector envs in worker processes, fault propagation, no leftovers.

Worker processes' MAME processes are grandchildren of pytest, which the autouse leak check cannot see, so
these tests find them below this process (and below each worker) and wait until they are gone. Nothing here
asserts a speed: concurrency is shown by what happens *while* a step is in flight.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import supersuit as ss
from procs import mame_descendants, parent_of, running, wait_gone

from mame_zoo import scale
from mame_zoo.errors import EmulatorCrashed, InvalidAction
from mame_zoo.games import boxing_v0

pytestmark = [pytest.mark.timeout(120), pytest.mark.first_mame]  # the env is tested on every version
ROOT = Path(__file__).resolve().parents[1]


def homepath(mame_pid: int) -> str:
    """The per-process temp folder of a running MAME (its ``-homepath``)."""
    with open(f"/proc/{mame_pid}/cmdline") as fh:
        argv = fh.read().split("\0")
    return argv[argv.index("-homepath") + 1]


def ram_env(**kwargs: Any) -> Any:
    return boxing_v0.parallel_env(obs_type="ram", **kwargs)


def stop_all(mames: set[int], workers: set[int], homes: list[str]) -> None:
    """Everything a vector env started must be gone: workers, MAME processes and their temp folders."""
    left = wait_gone(mames | workers)
    assert not left, f"processes {sorted(left)} survive by 10 s"
    assert [h for h in homes if os.path.exists(h)] == [], "MAME temp folders were left behind"


# --- threads --------------------------------------------------------------------------------------------
def test_step_releases_the_gil() -> None:
    """A pure-Python counter thread keeps counting while another thread waits for MAME inside step()."""
    env = ram_env(frameskip=30, noop_max=0)
    counter = [0]
    done = threading.Event()

    def count() -> None:
        while not done.is_set():
            counter[0] += 1

    try:
        env.reset(seed=0)
        thread = threading.Thread(target=count)
        thread.start()
        try:
            inside, start = 0, counter[0]
            for _ in range(20):
                before = counter[0]
                env.step({"first_0": 1, "second_0": 0})
                inside += counter[0] - before
            total = counter[0] - start
        finally:
            done.set()
            thread.join()
    finally:
        env.close()
    assert total > 0
    # Were the GIL held while MAME emulates, the counter could only run between steps (~1 % of the time here).
    assert inside / total > 0.5, f"only {inside} of {total} counts happened during step()"


def run_episode_part(env: Any, seed: int, steps: int, log: list[tuple[float, float]] | None = None) -> np.ndarray:
    """Reset with ``seed``, play ``steps`` seeded random steps; returns the RAM after each step."""
    rng = np.random.default_rng(seed)
    env.reset(seed=seed)
    rams = []
    for _ in range(steps):
        actions = {a: int(rng.integers(18)) for a in env.agents}
        t0 = time.perf_counter()
        obs, *_ = env.step(actions)
        if log is not None:
            log.append((t0, time.perf_counter()))
        rams.append(obs["first_0"])
    return np.stack(rams)


def overlap(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> float:
    """Seconds during which a step of ``a`` and a step of ``b`` were both in flight."""
    total, j = 0.0, 0
    for s, e in a:
        while j < len(b) and b[j][1] <= s:
            j += 1
        k = j
        while k < len(b) and b[k][0] < e:
            total += max(0.0, min(e, b[k][1]) - max(s, b[k][0]))
            k += 1
    return total


def test_hogwild_threads_overlap_and_match_sequential_play() -> None:
    n, steps = 3, 25
    envs = [ram_env(frameskip=8) for _ in range(n)]
    logs: list[list[tuple[float, float]]] = [[] for _ in range(n)]
    try:
        t0 = time.perf_counter()
        results = scale.hogwild(envs, lambda i, env: run_episode_part(env, 100 + i, steps, logs[i]))
        wall = time.perf_counter() - t0
        # the same seeds played one after another in one env give the very same games
        for i in range(n):
            np.testing.assert_array_equal(results[i], run_episode_part(envs[0], 100 + i, steps), err_msg=f"env {i}")
    finally:
        for env in envs:
            env.close()
    shared = sum(overlap(logs[i], logs[j]) for i in range(n) for j in range(i + 1, n))
    # With the GIL held during MAME's emulation no two steps could be in flight at once.
    assert shared > 0.2 * wall, f"steps of different threads overlapped for {shared:.2f} s of {wall:.2f} s"


def test_hogwild_reraises_the_first_error_and_stops_the_others() -> None:
    envs = [ram_env(noop_max=0) for _ in range(2)]
    stop = threading.Event()
    stopped = []

    def worker(i: int, env: Any) -> int:
        env.reset(seed=i)
        if i == 1:
            env.step({"first_0": 99, "second_0": 0})
        for t in range(10**6):  # until told to stop
            if stop.is_set():
                stopped.append(t)
                return t
            env.step({"first_0": 0, "second_0": 0})
        return -1

    try:
        with pytest.raises(InvalidAction, match="action 99 of 'first_0' is out of range"):
            scale.hogwild(envs, worker, stop=stop)
    finally:
        for env in envs:
            env.close()
    assert stop.is_set() and len(stopped) == 1


def test_env_thread_pool_steps_in_lockstep() -> None:
    with scale.EnvThreadPool.from_factory(lambda: ram_env(noop_max=0), 2) as pool:
        first = pool.reset(seed=5)
        assert [set(obs) for obs, _ in first] == [{"first_0", "second_0"}] * 2
        for _ in range(10):
            out = pool.step([{"first_0": 3, "second_0": 4}, {"first_0": 3, "second_0": 4}])
        np.testing.assert_array_equal(out[0][0]["first_0"], out[1][0]["first_0"])  # noop_max=0: same game
        assert len(mame_descendants()) == 2
    assert wait_gone(mame_descendants(), 5) == set()


# --- worker processes: SuperSuit ------------------------------------------------------------------------
def workers_of(vec: Any) -> list[Any]:
    return list(getattr(vec, "procs", None) or vec.processes)


def test_supersuit_vector_env_in_workers() -> None:
    before = mame_descendants()
    vec = ss.pettingzoo_env_to_vec_env_v1(ram_env())
    envs = scale.concat_vec_envs(vec, 3, num_cpus=2)
    workers = {p.pid for p in workers_of(envs)}
    mames: set[int] = set()
    homes: list[str] = []
    try:
        assert isinstance(envs, scale.MameProcVecEnv) and len(workers) == 2 and envs.num_envs == 6
        obs, _ = envs.reset(seed=0)
        assert obs.shape == (6, 128) and obs.dtype == np.uint8
        mames = mame_descendants() - before
        homes = [homepath(m) for m in mames]
        assert len(mames) == 3 and {parent_of(m) for m in mames} == workers  # all in the workers, none here
        for _ in range(5):
            obs, rew, term, trunc, _ = envs.step(np.zeros(6, int))
            assert obs.shape == (6, 128) and rew.shape == (6,) and not term.any() and not trunc.any()
        # an error inside a worker arrives with its own type and message, the worker's traceback attached
        reference = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(ram_env()), 1)  # in this process
        try:
            reference.reset(seed=0)
            with pytest.raises(InvalidAction) as local:
                reference.step(np.array([0, 99]))
        finally:
            reference.close()
        with pytest.raises(InvalidAction) as remote:
            envs.step(np.array([0, 0, 0, 0, 0, 99]))
        assert str(remote.value) == str(local.value)
        assert "in the worker process" in "".join(getattr(remote.value, "__notes__", []))
    finally:
        envs.close()
    stop_all(mames, workers, homes)


@pytest.mark.parametrize("fault", ["mame_crash", "worker_killed", "worker_terminated"])
def test_supersuit_worker_faults(fault: str) -> None:
    envs = scale.concat_vec_envs(ram_env(), 2, num_cpus=2)  # a ParallelEnv is converted like SuperSuit would
    procs = workers_of(envs)
    workers = {p.pid for p in procs}
    mames: set[int] = set()
    homes: list[str] = []
    try:
        envs.reset(seed=0)
        mames = mame_descendants()
        homepath_cache = {m: homepath(m) for m in mames}
        homes = list(homepath_cache.values())
        (mame1,) = scale.mame_descendants(procs[1].pid)
        if fault == "mame_crash":  # MAME dies under worker 1: the worker's EmulatorCrashed reaches us as such
            os.kill(mame1, signal.SIGKILL)
            with pytest.raises(EmulatorCrashed, match="a2600") as crashed:
                envs.step(np.zeros(4, int))
            assert "in the worker process" in "".join(getattr(crashed.value, "__notes__", []))
            # SuperSuit's worker loop ends after reporting an error; later calls say so
            with pytest.raises(EmulatorCrashed, match=r"worker 1 .* stopped after the error it reported"):
                envs.step(np.zeros(4, int))
        elif fault == "worker_terminated":  # SIGTERM (a cluster manager, Process.terminate()): the guard cleans up
            procs[1].terminate()
            procs[1].join(10)
            assert procs[1].exitcode == 128 + signal.SIGTERM  # exited through the guard, not killed by the signal
            assert wait_gone({mame1}) == set() and not os.path.exists(homepath_cache[mame1])
            with pytest.raises(EmulatorCrashed, match=r"worker 1 .* exited with code 143"):
                envs.step(np.zeros(4, int))
        else:  # worker 1 itself is killed: its MAME dies with it, and the next call says so
            os.kill(procs[1].pid, signal.SIGKILL)
            assert wait_gone({mame1}) == set(), "MAME outlived its killed worker"
            # a SIGKILLed worker cannot remove its MAME's temp folder (a later process's bridge sweeps it)
            homes.remove(homepath_cache[mame1])
            with pytest.raises(EmulatorCrashed, match=r"worker 1 .* killed by SIGKILL"):
                envs.step(np.zeros(4, int))
    finally:
        envs.close()
    stop_all(mames, workers, homes)


def test_supersuit_close_ends_workers_that_supersuit_leaves_running() -> None:
    """Plain SuperSuit's close() sends its workers a message they reject and never closes the envs."""
    envs = scale.concat_vec_envs(ram_env(), 2, num_cpus=2, close_timeout=60)
    workers = {p.pid for p in workers_of(envs)}
    envs.reset(seed=0)
    mames = mame_descendants()
    homes = [homepath(m) for m in mames]
    envs.close()
    assert all(p.exitcode == 0 for p in workers_of(envs)), "workers did not exit cleanly on close()"
    stop_all(mames, workers, homes)
    envs.close()  # idempotent


# --- worker processes: Gymnasium ------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning")  # Gymnasium logs the worker's traceback as a warning
def test_gymnasium_async_vector_env_faults() -> None:
    envs = scale.make_vector_env("mame_zoo/Boxing-v0", 2, obs_type="ram", max_cycles=50)
    assert isinstance(envs, scale.MameAsyncVectorEnv)
    procs = workers_of(envs)
    workers = {p.pid for p in procs}
    mames: set[int] = set()
    homes: list[str] = []
    try:
        obs, _ = envs.reset(seed=[0, 1])
        assert obs.shape == (2, 128)
        mames = mame_descendants()
        homes = [homepath(m) for m in mames]
        assert len(mames) == 2 and all(scale.mame_descendants(p.pid) for p in procs)
        envs.step(np.array([1, 2]))
        (mame1,) = scale.mame_descendants(procs[1].pid)
        os.kill(mame1, signal.SIGKILL)
        with pytest.raises(EmulatorCrashed, match="a2600") as crashed:
            envs.step(np.array([0, 0]))
        assert type(crashed.value) is EmulatorCrashed and isinstance(crashed.value.args[0], str)
        with pytest.raises(EmulatorCrashed, match=r"worker 1 .* stopped after the error it reported"):
            envs.step(np.array([0, 0]))  # Gymnasium ends a worker after it reports an error
        (mame0,) = scale.mame_descendants(procs[0].pid)
        homes.remove(homepath(mame0))  # a SIGKILLed worker cannot remove its MAME's temp folder
        os.kill(procs[0].pid, signal.SIGKILL)
        assert wait_gone({mame0}) == set(), "MAME outlived its killed worker"
        # both workers are down now: whichever the vector env checks first is reported (either names its worker)
        with pytest.raises(EmulatorCrashed, match=r"worker (0 .* killed by SIGKILL|1 .* stopped after the error)"):
            envs.step(np.array([0, 0]))
    finally:
        envs.close()
    stop_all(mames, workers, homes)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_gymnasium_worker_error_keeps_type_and_message() -> None:
    envs = scale.make_vector_env("mame_zoo/Boxing-v0", 2, obs_type="ram")
    workers = {p.pid for p in workers_of(envs)}
    try:
        envs.reset(seed=0)
        mames = mame_descendants()
        homes = [homepath(m) for m in mames]
        with pytest.raises(InvalidAction) as err:
            envs.step(np.array([0, 99]))
        assert type(err.value) is InvalidAction
        assert err.value.args == ("action 99 of 'first_0' is out of range [0, 18)",)
    finally:
        envs.close()
    stop_all(mames, workers, homes)


# --- a killed parent ------------------------------------------------------------------------------------
PARENT = textwrap.dedent("""
    import json, sys, time
    from mame_zoo import scale
    from mame_zoo.games import boxing_v0
    if sys.argv[1] == "bare":  # a worker of one's own, sleeping rather than waiting on a pipe from its parent
        import multiprocessing as mp, os

        def work(queue, creator):
            scale.guard_worker(creator)
            env = boxing_v0.parallel_env(obs_type="ram")
            env.reset(seed=0)
            queue.put(sorted(scale.mame_descendants()))
            time.sleep(600)

        queue = mp.Queue()
        proc = mp.Process(target=work, args=(queue, os.getpid()))
        proc.start()
        print(json.dumps({"workers": [proc.pid], "mames": queue.get()}), flush=True)
        time.sleep(600)
    elif sys.argv[1] == "supersuit":
        envs = scale.concat_vec_envs(boxing_v0.parallel_env(obs_type="ram"), 2, num_cpus=2)
        workers = [p.pid for p in envs.procs]
    else:
        envs = scale.make_vector_env("mame_zoo/Boxing-v0", 2, obs_type="ram")
        workers = [p.pid for p in envs.processes]
    envs.reset(seed=0)
    print(json.dumps({"workers": workers, "mames": sorted(scale.mame_descendants())}), flush=True)
    time.sleep(600)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pidfd and /proc are Linux-only")
@pytest.mark.parametrize("kind", ["supersuit", "gymnasium", "bare"])
def test_killed_parent_leaves_nothing(kind: str) -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT, kind], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT)
    pids: set[int] = set()
    try:
        assert parent.stdout is not None
        info = json.loads(parent.stdout.readline())
        workers, mames = set(info["workers"]), set(info["mames"])
        pids = workers | mames
        assert len(mames) == len(workers) >= 1 and running(pids) == pids  # one MAME per worker
        homes = [homepath(m) for m in mames]
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        stop_all(mames, workers, homes)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in running(pids):  # do not leak into later tests if the assertion failed
            os.kill(pid, signal.SIGKILL)


def test_concat_vec_envs_in_process_is_supersuits() -> None:
    envs = scale.concat_vec_envs(ram_env(), 2, num_cpus=1)
    try:
        assert not isinstance(envs, scale.MameProcVecEnv)
        obs, _ = envs.reset(seed=0)
        assert obs.shape == (4, 128)
        assert len(mame_descendants()) == 2
    finally:
        envs.close()


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="base_class"):
        scale.concat_vec_envs(ram_env(), 2, num_cpus=2, base_class="nope")
    with pytest.raises(ValueError, match="num_envs"):
        scale.make_vector_env("mame_zoo/Boxing-v0", 0)
    with pytest.raises(TypeError):
        scale.make_vector_env(lambda: None, 2, obs_type="ram")  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="3 actions for 2 envs"):
        scale.EnvThreadPool([ram_env(), ram_env()]).step([{}, {}, {}])


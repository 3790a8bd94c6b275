"""Nothing grows over many create/reset/step/close cycles, on real MAME: processes, file descriptors, threads,
temp folders, live bridge objects, registered finalizers, and the RSS of this Python process.

The cycles rotate over the ways users make environments (PettingZoo parallel, PettingZoo AEC, Gymnasium
single-agent, SuperSuit's in-process vector env) and run in two threads (as a hogwild trainer does), so the
500 cycles take about a minute on two cores. Worker-process vector envs (SuperSuit ``concat_vec_envs_v1`` and
Gymnasium ``AsyncVectorEnv``) are cycled fewer times: each cycle forks two workers and boots two MAMEs.
A short run of ``benchmarks/soak.py`` checks memory and speed over many steps.
"""

from __future__ import annotations

import gc
import json
import multiprocessing.util
import os
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
import supersuit as ss
from procs import mame_descendants, wait_gone
from test_faults import private_tmp, workdirs  # noqa: F401  (a fixture and a helper)

import mame_zoo  # noqa: F401  (registers the Gymnasium ids)
from mame_zoo.bridge import Bridge, client
from mame_zoo.games import boxing_v0

CYCLES = 500
WARMUP = 20
VECTOR_CYCLES = 12
RSS_SLACK_KIB = 8 * 1024  # allocator noise is ~1-2 MiB; one leaked RAM observation env per cycle is ~40 MiB
REPO = Path(__file__).resolve().parent.parent


def rss_kib() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))


def children() -> set[int]:
    """Every process (zombies included) whose parent is this one."""
    me, kids = os.getpid(), set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == me:
                        kids.add(int(entry))
            except OSError:
                continue
    return kids


@dataclass
class Usage:
    """What this process holds; compared before and after the cycles."""

    fds: int
    threads: int
    children: set[int]
    bridges: int
    finalizers: int
    mp_finalizers: int
    temp: set[Path]
    rss_kib: int

    @classmethod
    def now(cls, temp_parent: Path) -> Usage:
        gc.collect()
        bridges = sum(1 for o in gc.get_objects() if isinstance(o, Bridge))
        return cls(len(os.listdir("/proc/self/fd")), threading.active_count(), children(), bridges,
                   len(weakref.finalize._registry),  # type: ignore[attr-defined]
                   len(multiprocessing.util._finalizer_registry),  # type: ignore[attr-defined]
                   workdirs(temp_parent), rss_kib())


def assert_no_growth(before: Usage, after: Usage, what: str) -> None:
    assert after.fds <= before.fds, f"{what}: open fds {before.fds} -> {after.fds}"
    assert after.threads <= before.threads, f"{what}: threads {before.threads} -> {after.threads}"
    assert after.children <= before.children, f"{what}: child processes left {after.children - before.children}"
    assert after.bridges == 0, f"{what}: {after.bridges} Bridge objects still alive"
    assert len(client._live) == 0, f"{what}: {len(client._live)} bridges registered as live"
    assert after.finalizers <= before.finalizers, f"{what}: finalizers {before.finalizers} -> {after.finalizers}"
    assert after.mp_finalizers <= before.mp_finalizers, (
        f"{what}: multiprocessing finalizers {before.mp_finalizers} -> {after.mp_finalizers}")
    assert after.temp == set(), f"{what}: temp folders left {after.temp}"
    assert after.rss_kib - before.rss_kib < RSS_SLACK_KIB, (
        f"{what}: RSS grew {(after.rss_kib - before.rss_kib) / 1024:.1f} MiB")


#: the episode seeds the cycles use: a 2600 game's start depends on its seed, and is built once per seed
SEEDS = (1, 2, 3)


def _parallel(i: int, cache: Path) -> None:
    env = boxing_v0.parallel_env(obs_type="ram", state_cache=cache)
    env.reset(seed=SEEDS[i % len(SEEDS)])
    for k in range(3):
        env.step({"first_0": (i + k) % 18, "second_0": (i * 7 + k) % 18})
    env.close()


def _aec(i: int, cache: Path) -> None:
    env = boxing_v0.env(obs_type="ram", state_cache=cache)
    env.reset(seed=SEEDS[i % len(SEEDS)])
    for _ in env.agent_iter(6):
        env.step(i % 18)
    env.close()


def _gymnasium(i: int, cache: Path) -> None:
    env = gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram", state_cache=cache)
    env.reset(seed=SEEDS[i % len(SEEDS)])
    for k in range(3):
        env.step((i + k) % 18)
    env.close()


def _markov(i: int, cache: Path) -> None:
    env = ss.pettingzoo_env_to_vec_env_v1(boxing_v0.parallel_env(obs_type="ram", state_cache=cache))
    env.reset(seed=SEEDS[i % len(SEEDS)])
    for k in range(3):
        env.step(np.array([(i + k) % 18, k]))
    env.close()


MAKERS: tuple[Callable[[int, Path], None], ...] = (_parallel, _aec, _gymnasium, _markov)


@pytest.mark.slow
@pytest.mark.first_mame  # the process lifecycle of every version: the short cycle tests
@pytest.mark.timeout(900)
def test_500_cycles_leak_nothing(private_tmp: Path, tmp_path: Path) -> None:  # noqa: F811
    cache = tmp_path / "cache"  # start states are cached (3 seeds): a cycle is one MAME boot, not a game start
    errors: list[BaseException] = []

    def run(indices: range) -> None:
        try:
            for i in indices:
                MAKERS[i % len(MAKERS)](i, cache)
                if i % 50 == 0:
                    assert len(mame_descendants()) <= 2, "MAME processes pile up"
        except BaseException as exc:
            errors.append(exc)

    run(range(WARMUP))
    before = Usage.now(private_tmp)
    half = WARMUP + (CYCLES - WARMUP) // 2
    threads = [threading.Thread(target=run, args=(r,)) for r in (range(WARMUP, half), range(half, CYCLES))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    assert wait_gone(mame_descendants(), 5.0) == set()
    after = Usage.now(private_tmp)
    assert_no_growth(before, after, f"{CYCLES} cycles")
    print(f"\n{CYCLES} cycles: fds {before.fds}->{after.fds}, threads {before.threads}->{after.threads}, "
          f"RSS {before.rss_kib / 1024:.1f}->{after.rss_kib / 1024:.1f} MiB")


def _supersuit_cycle(i: int) -> list[int]:
    vec = ss.concat_vec_envs_v1(ss.pettingzoo_env_to_vec_env_v1(boxing_v0.parallel_env(obs_type="ram")), 2,
                                num_cpus=2, base_class="gymnasium")
    try:
        vec.reset(seed=i)
        for k in range(3):
            vec.step(np.full(4, (i + k) % 18))
        return [p.pid for p in vec.procs]
    finally:
        vec.close()


def _async_cycle(i: int) -> list[int]:
    vec = gymnasium.vector.AsyncVectorEnv([lambda: gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram")] * 2)
    try:
        vec.reset(seed=i)
        for k in range(3):
            vec.step(np.full(2, (i + k) % 18))
        return [p.pid for p in vec.processes]
    finally:
        vec.close()


@pytest.mark.slow
@pytest.mark.first_mame
@pytest.mark.timeout(600)
@pytest.mark.parametrize("cycle", [_supersuit_cycle, _async_cycle], ids=["supersuit", "gymnasium_async"])
def test_vector_env_cycles_leak_nothing(cycle: Callable[[int], list[int]], private_tmp: Path) -> None:  # noqa: F811
    cycle(0)  # warm-up: imports, pools
    before = Usage.now(private_tmp)
    for i in range(1, VECTOR_CYCLES + 1):
        workers = cycle(i)
        assert wait_gone(set(workers), 10.0) == set(), "worker processes survive close()"
        assert wait_gone(mame_descendants(), 5.0) == set(), "MAME processes survive close()"
    after = Usage.now(private_tmp)
    assert_no_growth(before, after, f"{VECTOR_CYCLES} vector env cycles")
    print(f"\n{VECTOR_CYCLES} vector env cycles: fds {before.fds}->{after.fds}, threads {before.threads}->"
          f"{after.threads}, RSS {before.rss_kib / 1024:.1f}->{after.rss_kib / 1024:.1f} MiB")


@pytest.mark.timeout(300)
def test_short_soak(tmp_path: Path) -> None:
    """``benchmarks/soak.py`` in small: two envs with random actions, RGB frames; no error, no growth."""
    out = tmp_path / "soak.json"
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "soak.py"), "--steps", "12000",
                           "--sample-every", "2", "--warmup", "0.3", "--json", str(out), "--quiet"],
                          capture_output=True, text=True, timeout=280, cwd=tmp_path)
    result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = result["summary"]
    assert summary["steps"] == 12000 and summary["errors"] == []
    assert summary["python_rss_growth_pct"] < 5.0
    assert all(g is not None and g < 5.0 for g in summary["mame_rss_growth_pct"])
    assert summary["fds_growth"] <= 0
    assert list(tmp_path.iterdir()) == [out]  # the soak writes nothing but its report
    print(f"\nshort soak: {summary['steps']} steps, {summary['steps_per_s']} steps/s, Python RSS "
          f"{summary['python_rss_growth_pct']:+.2f} %, MAME RSS {summary['mame_rss_growth_pct']} %")

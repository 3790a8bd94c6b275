#!/usr/bin/env python3
"""Aggregate env steps/s of 1, 2 and 4 mame_zoo envs run at once: threads, processes and Ray actors.

Every env is ``boxing_v0.parallel_env(obs_type="rgb_image", frameskip=F)`` playing random actions (drawn with
NumPy, resetting when a match ends) in its own loop, as fast as it can:

* **threads**: N envs in this process, one thread each (``mame_zoo.scale.hogwild``); the bridge releases the
  GIL while MAME emulates.
* **processes**: N worker processes (fork), one env each, guarded by ``mame_zoo.scale.guard_worker``.
* **ray**: N Ray actors (a local Ray instance, ``num_cpus=0`` actors so that 4 fit on 2 cores), one env each;
  skipped with a message when Ray is not installed (``pip install "mame-zoo[ray]"``).

Each mode keeps 4 envs booted (MAME started, start state saved) for the whole run; a window with N envs runs
the first N of them for ``--seconds`` while the others sit idle (an idle MAME waits on its pipe and uses no
CPU). The 9 (mode, N) windows are repeated ``--rounds`` times in a rotated order, so a busy phase of the
machine hits all alike; figures are medians over rounds. Ratios are to 1 env of the same mode in the same run
(and, in the last column, to 1 env in a thread, i.e. a plain env in the main process). The machine's busy
share (``/proc/stat``) during each window and the load average are printed with the results, since other
processes on the machine take cores away.

Memory: for one env of each mode, MAME's and the hosting Python process's ``/proc/<pid>/smaps_rollup``
(RSS, PSS, private and shared pages).

Usage: ``python benchmarks/bench_scaling.py [--seconds 4] [--rounds 3] [--frameskip 4] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from mame_zoo.games import boxing_v0
from mame_zoo.scale import guard_worker, mame_descendants

COUNTS = (1, 2, 4)
MODES = ("threads", "processes", "ray")


# --- the work every env does ------------------------------------------------------------------------------
def make_env(frameskip: int) -> Any:
    env = boxing_v0.parallel_env(obs_type="rgb_image", frameskip=frameskip)
    env.reset(seed=0)  # boots MAME and runs the start sequence: not part of any window
    return env


def run_for(env: Any, seconds: float, seed: int, start_at: float | None = None) -> int:
    """Step ``env`` with random actions until ``seconds`` have passed; returns the steps done."""
    rng = np.random.default_rng(seed)
    actions = rng.integers(0, 18, size=(4096, len(env.possible_agents)))
    agents = env.possible_agents
    if start_at is not None:
        time.sleep(max(0.0, start_at - time.time()))
    deadline = time.perf_counter() + seconds
    steps = 0
    while time.perf_counter() < deadline:
        if not env.agents:
            env.reset()
        row = actions[steps % len(actions)]
        env.step({a: int(row[i]) for i, a in enumerate(agents)})
        steps += 1
    return steps


# --- modes ------------------------------------------------------------------------------------------------
class Threads:
    """N envs in this process, one thread each."""

    def __init__(self, n: int, frameskip: int) -> None:
        self.envs = [make_env(frameskip) for _ in range(n)]

    def window(self, n: int, seconds: float, seed: int) -> int:
        from mame_zoo.scale import hogwild

        start = time.time() + 0.05
        return sum(hogwild(self.envs[:n], lambda i, env: run_for(env, seconds, seed + i, start)))

    def pids(self) -> tuple[int, int]:
        return os.getpid(), self.envs[0].bridge.pid

    def close(self) -> None:
        for env in self.envs:
            env.close()


def _process_worker(conn: Any, frameskip: int, creator: int) -> None:
    guard_worker(creator)
    env = make_env(frameskip)
    conn.send(env.bridge.pid)
    try:
        while True:
            message = conn.recv()
            if message is None:
                break
            seconds, seed, start = message
            conn.send(run_for(env, seconds, seed, start))
    except EOFError:
        pass
    finally:
        env.close()


class Processes:
    """N worker processes, one env each."""

    def __init__(self, n: int, frameskip: int) -> None:
        ctx = mp.get_context("fork")
        self.conns, self.procs = [], []
        for _ in range(n):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_process_worker, args=(child, frameskip, os.getpid()), daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)
        self.mames = [c.recv() for c in self.conns]

    def window(self, n: int, seconds: float, seed: int) -> int:
        start = time.time() + 0.05
        for i, conn in enumerate(self.conns[:n]):
            conn.send((seconds, seed + i, start))
        return sum(conn.recv() for conn in self.conns[:n])

    def pids(self) -> tuple[int, int]:
        return self.procs[0].pid or 0, self.mames[0]

    def close(self) -> None:
        for conn in self.conns:
            try:
                conn.send(None)
            except OSError:
                pass
        for proc in self.procs:
            proc.join(10)
            if proc.is_alive():
                proc.terminate()


class RayActors:
    """N Ray actors, one env each (a local Ray instance)."""

    def __init__(self, n: int, frameskip: int) -> None:
        import ray

        if not os.environ.get("RAY_ADDRESS"):
            import secrets

            os.environ.setdefault("RAY_AUTH_TOKEN", secrets.token_hex(32))  # else Ray writes one to ~/.ray
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)

        @ray.remote(num_cpus=0)
        class EnvActor:
            def __init__(self, frameskip: int) -> None:
                self.env = make_env(frameskip)

            def pids(self) -> tuple[int, int]:
                return os.getpid(), self.env.bridge.pid

            def run(self, seconds: float, seed: int, start: float) -> int:
                return run_for(self.env, seconds, seed, start)

            def close(self) -> None:
                self.env.close()

        self.ray = ray
        self.actors = [EnvActor.remote(frameskip) for _ in range(n)]
        self.pid_pairs = ray.get([a.pids.remote() for a in self.actors])

    def window(self, n: int, seconds: float, seed: int) -> int:
        start = time.time() + 0.2  # remote calls take a moment to reach every actor
        return sum(self.ray.get([a.run.remote(seconds, seed + i, start) for i, a in enumerate(self.actors[:n])]))

    def pids(self) -> tuple[int, int]:
        return self.pid_pairs[0]

    def close(self) -> None:
        try:
            self.ray.get([a.close.remote() for a in self.actors], timeout=30)
        finally:
            self.ray.shutdown()


# --- measuring ----------------------------------------------------------------------------------------------
def cpu_times() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = [int(x) for x in fh.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def tree_cpu() -> float:
    """CPU seconds used so far by this process and all its descendants (MAME, workers, Ray and its actors)."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(name)] = int(fields[1])
        times[int(name)] = (int(fields[11]) + int(fields[12])) / tick
    me, total = os.getpid(), 0.0
    for pid, cpu in times.items():
        p = pid
        while p > 1 and p != me:
            p = parents.get(p, 0)
        if p == me:
            total += cpu
    return total


def memory(pid: int) -> dict[str, float]:
    """MiB figures of one process from /proc/<pid>/smaps_rollup."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB":
                    out[parts[0].rstrip(":")] = int(parts[1]) / 1024
    except OSError:
        return {}
    return {"rss": out.get("Rss", 0.0), "pss": out.get("Pss", 0.0),
            "private": out.get("Private_Clean", 0.0) + out.get("Private_Dirty", 0.0),
            "shared": out.get("Shared_Clean", 0.0) + out.get("Shared_Dirty", 0.0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one measurement window")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--frameskip", type=int, default=4)
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated subset of " + ",".join(MODES))
    parser.add_argument("--json", default=None, help="write the raw figures to this file")
    args = parser.parse_args(argv)

    modes: dict[str, Any] = {}
    factories: dict[str, Callable[[int, int], Any]] = {"threads": Threads, "processes": Processes, "ray": RayActors}
    t_start = time.perf_counter()
    load_before = os.getloadavg()
    try:
        for name in args.modes.split(","):
            try:
                modes[name] = factories[name](max(COUNTS), args.frameskip)
            except ImportError as exc:
                print(f"{name}: skipped ({exc}); pip install 'mame-zoo[ray]' for this row")
        mem = {}
        for name, mode in modes.items():
            host, mame = mode.pids()
            mem[name] = {"python": memory(host), "mame": memory(mame)}
        configs = [(m, n) for m in modes for n in COUNTS]
        rates: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
        busy: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
        cores: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
        per_cpu_s: dict[tuple[str, int], list[float]] = {c: [] for c in configs}
        for r in range(args.rounds):
            order = configs[r % len(configs):] + configs[:r % len(configs)]
            for mode_name, n in order:
                b0, t0 = cpu_times()
                c0 = tree_cpu()
                w0 = time.perf_counter()
                steps = modes[mode_name].window(n, args.seconds, seed=1000 * r + n)
                wall = time.perf_counter() - w0
                b1, t1 = cpu_times()
                used = tree_cpu() - c0
                cores[(mode_name, n)].append(used / wall)
                per_cpu_s[(mode_name, n)].append(steps / max(used, 1e-9))
                rates[(mode_name, n)].append(steps / args.seconds)
                busy[(mode_name, n)].append((b1 - b0) / max(1, t1 - t0))
                print(f"round {r + 1} {mode_name:9s} {n} envs: {steps / args.seconds:7.0f} steps/s "
                      f"(machine busy {100 * busy[(mode_name, n)][-1]:.0f} %, our processes used "
                      f"{cores[(mode_name, n)][-1]:.2f} cores, {per_cpu_s[(mode_name, n)][-1]:.0f} steps per CPU-s)",
                      flush=True)
    finally:
        for mode in modes.values():
            mode.close()
        time.sleep(0.5)
        leftovers = sorted(mame_descendants())
    load_after = os.getloadavg()

    med = {c: statistics.median(v) for c, v in rates.items() if v}
    base_thread = med.get(("threads", 1))
    print()
    print(f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; "
          f"frameskip {args.frameskip}; {args.rounds} rounds of {args.seconds:g} s windows; "
          f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; "
          f"total {time.perf_counter() - t_start:.0f} s")
    print()
    print("| mode | envs | steps/s (median) | x 1 env, same mode | x 1 env in a thread | cores used | "
          "steps per CPU-s | machine busy % |")
    print("|---|---|---|---|---|---|---|---|")
    for (mode_name, n), value in med.items():
        base = med[(mode_name, 1)]
        vs_thread = f"{value / base_thread:.2f}" if base_thread else ""
        c = (mode_name, n)
        print(f"| {mode_name} | {n} | {value:.0f} | {value / base:.2f} | {vs_thread} | "
              f"{statistics.median(cores[c]):.2f} | {statistics.median(per_cpu_s[c]):.0f} | "
              f"{100 * statistics.median(busy[c]):.0f} |")
    print()
    print("| mode | MAME RSS | MAME PSS | MAME private | MAME shared | host Python RSS | PSS | private | shared |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, m in mem.items():
        a, p = m["mame"], m["python"]
        print(f"| {name} | {a.get('rss', 0):.0f} | {a.get('pss', 0):.0f} | {a.get('private', 0):.0f} | "
              f"{a.get('shared', 0):.0f} | {p.get('rss', 0):.0f} | {p.get('pss', 0):.0f} | "
              f"{p.get('private', 0):.0f} | {p.get('shared', 0):.0f} |")
    print("(MiB; host Python = the process that owns the env: this one for threads, the worker, the Ray actor)")
    if leftovers:
        print(f"WARNING: MAME processes left running: {leftovers}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"rates": {f"{m}/{n}": v for (m, n), v in rates.items()},
                       "busy": {f"{m}/{n}": v for (m, n), v in busy.items()},
                       "cores": {f"{m}/{n}": v for (m, n), v in cores.items()},
                       "steps_per_cpu_s": {f"{m}/{n}": v for (m, n), v in per_cpu_s.items()},
                       "memory": mem, "load": [load_before, load_after], "frameskip": args.frameskip,
                       "seconds": args.seconds, "rounds": args.rounds}, fh, indent=1)
    return 1 if leftovers else 0


if __name__ == "__main__":
    raise SystemExit(main())


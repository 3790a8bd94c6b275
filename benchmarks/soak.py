#!/usr/bin/env python3
"""Soak test: many steps of several environments with random actions, watching memory and speed over time.

Each environment runs in its own thread (the bridge waits for MAME without holding the GIL, so the MAME
processes emulate in parallel), takes uniformly random actions and resets when its episode ends. Every
``--sample-every`` seconds the script records the steps done, the steps/s since the last sample, the resident
memory (RSS) of this Python process and of every MAME process, and this process's open file descriptors and
threads. At the end it reports the growth of each figure between the *baseline* (the first sample after
``--warmup`` of the steps, so that allocator pools, MAME's Lua heap and caches have filled up) and the end.

Pass/fail (exit code 0/1): no error, and RSS growth of Python and of every MAME process under
``--target-growth`` percent (default 5), and no growth in file descriptors or threads.

Usage::

    python benchmarks/soak.py                     # 1,000,000 steps in total over 2 Boxing envs (RGB frames)
    python benchmarks/soak.py --steps 20000 --json soak.json
    python benchmarks/soak.py --envs 4 --obs-type ram --frameskip 4

Ctrl-C stops the run early and reports the steps done so far. Nothing is written outside a temp folder unless
``--json PATH`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np


def rss_kib(pid: int | str = "self") -> int | None:
    """Resident set size of a process in KiB (None if it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def open_fds() -> int:
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Sample:
    """One observation of the soak's progress."""

    t: float  # seconds since the start
    steps: int  # total steps of all envs so far
    steps_per_s: float  # since the previous sample
    python_rss_kib: int
    mame_rss_kib: list[int | None]
    fds: int
    threads: int


@dataclass
class Worker:
    """One environment stepped by its own thread."""

    index: int
    env: Any
    seed: int
    steps: int = 0
    resets: int = 0
    errors: list[str] = field(default_factory=list)
    target: int = 0

    def mame_pid(self) -> int | None:
        bridge = self.env.bridge
        return bridge.pid if bridge is not None and not bridge.closed else None

    def run(self, stop: threading.Event) -> None:
        rng = np.random.default_rng(self.seed)
        env = self.env
        spaces = {a: env.action_space(a) for a in env.possible_agents}
        env.reset(seed=self.seed)
        self.resets += 1
        while self.steps < self.target and not stop.is_set():
            if not env.agents:
                env.reset()
                self.resets += 1
                continue
            actions = {a: int(rng.integers(spaces[a].n)) for a in env.agents}
            try:
                env.step(actions)
            except Exception as exc:  # counted and reported; the env is reset (a new MAME if it died)
                self.errors.append(f"step {self.steps}: {type(exc).__name__}: {exc}")
                if len(self.errors) > 10:
                    stop.set()
                    return
                env.reset()
                self.resets += 1
                continue
            self.steps += 1


def growth(first: float | None, last: float | None) -> float | None:
    """Growth in percent from ``first`` to ``last``."""
    if not first or last is None:
        return None
    return 100.0 * (last - first) / first


def soak(steps: int, envs: int, game: str, obs_type: str, frameskip: int, sample_every: float, warmup: float,
         seed: int, quiet: bool = False) -> dict[str, Any]:
    """Run the soak and return its samples and summary (see the module docstring)."""
    import mame_zoo

    workers = [Worker(i, mame_zoo.make(game, obs_type=obs_type, frameskip=frameskip, max_cycles=10**9), seed + i)
               for i in range(envs)]
    per_env = steps // envs
    for w in workers:
        w.target = per_env
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), name=f"soak-env-{w.index}", daemon=True)
               for w in workers]
    samples: list[Sample] = []
    start = time.monotonic()
    for t in threads:
        t.start()

    def sample(prev_steps: int, prev_t: float) -> Sample:
        now = time.monotonic() - start
        done = sum(w.steps for w in workers)
        rate = (done - prev_steps) / (now - prev_t) if now > prev_t else 0.0
        mames: list[int | None] = []
        for w in workers:
            pid = w.mame_pid()
            mames.append(rss_kib(pid) if pid else None)
        return Sample(round(now, 2), done, round(rate, 1), rss_kib() or 0, mames, open_fds(),
                      threading.active_count())

    interrupted = False
    try:
        prev_steps, prev_t = 0, 0.0
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(timeout=max(0.0, sample_every - 0.01) / len(threads))
            if time.monotonic() - start - prev_t >= sample_every or not any(t.is_alive() for t in threads):
                s = sample(prev_steps, prev_t)
                samples.append(s)
                prev_steps, prev_t = s.steps, s.t
                if not quiet:
                    mame = " ".join(f"{(m or 0) / 1024:.1f}" for m in s.mame_rss_kib)
                    print(f"{s.t:8.1f} s {s.steps:9d} steps {s.steps_per_s:8.1f}/s  "
                          f"Python {s.python_rss_kib / 1024:7.1f} MiB  MAME {mame} MiB  fds {s.fds}  "
                          f"threads {s.threads}", flush=True)
    except KeyboardInterrupt:  # Ctrl-C: stop and report the steps done so far
        interrupted = True
        samples.append(sample(prev_steps, prev_t))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        for w in workers:
            w.env.close()
    result = summarize(samples, workers, steps, warmup, time.monotonic() - start)
    result["summary"]["interrupted"] = interrupted
    return result


def summarize(samples: list[Sample], workers: list[Worker], steps: int, warmup: float,
              elapsed: float) -> dict[str, Any]:
    """Baseline (first sample after the warm-up) against the last sample."""
    total = sum(w.steps for w in workers)
    base = next((s for s in samples if s.steps >= warmup * steps), samples[0] if samples else None)
    last = samples[-1] if samples else None
    summary: dict[str, Any] = {"steps": total, "elapsed_s": round(elapsed, 1),
                               "steps_per_s": round(total / elapsed, 1) if elapsed else 0.0,
                               "resets": sum(w.resets for w in workers),
                               "errors": [e for w in workers for e in w.errors]}
    if base is not None and last is not None:
        # steps/s per full sampling window (the last window is cut short by the end of the run)
        rates = [s.steps_per_s for s in samples[1:-1] if s.steps_per_s > 0] or [s.steps_per_s for s in samples]
        third = max(1, len(rates) // 3)
        summary.update({
            "baseline": asdict(base), "last": asdict(last),
            "python_rss_growth_pct": round(growth(base.python_rss_kib, last.python_rss_kib) or 0.0, 2),
            "python_rss_growth_kib": last.python_rss_kib - base.python_rss_kib,
            "mame_rss_growth_pct": [None if g is None else round(g, 2)
                                    for g in (growth(a, b) for a, b in zip(base.mame_rss_kib, last.mame_rss_kib))],
            "python_rss_max_kib": max(s.python_rss_kib for s in samples),
            "mame_rss_max_kib": [max((s.mame_rss_kib[i] or 0) for s in samples) for i in range(len(workers))],
            "fds_growth": last.fds - base.fds,
            "threads_growth": last.threads - base.threads,
            "steps_per_s_first_third": round(float(np.mean(rates[:third])), 1) if rates else None,
            "steps_per_s_last_third": round(float(np.mean(rates[-third:])), 1) if rates else None,
        })
    return {"summary": summary, "samples": [asdict(s) for s in samples]}


def verdict(summary: dict[str, Any], target: float) -> list[str]:
    """The reasons the soak failed (empty: passed)."""
    problems = []
    if summary.get("interrupted"):
        problems.append(f"interrupted after {summary['steps']} steps (figures are for those)")
    if summary["errors"]:
        problems.append(f"{len(summary['errors'])} error(s), first: {summary['errors'][0]}")
    if "baseline" not in summary:
        return [*problems, "no samples"]
    if summary["python_rss_growth_pct"] > target:
        problems.append(f"Python RSS grew {summary['python_rss_growth_pct']:.2f} % (target < {target} %)")
    for i, g in enumerate(summary["mame_rss_growth_pct"]):
        if g is None:
            problems.append(f"MAME of env {i} has no RSS figures (it died?)")
        elif g > target:
            problems.append(f"MAME of env {i}: RSS grew {g:.2f} % (target < {target} %)")
    if summary["fds_growth"] > 0:
        problems.append(f"{summary['fds_growth']} more open file descriptors")
    if summary["threads_growth"] > 0:
        problems.append(f"{summary['threads_growth']} more threads")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1_000_000, help="total steps over all envs (default 1e6)")
    parser.add_argument("--envs", type=int, default=2)
    parser.add_argument("--game", default="boxing_v0")
    parser.add_argument("--obs-type", default="rgb_image")
    parser.add_argument("--frameskip", type=int, default=1)
    parser.add_argument("--sample-every", type=float, default=10.0, help="seconds between samples")
    parser.add_argument("--warmup", type=float, default=0.1, help="fraction of the steps before the baseline")
    parser.add_argument("--target-growth", type=float, default=5.0, help="allowed RSS growth in percent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write samples and summary to this file")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    result = soak(args.steps, args.envs, args.game, args.obs_type, args.frameskip, args.sample_every, args.warmup,
                  args.seed, args.quiet)
    summary = result["summary"]
    result["config"] = {**vars(args), "python": platform.python_version(), "machine": platform.machine(),
                        "cpus": os.cpu_count()}
    problems = verdict(summary, args.target_growth)
    result["passed"] = not problems
    print(json.dumps({k: v for k, v in summary.items() if k not in ("baseline", "last")}, indent=1))
    print("PASSED" if not problems else "FAILED: " + "; ".join(problems))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())

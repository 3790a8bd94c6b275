#!/usr/bin/env python3
"""Bridge throughput on Atari 2600 Boxing against raw MAME, measured in one run.

What it measures (see docs/benchmarks.md):

* **raw**: MAME alone, ``a2600 -cart boxing.bin -video none -sound none -nothrottle -seconds_to_run S`` with the
  bridge's hermetic options and no Lua script. MAME prints ``Average speed: X%``; frames/s = X/100 × 59.9232.
* **bridge**: one :class:`~mame_zoo.bridge.Bridge` (started once, game started with Reset) stepping
  ``Bridge.step(frames=k, frame=True)`` with 4 u8 RAM reads, for k = 1, 2, 4, and the same without the frame.
* **in-bridge raw**: the same bridge stepping a whole chunk in one ``Bridge.step(frames=chunk, frame=False)``:
  emulation with only the bridge's trivial per-frame Lua callback, same process, no start-up. A cross-check of raw.

Besides wall time, CPU time is recorded (MAME: ``/proc/<pid>/task/*/schedstat``; Python: ``process_time``): it shows
how the work of a step splits between MAME and Python, and is less sensitive than wall time to other processes
(though not immune: a busy 2-core machine also slows the CPU work itself).

The configurations are interleaved: every round runs raw MAME once and then ``--chunks`` passes over every bridge
configuration (in a rotated order), each stepping a short chunk of frames, so slow phases of a busy machine hit all
configurations alike. Two views are printed: *typical* (median chunk, median raw run) and *best case* (90th
percentile chunk, best raw run: the least disturbed figures on a shared machine).

Per-step overhead = (wall time per step) − k × (raw time per frame): what one round trip costs beyond emulation.

Usage: ``python benchmarks/bench_bridge.py [--frames N] [--rounds R] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REFRESH_HZ = 59.9232  # NTSC a2600 screen refresh; MAME's "Average speed" is relative to it
TARGETS = {"ratio_fs4": 0.95, "ratio_fs1": 0.80, "overhead_us": 200.0}
SPEED_RE = re.compile(r"Average speed:\s*([\d.]+)%\s*\((\d+) seconds\)")
BOXING_READS = (0x90, 0x91, 0x92, 0x93)  # clock minutes, clock seconds, both scores
RAW_STEP = 65535  # frames per step of the in-bridge raw row at most (one step per chunk)


def boxing_rom() -> str:
    """The Boxing cartridge shipped in the ale-py wheel."""
    from ale_py.roms import get_rom_path

    path = get_rom_path("boxing")
    if path is None or not os.path.isfile(path):
        sys.exit("ale-py has no Boxing ROM; pip install ale-py")
    return str(path)


# --- raw MAME --------------------------------------------------------------------------------------
@dataclass
class RawRun:
    percent: float
    emulated_s: int
    wall_s: float

    @property
    def fps(self) -> float:
        return self.percent / 100.0 * REFRESH_HZ


def raw_mame(binary: str, rom: str, seconds: int, system: str = "a2600") -> RawRun:
    """One raw MAME run with the bridge's hermetic options, in a temp dir that is removed afterwards."""
    from mame_zoo.bridge.process import headless_env, hermetic_args, media_args

    work = Path(tempfile.mkdtemp(prefix="mame_zoo-bench-"))
    try:
        for sub in ("cfg", "nvram", "sta", "snap", "inp", "diff", "comments", "run"):
            (work / sub).mkdir()
        (work / "run").chmod(0o700)
        argv = [binary, system, *media_args({"cart": rom}), *hermetic_args(work), "-video", "none", "-sound", "none",
                "-nothrottle", "-seconds_to_run", str(seconds)]
        env = headless_env(work)  # the bridge's MAME environment: temp HOME, no display needed
        start = time.perf_counter()
        out = subprocess.run(argv, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, timeout=seconds * 10 + 60)
        wall = time.perf_counter() - start
    finally:
        shutil.rmtree(work, ignore_errors=True)
    match = SPEED_RE.search(out.stdout)
    if not match:
        sys.exit(f"raw MAME run printed no 'Average speed' (exit {out.returncode}):\n{out.stdout[-2000:]}")
    return RawRun(float(match.group(1)), int(match.group(2)), wall)


# --- bridge ----------------------------------------------------------------------------------------
def process_cpu_ns(pid: int) -> int | None:
    """CPU time of every thread of ``pid`` in ns (Linux schedstat), or None where unavailable."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as fh:
                total += int(fh.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total


@dataclass
class Config:
    frameskip: int
    frame: bool
    raw: bool = False

    @property
    def name(self) -> str:
        if self.raw:
            return f"in-bridge raw (fs{self.frameskip})"
        return f"fs{self.frameskip} {'rgb' if self.frame else 'no frame'}"


@dataclass
class Sample:
    fps: float  # emulated frames per second over the chunk
    step_p50_us: float  # median wall time of one step
    cpu_mame_us: float | None  # MAME CPU per emulated frame
    cpu_py_us: float  # Python CPU per emulated frame


@dataclass
class Results:
    raw: list[RawRun] = field(default_factory=list)
    samples: dict[str, list[Sample]] = field(default_factory=dict)


def open_boxing_bridge(binary: str | None, rom: str):
    """A Bridge on Boxing with the game started (Reset held), reading 4 u8 RAM values after each step."""
    from mame_zoo.bridge import Agg, Bridge, MachineConfig, ReadSpec

    bridge = Bridge(MachineConfig("a2600", {"cart": rom}), mame=binary, timeout=30.0)
    try:
        reset = bridge.field(":SWB", "Reset Game")
        bridge.step(60, frame=False)
        bridge.step(4, {reset: 1}, frame=False)
        bridge.step(4, {reset: 0}, frame=False)
        space = bridge.space(":maincpu", "program").id
        bridge.set_reads([ReadSpec(space, a, "u8", 1, Agg.LAST) for a in BOXING_READS])
    except BaseException:
        bridge.close()
        raise
    return bridge


def run_bridge_chunk(bridge, cfg: Config, frames: int) -> Sample:
    """Step ``frames`` emulated frames (rounded down to whole steps) and time it."""
    steps = max(1, frames // cfg.frameskip)
    step = bridge.step
    k, want = cfg.frameskip, cfg.frame
    if not cfg.raw:
        for _ in range(3):  # warm-up: first reply of a new size, caches
            step(k, frame=want)
    times = [0.0] * steps
    clock = time.perf_counter
    mame0, py0 = process_cpu_ns(bridge.pid), time.process_time()
    start = clock()
    for i in range(steps):
        t0 = clock()
        step(k, frame=want)
        times[i] = clock() - t0
    wall = clock() - start
    py = time.process_time() - py0
    mame1 = process_cpu_ns(bridge.pid)
    n = steps * k
    cpu_mame = (mame1 - mame0) / 1e3 / n if mame0 is not None and mame1 is not None else None
    return Sample(n / wall, statistics.median(times) * 1e6, cpu_mame, py * 1e6 / n)


# --- report ----------------------------------------------------------------------------------------
def _median_or_none(values: list[float | None]) -> float | None:
    return None if any(v is None for v in values) else statistics.median(values)  # type: ignore[arg-type]


def _p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]


def summarize(results: Results, configs: list[Config]) -> dict:
    """Two views: *typical* (medians: chunks, raw runs) and *best case* (90th percentile chunk, best raw run)."""
    raw_fps = [r.fps for r in results.raw]
    raw = {"typical": statistics.median(raw_fps), "best": max(raw_fps)}
    raw_cfg = next((c for c in configs if c.raw), None)
    ibr = None
    if raw_cfg is not None:
        fps = [s.fps for s in results.samples[raw_cfg.name]]
        ibr = {"typical": statistics.median(fps), "best": _p90(fps)}
    rows = []
    for cfg in configs:
        samples = results.samples[cfg.name]
        k = cfg.frameskip
        fps = [s.fps for s in samples]
        cpu_mame = _median_or_none([s.cpu_mame_us for s in samples])
        row = {"config": cfg.name, "frameskip": k, "frame": cfg.frame, "raw": cfg.raw, "chunks": fps,
               "cv": statistics.pstdev(fps) / statistics.median(fps) if len(fps) > 1 else 0.0,
               "step_p50_us": statistics.median(s.step_p50_us for s in samples),
               "cpu_mame_us_per_frame": cpu_mame,
               "cpu_py_us_per_frame": statistics.median(s.cpu_py_us for s in samples)}
        for view, value in (("typical", statistics.median(fps)), ("best", _p90(fps))):
            step_us = k * 1e6 / value
            row[view] = {"fps": value, "ratio": value / raw[view],
                         "ratio_inbridge": None if ibr is None else value / ibr[view],
                         "step_us": step_us, "overhead_us": step_us - k * 1e6 / raw[view]}
        rows.append(row)
    return {"raw_fps": raw, "inbridge_raw_fps": ibr,
            "raw_runs": [{"percent": r.percent, "emulated_s": r.emulated_s, "wall_s": r.wall_s, "fps": r.fps}
                         for r in results.raw], "rows": rows}


def target_note(row: dict, view: str) -> str:
    if row["raw"] or not row["frame"]:
        return ""
    v = row[view]
    notes = []
    for k, key in ((4, "ratio_fs4"), (1, "ratio_fs1")):
        if row["frameskip"] == k:
            notes.append(f"x{TARGETS[key]:.2f}:{'ok' if v['ratio'] >= TARGETS[key] else 'FAIL'}")
    notes.append(f"{TARGETS['overhead_us']:.0f}us:{'ok' if v['overhead_us'] <= TARGETS['overhead_us'] else 'FAIL'}")
    return " ".join(notes)


def print_report(summary: dict, meta: dict) -> None:
    print()
    print(f"machine: {meta['cpus']} CPUs, {meta['platform']}, Python {meta['python']}, MAME {meta['mame_version']}")
    print(f"load average before/after: {meta['load_before']} / {meta['load_after']}")
    runs = ", ".join(f"{r['fps']:.0f}" for r in summary["raw_runs"])
    raw = summary["raw_fps"]
    print(f"raw MAME frames/s: runs {runs}; typical (median) {raw['typical']:.0f} = {1e6 / raw['typical']:.0f} "
          f"us/frame; best {raw['best']:.0f} = {1e6 / raw['best']:.0f} us/frame")
    print(f"targets: fs4 rgb >= {TARGETS['ratio_fs4']:.2f} x raw, fs1 rgb >= {TARGETS['ratio_fs1']:.2f} x raw, "
          f"overhead <= {TARGETS['overhead_us']:.0f} us/step with a frame")
    print()
    head = (f"{'':<21} {'typical: median of chunks':^46}| {'best case: p90 chunk / best raw':^40}|")
    print(head)
    head2 = (f"{'config':<21} {'fr/s':>5} {'cv':>4} {'x raw':>5} {'x ibr':>5} {'us/step':>7} {'ovh us':>6} "
             f"{'targets':<17}|{'fr/s':>5} {'x raw':>5} {'x ibr':>5} {'ovh us':>6} {'targets':<17}| "
             f"{'cpu us/frame':>12}")
    print(head2)
    print("-" * len(head2))
    for r in summary["rows"]:
        cpu = r["cpu_mame_us_per_frame"]
        cpu_txt = "n/a" if cpu is None else f"{cpu:.0f}+{r['cpu_py_us_per_frame']:.0f}"
        t, b = r["typical"], r["best"]

        def ratio_ibr(v: dict) -> str:
            return "n/a" if v["ratio_inbridge"] is None else f"{v['ratio_inbridge']:.2f}"

        step = f"{t['step_us']:.0f}" if not r["raw"] else ""
        ovh_t = f"{t['overhead_us']:.0f}" if not r["raw"] else ""
        ovh_b = f"{b['overhead_us']:.0f}" if not r["raw"] else ""
        print(f"{r['config']:<21} {t['fps']:>5.0f} {r['cv'] * 100:>3.0f}% {t['ratio']:>5.2f} {ratio_ibr(t):>5} "
              f"{step:>7} {ovh_t:>6} {target_note(r, 'typical'):<17}|{b['fps']:>5.0f} {b['ratio']:>5.2f} "
              f"{ratio_ibr(b):>5} {ovh_b:>6} {target_note(r, 'best'):<17}| {cpu_txt:>12}")
    print()
    print("Each config ran in many short chunks interleaved with the others. cv: spread of its chunks.")
    print("x raw: frames/s / raw MAME frames/s (typical: medians; best: 90th-percentile chunk / best raw run).")
    print("x ibr: the same against the in-bridge raw row, which is measured exactly like the other rows.")
    print("ovh us = us/step - k x raw us/frame. cpu us/frame: MAME + Python CPU time per emulated frame (medians).")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=6000,
                    help="emulated frames per bridge configuration, split over the rounds (default 6000)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, each with one raw MAME run (default 3)")
    ap.add_argument("--chunks", type=int, default=20,
                    help="interleaved passes over the bridge configurations per round (default 20)")
    ap.add_argument("--raw-seconds", type=int, default=30,
                    help="emulated seconds of each raw MAME run, one per round (default 30)")
    ap.add_argument("--frameskips", default="1,2,4", help="comma-separated frames per step (default 1,2,4)")
    ap.add_argument("--no-frameless", action="store_true", help="skip the reference rows without a frame")
    ap.add_argument("--mame", help="MAME binary (default: mame_zoo's lookup)")
    ap.add_argument("--rom", help="Boxing cartridge (default: the one in ale-py)")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.chunks < 1 or args.frames < args.rounds * args.chunks:
        ap.error("need --rounds >= 1, --chunks >= 1 and --frames >= --rounds * --chunks")

    from mame_zoo.bridge.process import find_mame, mame_version

    binary = find_mame(args.mame)
    rom = args.rom or boxing_rom()
    ks = [int(x) for x in args.frameskips.split(",")]
    per_chunk = args.frames // (args.rounds * args.chunks)
    configs = [Config(k, True) for k in ks] + ([] if args.no_frameless else [Config(k, False) for k in ks])
    configs.append(Config(min(per_chunk, RAW_STEP), False, raw=True))
    meta = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "mame": binary, "mame_version": ".".join(map(str, mame_version(binary))),
            "load_before": [round(x, 2) for x in os.getloadavg()], "args": vars(args)}

    results = Results(samples={c.name: [] for c in configs})
    t0 = time.perf_counter()
    bridge = open_boxing_bridge(args.mame, rom)
    try:
        print(f"bridge up: {bridge.hello.system} {bridge.hello.screen_width}x{bridge.hello.screen_height} "
              f"@ {bridge.hello.refresh_hz:.4f} Hz; {args.rounds} rounds x {args.chunks} chunks of {per_chunk} "
              "frames per config")
        passes = 0
        for rnd in range(args.rounds):
            raw = raw_mame(binary, rom, args.raw_seconds)
            results.raw.append(raw)
            for _ in range(args.chunks):
                shift = passes % len(configs)
                passes += 1
                for cfg in configs[shift:] + configs[:shift]:
                    results.samples[cfg.name].append(run_bridge_chunk(bridge, cfg, per_chunk))
            line = ", ".join(f"{c.name} {statistics.median(s.fps for s in results.samples[c.name][-args.chunks:]):.0f}"
                             for c in configs)
            print(f"round {rnd + 1} (load {os.getloadavg()[0]:.1f}): raw MAME {raw.fps:.0f}; {line}", flush=True)
    finally:
        bridge.close()
    meta["load_after"] = [round(x, 2) for x in os.getloadavg()]
    meta["wall_s"] = round(time.perf_counter() - t0, 1)
    summary = summarize(results, configs)
    print_report(summary, meta)
    print(f"total wall time {meta['wall_s']} s")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "targets": TARGETS, **summary}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

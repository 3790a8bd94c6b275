#!/usr/bin/env python3
"""Steps/s of ``boxing_v0.parallel_env()`` against raw MAME, the bare bridge and PettingZoo's ALE Boxing.

Rows (all measured in one run; see docs/benchmarks.md):

* **raw MAME**: ``mame a2600 -cart boxing.bin -video none -sound none -nothrottle -seconds_to_run S`` with the
  bridge's hermetic options; frames/s = ``Average speed`` × 59.9232 Hz. One run per round.
* **in-bridge raw**: the bridge stepping a whole chunk in one ``Bridge.step(frames=chunk, frame=False)``: emulation
  with only the bridge's trivial per-frame callback, measured exactly like the rows below (a fair raw reference on a
  busy machine, where a long-running raw MAME gets less CPU than processes that sleep often).
* **Bridge.step fs1 rgb**: ``Bridge.step(1, frame=True)`` with 4 u8 RAM reads (``bench_bridge.py``'s fs1 rgb).
* **Bridge.step fs1 rgb, env-like**: the traffic the env sends: its 4 RAM variables read every frame
  (``Agg.ALL``), the random joystick inputs of both players, and the env's crop of the screen.
* **mame_zoo boxing_v0 env**: ``boxing_v0.parallel_env(obs_type="rgb_image", frameskip=1)``, random actions,
  a reset whenever a match ends (counted, and timed with the steps).
* **env frameskip 4**: the same env with ``frameskip=4``, in emulated frames/s (a quarter of the steps).
* **PettingZoo boxing_v2 (ALE)**: ``pettingzoo.atari.boxing_v2.parallel_env(obs_type="rgb_image",
  auto_rom_install_path=<ale-py ROM folder>)``, the same loop; skipped with a message without multi_agent_ale_py.

The rows other than raw MAME are interleaved in short chunks (``--chunks`` passes per round, rotated order), so a
busy machine slows them alike; figures are medians over the chunks (typical) and 90th-percentile chunks (best
case, against the best raw run). Random actions are drawn up front with NumPy so
their cost is in no row. CPU time per step is recorded too (MAME via ``/proc/<pid>/task/*/schedstat``, Python via
``process_time``; for PettingZoo the emulator runs inside Python).

Usage: ``python benchmarks/bench_env.py [--steps N] [--rounds R] [--json out.json]``
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_bridge  # sibling script: raw MAME run, Boxing ROM, bridge set-up, CPU accounting

IBR, BRIDGE, ENVLIKE, ENV, ENV4, PZ = (
    "in-bridge raw (frames/s)", "Bridge.step fs1 rgb", "Bridge.step fs1 rgb, env-like", "mame_zoo boxing_v0 env",
    "env frameskip 4 (frames/s)", "PettingZoo boxing_v2 (ALE)")


def timed(fn, pid: int | None) -> tuple[float, float | None, float]:
    """Run ``fn``; returns (wall s, CPU s of process ``pid`` or None, CPU s of this process)."""
    c0 = bench_bridge.process_cpu_ns(pid) if pid else None
    p0 = time.process_time()
    t0 = time.perf_counter()
    fn()
    wall = time.perf_counter() - t0
    py = time.process_time() - p0
    c1 = bench_bridge.process_cpu_ns(pid) if pid else None
    return wall, (c1 - c0) / 1e9 if c0 is not None and c1 is not None else None, py


def env_loop(env, actions: np.ndarray, state: dict) -> None:
    """Step ``env`` once per row of ``actions`` (one column per agent), resetting when the match is over."""
    agents = env.possible_agents
    for row in actions:
        if not state.get("live"):
            env.reset(seed=int(row[0]))
            state["resets"] = state.get("resets", 0) + 1
        _, _, term, trunc, _ = env.step({a: int(row[i]) for i, a in enumerate(agents)})
        state["live"] = bool(env.agents) and not any(term.values()) and not any(trunc.values())


def bridge_loop(bridge, steps: int, inputs: list[dict[int, int]] | None, crop=None) -> None:
    """``steps`` calls of Bridge.step(1, frame=True), with per-step inputs if given."""
    step = bridge.step
    if inputs is None:
        for _ in range(steps):
            step(1, frame=True)
    else:
        kwargs = {"crop": crop} if crop is not None else {}
        for i in range(steps):
            step(1, inputs[i % len(inputs)], frame=True, **kwargs)


def joystick_inputs(bridge, rng: np.random.Generator, steps: int) -> list[dict[int, int]]:
    """Random Boxing actions for both players as field id -> value maps (what the env's controller produces)."""
    from mame_zoo.games.atari import ACTIONS, joystick

    sticks = [[bridge.field(*f) for f in joystick(port)] for port in (1, 2)]
    out = []
    for a, b in rng.integers(0, 18, size=(steps, 2)):
        values: dict[int, int] = {}
        for stick, action in zip(sticks, (a, b)):
            values.update(zip(stick, ACTIONS[action][1]))
        out.append(values)
    return out


def make_pettingzoo_env():
    """PettingZoo's ALE Boxing with the ROM from ale-py, or (None, reason)."""
    try:
        import multi_agent_ale_py  # noqa: F401
        from pettingzoo.atari import boxing_v2
    except ImportError as exc:
        return None, f"skipped: {exc} (pip install 'pettingzoo[atari]' for multi_agent_ale_py)"
    import ale_py.roms

    rom_dir = os.path.dirname(ale_py.roms.get_rom_path("boxing"))
    return boxing_v2.parallel_env(obs_type="rgb_image", auto_rom_install_path=rom_dir), None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=6000,
                    help="steps per row, split over rounds x chunks (default 6000; PettingZoo gets the same)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds, each with one raw MAME run (default 3)")
    ap.add_argument("--chunks", type=int, default=10, help="interleaved passes over the rows per round (default 10)")
    ap.add_argument("--raw-seconds", type=int, default=30, help="emulated seconds per raw MAME run (default 30)")
    ap.add_argument("--no-pettingzoo", action="store_true", help="skip the PettingZoo ALE row")
    ap.add_argument("--mame", help="MAME binary (default: mame_zoo's lookup)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args(argv)
    if args.rounds < 1 or args.chunks < 1 or args.steps < args.rounds * args.chunks:
        ap.error("need --rounds >= 1, --chunks >= 1 and --steps >= --rounds * --chunks")

    from mame_zoo.bridge import Agg, Bridge, ReadSpec
    from mame_zoo.bridge.process import find_mame, mame_version
    from mame_zoo.games import boxing_v0

    binary = find_mame(args.mame)
    rom = bench_bridge.boxing_rom()
    per_chunk = args.steps // (args.rounds * args.chunks)
    rng = np.random.default_rng(args.seed)
    meta = {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "mame_version": ".".join(map(str, mame_version(binary))),
            "load_before": [round(x, 2) for x in os.getloadavg()], "args": vars(args)}
    t_start = time.perf_counter()

    raw: list[float] = []
    samples: dict[str, list[tuple[float, float | None, float]]] = {IBR: [], BRIDGE: [], ENVLIKE: [], ENV: [],
                                                                   ENV4: []}
    env = boxing_v0.parallel_env(obs_type="rgb_image", frameskip=1, mame=args.mame)
    env4 = boxing_v0.parallel_env(obs_type="rgb_image", frameskip=4, mame=args.mame)
    env_state: dict = {"resets": 0}
    env4_state: dict = {"resets": 0}
    pz_env, pz_note = (None, "skipped: --no-pettingzoo") if args.no_pettingzoo else make_pettingzoo_env()
    pz_state: dict = {"resets": 0}
    if pz_env is not None:
        samples[PZ] = []
    bridge = bench_bridge.open_boxing_bridge(args.mame, rom)
    try:
        space = bridge.space(":maincpu", "program").id
        env.reset(seed=args.seed)  # boots MAME and plays the start sequence: not timed
        env4.reset(seed=args.seed)
        env_state["live"] = env4_state["live"] = True
        if pz_env is not None:
            pz_env.reset(seed=args.seed)
            pz_state["live"] = True
        simple = [ReadSpec(space, a, "u8", 1, Agg.LAST) for a in bench_bridge.BOXING_READS]
        envlike = [ReadSpec(space, a, "u8", 1, Agg.ALL) for a in bench_bridge.BOXING_READS]
        inputs = joystick_inputs(bridge, rng, 4096)
        neutral = dict.fromkeys(inputs[0], 0)
        game_crop = getattr(boxing_v0.GAME, "crop", None)
        crop = game_crop if isinstance(game_crop, tuple) and "crop" in inspect.signature(Bridge.step).parameters \
            else None

        def job(name: str):
            if name == IBR:
                bridge.set_reads(simple)
                return lambda: bridge.step(per_chunk, neutral, frame=False), bridge.pid
            if name == BRIDGE:
                bridge.set_reads(simple)
                bridge.step(1, neutral, frame=False)
                return lambda: bridge_loop(bridge, per_chunk, None), bridge.pid
            if name == ENVLIKE:
                bridge.set_reads(envlike)
                return lambda: bridge_loop(bridge, per_chunk, inputs, crop), bridge.pid
            if name == ENV:
                acts = np.stack([rng.integers(0, env.action_space(a).n, per_chunk) for a in env.possible_agents], 1)
                return lambda: env_loop(env, acts, env_state), env.bridge.pid if env.bridge else None
            if name == ENV4:  # the same emulated frames in a quarter of the steps
                acts = np.stack([rng.integers(0, env4.action_space(a).n, per_chunk // 4)
                                 for a in env4.possible_agents], 1)
                return lambda: env_loop(env4, acts, env4_state), env4.bridge.pid if env4.bridge else None
            acts = np.stack([rng.integers(0, pz_env.action_space(a).n, per_chunk) for a in pz_env.possible_agents], 1)
            return lambda: env_loop(pz_env, acts, pz_state), None

        names = list(samples)
        passes = 0
        for rnd in range(args.rounds):
            run = bench_bridge.raw_mame(binary, rom, args.raw_seconds)
            raw.append(run.fps)
            for _ in range(args.chunks):
                shift = passes % len(names)
                passes += 1
                for name in names[shift:] + names[:shift]:
                    fn, pid = job(name)
                    samples[name].append(timed(fn, pid))
            line = ", ".join(f"{n} {statistics.median(per_chunk / s[0] for s in samples[n][-args.chunks:]):.0f}"
                             for n in names)
            print(f"round {rnd + 1} (load {os.getloadavg()[0]:.1f}): raw MAME {run.fps:.0f}; {line}", flush=True)
    finally:
        bridge.close()
        env.close()
        env4.close()
        if pz_env is not None:
            pz_env.close()

    meta["load_after"] = [round(x, 2) for x in os.getloadavg()]
    meta["wall_s"] = round(time.perf_counter() - t_start, 1)
    raw_med, raw_best = statistics.median(raw), max(raw)
    table = {}
    for name, rows in samples.items():
        sps = [per_chunk / s[0] for s in rows]
        mame_cpu = None if any(s[1] is None for s in rows) else statistics.median(s[1] / per_chunk * 1e6 for s in rows)
        best = statistics.quantiles(sps, n=10, method="inclusive")[-1] if len(sps) > 1 else sps[0]
        table[name] = {"steps_per_s": statistics.median(sps), "best": best, "cv": statistics.pstdev(sps) /
                       statistics.median(sps), "chunks": sps, "cpu_mame_us": mame_cpu,
                       "cpu_py_us": statistics.median(s[2] / per_chunk * 1e6 for s in rows)}
    ibr, ibr_best = table[IBR]["steps_per_s"], table[IBR]["best"]
    bridge_sps, envlike_sps, env_sps = (table[n]["steps_per_s"] for n in (BRIDGE, ENVLIKE, ENV))

    print()
    print(f"machine: {meta['cpus']} CPUs, {meta['platform']}, Python {meta['python']}, MAME {meta['mame_version']}")
    print(f"load average before/after: {meta['load_before']} / {meta['load_after']}")
    head = (f"{'row':<30} {'steps/s':>7} {'cv':>4} {'us/step':>7} {'x raw':>5} {'x ibr':>5} {'x Bridge':>8} | "
            f"{'best':>5} {'x raw':>5} {'x ibr':>5} | {'cpu us/step':>11}  note")
    print(head)
    print("-" * len(head))
    print(f"{'raw MAME (frames/s)':<30} {raw_med:>7.0f} {'':>4} {1e6 / raw_med:>7.0f} {1.0:>5.2f} {'':>5} {'':>8} | "
          f"{raw_best:>5.0f} {1.0:>5.2f} {'':>5} | {'':>11}  {len(raw)} runs of {args.raw_seconds} emulated s")
    notes = {ENV: f"{env_state['resets']} resets timed", ENV4: f"{env4_state['resets']} resets timed",
             PZ: f"{pz_state['resets']} resets timed",
             ENVLIKE: "" if crop else "(no crop: Bridge.step has no crop=)"}
    for name, t in table.items():
        m, b = t["steps_per_s"], t["best"]
        cpu = f"{t['cpu_py_us']:.0f}" if t["cpu_mame_us"] is None else f"{t['cpu_mame_us']:.0f}+{t['cpu_py_us']:.0f}"
        if name == IBR:
            cpu = f"{t['cpu_mame_us']:.0f}/frame" if t["cpu_mame_us"] is not None else ""
        print(f"{name:<30} {m:>7.0f} {t['cv'] * 100:>3.0f}% {1e6 / m:>7.0f} {m / raw_med:>5.2f} {m / ibr:>5.2f} "
              f"{m / bridge_sps:>8.2f} | {b:>5.0f} {b / raw_best:>5.2f} {b / ibr_best:>5.2f} | {cpu:>11}  "
              f"{notes.get(name, '')}")
    if pz_env is None:
        print(f"{PZ:<30} {pz_note}")
    print()
    print("steps/s: median chunk (cv: spread of the chunks); best: 90th-percentile chunk; raw MAME: median and")
    print("best run. x ibr: against the in-bridge raw row. cpu us/step: MAME + Python CPU per step (PettingZoo: its")
    print("own process, ALE runs inside it).")
    bridge_us = 1e6 / bridge_sps - 1e6 / ibr
    envlike_us = 1e6 / envlike_sps - 1e6 / bridge_sps
    env_py_us = 1e6 / env_sps - 1e6 / envlike_sps
    print(f"bridge-only overhead: Bridge.step fs1 rgb = {bridge_sps / raw_med:.2f} x raw MAME, "
          f"{bridge_sps / ibr:.2f} x in-bridge raw ({bridge_us:.0f} us/step beyond its frame time)")
    print(f"env-like traffic (ALL reads, inputs, crop) vs plain Bridge.step: {envlike_us:+.0f} us/step")
    py_delta = table[ENV]["cpu_py_us"] - table[ENVLIKE]["cpu_py_us"]
    print(f"env layer (env.step vs env-like Bridge.step): {env_py_us:+.0f} us/step wall, {py_delta:+.0f} us/step "
          f"Python CPU; env = {env_sps / bridge_sps:.2f} x Bridge.step, {env_sps / raw_med:.2f} x raw MAME, "
          f"{env_sps / ibr:.2f} x in-bridge raw")
    env4_fps = table[ENV4]["steps_per_s"]
    print(f"targets: env fs4 {env4_fps / raw_med:.2f} x raw MAME (>= 0.95: "
          f"{'ok' if env4_fps / raw_med >= 0.95 else 'FAIL'}), env fs1 {env_sps / raw_med:.2f} x raw MAME (>= 0.80: "
          f"{'ok' if env_sps / raw_med >= 0.80 else 'FAIL'}); against in-bridge raw: {env4_fps / ibr:.2f} and "
          f"{env_sps / ibr:.2f}")
    if PZ in table:
        pz = table[PZ]["steps_per_s"]
        print(f"PettingZoo ALE runs at {pz / env_sps:.2f} x the mame_zoo env's speed ({pz:.0f} vs {env_sps:.0f} "
              "steps/s)")
    print(f"total wall time {meta['wall_s']} s")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "meta": meta, "raw_fps": raw_med, "raw_best": raw_best, "raw_runs": raw, "rows": table,
            "bridge_overhead_us": bridge_us, "envlike_extra_us": envlike_us, "env_layer_us": env_py_us,
            "pettingzoo": pz_note or "measured"},
            indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Learning curves of a self-play run: each checkpoint's score margin against the built-in CPU (matplotlib).

    python -m mame_zoo.train.plot RUN_DIR --episodes 3 --out docs/img/boxing_learning_curve.png

evaluates every ``RUN_DIR/checkpoints/*.zip`` (and ``final.zip``) against the CPU, stores the margins in
``RUN_DIR/curve.csv`` (checkpoints already there are not evaluated again) and draws margin (mean ± std)
over emulated frames, with the in-training evaluations of ``eval.csv`` and, if given, random play's margin.
"""

from __future__ import annotations

import argparse
import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CURVE_FIELDS = ["checkpoint", "frames", "episodes", "margin_mean", "margin_std", "margins"]


def evaluate_checkpoints(run_dir: str | os.PathLike[str], episodes: int = 3, seed: int = 0,
                         progress: bool = True) -> list[dict[str, str]]:
    """Evaluate each checkpoint of a run against the CPU; returns the rows of ``curve.csv`` (frames ascending)."""
    from mame_zoo.train.evaluate import evaluate
    from mame_zoo.train.policy import load_policy
    from mame_zoo.train.selfplay import checkpoint_frames_per_timestep

    run = Path(run_dir)
    path = run / "curve.csv"
    rows: dict[str, dict[str, str]] = {}
    if path.exists():
        with path.open() as fh:
            rows = {r["checkpoint"]: r for r in csv.DictReader(fh)}
    files = sorted(run.glob("checkpoints/*.zip")) + ([run / "final.zip"] if (run / "final.zip").exists() else [])
    for file in files:
        name = os.fspath(file.relative_to(run))
        if name in rows:
            continue
        policy = load_policy(file)
        frames = round(policy.model.num_timesteps * checkpoint_frames_per_timestep(policy))
        result = evaluate(policy, "cpu", episodes=episodes, seed=seed, progress=progress)
        rows[name] = {"checkpoint": name, "frames": str(frames), "episodes": str(len(result.margins)),
                      "margin_mean": f"{result.mean:.2f}", "margin_std": f"{result.std:.2f}",
                      "margins": " ".join(f"{m:g}" for m in result.margins)}
        ordered = sorted(rows.values(), key=lambda r: int(r["frames"]))
        with path.open("w", newline="") as fh:  # rewritten after each checkpoint: an interrupted run keeps its work
            writer = csv.DictWriter(fh, CURVE_FIELDS)
            writer.writeheader()
            writer.writerows(ordered)
    return sorted(rows.values(), key=lambda r: int(r["frames"]))


def training_cpu_margins(run: Path, column: str = "cpu_games/margin_mean") -> list[tuple[float, float]]:
    """(millions of frames, running mean margin) of a run's training matches against the CPU (``column``:
    another logged margin, e.g. ``pool_games/margin_mean``), from its ``progress*.csv`` files: a resumed run keeps
    the earlier parts, and a part resumed from an earlier checkpoint replaces what the part before it logged after
    that point."""
    parts = []  # (first frame, file time, rows): in the order they were run, also when resumed twice from one point
    for path in run.glob("progress*.csv"):
        with path.open() as fh:
            rows = [(float(r["time/emulated_frames"]) / 1e6, r.get(column))
                    for r in csv.DictReader(fh) if r.get("time/emulated_frames")]
        if rows:
            parts.append((rows[0][0], path.stat().st_mtime, rows))
    parts.sort(key=lambda part: part[:2])
    points = []
    for i, (_, _, rows) in enumerate(parts):
        end = parts[i + 1][0] if i + 1 < len(parts) else float("inf")
        points += [(x, float(m)) for x, m in rows if m and x < end]
    return points


def _draw_run(ax: Any, run: Path, label: str, color: str | None = None) -> None:
    """One run's points: checkpoint evaluations (curve.csv), in-training evaluations (eval.csv) and the
    training matches against the CPU (``cpu_games/margin_mean`` in progress.csv)."""
    if (run / "curve.csv").exists():
        with (run / "curve.csv").open() as fh:
            rows = [r for r in csv.DictReader(fh) if r["checkpoint"] != "final.zip"]
        x = [int(r["frames"]) / 1e6 for r in rows]
        y = [float(r["margin_mean"]) for r in rows]
        e = [float(r["margin_std"]) for r in rows]
        n = rows[0]["episodes"] if rows else "?"
        ax.errorbar(x, y, yerr=e, marker="o", capsize=3, color=color,
                    label=f"{label}checkpoints vs CPU (mean ± std, {n} episodes)")
    if (run / "eval.csv").exists():
        with (run / "eval.csv").open() as fh:
            evals = list(csv.DictReader(fh))
        ax.plot([int(r["frames"]) / 1e6 for r in evals], [float(r["margin_mean"]) for r in evals], "s--",
                alpha=0.7, color=color,
                label=f"{label}evaluations during training ({evals[0]['episodes'] if evals else '?'} episodes each)")
    points = training_cpu_margins(run)
    if points:
        ax.plot(*zip(*points), "-", linewidth=1, alpha=0.8, color=color,
                label=f"{label}training matches vs CPU (last 100 episodes)")
    pool = training_cpu_margins(run, "pool_games/margin_mean")
    if pool:
        ax.plot(*zip(*pool), ":", linewidth=1.2, alpha=0.8, color=color or "tab:orange",
                label=f"{label}training matches vs past snapshots (last 100; the pool grows)")


def plot(run_dir: str | os.PathLike[str], out: str | os.PathLike[str], random_margin: float | None = None,
         target: float | None = 15.0, title: str | None = None,
         compare: Sequence[tuple[str, str | os.PathLike[str]]] = ()) -> str:
    """Draw the learning curve of a run into a PNG; returns its path.

    ``compare``: further runs as ``(label, run_dir)``, drawn in grey next to this one.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Path(run_dir)
    fig, ax = plt.subplots(figsize=(7.5, 4.6), dpi=110)
    _draw_run(ax, run, "")
    for (label, other), color in zip(compare, ("tab:red", "tab:purple", "tab:brown", "tab:olive")):
        _draw_run(ax, Path(other), f"{label}: ", color)
    if random_margin is not None:
        ax.axhline(random_margin, color="grey", linestyle=":", label=f"random play vs CPU ({random_margin:+.1f})")
    if target is not None:
        ax.axhline(target, color="green", linestyle="-.", alpha=0.5, label=f"target {target:+g}")
    ax.axhline(0, color="black", linewidth=0.5)
    ax.set_xlabel("emulated frames (millions)")
    ax.set_ylabel("score margin")
    ax.set_title(title or f"self-play PPO on {run.name}")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return os.fspath(out)


def main(argv: list[str] | None = None) -> int:
    """``python -m mame_zoo.train.plot RUN_DIR [--episodes N] [--out PNG] [--random-margin M]``."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run_dir")
    p.add_argument("--episodes", type=int, default=3, help="episodes per checkpoint (0: plot what is there)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=None, help="PNG path (default RUN_DIR/learning_curve.png)")
    p.add_argument("--random-margin", type=float, help="random play's mean margin vs the CPU, drawn as a line")
    p.add_argument("--title")
    p.add_argument("--compare", nargs=2, action="append", default=[], metavar=("LABEL", "RUN_DIR"),
                   help="also draw another run (its curve.csv / eval.csv / progress.csv)")
    args = p.parse_args(argv)
    if args.episodes:
        for row in evaluate_checkpoints(args.run_dir, args.episodes, args.seed):
            print(f"{row['checkpoint']:<32} {int(row['frames']):>9} frames  margin {float(row['margin_mean']):+.1f} "
                  f"± {float(row['margin_std']):.1f}")
    out = args.out or os.path.join(args.run_dir, "learning_curve.png")
    print(f"wrote {plot(args.run_dir, out, args.random_margin, title=args.title, compare=args.compare)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The ``train``, ``eval`` and ``record`` subcommands of ``mame-zoo`` (see :func:`register`; ``play`` is in
:mod:`mame_zoo.play`)."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable
from typing import Any

from mame_zoo.errors import InvalidOption
from mame_zoo.train.selfplay import TrainConfig

_DEFAULTS = TrainConfig()


def friendly(fn: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Report user errors (bad checkpoint path, mismatched settings, missing extra) in one line, exit code 2."""

    @functools.wraps(fn)
    def run(args: argparse.Namespace) -> int:
        try:
            return fn(args)
        except (ValueError, FileNotFoundError, ImportError) as exc:
            print(f"mame-zoo {args.command}: {exc}", file=sys.stderr)
            return 2

    return run


def env_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Env options from the command line (the top-level ``--mame``)."""
    mame = getattr(args, "mame", None)
    return {"mame": mame} if mame else {}


def pool_games(args: argparse.Namespace) -> int:
    """``--pool-games``, else the default for the observation type (past snapshots play as MLPs: RAM only)."""
    if args.pool_games is not None:
        return int(args.pool_games)
    return _DEFAULTS.pool_games if args.obs == "ram" else 0


@friendly
def _train(args: argparse.Namespace) -> int:
    from mame_zoo.train.selfplay import train

    cfg = TrainConfig(
        game=args.game, frames=args.frames, out=args.out or f"runs/{args.game}_selfplay", frameskip=args.frameskip,
        obs_type=args.obs, size=args.size, stack=args.stack, net=args.net, num_games=args.num_games,
        cpu_games=args.cpu_games, pool_games=pool_games(args), pool_every=args.pool_every, workers=args.workers,
        n_steps=args.n_steps, batch_size=args.batch_size, n_epochs=args.epochs, learning_rate=args.lr,
        clip_range=args.clip_range, ent_coef=args.ent_coef, clip_rewards=not args.raw_rewards,
        checkpoint_every=args.checkpoint_every,
        eval_every=args.eval_every, eval_episodes=args.eval_episodes, eval_max_steps=args.eval_max_steps,
        max_cycles=args.max_cycles, seed=args.seed,
        resume=args.resume, progress=not args.no_progress, torch_threads=args.torch_threads or None,
        update_threads=args.update_threads or None,
        video_every=args.video_every, env_kwargs=env_kwargs(args))
    final = train(cfg)
    print(f"final model: {final}")
    return 0


def _limit_torch_threads(args: argparse.Namespace) -> None:
    """Set PyTorch's threads for eval/record when a checkpoint plays (one batch-1 forward per step: one thread
    is as fast as two next to MAME, at half the CPU: 73 s vs 78 s and 75 vs 140 CPU-s for 5 Boxing matches)."""
    if args.torch_threads < 1:
        raise InvalidOption(f"--torch-threads must be at least 1, got {args.torch_threads}")
    opponents = args.vs if isinstance(args.vs, list) else [args.vs]
    if all(p in ("random", "cpu", "pretrained") for p in [args.player, *opponents]):
        return  # no network plays: do not import torch
    from mame_zoo.train import require_train_extra

    torch, _ = require_train_extra()
    torch.set_num_threads(args.torch_threads)


@friendly
def _eval(args: argparse.Namespace) -> int:
    from mame_zoo.train.evaluate import evaluate
    from mame_zoo.train.policy import load_policy

    _limit_torch_threads(args)
    player: Any = args.player if args.player in ("random", "pretrained") else load_policy(args.player)
    results = []
    for opponent in args.vs:
        result = evaluate(player, opponent, episodes=args.episodes, seed=args.seed, deterministic=args.deterministic,
                          game=args.game, frameskip=args.frameskip, side=args.side, max_steps=args.max_steps,
                          video_folder=args.video, progress=not args.no_progress, env_kwargs=env_kwargs(args))
        results.append(result)
        print(result.summary(), flush=True)
    if len(results) > 1:
        print("\n| player | opponent | episodes | margin (mean ± std) | min | max |\n|---|---|---|---|---|---|")
        for r in results:
            print(f"| {r.player} | {r.opponent} | {len(r.margins)} | {r.mean:+.1f} ± {r.std:.1f} | "
                  f"{min(r.margins):+g} | {max(r.margins):+g} |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump([{"player": r.player, "opponent": r.opponent, "margins": r.margins, "mean": r.mean,
                        "std": r.std, "frames": r.frames, "seconds": r.seconds} for r in results], fh, indent=2)
    return 0


@friendly
def _record(args: argparse.Namespace) -> int:
    from mame_zoo.train.evaluate import evaluate

    _limit_torch_threads(args)
    kwargs = env_kwargs(args)
    result = evaluate(args.player, args.vs, episodes=args.episodes, seed=args.seed, deterministic=args.deterministic,
                      game=args.game, frameskip=args.frameskip, side=args.side, max_steps=args.max_steps,
                      video_folder=args.out, video_format=args.format, video_every=args.every,
                      video_scale=args.scale, progress=not args.no_progress, env_kwargs=kwargs)
    print(result.summary())
    for path in result.videos:
        print(f"wrote {path}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``train``, ``eval`` and ``record`` to the subparsers of ``mame-zoo``'s argument parser.

    Each subcommand sets ``func`` (called with the parsed namespace, returns an exit code). The top-level
    ``--mame`` option, when given, is passed on to the envs.
    """
    d = _DEFAULTS
    p = subparsers.add_parser("train", help="self-play PPO (Stable-Baselines3): one shared policy plays every side",
                              description="Self-play PPO (RAM + MLP by default, or screens + CNN) over SuperSuit-"
                              "wrapped envs, with matches against the built-in CPU; budgets in emulated frames. "
                              "Needs the 'train' extra.")
    p.add_argument("game", help="a multi-agent game, e.g. boxing_v0")
    p.add_argument("--frames", type=int, default=d.frames, help="emulated frames to train for (default %(default)s)")
    p.add_argument("--out", help="run folder (default runs/GAME_selfplay)")
    p.add_argument("--resume", help="continue from this checkpoint or run folder (up to --frames in total)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--frameskip", type=int, default=d.frameskip, help="frames per step inside MAME")
    p.add_argument("--obs", choices=("ram", "rgb"), default=d.obs_type,
                   help="what the policy observes: the machine's RAM (MLP) or screens (CNN) (default %(default)s)")
    p.add_argument("--size", type=int, default=d.size, help="screens are resized to SIZE×SIZE")
    p.add_argument("--stack", type=int, default=d.stack, help="stacked observations (default %(default)s)")
    p.add_argument("--net", choices=("mlp", "small", "nature"), default=d.net,
                   help="network: mlp for RAM (the default there), small (the default for screens) or nature")
    p.add_argument("--num-games", type=int, default=d.num_games, help="self-play matches played in parallel")
    p.add_argument("--cpu-games", type=int, default=d.cpu_games,
                   help="matches against the built-in CPU played alongside by the same policy (default %(default)s)")
    p.add_argument("--pool-games", type=int,
                   help=f"matches against past snapshots of the policy and random play (default {d.pool_games} "
                   "with --obs ram; needs it)")
    p.add_argument("--pool-every", type=int, default=d.pool_every,
                   help="frames between snapshots joining that pool (default %(default)s)")
    p.add_argument("--workers", type=int, default=d.workers, help="worker processes for the matches (0: none)")
    p.add_argument("--n-steps", type=int, default=d.n_steps, help="PPO rollout length per env")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--epochs", type=int, default=d.n_epochs, help="PPO epochs per rollout")
    p.add_argument("--lr", type=float, default=d.learning_rate, help="initial learning rate (decays linearly)")
    p.add_argument("--clip-range", type=float, default=d.clip_range, help="PPO's clip range")
    p.add_argument("--ent-coef", type=float, default=d.ent_coef)
    p.add_argument("--raw-rewards", action="store_true", help="train on raw score changes instead of their sign")
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every, help="frames between checkpoints")
    p.add_argument("--eval-every", type=int, default=d.eval_every,
                   help="frames between evaluations against the built-in CPU (0: none)")
    p.add_argument("--eval-episodes", type=int, default=d.eval_episodes)
    p.add_argument("--eval-max-steps", type=int, help="cut those evaluation episodes after N steps (default: none)")
    p.add_argument("--max-cycles", type=int, default=d.max_cycles, help="truncate training episodes after N steps")
    p.add_argument("--torch-threads", type=int, default=d.torch_threads,
                   help="PyTorch threads while the envs run (0: its default)")
    p.add_argument("--update-threads", type=int, default=0,
                   help="PyTorch threads for PPO's updates (0: one per usable CPU)")
    p.add_argument("--video-every", type=int, default=0, help="record every Nth training episode to OUT/videos")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (SB3's tables on stdout instead)")
    p.set_defaults(func=_train)

    def common(p: argparse.ArgumentParser, vs_default: Any, vs_nargs: Any) -> None:
        p.add_argument("player", help="a checkpoint (.zip or run folder), 'pretrained' (the agent shipped for "
                       "--game) or 'random'")
        p.add_argument("--vs", nargs=vs_nargs, default=vs_default,
                       help="opponent(s): 'cpu' (built-in, single-agent env), 'random', 'pretrained' or a checkpoint")
        p.add_argument("--episodes", type=int, default=10)
        p.add_argument("--seed", type=int, default=0, help="episode i is seeded with SEED + i")
        p.add_argument("--deterministic", action="store_true", help="take the most likely action, not a sample")
        p.add_argument("--torch-threads", type=int, default=1,
                       help="PyTorch threads for checkpoints' inference (default 1: more spin-wait next to MAME)")
        p.add_argument("--game", help="game for players 'random' and 'pretrained' (default boxing_v0)")
        p.add_argument("--frameskip", type=int, help="frameskip for player 'random' (default 4)")
        p.add_argument("--side", help="the player's agent in multi-agent matches (default the first)")
        p.add_argument("--max-steps", type=int, help="cut episodes after N steps (default: whole matches)")
        p.add_argument("--no-progress", action="store_true")

    p = subparsers.add_parser("eval", help="score margin of a checkpoint vs the CPU, random play or a checkpoint")
    common(p, ["cpu", "random"], "+")
    p.add_argument("--video", help="also record every episode as MP4 into this folder")
    p.add_argument("--json", help="write the margins to this JSON file")
    p.set_defaults(func=_eval)

    p = subparsers.add_parser("record", help="record episodes of a checkpoint or random agents to MP4/GIF")
    common(p, "cpu", None)
    p.set_defaults(episodes=1)
    p.add_argument("--out", default="videos", help="output folder (default %(default)s)")
    p.add_argument("--format", choices=("mp4", "gif"), default="mp4")
    p.add_argument("--every", type=int, default=1, help="keep every Nth step's frame")
    p.add_argument("--scale", type=int, default=2, help="integer upscaling of the video")
    p.set_defaults(func=_record)


def main(argv: list[str] | None = None) -> int:
    """Run one of these subcommands standalone: ``python -m mame_zoo.train.cli train boxing_v0 ...``."""
    parser = argparse.ArgumentParser(prog="mame-zoo")
    parser.add_argument("--mame", help="MAME binary")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

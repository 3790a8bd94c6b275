"""The ``mame-zoo`` command: doctor, games, actions, demo, find, debug, train, eval, play, record."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence

from mame_zoo.errors import MameZooError


def _doctor(args: argparse.Namespace) -> int:
    from mame_zoo.bridge import Bridge
    from mame_zoo.bridge.process import MIN_VERSION, TESTED_VERSIONS, find_mame, mame_version, version_support
    from mame_zoo.games import declaration
    from mame_zoo.registry import names
    from mame_zoo.roms import ROMS_ENV, rom_paths

    ok = True
    try:
        binary = find_mame(args.mame)
        major, minor = mame_version(binary)
        print(f"MAME:       {binary} (version {major}.{minor})")
        supported = (major, minor) >= MIN_VERSION
        problem = version_support((major, minor))
        tested = ", ".join(f"{a}.{b}" for a, b in TESTED_VERSIONS)
        print(f"Version:    {f'WARNING: {problem}' if problem else f'{major}.{minor} is supported and tested'} "
              f"(tested: {tested})")
        print(f"Lua API:    {'supported' if supported else 'TOO OLD'} (needs {MIN_VERSION[0]}.{MIN_VERSION[1]}+)")
        if supported:
            started = time.perf_counter()
            # a cartridge: newer MAME (0.276+) refuses to start a2600 without one
            with Bridge(declaration("boxing_v0").machine(None), mame=binary) as bridge:
                bridge.step(10, frame=True)
                hello = bridge.hello
            print(f"Bridge:     protocol OK ({hello.description}, booted and stepped in "
                  f"{(time.perf_counter() - started) * 1000:.0f} ms)")
        ok = supported
    except MameZooError as exc:
        print(f"MAME:       NOT OK: {exc}")
        ok = False
    paths = rom_paths()
    print(f"ROM folders ({ROMS_ENV}): {', '.join(paths) if paths else '(not set; arcade games need it or rom_path=)'}")
    try:
        import ale_py.roms

        boxing = ale_py.roms.get_rom_path("boxing")
        if boxing is None:
            print("Atari ROMs: boxing.bin is missing from ale-py (reinstall it: pip install --force-reinstall ale-py)")
        else:
            print(f"Atari ROMs: {os.path.dirname(boxing)} (from the ale-py wheel)")
    except Exception as exc:  # ale-py missing or broken
        print(f"Atari ROMs: unavailable ({exc})")
    print("Games:")
    for name in names():
        game = declaration(name)
        try:
            game.machine(None)
            status = "runnable"
        except MameZooError as exc:
            status = f"not runnable: {str(exc).split('.')[0]}"
        print(f"  {name:<18} {status}")
    return 0 if ok else 1


def _games(args: argparse.Namespace) -> int:
    from gymnasium.spaces import Discrete

    from mame_zoo.games import declaration
    from mame_zoo.registry import names

    for name in names():
        game = declaration(name)
        agents = ", ".join(game.agents)
        space = game.action_space(game.agents[0], False)
        actions = str(space.n) if isinstance(space, Discrete) else " x ".join(str(int(n)) for n in space.nvec)
        settings = ", ".join(game.settings())
        print(f"{name:<24} agents: {agents:<40} actions: {actions:>5}  {game.description.split('. ')[0]}"
              + (f" (settings: {settings})" if settings else ""))
    return 0


def _actions(args: argparse.Namespace) -> int:
    from mame_zoo.bridge import Bridge, MachineConfig
    from mame_zoo.errors import UnknownGame
    from mame_zoo.games import declaration
    from mame_zoo.roms import rom_paths

    used: set[tuple[str, str]] = set()
    try:
        game = declaration(args.game)
        machine = game.machine(args.rom_path)
        used = set(game.controller(False).inputs)
    except UnknownGame:
        media = {"cart": args.cart} if args.cart else {}
        machine = MachineConfig(args.game, media, rom_paths(args.rom_path))
    with Bridge(machine, mame=args.mame) as bridge:
        print(f"{bridge.hello.description} ({bridge.hello.system}): input port / field "
              "(player, kind) [* = driven by the agents]")
        for f in bridge.inputs():
            kind = f"analog {f.minimum}..{f.maximum}" if f.is_analog else "digital"
            mark = "*" if (f.port, f.field) in used else " "
            print(f" {mark} {f.port:<24} {f.field:<24} (P{f.player + 1}, {kind})")
    return 0


def _demo(args: argparse.Namespace) -> int:
    import imageio.v2 as imageio
    import numpy as np
    from tqdm import tqdm

    from mame_zoo.registry import make

    env = make(args.game, render_mode="rgb_array")
    frames = []
    try:
        env.reset(seed=args.seed)
        returns = dict.fromkeys(env.possible_agents, 0.0)
        steps = 0
        started = time.perf_counter()
        with tqdm(total=args.max_steps, desc=f"{args.game} (random agents)", unit="step", mininterval=0.5) as bar:
            while env.agents and (args.max_steps is None or steps < args.max_steps):
                actions = {a: env.action_space(a).sample() for a in env.agents}
                _, rewards, _, _, _ = env.step(actions)
                for agent, reward in rewards.items():
                    returns[agent] += reward
                if args.gif and steps % args.gif_every == 0:
                    frames.append(env.render())
                steps += 1
                bar.update()
        elapsed = time.perf_counter() - started
    finally:
        env.close()
    print(f"{steps} steps in {elapsed:.1f} s: {steps / elapsed:.0f} steps/s")
    for agent, total in returns.items():
        print(f"  return {agent}: {total:+g}")
    if args.gif:
        fps = max(1.0, 60.0 / args.gif_every)
        imageio.mimsave(args.gif, [np.asarray(f) for f in frames], duration=1000 / fps, loop=0)
        print(f"wrote {args.gif} ({len(frames)} frames)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``mame-zoo``."""
    parser = argparse.ArgumentParser(prog="mame-zoo", description=__doc__)
    parser.add_argument("--mame", help="MAME binary (default: MAME_ZOO_MAME, PATH, /usr/games/mame)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("doctor", help="check MAME, the bridge, ROM folders and which games can run")
    p.set_defaults(func=_doctor)

    p = sub.add_parser("games", help="list the games")
    p.set_defaults(func=_games)

    p = sub.add_parser("actions", help="list the input ports and fields of a game or MAME machine")
    p.add_argument("game", help="a game (e.g. boxing_v0) or a MAME system name (e.g. sfiii3n, a2600)")
    p.add_argument("--rom-path", help="folder with the romset (default: MAME_ZOO_ROMS)")
    p.add_argument("--cart", help="cartridge file for console systems such as a2600")
    p.set_defaults(func=_actions)

    p = sub.add_parser("demo", help="random agents play a whole match headless and write a GIF")
    p.add_argument("--game", default="boxing_v0")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (default: match end)")
    p.add_argument("--gif", default="boxing_demo.gif", help="output GIF ('' for none)")
    p.add_argument("--gif-every", type=int, default=8, help="keep every Nth frame in the GIF")
    p.set_defaults(func=_demo)

    from mame_zoo.finder import register as register_finder

    register_finder(sub)
    from mame_zoo.play import register as register_play
    from mame_zoo.train.cli import register as register_training

    register_training(sub)
    register_play(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mame-zoo`` command."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except MameZooError as exc:
        print(f"mame-zoo: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

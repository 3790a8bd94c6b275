"""Human play in a pygame window: against the built-in CPU, another human, or a trained checkpoint.

Keys (also in ``docs/training.md``):

=========  ==========================  ==========================
           player 1                    player 2
=========  ==========================  ==========================
move       arrow keys                  W A S D
fire       Space or Right Ctrl         Left Shift or F
gamepad    first gamepad (stick/hat,   second gamepad
           any of buttons 1-4 fires)
=========  ==========================  ==========================

Esc or closing the window quits, P pauses, F1 restarts the match. Opposite directions cancel out. A move
the game does not have (e.g. UP in Pong) falls back to the nearest one it has (fire or the other axis alone).

Needs pygame (``pip install 'mame-zoo[play]'``). Runs headless with ``SDL_VIDEODRIVER=dummy``; ``script=``
feeds scripted events, which is how the tests drive it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from mame_zoo.errors import InvalidOption
from mame_zoo.train.cli import env_kwargs, friendly

DIRECTIONS = ("up", "down", "left", "right", "fire")


def _pygame() -> Any:
    try:
        import pygame
    except ImportError as exc:
        raise ImportError("human play needs pygame: pip install 'mame-zoo[play]'") from exc
    return pygame


def key_map() -> list[dict[str, tuple[int, ...]]]:
    """Keyboard controls of player 1 and player 2: ``{"up": (key, ...), ..., "fire": (key, ...)}``."""
    pg = _pygame()
    return [
        {"up": (pg.K_UP,), "down": (pg.K_DOWN,), "left": (pg.K_LEFT,), "right": (pg.K_RIGHT,),
         "fire": (pg.K_SPACE, pg.K_RCTRL)},
        {"up": (pg.K_w,), "down": (pg.K_s,), "left": (pg.K_a,), "right": (pg.K_d,), "fire": (pg.K_LSHIFT, pg.K_f)},
    ]


def action_for(held: Iterable[str], meanings: Sequence[str]) -> int:
    """The index in ``meanings`` (ALE action names) of the action for the held directions/fire.

    Opposite directions cancel; a combination the game lacks falls back to fewer inputs, NOOP last.
    """
    held = set(held)
    up, down = "up" in held and "down" not in held, "down" in held and "up" not in held
    left, right = "left" in held and "right" not in held, "right" in held and "left" not in held
    v = "UP" if up else "DOWN" if down else ""
    h = "RIGHT" if right else "LEFT" if left else ""
    f = "FIRE" if "fire" in held else ""
    index = {name: i for i, name in enumerate(meanings)}
    for name in (v + h + f, v + h, h + f, h, v + f, v, f, "NOOP"):
        if name and name in index:
            return index[name]
    return 0


class HumanInput:
    """Which directions/fire each human player holds, from keyboard and gamepad events."""

    AXIS_DEAD_ZONE = 0.5

    def __init__(self) -> None:
        self.keys = key_map()
        self.pressed: set[int] = set()
        self.pads: dict[int, dict[str, Any]] = {}  # joystick instance id -> state
        self._devices: list[Any] = []  # keeps pygame joystick objects alive

    def _pad(self, instance_id: int) -> dict[str, Any]:
        if instance_id not in self.pads:
            self.pads[instance_id] = {"hat": (0, 0), "axis": [0.0, 0.0], "buttons": set(), "player": len(self.pads)}
        return self.pads[instance_id]

    def handle(self, event: Any) -> None:
        """Update the state from one pygame event (other events are ignored)."""
        pg = _pygame()
        if event.type == pg.KEYDOWN:
            self.pressed.add(event.key)
        elif event.type == pg.KEYUP:
            self.pressed.discard(event.key)
        elif event.type == pg.JOYDEVICEADDED:
            try:
                stick = pg.joystick.Joystick(event.device_index)
                self._devices.append(stick)
                self._pad(stick.get_instance_id())
            except pg.error:
                pass
        elif event.type == pg.JOYHATMOTION and event.hat == 0:
            self._pad(event.instance_id)["hat"] = tuple(event.value)
        elif event.type == pg.JOYAXISMOTION and event.axis in (0, 1):
            self._pad(event.instance_id)["axis"][event.axis] = float(event.value)
        elif event.type == pg.JOYBUTTONDOWN and event.button < 4:
            self._pad(event.instance_id)["buttons"].add(event.button)
        elif event.type == pg.JOYBUTTONUP:
            self._pad(event.instance_id)["buttons"].discard(event.button)

    def held(self, player: int) -> set[str]:
        """Directions/fire held by human ``player`` (0 or 1): its keys plus its gamepad."""
        out: set[str] = set()
        if player < len(self.keys):
            out |= {d for d, keys in self.keys[player].items() if any(k in self.pressed for k in keys)}
        for pad in self.pads.values():
            if pad["player"] != player:
                continue
            (hx, hy), (ax, ay) = pad["hat"], pad["axis"]
            dz = self.AXIS_DEAD_ZONE
            if hy > 0 or ay < -dz:
                out.add("up")
            if hy < 0 or ay > dz:
                out.add("down")
            if hx < 0 or ax < -dz:
                out.add("left")
            if hx > 0 or ax > dz:
                out.add("right")
            if pad["buttons"]:
                out.add("fire")
        return out


@dataclasses.dataclass
class PlayResult:
    """What happened in a :func:`play` session."""

    steps: int = 0
    #: returns per agent of every episode played (the last one possibly unfinished)
    episodes: list[dict[str, float]] = dataclasses.field(default_factory=list)
    #: the humans' actions at every step, ``{agent: action}``
    human_actions: list[dict[str, int]] = dataclasses.field(default_factory=list)
    #: the screen after every step (only with ``keep_frames=True``)
    frames: list[np.ndarray] = dataclasses.field(default_factory=list)


class _Session:
    """The env and who controls which agent, for each kind of opponent."""

    def __init__(self, game: str, opponent: str, side: str | None, frameskip: int | None, seed: int | None,
                 deterministic: bool, env_kwargs: dict[str, Any]) -> None:
        import gymnasium

        from mame_zoo.games import declaration
        from mame_zoo.registry import make, resolve
        from mame_zoo.single_agent import gym_id

        self.game = resolve(game)
        decl = declaration(self.game)
        if not hasattr(decl, "action_meanings"):
            raise InvalidOption(f"{self.game} has no named joystick actions; human play supports the Atari games")
        self.meanings = list(decl.action_meanings(False))
        self.agents = list(decl.agents)
        self.single = opponent == "cpu"
        self.policy: Any = None
        bot_config: Any = None  # the observation settings of the policy that plays the other side
        if opponent == "pretrained":
            from mame_zoo.agents import info
            from mame_zoo.agents.observation import ObsConfig

            bot_config = ObsConfig.from_dict(info(self.game)["obs"])
        elif opponent not in ("cpu", "human"):
            from mame_zoo.train.policy import load_policy

            self.policy = load_policy(opponent)
            bot_config = self.policy.config
        obs_kwargs: dict[str, Any] = {}
        if bot_config is not None:
            if bot_config.game != self.game:
                raise InvalidOption(f"the checkpoint plays {bot_config.game}, not {self.game}")
            if frameskip not in (None, bot_config.frameskip):
                raise InvalidOption(f"{opponent} needs frameskip={bot_config.frameskip}")
            frameskip = bot_config.frameskip
            obs_kwargs = bot_config.env_kwargs()
        self.frameskip = frameskip or 1
        kwargs = {**obs_kwargs, "frameskip": self.frameskip, "render_mode": "rgb_array", **env_kwargs}
        if self.single:
            self.humans = [self.agents[0]]
            self.env: Any = gymnasium.make(gym_id(self.game), **kwargs)
            self.bots: dict[str, Any] = {}
        else:
            self.env = make(self.game, **kwargs)
            if opponent == "human":
                self.humans = self.agents[:2]
            else:
                me = side or self.agents[0]
                if me not in self.agents:
                    raise InvalidOption(f"side must be one of {self.agents}, got {me!r}")
                self.humans = [me]
            from mame_zoo.agents.observation import RandomAgent

            self.bots = {}
            for k, a in enumerate(self.agents):
                if a in self.humans:
                    continue
                if opponent == "pretrained":
                    from mame_zoo.agents import load

                    self.bots[a] = load(self.game, a, deterministic=deterministic,
                                        seed=None if seed is None else seed + k)
                elif self.policy is not None:
                    from mame_zoo.train.policy import PolicyAgent

                    self.bots[a] = PolicyAgent(self.policy, a, deterministic)
                else:  # 4-player games with two humans: the rest play at random
                    self.bots[a] = RandomAgent(self.env.action_space(a), None if seed is None else seed + k)
        self.seed = seed
        self.obs: Any = None
        self.returns: dict[str, float] = {}

    def reset(self) -> None:
        seed, self.seed = self.seed, (None if self.seed is None else self.seed + 1)
        self.obs, _ = self.env.reset(seed=seed)
        for bot in self.bots.values():
            bot.reset()
        self.returns = dict.fromkeys(self.agents[:1] if self.single else self.agents, 0.0)

    def step(self, human_actions: dict[str, int]) -> bool:
        """One step; True when the episode is over."""
        if self.single:
            self.obs, reward, term, trunc, _ = self.env.step(human_actions[self.humans[0]])
            self.returns[self.humans[0]] += float(reward)
            return bool(term or trunc)
        actions = {a: human_actions[a] if a in human_actions else self.bots[a].act(self.obs[a])
                   for a in self.env.agents}
        self.obs, rewards, _, _, _ = self.env.step(actions)
        for a, r in rewards.items():
            self.returns[a] += float(r)
        return not self.env.agents

    def frame(self) -> np.ndarray:
        return np.asarray(self.env.render())

    def close(self) -> None:
        self.env.close()


def play(game: str = "boxing_v0", opponent: str = "cpu", *, side: str | None = None, frameskip: int | None = None,
         scale: int = 3, fps: float | None = None, max_steps: int | None = None, episodes: int | None = None,
         seed: int | None = None, deterministic: bool = False,
         script: Callable[[int], Iterable[Any]] | None = None, keep_frames: bool = False,
         env_kwargs: dict[str, Any] | None = None) -> PlayResult:
    """Open a window and let one or two humans play.

    Args:
        game: a registered Atari game, e.g. ``"boxing_v0"``.
        opponent: ``"cpu"`` (the game's built-in opponent; the human is player 1), ``"human"`` (two humans:
            keyboard sets/gamepads 1 and 2), ``"pretrained"`` (the agent shipped for the game,
            :mod:`mame_zoo.agents`) or a checkpoint path/run folder (the human plays ``side``).
        side: the human's agent against a checkpoint or pretrained agent (default the first agent).
        frameskip: emulated frames per step (default 1, or the checkpoint's or pretrained agent's).
        scale: window zoom.
        fps: steps per second (default real time, ``60 / frameskip``; 0 = as fast as possible).
        max_steps: stop after this many steps; ``episodes``: stop after this many finished episodes
            (default: play until the window is closed, restarting after each match).
        seed: seed of the first match (later ones count up).
        deterministic: the checkpoint takes its most likely action.
        script: called with the step number before each step; the pygame events it returns are posted as if
            typed (for tests and demos).
        keep_frames: keep every displayed frame in the result.
        env_kwargs: further env options (e.g. ``mame=``).
    """
    pg = _pygame()
    if scale < 1:
        raise InvalidOption("scale must be >= 1")
    session = _Session(game, opponent, side, frameskip, seed, deterministic, dict(env_kwargs or {}))
    result = PlayResult()
    os.environ.setdefault("SDL_JOYSTICK_ALLOW_BACKGROUND_EVENTS", "1")
    pg.init()
    try:
        session.reset()
        first = session.frame()
        h, w = first.shape[:2]
        screen = pg.display.set_mode((w * scale, h * scale))
        pg.display.set_caption(f"mame_zoo {session.game}")
        clock = pg.time.Clock()
        rate = (60.0 / session.frameskip) if fps is None else float(fps)
        controls = HumanInput()
        for i in range(pg.joystick.get_count()):  # pads present before init may not send JOYDEVICEADDED
            controls.handle(pg.event.Event(pg.JOYDEVICEADDED, device_index=i))
        result.episodes.append(session.returns)
        running, paused = True, False
        frame = first
        while running:
            if max_steps is not None and result.steps >= max_steps:
                break
            if script is not None:
                for event in script(result.steps):
                    pg.event.post(event)
            restart = False
            for event in pg.event.get():
                if event.type == pg.QUIT or (event.type == pg.KEYDOWN and event.key == pg.K_ESCAPE):
                    running = False
                elif event.type == pg.KEYDOWN and event.key == pg.K_p:
                    paused = not paused
                elif event.type == pg.KEYDOWN and event.key == pg.K_F1:
                    restart = True
                else:
                    controls.handle(event)
            if not running:
                break
            if restart:
                session.reset()
                result.episodes.append(session.returns)
            if not paused:
                actions = {a: action_for(controls.held(k), session.meanings) for k, a in enumerate(session.humans)}
                done = session.step(actions)
                result.human_actions.append(actions)
                result.steps += 1
                frame = session.frame()
                if keep_frames:
                    result.frames.append(frame.copy())
                if done:
                    if episodes is not None and len(result.episodes) >= episodes:
                        running = False
                    else:
                        session.reset()
                        result.episodes.append(session.returns)
            surface = pg.surfarray.make_surface(np.ascontiguousarray(frame.swapaxes(0, 1)))
            screen.blit(pg.transform.scale(surface, (w * scale, h * scale)), (0, 0))
            pg.display.flip()
            if result.steps % 15 == 0:
                score = "  ".join(f"{a} {r:+g}" for a, r in session.returns.items())
                pg.display.set_caption(f"mame_zoo {session.game}  {score}{'  [paused]' if paused else ''}")
            if rate > 0:
                clock.tick(rate)
    finally:
        session.close()
        pg.display.quit()
    return result


# --- the ``play`` subcommand of ``mame-zoo`` ---------------------------------------------------------------
@friendly
def _play(args: argparse.Namespace) -> int:
    result = play(args.game, args.vs, side=args.side, frameskip=args.frameskip, scale=args.scale, fps=args.fps,
                  max_steps=args.max_steps, episodes=args.episodes, seed=args.seed,
                  deterministic=args.deterministic, env_kwargs=env_kwargs(args))
    for i, returns in enumerate(result.episodes):
        print(f"match {i + 1}: " + ", ".join(f"{a} {r:+g}" for a, r in returns.items()))
    return 0


def register(subparsers: Any) -> None:
    """Add ``play`` to the subparsers of ``mame-zoo``'s argument parser (sets ``func``)."""
    p = subparsers.add_parser("play", help="play in a window (pygame) vs the CPU, another human or a checkpoint")
    p.add_argument("game", nargs="?", default="boxing_v0")
    p.add_argument("--vs", default="cpu", help="'cpu' (default), 'human', 'pretrained' (the agent shipped for the "
                   "game) or a checkpoint (.zip or run folder)")
    p.add_argument("--side", help="your agent against a checkpoint (default the first)")
    p.add_argument("--frameskip", type=int, help="frames per step (default 1, or the checkpoint's)")
    p.add_argument("--scale", type=int, default=3, help="window zoom")
    p.add_argument("--fps", type=float, help="steps per second (default real time; 0: unthrottled)")
    p.add_argument("--max-steps", type=int)
    p.add_argument("--episodes", type=int, help="quit after N matches (default: until the window is closed)")
    p.add_argument("--seed", type=int)
    p.add_argument("--deterministic", action="store_true")
    p.set_defaults(func=_play)

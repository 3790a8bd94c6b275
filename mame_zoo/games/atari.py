"""Two-player (and four-player) Atari 2600 games on MAME's ``a2600`` driver, from the ROMs in the ale-py wheel.

Each game is an :class:`AtariGame` record: cartridge, players, mode selection, controller wiring, RAM
variables and a rules object. The rules reproduce Multi-Agent-ALE's per-player rewards and terminal
conditions (``Farama-Foundation/Multi-Agent-ALE`` ``src/games/supported/*.cpp``), so that code written for
``pettingzoo.atari`` runs unchanged. Agents are ``first_0``, ``second_0``, ``third_0``, ``fourth_0``.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium
import numpy as np

from mame_zoo.bridge import MachineConfig
from mame_zoo.env import Controller, Game, Rules
from mame_zoo.roms import atari_rom
from mame_zoo.spec import FrameOutcome, Hold, Input, PressUntil, StartOp, Var, Wait, bcd

AGENT_NAMES = ("first_0", "second_0", "third_0", "fourth_0")

# ALE's action enum (src/common/Constants.h): name -> (up, down, left, right, fire)
ACTIONS: tuple[tuple[str, tuple[int, int, int, int, int]], ...] = (
    ("NOOP", (0, 0, 0, 0, 0)), ("FIRE", (0, 0, 0, 0, 1)), ("UP", (1, 0, 0, 0, 0)), ("RIGHT", (0, 0, 0, 1, 0)),
    ("LEFT", (0, 0, 1, 0, 0)), ("DOWN", (0, 1, 0, 0, 0)), ("UPRIGHT", (1, 0, 0, 1, 0)), ("UPLEFT", (1, 0, 1, 0, 0)),
    ("DOWNRIGHT", (0, 1, 0, 1, 0)), ("DOWNLEFT", (0, 1, 1, 0, 0)), ("UPFIRE", (1, 0, 0, 0, 1)),
    ("RIGHTFIRE", (0, 0, 0, 1, 1)), ("LEFTFIRE", (0, 0, 1, 0, 1)), ("DOWNFIRE", (0, 1, 0, 0, 1)),
    ("UPRIGHTFIRE", (1, 0, 0, 1, 1)), ("UPLEFTFIRE", (1, 0, 1, 0, 1)), ("DOWNRIGHTFIRE", (0, 1, 0, 1, 1)),
    ("DOWNLEFTFIRE", (0, 1, 1, 0, 1)),
)
ACTION_NAMES = tuple(name for name, _ in ACTIONS)
ALL_ACTIONS = tuple(range(18))
PADDLE_ACTIONS = (0, 1, 3, 4, 11, 12)  # NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE
JOY_NO_FIRE = (0, 2, 3, 4, 5)  # NOOP, UP, RIGHT, LEFT, DOWN

RESET: Input = (":SWB", "Reset Game")
SELECT: Input = (":SWB", "Select Game")


def joystick(port: int) -> tuple[Input, Input, Input, Input, Input]:
    """(up, down, left, right, fire) fields of the joystick in MAME's ``joyport<port>``."""
    tag, p = f":joyport{port}:joy:JOY", f"P{port}"
    return ((tag, f"{p} Up"), (tag, f"{p} Down"), (tag, f"{p} Left"), (tag, f"{p} Right"), (tag, f"{p} Button 1"))


# Paddles (`-joyportN pad`): paddle k (0..3) -> (pot field, button field). ALE paddle p of a player is wired
# like Stella: left port pots INPT0/INPT1 ("Paddle"/"Paddle 2"), right port INPT2/INPT3.
PADDLES: tuple[tuple[Input, Input], ...] = (
    ((":joyport1:pad:POTX", "Paddle"), (":joyport1:pad:JOY", "P1 Button 1")),
    ((":joyport1:pad:POTY", "Paddle 2"), (":joyport1:pad:JOY", "P2 Button 1")),
    ((":joyport2:pad:POTX", "Paddle 3"), (":joyport2:pad:JOY", "P3 Button 1")),
    ((":joyport2:pad:POTY", "Paddle 4"), (":joyport2:pad:JOY", "P4 Button 1")),
)
# ALE paddle resistance (ale_state.hpp): start, limits and the change per RIGHT/LEFT frame.
PADDLE_START, PADDLE_MIN, PADDLE_MAX, PADDLE_DELTA = 408823, 27450, 790196, 23000


class JoystickController(Controller):
    """Agent i drives the joystick in ``ports[i]``; actions index ``action_set``."""

    def __init__(self, ports: Sequence[int], action_set: Sequence[int]) -> None:
        self.fields = [joystick(p) for p in ports]
        self.action_set = tuple(action_set)
        self.inputs = tuple(f for stick in self.fields for f in stick)

    def reset(self) -> dict[Input, int]:
        return dict.fromkeys(self.inputs, 0)

    def encode(self, actions: Mapping[str, int], frames: int) -> dict[Input, int]:
        out = {}
        for i, stick in enumerate(self.fields):
            bits = ACTIONS[self.action_set[actions.get(AGENT_NAMES[i], 0)]][1]
            out.update(zip(stick, bits))
        return out


class PaddleController(Controller):
    """Agent i turns paddle ``paddles[i]``, moving its resistance like ALE; MAME gets the matching pot value.

    MAME's TIA reads a pot as charged ``76 * value`` cycles after the dump is enabled, Stella after
    ``0.019040 * r`` cycles from the dump's release: ``value = 0.019040 * r / 76 + offset``, where the
    offset (the game's dump period, in lines) is calibrated per game against ALE over the whole paddle range
    (Video Olympics 36.3, Warlords 39.5; docs/fidelity.md).
    """

    def __init__(self, paddles: Sequence[int], action_set: Sequence[int], offset: float = 37.5) -> None:
        self.paddles = [PADDLES[k] for k in paddles]
        self.action_set = tuple(action_set)
        self.offset = offset
        self.inputs = tuple(f for pair in self.paddles for f in pair)
        self.resistance = [PADDLE_START] * len(self.paddles)

    def _value(self, r: int) -> int:
        return int(np.clip(round(0.019040 * r / 76 + self.offset), 0, 255))

    def reset(self) -> dict[Input, int]:
        self.resistance = [PADDLE_START] * len(self.paddles)
        return {f: (self._value(PADDLE_START) if i % 2 == 0 else 0) for i, f in enumerate(self.inputs)}

    def encode(self, actions: Mapping[str, int], frames: int) -> dict[Input, int]:
        out = {}
        for i, (pot, button) in enumerate(self.paddles):
            _, _, left, right, fire = ACTIONS[self.action_set[actions.get(AGENT_NAMES[i], 0)]][1]
            delta = (PADDLE_DELTA if left else -PADDLE_DELTA if right else 0) * frames
            self.resistance[i] = int(np.clip(self.resistance[i] + delta, PADDLE_MIN, PADDLE_MAX))
            out[pot] = self._value(self.resistance[i])
            out[button] = fire
        return out


# --- rules (Multi-Agent-ALE src/games/supported/<Game>.cpp) ------------------------------------------
class ScoreDiffRules(Rules):
    """first_0 gets the change of (own score - opponent score), second_0 the negative.

    ``special`` maps raw byte values to scores (Boxing's KO byte 0xC0 = 100); ``clamp`` floors scores at 0.
    ``teams`` gives, for each further agent, the agent whose reward it shares (4-player Pong).
    """

    def __init__(self, mine: str, theirs: str, *, decode: str = "bcd", special: Mapping[int, int] | None = None,
                 clamp: bool = False, end_scores: Sequence[int] = (), teams: Sequence[int] = (),
                 terminal_when: Any = None) -> None:
        self.mine, self.theirs, self.decode = mine, theirs, decode
        self.special = dict(special or {})
        self.clamp, self.end_scores, self.teams = clamp, tuple(end_scores), tuple(teams)
        self.terminal_when = terminal_when
        self.diff = 0

    def score(self, raw: int) -> int:
        if raw in self.special:
            return self.special[raw]
        value = bcd(raw) if self.decode == "bcd" else raw
        return max(value, 0) if self.clamp else value

    def scores(self, v: Mapping[str, int]) -> tuple[int, int]:
        return self.score(v[self.mine]), self.score(v[self.theirs])

    def reset(self, values: Mapping[str, int]) -> None:
        mine, theirs = self.scores(values)
        self.diff = mine - theirs

    def extra(self, values: Mapping[str, int], rewards: list[float]) -> None:
        """Hook for game-specific penalties (serve timers)."""

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        mine, theirs = self.scores(values)
        diff = mine - theirs
        r = float(diff - self.diff)
        self.diff = diff
        rewards = [r, -r] + [0.0] * len(self.teams)
        self.extra(values, rewards)
        for i, source in enumerate(self.teams):
            rewards[2 + i] = rewards[source]
        terminal = any(s in self.end_scores for s in (mine, theirs))
        if self.terminal_when is not None and self.terminal_when(values):
            terminal = True
        return FrameOutcome(rewards, terminal)


def boxing_clock_out(v: Mapping[str, int]) -> bool:
    """Boxing ends when the clock (minutes in 0x90's high nibble, BCD seconds in 0x91) reaches 0:00."""
    return (v["clock_min"] >> 4) == 0 and bcd(v["clock_sec"]) == 0


def ice_hockey_clock_out(v: Mapping[str, int]) -> bool:
    """Ice Hockey ends when minutes (0x87) and seconds (0x86) are both 0."""
    return v["minutes"] == 0 and v["seconds"] == 0


def combat_timer_out(v: Mapping[str, int]) -> bool:
    """Combat ends when its timer byte (0x88) reaches 0."""
    return v["timer"] == 0


class PongRules(ScoreDiffRules):
    """Video Olympics: raw scores; the server is penalised -1 after 120 frames without serving."""

    SERVE_LIMIT = 120

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("score_first", "score_second", decode="raw", end_scores=(21,), **kwargs)
        self.waiting = 0

    def reset(self, values: Mapping[str, int]) -> None:
        super().reset(values)
        self.waiting = 0

    def extra(self, values: Mapping[str, int], rewards: list[float]) -> None:
        if values["ball"] & 0xF0 == 0:
            self.waiting += 1
            if self.waiting >= self.SERVE_LIMIT:
                rewards[1 if values["server"] == 0 else 0] -= 1
                self.waiting = 0
        else:
            self.waiting = 0


class TennisRules(Rules):
    """Tennis: a point or game won is +1 (zero-sum); the server stalling 180 frames gets -1."""

    STALL_LIMIT = 180

    def reset(self, values: Mapping[str, int]) -> None:
        self.points = values["points_first"] - values["points_second"]
        self.games = values["games_first"] - values["games_second"]
        self.turns = 0
        self.stall = 0

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        points = values["points_first"] - values["points_second"]
        games = values["games_first"] - values["games_second"]
        r = 0.0
        if games != self.games:
            r = float(games - self.games)
            self.turns += 1
        elif points != self.points:
            r = float(points - self.points)
        self.points, self.games = points, games
        rewards = [r, -r]
        # Tennis.cpp: the counter restarts when 0xCC is 0 and always counts this frame; a timed-out serve
        # replaces the frame's rewards (scoring cannot happen on the same frame).
        self.stall = (0 if values["serve"] == 0 else self.stall) + 1
        if self.stall >= self.STALL_LIMIT:
            rewards = [-1.0, 0.0] if self.turns % 2 == 0 else [0.0, -1.0]
            self.stall = 0
        mine, theirs = values["games_first"], values["games_second"]
        terminal = (mine >= 6 and games >= 2) or (theirs >= 6 and -games >= 2) or mine == 7 or theirs == 7
        return FrameOutcome(rewards, terminal)


class WarlordsRules(Rules):
    """Warlords: -1 when a warlord falls; when at most one stands, the episode ends and survivors get +1."""

    BITS = (0x80, 0x40, 0x20, 0x10)

    def reset(self, values: Mapping[str, int]) -> None:
        self.lives = self._lives(values)

    def _lives(self, values: Mapping[str, int]) -> list[int]:
        return [-1 if values["eliminated"] & bit else 0 for bit in self.BITS]

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        lives = self._lives(values)
        rewards = [-1.0 if new < 0 <= old else 0.0 for old, new in zip(self.lives, lives)]
        self.lives = lives
        terminal = sum(1 for life in lives if life == 0) <= 1
        if terminal:
            rewards = [r + (1.0 if life == 0 else 0.0) for r, life in zip(rewards, lives)]
        return FrameOutcome(rewards, terminal, lives)


# --- the game record ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class AtariGame(Game):
    """An Atari 2600 game for ``n`` players on MAME.

    Args:
        name / version / description: identity and docs.
        rom: the ale-py ROM name. pal: run on ``a2600p`` (PAL dumps).
        players: number of agents. mode_var / mode_value / select_frames: press Select (``select_frames``
            frames + 1 release) until ``mode_var`` holds ``mode_value`` (``mode_bcd``: compared as BCD).
        controller: ``"joystick"`` or ``"paddle"``; ``ports`` (joystick port per agent) or ``paddles``
            (paddle index per agent) give the wiring, which some ROMs swap.
        minimal_actions: ALE action indices of the minimal set, in ALE's order.
        vars: RAM variables the rules read. rules_factory: builds a fresh rules object.
        one_player_mode: the mode value for the single-agent (vs the console) variant, if the game has one.
    """

    name: str
    version: int
    rom: str
    players: int
    mode_var: int
    mode_value: int
    select_frames: int
    minimal_actions: tuple[int, ...]
    vars: Mapping[str, Var]
    rules_factory: Any
    description: str = ""
    rules_doc: str = ""
    controller_kind: str = "joystick"
    ports: tuple[int, ...] = (1, 2)
    paddles: tuple[int, ...] = ()
    paddle_offset: float = 37.5
    pal: bool = False
    mode_bcd: bool = False
    one_player_mode: int | None = None
    single_agent: bool = False
    history: tuple[str, ...] = ("v0: first release on MAME 0.251 (mame_zoo 0.1.0)",)
    sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def agents(self) -> tuple[str, ...]:  # type: ignore[override]
        return AGENT_NAMES[: 1 if self.single_agent else self.players]

    # ALE's reset (stella_environment.cpp): 60 idle frames, Reset 4 frames, Select until the mode's RAM value,
    # [saved here] Reset 4 frames, 2 idle frames (the reset step itself is the last of them).
    @property
    def start(self) -> tuple[StartOp, ...]:  # type: ignore[override]
        mode = self.one_player_mode if self.single_agent else self.mode_value
        return (Wait(60), Hold({RESET: 1}, 4),
                PressUntil({SELECT: 1}, Var(self.mode_var), mode, press=self.select_frames, release=1,
                           decode_bcd=self.mode_bcd))

    @property
    def restart(self) -> tuple[StartOp, ...]:  # type: ignore[override]
        return (Hold({RESET: 1}, 4), Wait(1))

    @property
    def ram_obs(self) -> tuple[Var, int]:  # type: ignore[override]
        return Var(0x80), 128

    def machine(self, rom_path: str | Sequence[str] | None) -> MachineConfig:
        options: tuple[str, ...] = ()
        if self.controller_kind == "paddle":
            options = ("-joyport1", "pad", "-joyport2", "pad")
        return MachineConfig("a2600p" if self.pal else "a2600", {"cart": atari_rom(self.rom)}, (), options)

    def action_space(self, agent: str, full_action_space: bool) -> gymnasium.spaces.Discrete:
        return gymnasium.spaces.Discrete(18 if full_action_space else len(self.minimal_actions))

    def action_meanings(self, full_action_space: bool = False) -> list[str]:
        """ALE names of the actions, in action-index order."""
        return [ACTION_NAMES[i] for i in (ALL_ACTIONS if full_action_space else self.minimal_actions)]

    def controller(self, full_action_space: bool) -> Controller:
        action_set = ALL_ACTIONS if full_action_space else self.minimal_actions
        n = len(self.agents)
        if self.controller_kind == "paddle":
            return PaddleController(self.paddles[:n], action_set, self.paddle_offset)
        return JoystickController(self.ports[:n], action_set)

    def rules(self) -> Rules:
        return self.rules_factory()

    def frame_shape(self) -> tuple[int, int]:
        return (256, 160) if self.pal else (210, 160)

    @property
    def crop(self) -> tuple[int, int, int, int]:  # type: ignore[override]
        # The TIA's 160 visible pixels are MAME columns 8..167; rows as ALE's 210 (NTSC) / 256 (PAL) lines.
        return (3, 259, 8, 168) if self.pal else (13, 223, 8, 168)

    def with_single_agent(self) -> AtariGame:
        """The 1-player variant: first_0 plays against the console's built-in opponent."""
        if self.one_player_mode is None:
            raise ValueError(f"{self.env_name} has no 1-player mode against the console")
        return replace(self, single_agent=True)


# --- the suite ---------------------------------------------------------------------------------------
_SRC = "Multi-Agent-ALE src/games/supported/{}.cpp; pettingzoo/atari/{}"

BOXING = AtariGame(
    name="boxing", version=0, rom="boxing", players=2, mode_var=0x92, mode_value=2, select_frames=1,
    minimal_actions=ALL_ACTIONS, one_player_mode=1,
    vars={"score_first": Var(0x92), "score_second": Var(0x93), "clock_min": Var(0x90), "clock_sec": Var(0x91)},
    rules_factory=functools.partial(ScoreDiffRules, "score_first", "score_second", special={0xC0: 100},
                                    end_scores=(100,), terminal_when=boxing_clock_out),
    rules_doc=(
              'first_0 gets the change of (own score - opponent score) each frame (BCD bytes 0x92/0x93; the KO byte'
              ' 0xC0 counts as 100), second_0 the negative. Ends on a knock-out (100) or when the clock 0x90/0x91 '
              'reaches 0:00 (7139 frames).'),
    description="Two boxers in a ring seen from above. A jab scores 1 point, a power punch 2; 100 points is a "
                "knock-out. The match lasts two minutes.",
    sources=(_SRC.format("Boxing", "boxing"),),
)

PONG = AtariGame(
    name="pong", version=0, rom="pong", players=2, mode_var=0x96, mode_value=3, select_frames=2,
    minimal_actions=PADDLE_ACTIONS, controller_kind="paddle", paddles=(1, 0), paddle_offset=36.3,
    vars={"score_first": Var(0x8E), "score_second": Var(0x8D), "ball": Var(0x8C), "server": Var(0x92)},
    rules_factory=PongRules,
    rules_doc=(
              'Scores are raw bytes (first_0: 0x8E, second_0: 0x8D); first_0 gets the change of (own - opponent), '
              'second_0 the negative. When the ball waits (0x8C & 0xF0 == 0) for 120 frames the server (0x92) gets '
              '-1. Ends at 21 points.'),
    description="Video Olympics, classic Pong (mode 4): paddles, first to 21 points. A server who does not "
                "serve within 2 seconds loses a point (reward -1).",
    sources=(_SRC.format("Pong", "pong"),),
)

TENNIS = AtariGame(
    name="tennis", version=0, rom="tennis", players=2, mode_var=0x80, mode_value=1, select_frames=2,
    minimal_actions=ALL_ACTIONS, one_player_mode=0,
    vars={"points_first": Var(0xC5), "points_second": Var(0xC6), "games_first": Var(0xC7),
          "games_second": Var(0xC8), "serve": Var(0xCC)},
    rules_factory=TennisRules,
    rules_doc=(
              'A game won (0xC7/0xC8) or otherwise a point won (0xC5/0xC6) gives +1 to the winner, -1 to the loser.'
              ' A serve stalled for 180 frames (0xCC non-zero) gives -1 to the player whose turn it is. Ends when a'
              ' player has 6 games with a 2-game lead, or 7 games.'),
    description="Tennis: a set of games; a point or game won is +1 to the winner and -1 to the loser. A server "
                "stalling for 3 seconds gets -1.",
    sources=(_SRC.format("Tennis", "tennis"),),
)

SURROUND = AtariGame(
    name="surround", version=0, rom="surround", players=2, mode_var=0xF9, mode_value=0, select_frames=2,
    minimal_actions=JOY_NO_FIRE, ports=(2, 1), one_player_mode=1,
    vars={"score_first": Var(0xF7), "score_second": Var(0xF6)},
    rules_factory=functools.partial(ScoreDiffRules, "score_first", "score_second", end_scores=(10,)),
    rules_doc=(
              'first_0 gets the change of (own BCD score 0xF7 - opponent 0xF6), second_0 the negative. Ends at 10 '
              'points.'),
    description="Surround (Tron-like light cycles): a player who crashes gives the other a point; first to 10. "
                "The cartridge swaps the joystick ports: first_0 uses the right joystick, as in ALE.",
    sources=(_SRC.format("Surround", "surround"),),
)

ICE_HOCKEY = AtariGame(
    name="ice_hockey", version=0, rom="ice_hockey", players=2, mode_var=0x80, mode_value=1, select_frames=2,
    minimal_actions=ALL_ACTIONS, one_player_mode=0,
    vars={"score_first": Var(0x8A), "score_second": Var(0x8B), "minutes": Var(0x87), "seconds": Var(0x86)},
    rules_factory=functools.partial(ScoreDiffRules, "score_first", "score_second", clamp=True,
                                    terminal_when=ice_hockey_clock_out),
    rules_doc=(
              'first_0 gets the change of (own BCD score 0x8A - opponent 0x8B), second_0 the negative. Ends when '
              'the clock (0x87 minutes, 0x86 seconds) reaches 0:00.'),
    description="Ice Hockey, two players of two skaters each; a goal is +1/-1. The game ends when the clock "
                "reaches 0:00.",
    sources=(_SRC.format("IceHockey", "ice_hockey"),),
)

COMBAT_TANK = AtariGame(
    name="combat_tank", version=0, rom="combat", players=2, mode_var=0x80, mode_value=8, select_frames=1,
    minimal_actions=ALL_ACTIONS, pal=True,
    vars={"score_first": Var(0xA1), "score_second": Var(0xA2), "timer": Var(0x88)},
    rules_factory=functools.partial(ScoreDiffRules, "score_first", "score_second", clamp=True, end_scores=(99,),
                                    terminal_when=combat_timer_out),
    rules_doc=(
              'first_0 gets the change of (own BCD score 0xA1 - opponent 0xA2), second_0 the negative. Ends at 99 '
              'points or when the timer byte 0x88 reaches 0.'),
    description="Combat, tank game (mode 9: billiard shots in the maze). A hit is +1/-1. The ROM is a PAL dump "
                "and runs on MAME's a2600p (PAL) machine, as ALE runs it.",
    sources=(_SRC.format("Combat", "combat_tank"),),
)

WARLORDS = AtariGame(
    name="warlords", version=0, rom="warlords", players=4, mode_var=0xD9, mode_value=0, select_frames=1,
    minimal_actions=PADDLE_ACTIONS, controller_kind="paddle", paddles=(0, 1, 2, 3), paddle_offset=39.5,
    vars={"eliminated": Var(0xEE)},
    rules_factory=WarlordsRules,
    rules_doc=(
              'Elimination bits in 0xEE (0x80, 0x40, 0x20, 0x10 for first_0..fourth_0): -1 to a warlord when it '
              'falls, and it leaves the game (terminated). When at most one stands, the episode ends and a survivor'
              ' gets +1.'),
    description="Warlords: four warlords defend their castles with paddle-steered shields. A fallen warlord gets "
                "-1 and leaves the game; when one is left standing the episode ends and the survivor gets +1.",
    sources=(_SRC.format("Warlords", "warlords"),),
)

GAMES: tuple[AtariGame, ...] = (BOXING, PONG, TENNIS, SURROUND, ICE_HOCKEY, COMBAT_TANK, WARLORDS)

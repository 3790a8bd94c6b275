"""Two-player (and four-player) Atari 2600 games on MAME's ``a2600`` driver, from the ROMs in the ale-py wheel.

Each game is declared in a game file, ``mame_zoo/games/data/<game>.toml`` (format: ``docs/declarative.md``):
cartridge, players, mode selection, controller wiring, RAM variables, rewards and episode end. The rules
reproduce Multi-Agent-ALE's per-player rewards and terminal conditions
(``Farama-Foundation/Multi-Agent-ALE`` ``src/games/supported/*.cpp``), so that code written for
``pettingzoo.atari`` runs unchanged. Agents are ``first_0``, ``second_0``, ``third_0``, ``fourth_0``.

Tennis' rules are more than the file format says; its file names :class:`TennisRules` (the format's Python
escape hatch). The constants below describe the 2600's controls for code that drives MAME directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from mame_zoo.declarative import ATARI_TABLE, DeclarativeGame, load_builtin
from mame_zoo.env import Rules
from mame_zoo.spec import FrameOutcome, Input

AGENT_NAMES = ("first_0", "second_0", "third_0", "fourth_0")

# ALE's action enum (src/common/Constants.h): name -> (up, down, left, right, fire)
ACTIONS: tuple[tuple[str, tuple[int, int, int, int, int]], ...] = tuple(
    (name, tuple(int(b in held) for b in ("up", "down", "left", "right", "fire")))  # type: ignore[misc]
    for name, held in ATARI_TABLE
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
# ALE paddle resistance (ale_state.hpp): start, limits and the change per RIGHT/LEFT frame (the game files'
# [dial] sections hold the same numbers).
PADDLE_START, PADDLE_MIN, PADDLE_MAX, PADDLE_DELTA = 408823, 27450, 790196, 23000


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


def _builtin(stem: str) -> DeclarativeGame:
    link = f"mame_zoo/games/data/{stem}.toml"
    return replace(load_builtin(stem), extra_doc=(
        f"Declared in the game file [`{link}`](../../{link}) (format: [declarative games](../declarative.md))."))


# --- the suite ---------------------------------------------------------------------------------------
BOXING = _builtin("boxing")
PONG = _builtin("pong")
TENNIS = _builtin("tennis")
SURROUND = _builtin("surround")
ICE_HOCKEY = _builtin("ice_hockey")
COMBAT_TANK = _builtin("combat_tank")
WARLORDS = _builtin("warlords")

GAMES: tuple[DeclarativeGame, ...] = (BOXING, PONG, TENNIS, SURROUND, ICE_HOCKEY, COMBAT_TANK, WARLORDS)

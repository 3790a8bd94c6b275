"""Two-player (and four-player) Atari 2600 games on MAME's ``a2600`` driver, from the ROMs in the ale-py wheel.

Each game is declared in a game file, ``mame_zoo/games/data/<game>.toml`` (format: ``docs/declarative.md``):
cartridge, players, mode selection, controller wiring, RAM variables, rewards and episode end. The rules
reproduce Multi-Agent-ALE's per-player rewards and terminal conditions
(``Farama-Foundation/Multi-Agent-ALE`` ``src/games/supported/*.cpp``), so that code written for
``pettingzoo.atari`` runs unchanged. Agents are ``first_0``, ``second_0``, ``third_0``, ``fourth_0``.

Tennis' rules are more than the file format says; its file names
:class:`~mame_zoo.games.atari_rules.TennisRules` (the format's Python escape hatch). The constants below
describe the 2600's controls for code that drives MAME directly.
"""

from __future__ import annotations

from mame_zoo.core.ops import Input
from mame_zoo.declarative import ATARI_TABLE, DeclarativeGame, load_builtin

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


# --- the suite ---------------------------------------------------------------------------------------
#: PettingZoo's Atari environments (``pettingzoo/atari/all_modules.py``), by their game files' names
NAMES = ("basketball_pong", "boxing", "combat_plane", "combat_tank", "double_dunk", "entombed_competitive",
         "entombed_cooperative", "flag_capture", "foozpong", "ice_hockey", "joust", "mario_bros", "maze_craze",
         "othello", "pong", "quadrapong", "space_invaders", "space_war", "surround", "tennis", "video_checkers",
         "volleyball_pong", "warlords", "wizard_of_wor")
GAMES: tuple[DeclarativeGame, ...] = tuple(load_builtin(name) for name in NAMES)
BY_NAME: dict[str, DeclarativeGame] = {game.name: game for game in GAMES}
BOXING = BY_NAME["boxing"]
PONG = BY_NAME["pong"]
TENNIS = BY_NAME["tennis"]
SURROUND = BY_NAME["surround"]
ICE_HOCKEY = BY_NAME["ice_hockey"]
COMBAT_TANK = BY_NAME["combat_tank"]
WARLORDS = BY_NAME["warlords"]

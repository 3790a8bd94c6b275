"""SF3 characters, the select grid, Super Arts and outfits, and RAM-driven selection start sequences.

Facts used (``docs/sf3.md``; source keys as there): internal ids [GF-fd], [EF-gd], [JP-lua], [GYM-env]; grid cells
[EF-cs], [GF-cs]; grid movement, confirm buttons and outfit buttons from the decomp [DEC-sel], [DEC-next].

The select grid is addressed by (``Cursor_Y`` 0..2, ``Cursor_X`` 0..6); 19 cells are valid (Y=0: X 1..6,
Y=1: X 0..6, Y=2: X 0..5). RIGHT walks a ring in DIAMBRA's character order (Alex, Twelve, Hugo, ...), LEFT
walks it backwards, UP/DOWN step ``Cursor_X`` ±1 wrapping inside the current ``Cursor_Y`` line.

**The cursor's start position is unknown** [docs/sf3.md §6.10]: MAMEToolkit presses LEFT once, sfiii-gym five
times, and both cannot be right. So nothing here counts presses from an assumed start. :func:`selection_ops`
presses RIGHT *until* ``Cursor_Y`` reads the target's Y, then UP *until* ``Cursor_X`` reads its X (both
reached from any valid cell: RIGHT visits every Y within 4 presses, UP cycles all X of a line), then checks
``ID_of_Face[Y][X]`` holds the target id. It stops with :class:`~mame_zoo.errors.InvalidGameSpec` if the RAM
never matches, rather than silently picking the wrong fighter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from mame_zoo.core.ops import Hold, Input, PressUntil, StartOp
from mame_zoo.errors import InvalidGameSpec, InvalidOption
from mame_zoo.games.sf3.actions import player_fields
from mame_zoo.games.sf3.memory import SELECT_VARS, face_var, pvar


@dataclass(frozen=True)
class Character:
    """A fighter: RAM id (``My_char``), display name, accepted spellings, select-grid cell, DIAMBRA index."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    cell: tuple[int, int] | None = None  # (Cursor_Y, Cursor_X); None: not on the grid
    diambra: int | None = None  # index in DIAMBRA's character list [DIA-doc], [DIA-json]

    @property
    def selectable(self) -> bool:
        """Whether the character can be picked with the joystick (Gill and Shin Gouki need RAM writes)."""
        return self.cell is not None


# §2.1 of the facts: id, name, aliases, (Cursor_Y, Cursor_X), DIAMBRA index
CHARACTERS: tuple[Character, ...] = (
    Character(0, "Gill", (), None, 19),  # hidden; trainers write cursor (3, 1) [GF-cs], [EF-cs]
    Character(1, "Alex", (), (0, 1), 0),
    Character(2, "Ryu", (), (2, 5), 14),
    Character(3, "Yun", (), (1, 6), 16),
    Character(4, "Dudley", (), (2, 3), 8),
    Character(5, "Necro", (), (0, 4), 9),
    Character(6, "Hugo", (), (2, 1), 2),
    Character(7, "Ibuki", (), (0, 3), 6),
    Character(8, "Elena", (), (2, 2), 5),
    Character(9, "Oro", (), (2, 4), 11),
    Character(10, "Yang", (), (1, 0), 17),
    Character(11, "Ken", (), (2, 0), 18),
    Character(12, "Sean", (), (0, 2), 3),
    Character(13, "Urien", (), (0, 5), 12),
    Character(14, "Gouki", ("Akuma",), (0, 6), 15),
    Character(15, "Shin Gouki", ("Shin Akuma",), None, None),  # pick Gouki, write 15 to My_char [GF-cs]
    Character(16, "Chun-Li", ("Chun Li", "Chunli", "Chun"), (1, 3), 7),
    Character(17, "Makoto", (), (1, 2), 4),
    Character(18, "Q", (), (1, 4), 10),
    Character(19, "Twelve", ("XII", "12"), (1, 1), 1),
    Character(20, "Remy", (), (1, 5), 13),
)
#: the bonus-stage pseudo-opponents (CPU side's My_char during a bonus stage) [DEC-next], [DEC-bbbs]
BONUS_STAGES: Mapping[int, str] = {21: "Crush the Car", 22: "Parry the Ball"}

BY_ID: Mapping[int, Character] = {c.id: c for c in CHARACTERS}
SELECTABLE: tuple[Character, ...] = tuple(c for c in CHARACTERS if c.selectable)
GRID: Mapping[tuple[int, int], Character] = {c.cell: c for c in SELECTABLE if c.cell is not None}

#: the cells RIGHT visits in turn from Alex [DEC-sel] as traced in docs/sf3.md §2.2 (= DIAMBRA's order)
RIGHT_RING: tuple[tuple[int, int], ...] = (
    (0, 1), (1, 1), (2, 1), (0, 2), (1, 2), (2, 2), (0, 3), (1, 3), (2, 3), (0, 4), (1, 4), (2, 4),
    (0, 5), (1, 5), (2, 5), (0, 6), (1, 6), (1, 0), (2, 0),
)
#: valid Cursor_X values of each Cursor_Y line
LINE_X: Mapping[int, tuple[int, ...]] = {0: tuple(range(1, 7)), 1: tuple(range(7)), 2: tuple(range(6))}


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_LOOKUP: dict[str, Character] = {}
for _c in CHARACTERS:
    for _n in (_c.name, *_c.aliases):
        _LOOKUP[_key(_n)] = _c


def character_names(selectable_only: bool = False) -> list[str]:
    """Canonical character names, in RAM-id order."""
    return [c.name for c in (SELECTABLE if selectable_only else CHARACTERS)]


def character(name: str | int) -> Character:
    """The character called ``name`` (case, spaces and hyphens ignored; "Akuma" = "Gouki") or with RAM id ``name``.

    Raises :class:`~mame_zoo.errors.InvalidGameSpec` (a ``ValueError``) listing the valid names.
    """
    if isinstance(name, bool):
        raise InvalidGameSpec(f"character must be a name or id, got {name!r}")
    if isinstance(name, int):
        if name in BY_ID:
            return BY_ID[name]
        raise InvalidGameSpec(f"unknown SF3 character id {name}; ids are 0..20: "
                              + ", ".join(f"{c.id} {c.name}" for c in CHARACTERS))
    if isinstance(name, str) and _key(name) in _LOOKUP:
        return _LOOKUP[_key(name)]
    raise InvalidGameSpec(f"unknown SF3 character {name!r}; valid names: {', '.join(character_names())} "
                          "(also accepted: Akuma, Shin Akuma, Chun Li, XII)")


def selectable_character(name: str | int) -> Character:
    """:func:`character`, refusing fighters the joystick cannot pick (Gill, Shin Gouki)."""
    c = character(name)
    if not c.selectable:
        raise InvalidGameSpec(
            f"{c.name} is not on the select grid (selecting it needs RAM writes, which start sequences cannot do); "
            f"selectable characters: {', '.join(character_names(selectable_only=True))}")
    return c


SUPER_ARTS = (1, 2, 3)
_SA_NAMES = {"1": 1, "i": 1, "2": 2, "ii": 2, "3": 3, "iii": 3}


def super_art(value: int | str) -> int:
    """Validate a Super Art choice: 1, 2, 3 (also ``"II"``, ``"SA3"``, ``"sa 2"``); returns 1..3.

    The game stores it 0-based (``Super_Arts``/``Arts_Y`` = value - 1) [DEC-sel]. Raises
    :class:`~mame_zoo.errors.InvalidGameSpec` listing the valid values.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value in SUPER_ARTS:
        return value
    if isinstance(value, str):
        key = _key(value)
        key = key[2:] if key.startswith("sa") else key
        if key in _SA_NAMES:
            return _SA_NAMES[key]
    raise InvalidGameSpec(f"invalid super art {value!r}; valid values: 1, 2, 3 (or I, II, III)")


OUTFITS = (1, 2, 3, 4, 5, 6, 7)
#: the button(s) that confirm the character with each outfit: LP 0, MP 1, HP 2, LK 3, MK 4, HK 5,
#: LP+MK+HP 6 (Player_Color = outfit - 1) [DEC-next] via docs/sf3.md §2.2. A mirror match shifts the colour.
OUTFIT_BUTTONS: Mapping[int, tuple[str, ...]] = {
    1: ("jab",), 2: ("strong",), 3: ("fierce",), 4: ("short",), 5: ("forward",), 6: ("roundhouse",),
    7: ("jab", "forward", "fierce"),
}


def outfit(value: int | str) -> int:
    """Validate an outfit (colour) choice 1..7; raises :class:`~mame_zoo.errors.InvalidGameSpec` listing them."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value in OUTFITS:
        return value
    raise InvalidGameSpec(f"invalid outfit {value!r}; valid values: 1, 2, 3, 4, 5, 6, 7")


# --- the grid model (for planning and for tests; the live selection reads RAM instead) -------------------
def move_cursor(cell: tuple[int, int], direction: str) -> tuple[int, int]:
    """The cell after one press of ``direction`` (``up down left right``) from ``cell`` [DEC-sel] (docs/sf3.md §2.2)."""
    y, x = cell
    if cell not in GRID:
        raise InvalidOption(f"({y}, {x}) is not a valid select-grid cell")
    if direction in ("right", "left"):
        i = RIGHT_RING.index(cell)
        return RIGHT_RING[(i + (1 if direction == "right" else -1)) % len(RIGHT_RING)]
    if direction in ("up", "down"):
        line = LINE_X[y]
        return y, line[(line.index(x) + (1 if direction == "up" else -1)) % len(line)]
    raise InvalidOption(f"direction must be up, down, left or right, got {direction!r}")


def cursor_direction(cell: tuple[int, int], target: str | int | Character) -> str | None:
    """For closed-loop selection: the direction (``"right"``/``"left"``) of the shortest ring path, None if there."""
    goal = target if isinstance(target, Character) else selectable_character(target)
    if GRID.get(cell) == goal:
        return None
    n = len(RIGHT_RING)
    ahead = (RIGHT_RING.index(goal.cell) - RIGHT_RING.index(cell)) % n
    return "right" if ahead <= n - ahead else "left"


class _PressTiming(TypedDict):
    """Keyword arguments of :class:`~mame_zoo.spec.PressUntil` shared by the select-state waits."""

    press: int
    release: int
    max_presses: int


def selection_ops(player: int, name: str | int, art: int | str = 1, colour: int | str = 1, *,
                  verify_face: bool = True, press: int = 2, release: int = 4,
                  max_wait: int = 600) -> tuple[StartOp, ...]:
    """Start-sequence operations that pick ``name`` with Super Art ``art`` and outfit ``colour`` for ``player``.

    Run them on the character-select screen (any time after it appears; the first op waits for ``player``'s
    select state to read 2, "picking a character"). Each step is driven by RAM, not by counted presses:

    1. wait until ``select_state`` == 2;
    2. press RIGHT until ``Cursor_Y`` == target Y, then UP until ``Cursor_X`` == target X;
    3. (``verify_face``) check ``ID_of_Face[Y][X]`` is the target's id: a no-press ``PressUntil`` with one try,
       so a wrong grid map fails loudly;
    4. press the outfit's button(s), wait until ``select_state`` == 4 ("picking SA");
    5. press DOWN until ``Arts_Y`` == art - 1 (it starts at the last SA used with that character), press Jab,
       wait until ``select_state`` == 5 ("locked").

    ``press``/``release``: frames per press and between presses (a held direction repeats only every 5 frames
    [DEC-sel], so ``press`` < 5). ``max_wait``: how many 2-frame polls the waits allow.
    Raises :class:`~mame_zoo.errors.InvalidGameSpec` for a bad name, art or outfit (listing valid values).
    """
    c, sa, col = selectable_character(name), super_art(art), outfit(colour)
    assert c.cell is not None
    y, x = c.cell
    f = player_fields(player)
    v = SELECT_VARS
    wait: _PressTiming = {"press": 1, "release": 1, "max_presses": max_wait}
    buttons: dict[Input, int] = {f[b]: 1 for b in OUTFIT_BUTTONS[col]}
    ops: list[StartOp] = [
        PressUntil({}, v[pvar("select_state", player)], 2, **wait),
        PressUntil({f["right"]: 1}, v[pvar("cursor_y", player)], y, press, release, max_presses=8),
        PressUntil({f["up"]: 1}, v[pvar("cursor_x", player)], x, press, release, max_presses=8),
    ]
    if verify_face:
        ops.append(PressUntil({}, face_var(y, x), c.id, 1, 1, max_presses=1))
    ops += [
        Hold(buttons, press),
        PressUntil({}, v[pvar("select_state", player)], 4, **wait),
        PressUntil({f["down"]: 1}, v[pvar("arts_y", player)], sa - 1, press, release, max_presses=4),
        Hold({f["jab"]: 1}, press),
        PressUntil({}, v[pvar("select_state", player)], 5, **wait),
    ]
    return tuple(ops)


__all__ = [
    "BONUS_STAGES", "BY_ID", "CHARACTERS", "GRID", "LINE_X", "OUTFITS", "OUTFIT_BUTTONS", "RIGHT_RING", "SELECTABLE",
    "SUPER_ARTS", "Character", "character", "character_names", "cursor_direction", "move_cursor", "outfit",
    "selectable_character", "selection_ops", "super_art",
]

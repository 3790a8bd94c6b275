"""The RAM map of Street Fighter III 3rd Strike (``sfiii3n``, MAME ``cps3`` driver) as :class:`~mame_zoo.spec.Var`.

Every address comes from the community sources of ``docs/sf3.md``; the comment on each entry gives the
source keys (its Sources table). The main CPU is a big-endian SH-2 and MAME's typed reads
(``read_u8``/``read_i16``...) return logical values, so addresses are used exactly as the facts give them
(no ``^ 3`` swap, which only applies to emulators that store RAM as little-endian words).

The addresses were cross-checked by the facts on both ROM revisions (990512 and 990608) but never run here
(nobody has the ROM): treat them as "strong evidence, not proof" [docs/sf3.md §0].

Groups:

* :data:`FLOW_VARS`: read on every emulated frame; the rules (:mod:`mame_zoo.games.sf3.flow`) need them all.
* :data:`OBS_VARS`: the extra values of the DIAMBRA-like RAM observation; only the last frame of a step matters.
* :data:`FRAME_VARS`: both together, the mapping a live :class:`~mame_zoo.env.Game` declares as ``vars``.
* :data:`SELECT_VARS`: the character/Super-Art select screen, used by start sequences
  (:func:`mame_zoo.games.sf3.characters.selection_ops`), not per frame.
* :data:`EXTRA_VARS`: useful for debugging and future use (phase details, continue, frame counter, RNG).

Naming: per-player variables are ``p1_<what>`` / ``p2_<what>``; :func:`pvar` builds the name.
"""

from __future__ import annotations

from collections.abc import Mapping

from mame_zoo.core.ops import Var
from mame_zoo.errors import InvalidOption

MAIN = ":maincpu"

# Player object plw[2]: P1 base 0x02068C6C, P2 base 0x02069104, stride 0x498 [GF-gs], [EF-mem], [DEC-wb]
P1_BASE = 0x02068C6C
P2_BASE = 0x02069104
PLAYER_STRIDE = 0x498

#: the health every source but one reports; used only when Max_vitality (0x02016B30) reads implausibly
DEFAULT_MAX_HEALTH = 160  # [EF-tr], [P2-sf3], [JP-lua], [DIA-json]

#: char id values of the bonus-stage "opponent" (21 = Crush the Car, 22 = Parry the Ball) [DEC-next], [DEC-bbbs]
BONUS_CHAR_IDS = (21, 22)

#: Screen/menu state (E_No[0] low byte) values per effie [EF-mem]: 2 char select, 3 / 9 CPU-opponent select,
#: 4 in match, 5 grade screen, 7 continue (effie marks this one with "?").
SCREEN_CHAR_SELECT = 2
SCREEN_IN_MATCH = 4
SCREEN_CONTINUE = 7

#: Match/round phase (C_No[0] low byte) per effie [EF-gs]: 1 before curtain, 2 round running, 3 match just
#: ended, 9 char select / VS screen.
PHASE_ROUND_RUNNING = 2
PHASE_MATCH_ENDED = 3


def pvar(what: str, player: int) -> str:
    """The variable name of ``what`` for ``player`` (0 = P1, 1 = P2): ``pvar("health", 1) == "p2_health"``."""
    if player not in (0, 1):
        raise InvalidOption(f"player must be 0 (P1) or 1 (P2), got {player!r}")
    return f"p{player + 1}_{what}"


def _pair(what: str, p1: int, p2: int, dtype: str = "u8") -> dict[str, Var]:
    return {pvar(what, 0): Var(p1, dtype, MAIN), pvar(what, 1): Var(p2, dtype, MAIN)}


# --- read every frame: rewards and the match state machine ----------------------------------------------
FLOW_VARS: Mapping[str, Var] = {
    # Health: s16 `vital_new` at base+0x9E [MTK-env], [GYM-env], [DEC-st] (inference in the facts). Chosen over
    # the u8 at +0x9F [MTK-readme], [GF-gs]: same value while the high byte is 0, but s16 is the game's own width
    # and the KO/transition sentinel reads -1 instead of 255 [DIA-doc], [IDX-llm]. The rules map both -1 and 255
    # to 0, so a u8 read would also work.
    **_pair("health", 0x02068D0A, 0x020691A2, "s16"),
    # Max_vitality, s16 [DEC-wb]; 160 normally, a 192 branch exists [DEC-gauge]: read it, do not hard-code.
    "max_health": Var(0x02016B30, "s16", MAIN),
    # Allow_a_battle_f [MTK-env], [GYM-env], [DEC-wb]; NOT 0x0200EE44 (= ca_check_flag) of [MTK-readme].
    # Also set during bonus stages [DEC-bbbs].
    "fighting": Var(0x02011389, "u8", MAIN),
    # PL_Wins[2] low bytes [MTK-env], [GYM-env], [DEC-wb]
    **_pair("wins", 0x02011383, 0x02011385),
    # Counter_hi low byte, round timer in seconds [GF-gs], [EF-mem], [DEC-wb]; plain binary (0x63 = 99 at round
    # start [P2-sf3], max 0x64 [JP-lua]), not BCD; starts at 99 or 100 (docs/sf3.md §6.4)
    "timer": Var(0x02011377, "u8", MAIN),
    # Round_num [DEC-wb]; whether it counts from 0 or 1 is not documented
    "round": Var(0x0201138A, "u8", MAIN),
    # My_char[2] [GYM-env], [GF-mem], [JP-lua], [DEC-wb]; 21/22 on the CPU side during a bonus stage
    **_pair("char", 0x02011387, 0x02011388),
    # Bonus_Game_Flag s16: 0 = none, 21 = car, 22 = ball [DEC-wb], [DEC-bbbs], [DEC-next]
    "bonus": Var(0x02016B3A, "s16", MAIN),
    # C_No[0] low byte [GF-gs], [EF-gs], [JP-lua], [DEC-wb]
    "phase": Var(0x020154A7, "u8", MAIN),
    # E_No[0] low byte [EF-mem], [DEC-wb]
    "screen": Var(0x0201546B, "u8", MAIN),
    # VS_Index[2] s16, opponents beaten by a human on P1 / on P2; stage = VS_Index + 1 [DEC-wb], [DEC-next]
    "p1_vs_index": Var(0x02015506, "s16", MAIN),
    "p2_vs_index": Var(0x02015508, "s16", MAIN),
}

# --- the RAM-state observation (DIAMBRA-like); only the last frame of a step is needed ------------------
OBS_VARS: Mapping[str, Var] = {
    # piyori_type[i].now.quantity.h high byte [P2-sf3], [JP-lua], [GF-gs], [EF-mem]
    **_pair("stun", 0x020695FD, 0x02069611),
    # low byte of genkai (per-character max 56/64/72) [GF-gs], [EF-mem], [P2-sf3], [JP-lua]
    **_pair("stun_max", 0x020695F7, 0x0206960B),
    # piyori_type[i].flag [EF-mem], [DEC-wb]+[DEC-st]
    **_pair("stunned", 0x020695F4, 0x02069608, "s8"),
    # super_arts[i].gauge low byte [GF-gs], [EF-mem], [P2-sf3]
    **_pair("super_bar", 0x020695B5, 0x020695E1),
    # gauge_len, depends on the SA [GF-gs], [P2-sf3]
    **_pair("super_bar_len", 0x020695B3, 0x020695DF),
    # low byte of `store`: 0x020695BF [GF-gs], [EF-mem]; NOT 0x020695BE [P2-sf3] (high byte, always 0)
    **_pair("super_count", 0x020695BF, 0x020695EB),
    # low byte of `store_max` [GF-gs], [EF-mem]
    **_pair("super_max", 0x020695BD, 0x020695E9),
    # Super_Arts[2]: 0, 1, 2 = SA I, II, III [GF-gs], [EF-mem], [JP-lua], [DEC-wb]
    **_pair("super_art", 0x0201138B, 0x0201138C, "s8"),
    # xyz[0].disp.pos integer part, base+0x64 [GF-gs], [EF-gs], [DEC-st]
    **_pair("x", P1_BASE + 0x64, P2_BASE + 0x64, "s16"),
    # rl_flag base+0x0A, 0 = facing left, 1 = facing right [GF-gs], [EF-gs], [DEC-st]; only a tie-break for side
    **_pair("facing", P1_BASE + 0x0A, P2_BASE + 0x0A, "s8"),
    # Game_setting.level 0..7 (inference from struct layout) [DEC-wb], [DEC-st], [DEC-gcjp]
    "difficulty": Var(0x0206AC63, "s8", MAIN),
}

#: everything read on every frame by a live env (the framework's ``Game.vars``)
FRAME_VARS: Mapping[str, Var] = {**FLOW_VARS, **OBS_VARS}

# --- character / Super Art select screen ----------------------------------------------------------------
SELECT_VARS: Mapping[str, Var] = {
    # Cursor_X low byte, 0..6 (the trainers' "row") [GF-mem], [EF-mem], [DEC-wb]
    **_pair("cursor_x", 0x020154CF, 0x020154D1),
    # Cursor_Y low byte, 0..2 (the trainers' "col") [GF-mem], [EF-mem], [DEC-wb]
    **_pair("cursor_y", 0x0201566B, 0x0201566D),
    # SP_No[i][0] low byte: 0 none, 1 intro, 2 picking char, 3 SA intro, 4 picking SA, 5 locked [GF-mem], [EF-mem]
    **_pair("select_state", 0x0201553D, 0x02015545),
    # Arts_Y low byte, SA cursor 0..2 [GF-mem], [DEC-wb]
    **_pair("arts_y", 0x020154D3, 0x020154D5),
    # Player_Color[2], 0..6 [GF-mem], [JP-lua], [DEC-wb]
    **_pair("color", 0x02015683, 0x02015684, "s8"),
    # Select_Timer, BCD-like ("shows decimal as hex") [GF-mem], [DEC-wb]
    "select_timer": Var(0x020154FB, "s8", MAIN),
}

#: ID_of_Face[3][7] (s8 char ids by [Cursor_Y][Cursor_X]) [DEC-wb], [DEC-sel]
ID_OF_FACE = 0x02016B01


def face_var(cursor_y: int, cursor_x: int) -> Var:
    """The ``ID_of_Face`` entry (character id shown) of select-grid cell (``cursor_y``, ``cursor_x``)."""
    if not (0 <= cursor_y < 3 and 0 <= cursor_x < 7):
        raise InvalidOption(f"select-grid cell out of range: ({cursor_y}, {cursor_x})")
    return Var(ID_OF_FACE + 7 * cursor_y + cursor_x, "s8", MAIN)


# --- not read per frame; documented for debugging and later use -----------------------------------------
EXTRA_VARS: Mapping[str, Var] = {
    "frame_counter": Var(0x02007F00, "u32", MAIN),  # system_timer [GF-gs], [EF-mem], [DEC-wb]
    "game_state": Var(0x02015439, "u8", MAIN),  # G_No[1] low byte [EF-mem], [DEC-wb]
    "pause": Var(0x0201136F, "u8", MAIN),  # Game_pause low byte [GF-gs], [EF-mem]
    "winner_id": Var(0x0201137F, "s8", MAIN),  # Winner_id, value codes unverified [DEC-wb]
    "loser_id": Var(0x02011380, "s8", MAIN),  # Loser_id [DEC-wb]
    "player_id": Var(0x02015500, "s8", MAIN),  # side of the human in a 1P game [DEC-wb], [DEC-sel]
    "com_id": Var(0x02015503, "s8", MAIN),  # COM_id [DEC-wb]
    "stage_id": Var(0x020154F5, "u8", MAIN),  # Battle_Country low byte [EF-mem], [DEC-wb]
    "bonus_enabled": Var(0x0206AC69, "s8", MAIN),  # Game_setting.bonus bit 0 (inference) [DEC-next], [DEC-gcjp]
    # Continue_Count[2] [DEC-wb]: semantics from the name only, element width (s8 or s16) not given; P1's entry
    "continue_count": Var(0x020113B6, "s8", MAIN),
    **_pair("operator", P1_BASE + 3, P2_BASE + 3),  # wu.operator, 0 = CPU (offset inferred) [DEC-st]
    **_pair("y", P1_BASE + 0x68, P2_BASE + 0x68, "s16"),  # [GF-gs], [EF-gs]
    "random_ix": Var(0x020155E8, "s16", MAIN),  # RNG state [DEC-wb]
}

__all__ = [
    "BONUS_CHAR_IDS", "DEFAULT_MAX_HEALTH", "EXTRA_VARS", "FLOW_VARS", "FRAME_VARS", "ID_OF_FACE", "MAIN", "OBS_VARS",
    "P1_BASE", "P2_BASE", "PHASE_MATCH_ENDED", "PHASE_ROUND_RUNNING", "PLAYER_STRIDE", "SCREEN_CHAR_SELECT",
    "SCREEN_CONTINUE", "SCREEN_IN_MATCH", "SELECT_VARS", "face_var", "pvar",
]

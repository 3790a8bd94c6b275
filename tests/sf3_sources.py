"""Reference facts about ``sfiii3n`` for the SF3 logic tests, transcribed from the shared facts file.

Transcribed by hand from ``SF3_3RD_STRIKE.md`` (the facts gathered from public sources), **not** from
``mame_zoo``: a test that compares the code with these values compares it with the sources. Every item names
the facts' source keys (their §7). The tests never read the facts file itself.

Sections follow the facts: §1 memory map, §1.4 input ports, §2 characters and select screen, §3.5 continue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

# --- §0 / §1: the machine -------------------------------------------------------------------------------------
MAIN_RAM = (0x02000000, 0x0207FFFF)  # [MAME-old] memory map
DEVICE, SPACE = ":maincpu", "program"  # [MAME-lua] devices[":maincpu"].spaces["program"]
# The SH-2 is big-endian: a u16 at an even address X holds byte X as its high byte [MAME-cur] cps3()
BIG_ENDIAN = True


@dataclass(frozen=True)
class Ram:
    """One row of the facts' memory map: the P1 (or only) address, the P2 address, the sizes the row gives."""

    p1: int
    p2: int | None
    sizes: tuple[str, ...]


# §1.1-§1.3, keyed by the decomp's variable name where the facts give one [DEC-wb], else by the row's meaning.
# ".low" = "low byte of" that variable in the facts.
RAM: Mapping[str, Ram] = {
    # §1.1 per-player fight state
    "vital_new": Ram(0x02068D0A, 0x020691A2, ("s16",)),  # health word, base+0x9E [MTK-env], [GYM-env], [DEC-st]
    "vital_new.low": Ram(0x02068D0B, 0x020691A3, ("u8", "s8")),  # base+0x9F [MTK-readme], [GF-gs], [EF-mem]
    "Max_vitality": Ram(0x02016B30, None, ("s16",)),  # [DEC-wb]
    "piyori_type.now.quantity.h": Ram(0x020695FD, 0x02069611, ("u8",)),  # stun meter [P2-sf3], [JP-lua], [GF-gs]
    "genkai.low": Ram(0x020695F7, 0x0206960B, ("u8",)),  # stun max [GF-gs], [EF-mem], [P2-sf3]
    "stun timer": Ram(0x020695F9, 0x0206960D, ("u8",)),  # [GF-gs], [EF-mem]
    "piyori_type.flag": Ram(0x020695F4, 0x02069608, ("s8",)),  # stunned [EF-mem], [DEC-wb]+[DEC-st]
    "super_arts.gauge.s.h.low": Ram(0x020695B5, 0x020695E1, ("u8",)),  # bar fill [GF-gs], [EF-mem], [P2-sf3]
    "gauge_len": Ram(0x020695B3, 0x020695DF, ("u8",)),  # bar length [GF-gs], [P2-sf3]
    "store.low": Ram(0x020695BF, 0x020695EB, ("u8",)),  # stocks [GF-gs], [EF-mem]; not 0x020695BE [P2-sf3]
    "store_max.low": Ram(0x020695BD, 0x020695E9, ("u8",)),  # max stocks [GF-gs], [EF-mem]
    "SA state": Ram(0x020695AD, 0x020695D9, ("u8",)),  # [EF-mem]
    "Super_Arts": Ram(0x0201138B, 0x0201138C, ("s8",)),  # selected SA 0..2 [GF-gs], [EF-mem], [JP-lua], [DEC-wb]
    "My_char": Ram(0x02011387, 0x02011388, ("u8",)),  # [GYM-env], [GF-mem], [JP-lua], [DEC-wb]
    "xyz[0].disp.pos": Ram(0x02068CD0, 0x02069168, ("s16",)),  # X, base+0x64 [GF-gs], [EF-gs], [EF-wm], [DEC-st]
    "Y position": Ram(0x02068CD4, 0x0206916C, ("s16",)),  # base+0x68 [GF-gs], [EF-gs]
    "rl_flag": Ram(0x02068C76, 0x0206910E, ("s8",)),  # facing, base+0x0A [GF-gs], [EF-gs], [P2-sf3], [DEC-st]
    "rl_waza": Ram(0x02068C77, 0x0206910F, ("s8",)),  # base+0x0B [JP-lua], [DEC-st]
    "wu.operator": Ram(0x02068C6F, 0x02069107, ("u8",)),  # 0 = CPU, base+3 [DEC-st]
    "sa_gauge_flash": Ram(0x020157C8, 0x020157C9, ("s8",)),  # [GF-gs], [EF-wm], [DEC-wb]
    # §1.2 global match / round state
    "Counter_hi.low": Ram(0x02011377, None, ("u8",)),  # round timer [GF-gs], [EF-mem], [P2-sf3], [DEC-wb]
    "Game_pause.low": Ram(0x0201136F, None, ("u8",)),  # [GF-gs], [EF-mem], [DEC-wb]
    "PL_Wins.low": Ram(0x02011383, 0x02011385, ("u8",)),  # rounds won [MTK-env], [GYM-env], [DEC-wb]
    "Allow_a_battle_f": Ram(0x02011389, None, ("u8",)),  # fighting flag [MTK-env], [GYM-env], [DEC-wb]
    "Round_num": Ram(0x0201138A, None, ("u8",)),  # [DEC-wb]
    "Winner_id": Ram(0x0201137F, None, ("s8",)),  # [DEC-wb]
    "Loser_id": Ram(0x02011380, None, ("s8",)),  # [DEC-wb]
    "C_No[0].low": Ram(0x020154A7, None, ("u8",)),  # match/round phase [GF-gs], [EF-gs], [JP-lua], [DEC-wb]
    "E_No[0].low": Ram(0x0201546B, None, ("u8",)),  # screen/menu state [EF-mem], [DEC-wb]
    "G_No[1].low": Ram(0x02015439, None, ("u8",)),  # top-level game state [EF-mem], [DEC-wb]
    "system_timer": Ram(0x02007F00, None, ("u32",)),  # frame counter [GF-gs], [EF-mem], [DEC-wb]
    "VS_Index": Ram(0x02015506, 0x02015508, ("s16",)),  # opponents beaten (human on P1 / P2) [DEC-wb], [DEC-next]
    "Battle_Country.low": Ram(0x020154F5, None, ("u8",)),  # stage background [EF-mem], [DEC-wb], [DEC-next]
    "Player_id": Ram(0x02015500, None, ("s8",)),  # [DEC-wb], [DEC-sel]
    "COM_id": Ram(0x02015503, None, ("s8",)),  # [DEC-wb], [DEC-sel]
    "Game_setting.level": Ram(0x0206AC63, None, ("s8",)),  # difficulty 0..7 [DEC-wb], [DEC-st], [DEC-gcjp]
    "Game_setting.bonus": Ram(0x0206AC69, None, ("s8",)),  # bonus enable bit 0 [DEC-next], [DEC-gcjp]
    "Bonus_Game_Flag": Ram(0x02016B3A, None, ("s16",)),  # 21 car, 22 ball [DEC-wb], [DEC-bbbs], [DEC-next]
    "Continue_Count": Ram(0x020113B6, None, ("s8", "s16")),  # Continue_Count[2], P1 entry [DEC-wb]
    "Random_ix": Ram(0x020155E8, None, ("s16", "u16")),  # random-number state [DEC-wb]
    # §1.3 character-select / SA-select screen
    "Cursor_X.low": Ram(0x020154CF, 0x020154D1, ("u8",)),  # 0..6, the trainers' "row" [GF-mem], [EF-mem], [DEC-wb]
    "Cursor_Y": Ram(0x0201566B, 0x0201566D, ("u8",)),  # 0..2, the trainers' "col" [GF-mem], [EF-mem], [DEC-wb]
    "ID_of_Face": Ram(0x02016B01, None, ("s8",)),  # [3][7], char id at [Cursor_Y][Cursor_X] [DEC-wb], [DEC-sel]
    "SP_No[i][0].low": Ram(0x0201553D, 0x02015545, ("u8",)),  # select state [GF-mem], [EF-mem], [DEC-wb]
    "Arts_Y.low": Ram(0x020154D3, 0x020154D5, ("u8",)),  # SA cursor 0..2 [GF-mem], [DEC-wb]
    "Player_Color": Ram(0x02015683, 0x02015684, ("s8",)),  # 0..6 [GF-mem], [JP-lua], [DEC-wb]
    "Select_Timer": Ram(0x020154FB, None, ("s8",)),  # [GF-mem], [DEC-wb]
}

# --- §1.1: structures -----------------------------------------------------------------------------------------
# Player object plw[2] [GF-gs], [EF-mem], [DEC-wb]
P1_BASE = 0x02068C6C
P2_BASE = 0x02069104
PLAYER_STRIDE = 0x498

#: offsets from the player-object base given by the facts' rows (base+0x..) [GF-gs], [EF-gs], [DEC-st]
PLAYER_FIELDS: Mapping[str, int] = {
    "vital_new": 0x9E, "vital_new.low": 0x9F, "xyz[0].disp.pos": 0x64, "Y position": 0x68, "rl_flag": 0x0A,
    "rl_waza": 0x0B, "wu.operator": 0x03,
}


@dataclass(frozen=True)
class Array:
    """A two-entry array: P1's element (``size`` bytes) at ``base``, P2's at ``base + stride``."""

    base: int
    stride: int
    size: int


#: two-entry arrays; a u8 row read from a wider element is its low byte, the element's last (big-endian)
ARRAYS: Mapping[str, Array] = {
    "PL_Wins.low": Array(0x02011382, 2, 2),  # PL_Wins[2], s16 at 0x02011382 [DEC-wb]
    "My_char": Array(0x02011387, 1, 1),  # My_char[2], u8 [DEC-wb]
    "Super_Arts": Array(0x0201138B, 1, 1),  # Super_Arts[2], s8 [DEC-wb]
    "VS_Index": Array(0x02015506, 2, 2),  # VS_Index[2], s16 [DEC-wb]
    "Cursor_X.low": Array(0x020154CE, 2, 2),  # s16 at 0x020154CE / 0x020154D0 [DEC-wb]
    "Player_Color": Array(0x02015683, 1, 1),  # Player_Color[2], s8 [DEC-wb]
    "sa_gauge_flash": Array(0x020157C8, 1, 1),  # sa_gauge_flash[i], s8 [DEC-wb]
    # no element width stated: "low byte of" read as an s16, the stride from the P1/P2 rows (inference)
    "Cursor_Y": Array(0x0201566A, 2, 2),  # u8 rows 0x0201566B / 0x0201566D
    "Arts_Y.low": Array(0x020154D2, 2, 2),  # low byte of Arts_Y[2], rows 0x020154D3 / 0x020154D5
    "SP_No[i][0].low": Array(0x0201553C, 8, 2),  # low byte of SP_No[i][0], rows 0x0201553D / 0x02015545
}


@dataclass(frozen=True)
class StructArray:
    """A per-player array of structs: entry i at ``base + i * stride`` (``base`` None: not given)."""

    base: int | None
    stride: int
    fields: tuple[str, ...]


STRUCT_ARRAYS: Mapping[str, StructArray] = {
    # super_arts[2] at 0x0206959C, stride 0x2C [DEC-wb], [DEC-st]
    "super_arts": StructArray(0x0206959C, 0x2C, ("super_arts.gauge.s.h.low", "gauge_len", "store.low",
                                                 "store_max.low", "SA state")),
    # piyori_type[i] [DEC-wb]+[DEC-st]: no base or stride stated; every piyori row's P2 is P1 + 0x14 (inference)
    "piyori_type": StructArray(None, 0x14, ("piyori_type.now.quantity.h", "genkai.low", "stun timer",
                                            "piyori_type.flag")),
}

ID_OF_FACE_SHAPE = (3, 7)  # ID_of_Face[3][7], s8 × 21, row = Cursor_Y [DEC-wb], [DEC-sel]

# --- §1.2 / §3: value codes -----------------------------------------------------------------------------------
#: E_No[0] low byte, per effie [EF-mem] ("7 continue(?)": effie marks it unsure)
SCREEN: Mapping[str, int] = {"char_select": 2, "cpu_select": 3, "in_match": 4, "grade": 5, "continue": 7,
                             "cpu_select_2": 9}
#: C_No[0] low byte, per effie [EF-gs]
PHASE: Mapping[str, int] = {"before_curtain": 1, "round_running": 2, "match_ended": 3, "select_vs": 9}
BONUS_CHAR_IDS = (21, 22)  # My_char of the CPU side in a bonus stage: car, ball [DEC-next], [DEC-bbbs]
MAX_HEALTH = 160  # [EF-tr], [P2-sf3], [JP-lua], [DIA-json]
KO_HEALTH = -1  # reads 0xFF (-1 as s8/s16) after a KO [DIA-doc], [GYM-env], [IDX-llm]
WINS_PER_MATCH = 2  # best of 3 [MTK-env] check_done, [DIA-json]
TIMER_START = 99  # 0x63 at round start [P2-sf3] (others say 100, facts §6.4)

# --- §1.4: input ports (MAME field names; all active-low) [MAME-cur] ---------------------------------------------
COIN = ((":INPUTS", "Coin 1"), (":INPUTS", "Coin 2"))  # [MAME-cur]
START = ((":INPUTS", "1 Player Start"), (":INPUTS", "2 Players Start"))  # [MAME-cur], names per [MTK-readme]


def player_inputs(player: int) -> dict[str, tuple[str, str]]:
    """P1's (0) or P2's (1) controls by the decomp's button names (LP..HK) [MAME-cur].

    LP/MP/HP are Jab/Strong/Fierce (bits 0x10/0x20/0x40 in both the port and the game's copy, §1.1 raw input
    bits); LK/MK/HK are Short/Forward/Roundhouse (the kick order of both lists; inference).
    """
    p = f"P{player + 1}"
    fields = {d: (":INPUTS", f"{p} {d.capitalize()}") for d in ("up", "down", "left", "right")}
    fields |= {b: (":INPUTS", f"{p} {n} Punch") for b, n in (("LP", "Jab"), ("MP", "Strong"), ("HP", "Fierce"))}
    kicks = (("LK", "Short"), ("MK", "Forward"), ("HK", "Roundhouse"))
    fields |= {b: (":EXTRA", f"{p} {n} Kick") for b, n in kicks}
    if player == 1:
        fields["HK"] = (":INPUTS", "P2 Roundhouse Kick")  # the one P2 kick on :INPUTS (0x04000000)
    return fields


# --- §2.1: internal ids (My_char) and the select grid ----------------------------------------------------------
#: id -> names [GF-fd], [EF-gd], [JP-lua], [GYM-env]
CHARACTER_NAMES: Mapping[int, tuple[str, ...]] = {
    0: ("Gill",), 1: ("Alex",), 2: ("Ryu",), 3: ("Yun",), 4: ("Dudley",), 5: ("Necro",), 6: ("Hugo",),
    7: ("Ibuki",), 8: ("Elena",), 9: ("Oro",), 10: ("Yang",), 11: ("Ken",), 12: ("Sean",), 13: ("Urien",),
    14: ("Gouki", "Akuma"), 15: ("Shin Gouki",), 16: ("Chun-Li",), 17: ("Makoto",), 18: ("Q",), 19: ("Twelve",),
    20: ("Remy",),
}
#: (Cursor_Y, Cursor_X) -> id: the select grid as the sources draw it [EF-cs], [GF-cs]
SELECT_GRID: Mapping[tuple[int, int], int] = {
    (0, 1): 1, (2, 5): 2, (1, 6): 3, (2, 3): 4, (0, 4): 5, (2, 1): 6, (0, 3): 7, (2, 2): 8, (2, 4): 9,
    (1, 0): 10, (2, 0): 11, (0, 2): 12, (0, 5): 13, (0, 6): 14, (1, 3): 16, (1, 2): 17, (1, 4): 18,
    (1, 1): 19, (1, 5): 20,
}

# --- §2.2: grid movement [DEC-sel] Sel_PL_Sub_* ------------------------------------------------------------------
#: valid Cursor_X of each Cursor_Y: Y=0 X 1..6, Y=1 X 0..6, Y=2 X 0..5 (19 cells)
VALID_X: Mapping[int, range] = {0: range(1, 7), 1: range(0, 7), 2: range(0, 6)}
#: repeated RIGHT from Alex, as the facts trace it (= DIAMBRA's order [DIA-doc], [DIA-json])
RIGHT_WALK = ("Alex", "Twelve", "Hugo", "Sean", "Makoto", "Elena", "Ibuki", "Chun-Li", "Dudley", "Necro", "Q", "Oro",
              "Urien", "Remy", "Ryu", "Gouki", "Yun", "Yang", "Ken")
CURSOR_REPEAT = 5  # a held direction moves again only every 5 frames (Cursor_Timer = 5)


def valid(cell: tuple[int, int]) -> bool:
    """Whether (Cursor_Y, Cursor_X) is one of the 19 grid cells."""
    y, x = cell
    return y in VALID_X and x in VALID_X[y]


def move(cell: tuple[int, int], direction: str) -> tuple[int, int]:
    """One cursor step, as §2.2 words it: RIGHT = Y+1, past Y=2 to Y=0 and X+1, at X=6 after Y=1 to (1, 0);
    LEFT the same backwards; UP = X+1, DOWN = X-1, wrapping inside the current Y line."""
    assert valid(cell), cell
    y, x = cell
    if direction == "right":
        out = (1, 0) if (y, x) == (1, 6) else (y + 1, x) if y < 2 else (0, x + 1)
    elif direction == "left":
        out = (1, 6) if (y, x) == (1, 0) else (y - 1, x) if y > 0 else (2, x - 1)
    elif direction in ("up", "down"):
        xs = VALID_X[y]
        out = (y, xs[(xs.index(x) + (1 if direction == "up" else -1)) % len(xs)])
    else:
        raise ValueError(direction)
    assert valid(out), (cell, direction, out)
    return out


#: the button(s) that confirm the character -> Player_Color: LP 0, MP 1, HP 2, LK 3, MK 4, HK 5, LP+MK+HP 6
#: [DEC-sel] via §2.2 ([DEC-next] Setup_PL_Color shifts it in a mirror match)
COLOR_OF_BUTTONS: Mapping[frozenset[str], int] = {
    frozenset({"LP"}): 0, frozenset({"MP"}): 1, frozenset({"HP"}): 2, frozenset({"LK"}): 3, frozenset({"MK"}): 4,
    frozenset({"HK"}): 5, frozenset({"LP", "MK", "HP"}): 6,
}
BUTTONS = ("LP", "MP", "HP", "LK", "MK", "HK")  # any of them confirms [DEC-sel]

#: SP_No[i][0] low byte: the select state [GF-mem], [EF-mem], [DEC-wb]
SELECT_STATE: Mapping[str, int] = {"none": 0, "intro": 1, "picking_char": 2, "sa_intro": 3, "picking_sa": 4,
                                   "locked": 5}

# --- §2.3: Super Art selection [DEC-sel] Sel_Arts_Sub -------------------------------------------------------------
# Arts_Y starts at the last SA used with that character; DOWN +1, UP -1, wrapping over 0..2; any button
# confirms; Super_Arts[i] = Arts_Y.
N_SUPER_ARTS = 3

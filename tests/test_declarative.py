"""Declarative game files: the format's validation, its generic rules and controller, and file games on real MAME.

The built-in Atari games are game files themselves (``mame_zoo/games/data``), so the env and fidelity suites
(test_envs.py, test_fidelity_ale.py) run the format on real games; here: what those suites do not reach.
"""

from __future__ import annotations

import pickle
import re
import shutil
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import gymnasium
import pytest
from pettingzoo import AECEnv
from pettingzoo.test import parallel_api_test

import mame_zoo
from mame_zoo import games, spec
from mame_zoo.core.ops import FrameOutcome, Hold, MachineReset, PressUntil, Wait
from mame_zoo.declarative import (
    DATA_DIR,
    ActionController,
    DeclarativeGame,
    DeclarativeRules,
    load_game,
    loads_game,
    make_from_file,
    register,
    unregister,
)
from mame_zoo.env import MameParallelEnv, Rules
from mame_zoo.errors import InvalidGameSpec, UnknownGame
from mame_zoo.games import atari
from mame_zoo.games.atari_rules import TennisRules
from mame_zoo.games.sf3.game import SF3Game

pytestmark = pytest.mark.timeout(120)

J1, J2 = ":joyport1:joy:JOY", ":joyport2:joy:JOY"
BAD = 42  # not callable: a rules factory the escape hatch must refuse

# A small game file over Boxing's cartridge, used as the base of the validation cases.
BASE = """
[game]
name = "tiny"

[machine]
system = "a2600"
media = { cart = "ale:boxing" }

[screen]
size = [223, 176]

[vars]
a = 0x92
b = { address = 0x93, decode = "bcd", special = { 0xC0 = 100 } }

[inputs]
reset = [":SWB", "Reset Game"]

[start]
sequence = [{ wait = 60 }, { hold = ["reset"], frames = 4 }]

[actions]
table = "atari"
minimal = ["NOOP", "FIRE", "UP"]

[[agents]]
name = "p1"
buttons = { up = [":joyport1:joy:JOY", "P1 Up"], fire = [":joyport1:joy:JOY", "P1 Button 1"] }

[[rewards]]
kind = "delta"
agent = "p1"
var = "a"
"""


def game_from(text: str) -> DeclarativeGame:
    return loads_game(text, "tiny.toml")


# --- 1. the built-in games are game files -----------------------------------------------------------------
def test_every_builtin_game_is_a_game_file() -> None:
    files = sorted(p.stem for p in DATA_DIR.glob("*.toml"))
    assert files == sorted([*(g.name for g in atari.GAMES), "sfiii3n"])
    for name in games.SHIPPED:  # every shipped env's declaration is its game file's
        game = games.declaration(name)
        assert isinstance(game, DeclarativeGame) and Path(game.path) == DATA_DIR / f"{game.name}.toml"
    sf3 = load_game(DATA_DIR / "sfiii3n.toml")
    assert isinstance(sf3, SF3Game) and sf3.system == "sfiii3n" and sf3.romset and sf3.frame_shape() == (224, 384)
    for game in atari.GAMES:
        assert isinstance(game, DeclarativeGame)
        assert Path(game.path) == DATA_DIR / f"{game.name}.toml"
        again = load_game(game.path)
        assert again.env_name == game.env_name and again.vars == game.vars and again.start == game.start
        # the games whose rules the format cannot say use the Python escape hatch
        python = {"tennis", "double_dunk", "othello", "video_checkers", "wizard_of_wor", "maze_craze",
                  "entombed_cooperative"}
        assert (again.ruleset is None) == (game.name in python)
    assert atari.TENNIS.python_rules is not None
    assert atari.TENNIS.python_rules.target == "mame_zoo.games.atari_rules:TennisRules"
    assert isinstance(atari.TENNIS.rules(), TennisRules)
    assert isinstance(atari.BOXING.rules(), DeclarativeRules)


def test_builtin_boxing_declares_what_multi_agent_ale_reads() -> None:
    game = atari.BOXING
    assert {n: v.address for n, v in game.vars.items()} == {"score_first": 0x92, "score_second": 0x93,
                                                            "clock_min": 0x90, "clock_sec": 0x91}
    # Multi-Agent-ALE's reset(seed): loadROM's environment reset in Boxing's first mode (1: RAM 0x92 = 1), then
    # reset_game's in the two-player mode (0x92 = 2); each begins with a machine reset and 60 idle frames
    reset, select, idle = Hold({atari.RESET: 1}, 4), {atari.SELECT: 1}, Wait(60)
    assert game.start == (MachineReset(), idle, reset, PressUntil(select, spec.Var(0x92), 1), Hold({atari.RESET: 1}, 8),
                          Wait(1), Wait(1), MachineReset(), idle, reset, PressUntil(select, spec.Var(0x92), 2))
    assert game.restart == (Hold({atari.RESET: 1}, 8), Wait(1))  # setMode's and reset's soft resets
    assert game.power_on is not None and game.frame_signal is not None and game.frame_signal.limit is not None
    single = game.with_single_agent()
    assert single.agents == ("first_0",)
    # ale-py's resets in the default mode: idle frames and three soft resets (the last ending on the observed
    # frame: restart + 1)
    assert single.start == (MachineReset(), idle, reset, Hold({atari.RESET: 1}, 4), MachineReset(), idle, reset)
    assert single.restart == (Hold({atari.RESET: 1}, 3, observed=True),)
    with pytest.raises(ValueError, match="1-player"):
        atari.WARLORDS.with_single_agent()



def test_single_agent_start_restart_and_rules() -> None:
    seq = "sequence = [{ wait = 60 }, { hold = [\"reset\"], frames = 4 }]\n"
    single = seq + 'single_agent = [{ wait = 60 }]\nsingle_agent_restart = [{ hold = ["reset"], frames = 3 }]\n'
    game = game_from(BASE.replace(seq, single))
    assert game.restart == (Wait(3),)  # the multi-agent form keeps the default
    assert game.with_single_agent().start == (Wait(60),)
    assert game.with_single_agent().restart == (Hold({(":SWB", "Reset Game"): 1}, 3),)
    for text, message in [(seq + 'single_agent_restart = [{ wait = 3 }]\n', "needs a [start] single_agent"),
                          (single.replace("frames = 3", "frames = 2"), "must let at least 3 frames pass"),
                          (seq.replace("frames = 4", "frames = 4, observed = true"), "only the last step of a restart"),
                          (single.replace("frames = 3 }]", "frames = 3, observed = true }, { wait = 1 }]"),
                           "only the last step of a restart"),
                          (single.replace("frames = 3 }]", "frames = 3 }, { hold = [\"reset\"], frames = 0 }]"),
                           "frames")]:
        with pytest.raises(InvalidGameSpec, match=re.escape(message)):
            game_from(BASE.replace(seq, text))
    # an observed hold may be held on the observed frame alone (Double Dunk's starting action in ale-py)
    alone = game_from(BASE.replace(seq, single.replace("frames = 3 }]", 'frames = 3 }, { hold = ["reset"], frames = 0, '
                                                                        "observed = true }]")))
    assert alone.with_single_agent().restart[-1] == Hold({(":SWB", "Reset Game"): 1}, 0, observed=True)
    # a reward rule for the multi-agent game only
    marked = game_from(BASE.replace(seq, single).replace('var = "a"\n', 'var = "a"\nsingle_agent = false\n'))
    assert len(marked.ruleset.rewards) == 1  # type: ignore[union-attr]
    assert marked.with_single_agent().rules().spec.rewards == ()  # type: ignore[attr-defined]
    with pytest.raises(InvalidGameSpec, match=re.escape("rewards[0].single_agent")):
        game_from(BASE.replace('var = "a"\n', 'var = "a"\nsingle_agent = 2\n'))
    # Tennis: Multi-Agent-ALE's stall penalty in the two-player game, none in ale-py's 1-player game
    assert atari.TENNIS.rules().stall_penalty is True  # type: ignore[attr-defined]
    assert atari.TENNIS.with_single_agent().rules().stall_penalty is False  # type: ignore[attr-defined]

SETTINGS = """
[mode]
default = 45
offset = -1

[settings.num_players]
doc = "2 or 4 players"
default = 2
choices = { 2 = { mode = 45, agents = 2 }, 4 = { mode = 49, agents = 3 } }

[settings.fast]
default = false
choices = { false = {}, true = { add = 2 } }
"""


@pytest.mark.no_mame
def test_settings_choose_the_mode_the_start_selects_and_the_agents() -> None:
    seq = "sequence = [{ wait = 60 }, { hold = [\"reset\"], frames = 4 }]\n"
    press = ('sequence = [{ wait = 60 }, { press = ["reset"], frames = 2, release = 1, '
             'until = { address = 0x96, equal = "mode" } }]\n')
    text = RULES.replace(seq, press) + SETTINGS
    game = game_from(text)
    assert game.options == ("num_players", "fast") and game.settings() == {"num_players": 2, "fast": False}
    assert game.agents == ("p1", "p2") and game.game_mode == 45
    assert game.start[1] == PressUntil({(":SWB", "Reset Game"): 1}, spec.Var(0x96), 44, press=2, release=1)
    four = game.with_settings(num_players=4, fast=True)
    assert four.agents == ("p1", "p2", "p3") and four.game_mode == 51 and four.start[1].value == 50
    assert four.with_settings(num_players=2).agents == ("p1", "p2")
    # the env's factories take the settings as keywords (mame_zoo.env.configure)
    from mame_zoo.env import configure

    configured, rest = configure(game, {"num_players": 4, "obs_type": "ram"})
    assert configured.agents == four.agents and configured.game_mode == 49 and rest == {"obs_type": "ram"}
    assert configured.start == (four.start[0], replace(four.start[1], value=48))
    # only the first agents play, and only they count for agents_left (p2 out: one left of two, not of three)
    for g, ends in ((game, True), (four, False)):
        rules = g.rules()
        rules.reset({"a": 0, "b": 0, "c": 0})
        assert rules.frame({"a": 0, "b": 0, "c": 0x20}).terminal is ends
    for bad, message in [({"num_players": 3}, "num_players=3 is not one of 2, 4"),
                         ({"num_players": "4"}, "is not one of"), ({"fast": 1}, "is not one of"),
                         ({"players": 2}, "has no setting 'players'")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            game.with_settings(**bad)
    for text2, message in [
        (text.replace("[mode]\ndefault = 45\noffset = -1\n", ""), "changes the game mode: declare [mode]"),
        (text.replace("default = 2\n", "default = 3\n"), "3 is not one of its choices"),
        (text.replace("4 = { mode = 49, agents = 3 }", "4 = { mode = 49, agents = 4 }"), "settings.num_players"),
        (text.replace("true = { add = 2 }", "yes = { add = 2 }"), "the choices are true and false"),
        (text.replace("2 = { mode = 45", "two = { mode = 45"), "every choice must be one"),
        (RULES.replace(seq, press), 'declare [mode] with its default'),
        (RULES.replace(seq, seq + press.replace("sequence", "restart")) + SETTINGS,
         'only [start] sequence may wait for equal = "mode"'),
    ]:
        with pytest.raises(InvalidGameSpec, match=re.escape(message)):
            game_from(text2)


@pytest.mark.no_mame
def test_a_mode_table_chooses_the_mode_of_a_combination() -> None:
    """Pong's num_players x game_version and Combat's (is_invisible, billiard_hit) + has_maze: PettingZoo's tables."""
    pong, combat = atari.PONG, atari.COMBAT_TANK
    assert pong.settings() == {"num_players": 2, "game_version": "classic"} and pong.game_mode == 4
    assert pong.agents == ("first_0", "second_0")
    quadra = pong.with_settings(num_players=4, game_version="quadrapong")
    assert quadra.game_mode == 33 and quadra.start[-1].value == 32 and len(quadra.agents) == 4
    assert pong.with_settings(game_version="basketball").game_mode == 45
    with pytest.raises(ValueError, match="no game mode for num_players=2, game_version='quadrapong'"):
        pong.with_settings(game_version="quadrapong")
    assert pong.with_single_agent().agents == ("first_0",)  # ale-py's default mode: the settings must be too
    with pytest.raises(ValueError, match="game_version='hockey' set"):
        pong.with_settings(game_version="hockey").with_single_agent()
    assert combat.game_mode == 9 and combat.with_settings(has_maze=False, is_invisible=True).game_mode == 13
    table = ('[mode]\ndefault = 1\ntable = [{ when = { fast = true }, mode = 5 }, { when = { fast = false }, '
             'mode = 2 }]\n[settings.fast]\ndefault = false\nchoices = { false = {}, true = { add = 1 } }\n')
    game = game_from(BASE + table)
    assert game.game_mode == 2 and game.with_settings(fast=True).game_mode == 6  # the table's mode, then the adds
    for text, message in [(table.replace("{ fast = true }", "{ slow = true }"), "no setting 'slow'"),
                          (table.replace("{ fast = true }", "{ fast = 1 }"), "1 is not one of False, True"),
                          (table.replace("mode = 5", "mode = -5"), "mode.table[0].mode")]:
        with pytest.raises(InvalidGameSpec, match=re.escape(message)):
            game_from(BASE + text)


# --- 2. the generic rules (pure Python) ----------------------------------------------------------------------
RULES = BASE.replace('[[rewards]]\nkind = "delta"\nagent = "p1"\nvar = "a"\n', "") + """
[vars.c]
address = 0x94
mask = 0xF0
shift = 4

[[agents]]
name = "p2"
buttons = { up = [":joyport2:joy:JOY", "P2 Up"] }
out = { var = "c", at_least = 2 }

[[agents]]
name = "p3"
buttons = { up = [":joyport2:joy:JOY", "P2 Down"] }
out = { var = "c", in = [3, 4] }

[[rewards]]
kind = "delta"
agent = "p1"
var = "b"
minus = "a"

[[rewards]]
kind = "delta"
agents = ["p2", "p3"]
var = "b"
scale = -0.5

[[rewards]]
kind = "event"
agent = "p1"
when = { var = "a", mask = 0x80, not_equal = 0 }
reward = 10

[[rewards]]
kind = "timer"
while = { not = { var = "a", equal = 0 } }
frames = 3
reward = -1
agent = { var = "a", map = { 1 = "p2" }, default = "p3" }

[[rewards]]
kind = "out"
reward = -5

[[rewards]]
kind = "survivors"
reward = 7

[done]
when = { all = [{ var = "b", above = 98 }, { var = "a", below = 5 }] }
agents_left = 1
"""


def test_rules_decode_rewards_events_timers_outs_and_done() -> None:
    game = game_from(RULES)
    assert game.agents == ("p1", "p2", "p3")
    rules = game.rules()
    rules.reset({"a": 0, "b": 0x09, "c": 0x00})
    step = rules.frame
    # b: BCD 0x09 -> 0x12 is +3; p1 gets +3 - change of a (+1); p2 and p3 get -0.5 * 3
    out = step({"a": 1, "b": 0x12, "c": 0x00})
    assert out.rewards == [2.0, -1.5, -1.5] and not out.terminal and out.lives == [0, 0, 0]
    out = step({"a": 1, "b": 0x12, "c": 0x00})  # a != 0 for two frames: no timer yet
    assert out.rewards == [0.0, 0.0, 0.0]
    out = step({"a": 1, "b": 0x12, "c": 0x10})  # third frame: the timer fires, to p2 (a == 1)
    assert out.rewards == [0.0, -1.0, 0.0]
    out = step({"a": 0x81, "b": 0x12, "c": 0x10})  # bit 0x80 appears: the event (+10), a jumps by 0x80
    assert out.rewards == [10.0 - 0x80, 0.0, 0.0]
    out = step({"a": 0x81, "b": 0x12, "c": 0x20})  # c >> 4 == 2: p2 is out (-5), once
    assert out.rewards == [0.0, -5.0, 0.0] and out.lives == [0, -1, 0] and not out.terminal
    out = step({"a": 0x81, "b": 0x12, "c": 0x20})  # the timer's 3rd frame again: to p3 now (a != 1)
    assert out.rewards == [0.0, 0.0, -1.0]
    # special: 0xC0 is 100 (+88 over 12); c >> 4 == 3: p3 out too, one agent left: the end, p1 survives (+7)
    out = step({"a": 0x81, "b": 0xC0, "c": 0x30})
    assert out.terminal and out.lives == [0, -1, -1]
    assert out.rewards == [88.0 + 7.0, -44.0 - 0.0, -44.0 - 5.0]
    # done.when alone: b > 98 and a < 5
    rules.reset({"a": 0, "b": 0, "c": 0})
    assert rules.frame({"a": 4, "b": 0x99, "c": 0}).terminal
    assert not rules.frame({"a": 5, "b": 0x99, "c": 0}).terminal
    assert "p2 when c >= 2" in game.rules_doc and "at most 1 agent(s)" in game.rules_doc


def test_decoders_byteswap_signed_and_wide_bcd() -> None:
    text = BASE.replace('[vars]\n', '[vars]\nw = { address = 0x80, type = "u16", byteswap = true, decode = "bcd" }\n'
                                    's = { address = 0x82, type = "s16", byteswap = true }\n')
    decoders = game_from(text).decoders
    assert decoders["w"](0x3412) == 1234
    assert decoders["s"](0x00FF) == -256 and decoders["s"](-256) == 0x00FF  # bytes ff 00 <-> 00 ff
    assert decoders["b"](0xC0) == 100 and decoders["b"](0x42) == 42 and decoders["a"](0x42) == 0x42


def test_controller_tables_groups_and_dial() -> None:
    text = BASE.replace('[actions]\ntable = "atari"\nminimal = ["NOOP", "FIRE", "UP"]\n', """
[actions]
groups = [["STAY", "UP"], ["NONE", "PUNCH"]]
[actions.table]
STAY = []
UP = ["up"]
NONE = []
PUNCH = ["fire"]
""")
    game = game_from(text)
    assert game.action_space("p1", False) == gymnasium.spaces.MultiDiscrete([2, 2])
    assert game.noop_action("p1", False) == (0, 0)
    assert game.action_meanings() == ["STAY", "UP", "NONE", "PUNCH"]
    ctl = game.controller(False)
    up, fire = (J1, "P1 Up"), (J1, "P1 Button 1")
    assert ctl.reset() == {up: 0, fire: 0}
    assert ctl.encode({"p1": (1, 1)}) == {up: 1, fire: 1}
    assert ctl.encode({}) == {up: 0, fire: 0}
    assert not ctl.per_frame
    # Pong's paddles: LEFT turns the dial up by 23000 per frame; the pot's charging input gets the cycles a paddle
    # of that resistance takes to charge, as Stella computes them (1.6 * r * 0.01E-6 * 1.19E6, truncated)
    pong = atari.PONG.controller(False)
    assert isinstance(pong, ActionController) and pong.per_frame
    pot = (":joyport1:pad:POTY", "Paddle 2")
    assert pong.reset()[pot] == int(1.6 * 408823 * 0.01e-6 * 1.19e6) == 7783
    left = atari.PONG.action_meanings().index("LEFT")
    for frame in range(1, 5):
        assert pong.encode({"first_0": left})[pot] == int(1.6 * (408823 + frame * 23000) * 0.01e-6 * 1.19e6)
    for _ in range(100):
        pong.encode({"first_0": left})
    assert pong.positions[0] == 790196  # clamped at the maximum
    # the pots no agent turns: Multi-Agent-ALE turns all four with no-ops (they rest at the start position)
    idle = {f: v for f, v in pong.reset().items() if f[0].endswith(("POTX", "POTY")) and f != pot}
    assert len(idle) == 3 and set(idle.values()) == {7783}


# --- 3. validation: file, key and problem ---------------------------------------------------------------------
BAD = [
    ("[game]\nname = \"tiny\"", "[game]\nname = \"Tiny Game\"", "game.name: 'Tiny Game' is not a game name"),
    ("[game]\nname = \"tiny\"", "[game]\nname = \"tiny_v2\"", "game.name: 'tiny_v2' ends in a version"),
    ("a = 0x92", "a = \"0x92\"",
     "vars.a: must be an address or a table { address = ... }, got a string '0x92' (write numbers without"),
    ("a = 0x92", "a = { address = \"0x92\" }", "vars.a.address: must be an integer, got a string '0x92'"),
    ("a = 0x92", "a = { address = 0x92, type = \"u12\" }", "vars.a.type: 'u12' is not a value type"),
    ("a = 0x92", "a = { address = 0x92, adress = 3 }", "vars.a.adress: unknown key (did you mean 'address'?)"),
    ("a = 0x92", "a = { address = 0x92, decode = \"bcd\", type = \"s8\" }", "vars.a.decode: BCD needs an unsigned"),
    ("a = 0x92", "a = { address = 0x92, special = { x1 = 3 } }", "vars.a.special.x1: keys must be integers"),
    ("var = \"a\"\n", "var = \"aa\"\n", "rewards[0].var: no variable 'aa' in [vars] (did you mean 'a'?)"),
    ("kind = \"delta\"", "kind = \"bonus\"", "rewards[0].kind: must be one of delta, event, timer, out, survivors"),
    ("agent = \"p1\"\nvar", "agent = \"p9\"\nvar", "rewards[0].agent: no agent 'p9'; agents: p1"),
    ("minimal = [\"NOOP\", \"FIRE\", \"UP\"]", "minimal = [\"NOOP\", \"FIER\"]",
     "actions.minimal[1]: no action 'FIER' in the table (did you mean 'FIRE'?)"),
    ("table = \"atari\"", "table = \"nes\"", "actions.table: no built-in table 'nes'"),
    ("fire = [\":joyport1:joy:JOY\", \"P1 Button 1\"]", "jump = [\":joyport1:joy:JOY\", \"P1 Button 1\"]",
     "agents[0].buttons.jump: no action holds a button 'jump'"),
    ("up = [\":joyport1:joy:JOY\", \"P1 Up\"]", "up = [\"joyport1\", \"P1 Up\"]",
     "agents[0].buttons.up: the port tag 'joyport1' must start with ':'"),
    ("{ hold = [\"reset\"], frames = 4 }", "{ hold = [\"rest\"], frames = 4 }",
     "start.sequence[1].hold[0]: no input named 'rest' (did you mean 'reset'?)"),
    ("{ wait = 60 }", "{ wait = 60, hold = [\"reset\"] }", "start.sequence[0]: give exactly one of wait, hold"),
    ("{ wait = 60 }", "{ press = [\"reset\"], until = { var = \"b\", equal = 1 } }",
     "start.sequence[0].until: start sequences compare the raw value or its BCD decoding only"),
    ("media = { cart = \"ale:boxing\" }",
     "media = { cart = \"ale:boxing\" }\noptions = [\"-autoboot_script\", \"x.lua\"]",
     "machine.options[0]: '-autoboot_script' is not allowed in a game file"),
    ("media = { cart = \"ale:boxing\" }", "media = { cart = \"ale:boxing\" }\noptions = [\"-plugin\", \"x\"]",
     "machine.options[0]: '-plugin' is not allowed"),
    ("media = { cart = \"ale:boxing\" }", "media = { cart = \"ale:boxing\" }\noptions = [\"pad\"]",
     "machine.options[0]: 'pad' is a value without an option before it"),
    ("size = [223, 176]", "size = [223, 176]\ncrop = [0, 10, 0, 10]", "screen: give either crop"),
    ("[game]", "[gmae]", "gmae: unknown key (did you mean 'game'?)"),
    ("[[rewards]]", "[rules]\npython = \"os.path\"\n[[rewards]]",
     "rules: a Python rules factory replaces [[rewards]] and [done]"),
    ("[[agents]]", "[done]\nagents_left = 1\n[[agents]]", "done.agents_left: needs an 'out' condition"),
    ("[game]", "format = 2\n[game]", "format: this mame_zoo reads format 1, the file says 2"),
    ("[screen]", "[screen\n", "not valid TOML"),
]


@pytest.mark.parametrize(("old", "new", "message"), BAD, ids=[m.split(":")[0] for _, _, m in BAD])
def test_invalid_files_name_the_file_key_and_problem(old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(InvalidGameSpec) as info:
        game_from(BASE.replace(old, new, 1))
    assert str(info.value).startswith("tiny.toml: ")
    assert message in str(info.value)


def test_missing_sections_and_files(tmp_path: Path) -> None:
    for section in ("[[agents]]", "[actions]", "[screen]", "[machine]"):
        start = BASE.index(section)
        end = BASE.find("\n[", start + 1)
        with pytest.raises(InvalidGameSpec, match=r"tiny.toml: .*is required|tiny.toml: .*declare"):
            game_from(BASE[:start] + (BASE[end:] if end > 0 else ""))
    with pytest.raises(InvalidGameSpec, match="no such game file"):
        load_game(tmp_path / "nope.toml")
    with pytest.raises(InvalidGameSpec, match=re.escape("relative path 'cart.bin' in a game read from a string")):
        game_from(BASE.replace('"ale:boxing"', '"cart.bin"'))
    (tmp_path / "g.toml").write_text(BASE.replace('"ale:boxing"', '"roms/box.bin"'))
    assert load_game(tmp_path / "g.toml").media == {"cart": str(tmp_path / "roms" / "box.bin")}


# --- 4. the Python escape hatch --------------------------------------------------------------------------------
class ScaledRules(Rules):
    """A test factory: reward = scale x the change of a."""

    def __init__(self, scale: float = 1.0) -> None:
        self.scale = scale

    def reset(self, values: Mapping[str, int]) -> None:
        self.last = values["a"]

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        change, self.last = values["a"] - self.last, values["a"]
        return FrameOutcome([self.scale * change])


def not_rules() -> object:
    return object()


def test_python_rules_are_imported_not_evaluated() -> None:
    hatch = (BASE.split("[[rewards]]")[0]
             + '[rules]\npython = "test_declarative:ScaledRules"\nkwargs = { scale = 2.5 }\n')
    rules = game_from(hatch).rules()
    assert isinstance(rules, ScaledRules) and rules.scale == 2.5
    one = BASE.split("[[rewards]]")[0].replace("[start]\n", "[start]\nsingle_agent = [{ wait = 60 }]\n") + (
        '[rules]\npython = "test_declarative:ScaledRules"\nkwargs = { scale = 2.5 }\n'
        'single_agent_kwargs = { scale = -1.0 }\n')
    assert game_from(one).rules().scale == 2.5  # type: ignore[attr-defined]
    assert game_from(one).with_single_agent().rules().scale == -1.0  # type: ignore[attr-defined]
    rules.reset({"a": 1})
    assert rules.frame({"a": 3}).rewards == [5.0]
    for target, message in [("test_declarative:Nope", "has no 'Nope'"),
                            ("no_such_module_xyz:f", "cannot import 'no_such_module_xyz'"),
                            ("test_declarative:BAD", "is not callable"),
                            ("__import__('os').system('x')", "is not 'package.module:callable'")]:
        with pytest.raises(InvalidGameSpec, match=re.escape(message)):
            game_from(hatch.replace("test_declarative:ScaledRules", target))
    with pytest.raises(InvalidGameSpec, match=re.escape("returned object, not a mame_zoo.env.Rules")):
        game_from(hatch.replace("ScaledRules", "not_rules").replace("kwargs = { scale = 2.5 }\n", "")).rules()


@dataclass(frozen=True)
class ClassGame(DeclarativeGame):
    """A test game class: one agent, no inputs, zero reward (what a ``[game] python`` class declares itself)."""

    lives: int = 3

    @property
    def agents(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("solo",)

    def rules(self) -> Rules:
        return ScaledRules(0.0)


CLASS_FILE = """\
[game]
name = "classy"
python = "test_declarative:ClassGame"
description = "from a class"
[machine]
system = "a2600"
media = { cart = "ale:boxing" }
[screen]
size = [210, 160]
"""


def test_a_game_file_can_name_its_game_class() -> None:
    game = game_from(CLASS_FILE)
    assert isinstance(game, ClassGame) and game.lives == 3 and game.agents == ("solo",)
    assert (game.name, game.description, game.system, game.frame_shape()) == ("classy", "from a class", "a2600",
                                                                               (210, 160))
    assert replace(game, lives=5).lives == 5
    for target, message in [("test_declarative:ScaledRules", "is not a subclass of mame_zoo.declarative"),
                            ("test_declarative:Nope", "has no 'Nope'"),
                            ("os.system('x')", "is not 'package.module:Class'")]:
        with pytest.raises(InvalidGameSpec, match=re.escape(message)):
            game_from(CLASS_FILE.replace("test_declarative:ClassGame", target))
    with pytest.raises(InvalidGameSpec, match=re.escape("agents: the game.python class declares this itself")):
        game_from(CLASS_FILE + '[[agents]]\nname = "x"\n')


# --- 5. file games on real MAME ----------------------------------------------------------------------------------
MOVE_PUNCH = """\
[game]
name = "box_duel"
version = 3
description = "Boxing with a move x punch action per boxer."

[machine]
system = "a2600"
media = { cart = "roms/boxing.bin" }

[screen]
crop = [13, 223, 8, 168]

[ram]
start = 0x80
size = 128

[vars]
score_first = { address = 0x92, decode = "bcd", special = { 0xC0 = 100 } }
score_second = { address = 0x93, decode = "bcd", special = { 0xC0 = 100 } }

[inputs]
reset = [":SWB", "Reset Game"]
select = [":SWB", "Select Game"]

[start]
sequence = [
  { wait = 60 },
  { hold = ["reset"], frames = 4 },
  { press = ["select"], until = { address = 0x92, equal = 2 } },
]
restart = [{ hold = { reset = 1 }, frames = 4 }, { wait = 1 }]

[actions]
groups = [["STAY", "N", "S", "E", "W"], ["GUARD", "PUNCH"]]

[actions.table]
STAY = []
N = ["up"]
S = ["down"]
E = ["right"]
W = ["left"]
GUARD = []
PUNCH = ["fire"]

[[agents]]
name = "left"
buttons.up = ["JOY1", "P1 Up"]
buttons.down = ["JOY1", "P1 Down"]
buttons.left = ["JOY1", "P1 Left"]
buttons.right = ["JOY1", "P1 Right"]
buttons.fire = ["JOY1", "P1 Button 1"]

[[agents]]
name = "right"
buttons.up = ["JOY2", "P2 Up"]
buttons.down = ["JOY2", "P2 Down"]
buttons.left = ["JOY2", "P2 Left"]
buttons.right = ["JOY2", "P2 Right"]
buttons.fire = ["JOY2", "P2 Button 1"]

[[rewards]]
kind = "delta"
agent = "left"
var = "score_first"

[[rewards]]
kind = "delta"
agent = "right"
var = "score_second"

[done]
when = { any = [{ var = "score_first", equal = 100 }, { var = "score_second", equal = 100 }] }
""".replace('"JOY1"', f'"{J1}"').replace('"JOY2"', f'"{J2}"')


@pytest.fixture
def duel_file(tmp_path: Path, boxing_rom: str) -> Path:
    (tmp_path / "roms").mkdir()
    shutil.copy(boxing_rom, tmp_path / "roms" / "boxing.bin")  # a cartridge path relative to the file
    path = tmp_path / "box_duel.toml"
    path.write_text(MOVE_PUNCH)
    return path


def test_file_game_passes_pettingzoo_api_tests(duel_file: Path, closing: Callable) -> None:
    env = closing(make_from_file(duel_file))
    assert isinstance(env, MameParallelEnv) and env.metadata["name"] == "box_duel_v3"
    assert env.possible_agents == ["left", "right"]
    assert env.action_space("left") == gymnasium.spaces.MultiDiscrete([5, 2])
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*(Live agent|was dead|No agents present).*")
        parallel_api_test(env, num_cycles=60)
    aec = closing(make_from_file(duel_file, api="aec"))
    assert isinstance(aec, AECEnv)
    aec.reset(seed=0)
    assert aec.observe("left").shape == (210, 160, 3)


def test_file_game_plays_scores_and_pickles(duel_file: Path, closing: Callable) -> None:
    """The left boxer closes in (18 pixels above the other, its arm's height) and punches: its own score is its
    reward. The env pickles (file paths and all)."""
    env = closing(make_from_file(duel_file, obs_type="ram", noop_max=0, frameskip=2))
    obs, _ = env.reset(seed=0)
    total = {"left": 0.0, "right": 0.0}
    for t in range(300):
        ram = obs["left"]  # 0x80 + 0x22 / 0x23: the boxers' y
        dy = int(ram[0x23]) - 18 - int(ram[0x22])
        move = (2 if dy > 0 else 1) if abs(dy) > 2 else 3  # S, N, else E
        obs, rew, _, _, _ = env.step({"left": (move, int(t % 4 == 0)), "right": (0, 0)})
        for agent, r in rew.items():
            total[agent] += r
    ram = obs["left"]
    score = 10 * (ram[0x12] >> 4) + (ram[0x12] & 0xF)
    assert total["left"] == score > 0  # the left boxer landed punches, and the reward counted them
    assert total["right"] == 0
    clone = closing(pickle.loads(pickle.dumps(env)))
    assert clone.bridge is None and clone.game == env.game
    assert clone.reset(seed=0)[0]["left"].shape == (128,)


def test_register_makes_file_games_known_by_name(duel_file: Path, closing: Callable) -> None:
    name = register(duel_file)
    try:
        assert name == "box_duel_v3" and name in mame_zoo.names()
        env = closing(mame_zoo.make("box_duel", obs_type="ram"))
        assert env.metadata["name"] == "box_duel_v3"
        assert isinstance(closing(mame_zoo.make("box_duel_v3", api="aec")), AECEnv)
        with pytest.raises(InvalidGameSpec, match="registered already"):
            register(duel_file)
        assert register(duel_file, replace=True) == name
    finally:
        unregister(name)
    with pytest.raises(UnknownGame):
        mame_zoo.make("box_duel_v3")
    builtin_clash = BASE.replace('name = "tiny"', 'name = "boxing"')
    with pytest.raises(InvalidGameSpec, match="boxing_v0 is a built-in game"):
        register(game_from(builtin_clash), replace=True)


def test_start_state_from_a_file(tmp_path: Path, boxing_rom: str, closing: Callable) -> None:
    """``[start] state``: a MAME save state to start from (needs the environment's LoadState start step)."""
    from mame_zoo.bridge import Bridge, MachineConfig

    state = tmp_path / "match.sta"
    with Bridge(MachineConfig("a2600", {"cart": boxing_rom})) as bridge:
        reset = bridge.field(":SWB", "Reset Game")
        bridge.step(60)
        bridge.step(4, {reset: 1})
        bridge.step(600, {reset: 0})
        bridge.save_state(state)
        bridge.step(1)
    text = BASE.replace('sequence = [{ wait = 60 }, { hold = ["reset"], frames = 4 }]',
                        'state = "match.sta"\nsequence = [{ wait = 3 }]') + "\n[ram]\nstart = 0x80\nsize = 128\n"
    (tmp_path / "from_state.toml").write_text(text)
    if getattr(spec, "LoadState", None) is None:
        with pytest.raises(InvalidGameSpec, match=re.escape("start.state: this mame_zoo's environment cannot start")):
            load_game(tmp_path / "from_state.toml")
        pytest.skip("mame_zoo.spec.LoadState (env support for start states) is not wired yet")
    game = load_game(tmp_path / "from_state.toml")
    env = closing(MameParallelEnv(game, obs_type="ram", noop_max=0))
    obs, _ = env.reset(seed=0)
    assert obs["p1"][0x11] < 0x59  # the clock has run: the match started 10 s before the state was saved
    (tmp_path / "bad.sta").write_bytes(b"not a state")
    with pytest.raises(InvalidGameSpec, match="is not a MAME save state"):
        game_from(text.replace('"match.sta"', f'"{tmp_path / "bad.sta"}"'))


@pytest.mark.parametrize("option", ["-autosave", "-state", "-playback", "-record", "-video", "-nothrottle",
                                    "-rompath", "-debuglog", "-noplugins", "-http_port", "-comm_localhost"])
def test_game_files_and_machine_configs_refuse_the_same_options(option: str, boxing_rom: str) -> None:
    """One deny-list for MAME options (mame_zoo.bridge.config.FORBIDDEN_OPTIONS): what a game file may not pass,
    MachineConfig refuses too (they disagreed once: -autosave, -state, -playback were accepted in code)."""
    from mame_zoo.bridge import MachineConfig

    text = BASE.replace("media = { cart = \"ale:boxing\" }",
                        f"media = {{ cart = \"ale:boxing\" }}\noptions = [\"{option}\", \"x\"]", 1)
    with pytest.raises(InvalidGameSpec, match=f"'{option}' is not allowed in a game file"):
        game_from(text)
    with pytest.raises(ValueError, match=f"{option} are not allowed"):
        MachineConfig("a2600", {"cart": boxing_rom}, options=(option, "x"))
    MachineConfig("a2600", {"cart": boxing_rom}, options=("-joyport1", "pad"))  # an ordinary option still works

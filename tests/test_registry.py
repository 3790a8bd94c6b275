"""The name table: ``import mame_zoo`` registers names only (no game module imported, no game file parsed), and
the shipped names and their single-agent flags agree with the games' own declarations. No MAME needed."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import textwrap

import gymnasium
import pytest

import mame_zoo
from mame_zoo.games import SHIPPED, declaration
from mame_zoo.single_agent import gym_id

pytestmark = pytest.mark.no_mame  # pure logic: runs on one MAME version only

CHILD = textwrap.dedent("""
    import sys, tomllib

    def refuse(*args, **kwargs):
        raise AssertionError("a game file was parsed")

    real = tomllib.loads
    tomllib.load = tomllib.loads = refuse
    import mame_zoo

    loaded = sorted(m for m in sys.modules if m.startswith("mame_zoo.games."))
    assert loaded == [], loaded
    assert "boxing_v0" in mame_zoo.names()
    try:  # the guard works: asking for a game parses its file
        mame_zoo.games.declaration("boxing_v0")
    except AssertionError as exc:
        print("parsed on demand:", exc)
    tomllib.loads = real
    print(mame_zoo.games.declaration("boxing_v0").env_name)
""")


def test_import_registers_names_only() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["parsed on demand: a game file was parsed", "boxing_v0"]


def test_shipped_names_are_the_game_modules() -> None:
    modules = {m.name for m in pkgutil.iter_modules(mame_zoo.games.__path__) if m.name[-3:-1] == "_v"}
    assert set(SHIPPED) == modules


def test_single_agent_flags_match_the_declarations() -> None:
    for name, single in SHIPPED.items():
        game = declaration(name)
        has_mode = getattr(game, "one_player_mode", True) is not None  # SF3 always has its vs-CPU ladder
        assert single == has_mode, f"{name}: SHIPPED says {single}, its declaration {has_mode}"
        assert (gym_id(name) in gymnasium.registry) == single


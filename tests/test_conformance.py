"""The conformance kit (:mod:`mame_zoo.testing`) on every shipped game and on a user's game file, and proof that
it catches a game that breaks a rule."""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from pathlib import Path

import pytest
from scope import per_game

from mame_zoo.bridge import Bridge
from mame_zoo.core.ops import FrameOutcome
from mame_zoo.env import Rules
from mame_zoo.errors import ConformanceError
from mame_zoo.games.atari import GAMES
from mame_zoo.testing import CHECKS, check_game

pytestmark = pytest.mark.timeout(300)

# A user's game over Boxing's cartridge: one player, the score byte as reward.
USER_GAME = """
[game]
name = "my_boxing"

[machine]
system = "a2600"
media = { cart = "ale:boxing" }

[screen]
crop = [13, 223, 8, 168]

[ram]
start = 0x80
size = 128

[vars]
score = { address = 0x92, decode = "bcd" }

[inputs]
reset = [":SWB", "Reset Game"]

[start]
sequence = [{ wait = 60 }, { hold = ["reset"], frames = 4 }]

[actions]
table = "atari"
minimal = ["NOOP", "FIRE", "UP", "RIGHT", "LEFT", "DOWN"]

[[agents]]
name = "boxer_0"
buttons.up = [":joyport1:joy:JOY", "P1 Up"]
buttons.down = [":joyport1:joy:JOY", "P1 Down"]
buttons.left = [":joyport1:joy:JOY", "P1 Left"]
buttons.right = [":joyport1:joy:JOY", "P1 Right"]
buttons.fire = [":joyport1:joy:JOY", "P1 Button 1"]
"""


class CoinFlipRules(Rules):
    """A broken game: rewards from Python's unseeded global RNG, so no two runs agree."""

    def reset(self, values: Mapping[str, int]) -> None:
        pass

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        return FrameOutcome([float(random.random() < 0.5)], False)


def coin_flip_rules() -> Rules:
    return CoinFlipRules()


@pytest.mark.parametrize("name", per_game(g.env_name for g in GAMES))
def test_every_shipped_game_conforms(name: str) -> None:
    """API, seeding, determinism (with random idle frames at reset), save states, pickling and clean close on
    every game."""
    assert check_game(name, steps=300, noop_max=30) == list(CHECKS)


def test_a_user_game_file_conforms(tmp_path: Path) -> None:
    path = tmp_path / "my_boxing.toml"
    path.write_text(USER_GAME + '\n[[rewards]]\nkind = "delta"\nagent = "boxer_0"\nvar = "score"\n')
    assert check_game(path, obs_type="ram") == list(CHECKS)


def test_a_nondeterministic_game_fails_the_determinism_check(tmp_path: Path) -> None:
    path = tmp_path / "coin_flip.toml"
    path.write_text(USER_GAME.replace('name = "my_boxing"', 'name = "coin_flip"')
                    + '\n[rules]\npython = "test_conformance:coin_flip_rules"\n')
    with pytest.raises(ConformanceError, match=r"coin_flip_v0: determinism: .* differs at step"):
        check_game(path, ["determinism"], obs_type="ram", steps=100)


@pytest.mark.parametrize("broken", ["cross_process", "mid_episode"])
def test_a_load_that_is_one_frame_off_fails_the_state_check(monkeypatch: pytest.MonkeyPatch, broken: str) -> None:
    """Fault injection on real MAME: a load followed by one stray emulated frame (what MAME 0.276's frame
    notifier did to mame_zoo) must fail the state check, whichever of its two halves meets it."""
    real_load = Bridge.load_state

    def load_and_drift(self: Bridge, path: str) -> None:
        real_load(self, path)
        name = os.path.basename(path)  # the cached start state, or the state the check saves mid-episode
        if name.startswith("boxing_v0-") if broken == "cross_process" else name == "check.sta":
            self.step(1, frame=False)

    monkeypatch.setattr(Bridge, "load_state", load_and_drift)
    where = "another process's saved start state" if broken == "cross_process" else "a state saved mid-episode"
    with pytest.raises(ConformanceError, match=f"boxing_v0: state: .*{where}"):
        check_game("boxing_v0", ["state"], obs_type="ram")


def test_unknown_checks_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown checks"):
        check_game("boxing_v0", ["speed"])

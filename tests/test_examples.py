"""The scripted Boxing example (examples/boxing_scripted.py) on real MAME: its RAM addresses are right."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import gymnasium
import numpy as np
import pytest

pytestmark = pytest.mark.timeout(120)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "boxing_scripted.py"


@pytest.fixture(scope="module")
def scripted() -> ModuleType:
    spec = importlib.util.spec_from_file_location("boxing_scripted", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_chase_walks_up_to_the_console_boxer(scripted: ModuleType) -> None:
    """Read through 0xA0-0xA3, the chaser lines up with the other boxer and stays at arm's length."""
    env = gymnasium.make("mame_zoo/Boxing-v0", obs_type="ram")
    try:
        ram, _ = env.reset(seed=0)
        rng = np.random.default_rng(0)
        gaps = []
        for _ in range(240):
            ram, *_ = env.step(scripted.chase(ram, rng))
            gaps.append((abs(int(ram[scripted.CPU_X]) - int(ram[scripted.P1_X])),
                         abs(int(ram[scripted.CPU_Y]) - int(ram[scripted.P1_Y]))))
    finally:
        env.close()
    dx, dy = np.array(gaps[100:]).T  # they start about 80 pixels apart (ALE's start); 100 steps to close in
    assert gaps[0][0] > 60 and gaps[0][1] > 60
    assert dx.max() <= 20 and dy.mean() < 8


def test_play_reports_one_margin_per_match(scripted: ModuleType) -> None:
    margins = scripted.play(scripted.POLICIES["random"], episodes=2, seed=0, max_cycles=100, quiet=True)
    assert len(margins) == 2 and all(float(m).is_integer() for m in margins)

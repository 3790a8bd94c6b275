"""Per-frame inputs of a step, without MAME: sticky actions decided per emulated frame (as ALE decides them) and
paddles turned frame by frame. Pure logic on the env's own step planning (``MameParallelEnv._frame_inputs``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from gymnasium.utils import seeding

from mame_zoo.declarative.machines import stella_paddle_cycles
from mame_zoo.env import MameParallelEnv
from mame_zoo.games import declaration

pytestmark = pytest.mark.no_mame

FIRE, UP = 1, 2  # Boxing's minimal actions


def planned(game: str, frameskip: int, p: float, seed: int = 0, **kwargs: Any) -> MameParallelEnv:
    """An env ready to plan steps: its controller, field ids and rules as a booted env has them (no MAME)."""
    env = MameParallelEnv(declaration(game), obs_type="ram", frameskip=frameskip, repeat_action_probability=p,
                          mame="/nonexistent/mame", **kwargs)  # never started: no version query either
    env._fields = {f: i for i, f in enumerate(sorted(env._controller.inputs), 1)}
    env._rules = env.game.rules()
    env._controller.reset()
    env._last_actions = dict(env._noop)
    env.np_random, _ = seeding.np_random(seed)
    return env


def frame_values(env: MameParallelEnv, chosen: dict[str, Any]) -> list[dict[int, int]]:
    """The full input values of every frame of one step (the first frame's, then each later change applied)."""
    first, later = env._frame_inputs(dict(chosen))
    frames = [dict(first)]
    changes = dict(later)
    for f in range(1, env.frameskip):
        frames.append({**frames[-1], **changes.get(f, {})})
    return frames


def test_without_sticky_actions_the_step_is_one_input_set() -> None:
    env = planned("boxing_v0", frameskip=4, p=0.0)
    first, later = env._frame_inputs({"first_0": FIRE, "second_0": UP})
    assert later == []
    fire = env._fields[(":joyport1:joy:JOY", "P1 Button 1")]
    assert first[fire] == 1


def test_sticky_actions_switch_once_per_step_at_ales_frequency() -> None:
    """With probability p per frame an agent repeats the action it played in the frame before: a new action
    takes over at frame j with probability p^j (1 - p), and then holds for the rest of the step."""
    p, k, n = 0.25, 4, 4000
    env = planned("boxing_v0", frameskip=k, p=p, seed=1)
    fire = env._fields[(":joyport1:joy:JOY", "P1 Button 1")]
    counts = np.zeros(k + 1)
    for _ in range(n):
        env._last_actions["first_0"] = 0  # NOOP before every step
        values = [f[fire] for f in frame_values(env, {"first_0": FIRE, "second_0": 0})]
        switch = values.index(1) if 1 in values else k
        assert values[switch:] == [1] * (k - switch), values  # once taken, the new action holds
        counts[switch] += 1
    expected = np.array([p**j * (1 - p) for j in range(k)] + [p**k]) * n
    assert np.all(np.abs(counts - expected) < 4 * np.sqrt(expected) + 5), (counts, expected)
    # the action played last is what the next step repeats
    env._last_actions["first_0"] = 0
    env.np_random, _ = seeding.np_random(2)
    last = frame_values(env, {"first_0": FIRE, "second_0": 0})[-1][fire]
    assert env._last_actions["first_0"] == (FIRE if last else 0)


def test_repeating_always_keeps_the_previous_action() -> None:
    env = planned("boxing_v0", frameskip=3, p=1.0)
    fire = env._fields[(":joyport1:joy:JOY", "P1 Button 1")]
    assert [f[fire] for f in frame_values(env, {"first_0": FIRE, "second_0": 0})] == [0, 0, 0]
    assert env._last_actions["first_0"] == 0


def test_paddles_turn_frame_by_frame() -> None:
    """Pong at frameskip 4: LEFT raises first_0's paddle resistance by 23000 in each of the 4 frames (ALE's
    per-frame paddle update); the pot's charging input gets Stella's cycles for each position."""
    env = planned("pong_v0", frameskip=4, p=0.0)
    pot = env._fields[(":joyport1:pad:POTY", "Paddle 2")]
    left = env.game.action_meanings().index("LEFT")
    values = [f[pot] for f in frame_values(env, {"first_0": left, "second_0": 0})]
    assert values == [stella_paddle_cycles(408823 + 23000 * j) for j in range(1, 5)]

"""The single-agent Gymnasium envs (``mame_zoo/Boxing-v0``: player 1 against the console) on real MAME."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import ale_reference
import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from procs import mame_descendants, wait_gone
from scope import per_game

import mame_zoo  # noqa: F401  (registers the mame_zoo/* ids)
from mame_zoo.errors import InvalidAction, ResetNeeded
from mame_zoo.single_agent import SingleAgentEnv

pytestmark = pytest.mark.timeout(120)

BOXING = "mame_zoo/Boxing-v0"
P1_X, P2_X, P1_Y, P2_Y = 0x20, 0x21, 0x22, 0x23  # Boxing RAM (offsets from 0x80)


def test_registered_ids() -> None:
    ids = {k for k in gymnasium.registry if k.startswith("mame_zoo/")}
    assert BOXING in ids
    # only games with a 1-player mode against the console are registered
    assert "mame_zoo/Pong-v0" in ids and "mame_zoo/SpaceInvaders-v0" in ids
    assert "mame_zoo/Warlords-v0" not in ids and "mame_zoo/Joust-v0" not in ids
    with pytest.raises(ValueError):
        SingleAgentEnv("warlords_v0")


def test_check_env(closing: Callable) -> None:
    env = closing(gymnasium.make(BOXING))
    assert env.observation_space == gymnasium.spaces.Box(0, 255, (210, 160, 3), np.uint8)
    assert env.action_space == gymnasium.spaces.Discrete(18)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the checker reports most problems as warnings
        check_env(env.unwrapped)  # also makes, runs and closes fresh copies from env.spec
    assert len(mame_descendants()) == 1  # only the env under test is left running


def test_short_episode_truncates(closing: Callable) -> None:
    env = closing(gymnasium.make(BOXING, max_cycles=50, obs_type="ram", frameskip=2))
    assert env.unwrapped.parallel_env.frameskip == 2
    for _ in range(2):
        obs, info = env.reset(seed=0)
        assert obs.shape == (128,) and obs.dtype == np.uint8 and isinstance(info, dict)
        env.action_space.seed(0)
        for t in range(1, 51):
            obs, rew, term, trunc, info = env.step(env.action_space.sample())
            assert env.observation_space.contains(obs)
            assert isinstance(rew, float) and isinstance(term, bool) and isinstance(trunc, bool)
            assert not term
            assert trunc == (t == 50)
    with pytest.raises(ResetNeeded):
        env.unwrapped.step(0)
    env.reset(seed=0)
    for bad in (18, -1, 1.5, "0", np.array([0, 1])):
        with pytest.raises(InvalidAction):
            env.unwrapped.step(bad)
    env.step(np.int64(17))


def test_console_plays_the_other_side(closing: Callable) -> None:
    """While the agent idles, the console's boxer walks about; in 2-player mode an idle player 2 stays put."""
    from mame_zoo.games import boxing_v0

    env = closing(gymnasium.make(BOXING, obs_type="ram", noop_max=0))
    two = closing(boxing_v0.parallel_env(obs_type="ram", noop_max=0))
    obs, _ = env.reset(seed=0)
    two.reset(seed=0)
    alone, paired = set(), set()
    for _ in range(120):
        obs, *_ = env.step(0)
        alone.add((int(obs[P2_X]), int(obs[P2_Y])))
        ram = two.step({"first_0": 0, "second_0": 0})[0]["first_0"]
        paired.add((int(ram[P2_X]), int(ram[P2_Y])))
    assert len(alone) > 5  # the console's boxer moved
    assert len(paired) == 1  # nobody drives player 2 here


def test_seeded_resets_repeat(closing: Callable) -> None:
    env = closing(gymnasium.make(BOXING, noop_max=30))
    runs = []
    for seed in (4, 4):
        obs, _ = env.reset(seed=seed)
        env.action_space.seed(1)
        frames = [obs]
        for _ in range(60):
            frames.append(env.step(env.action_space.sample())[0])
        runs.append(np.stack(frames))
    np.testing.assert_array_equal(runs[0], runs[1])


def make_fn(**kwargs: Any) -> Callable[[], gymnasium.Env]:
    return lambda: gymnasium.make(BOXING, obs_type="ram", max_cycles=20, **kwargs)


def run_vector(envs: gymnasium.vector.VectorEnv) -> None:
    obs, _ = envs.reset(seed=[0, 1])
    assert obs.shape == (2, 128) and obs.dtype == np.uint8
    envs.action_space.seed(0)
    ends = []
    for t in range(1, 26):
        obs, rew, term, trunc, _infos = envs.step(envs.action_space.sample())
        assert obs.shape == (2, 128) and rew.shape == (2,)
        assert not term.any()
        if trunc.any():
            assert trunc.all()
            ends.append(t)
    assert ends == [20]  # both truncated at max_cycles=20, then autoreset (step 21) and on


def test_sync_vector_env(closing: Callable) -> None:
    envs = closing(gymnasium.vector.SyncVectorEnv([make_fn(), make_fn()]))
    run_vector(envs)
    assert len(mame_descendants()) == 2


@pytest.mark.timeout(90)
def test_async_vector_env() -> None:
    before = mame_descendants()
    envs = gymnasium.vector.AsyncVectorEnv([make_fn(), make_fn()])
    mames: set[int] = set()
    workers: set[int] = set()
    try:
        workers = {p.pid for p in envs.processes}
        run_vector(envs)
        mames = mame_descendants() - before
        assert len(mames) == 2  # one per worker process
    finally:
        envs.close()
    left = wait_gone(mames | workers)
    assert not left, f"processes {sorted(left)} survive close() by 10 s"
    assert wait_gone(mame_descendants() - before, 1.0) == set()


def assert_same_ram(mame: ale_reference.Trace, ale: ale_reference.Trace) -> None:
    """The two replays' RAM after reset and after every step are equal."""
    assert mame.ram.shape == ale.ram.shape
    steps, cols = np.nonzero(mame.ram != ale.ram)
    assert not len(steps), f"RAM {0x80 + int(cols[0]):#x} differs first at row {int(steps[0])} (0: after reset)"


@pytest.mark.skipif(ale_reference.reference_missing() is not None, reason=str(ale_reference.reference_missing()))
@pytest.mark.parametrize("env_name", per_game(["boxing_v0", "pong_v0", "tennis_v0", "surround_v0", "ice_hockey_v0",
                                               "othello_v0", "space_invaders_v0", "double_dunk_v0"]))
def test_equals_ale_single_player(env_name: str) -> None:
    """The same random actions in ``mame_zoo/<Game>-v0`` and ale-py's ``ALE/<Game>-v5`` (one frame per step, no
    sticky actions): the same reward on every step, the same end and the same RAM after reset and every step
    (more games and logs: docs/fidelity.md)."""
    mame_env, ale_env = ale_reference.single_envs(env_name)
    log = ale_reference.random_log(["first_0"], int(ale_env.env.action_space.n), 3000, seed=1)
    mame, ale = ale_reference.play(mame_env, log, seed=1), ale_reference.play(ale_env, log, seed=1)
    assert len(ale.events) >= 3, "the log should score"
    assert mame.events == ale.events, ale_reference.describe(env_name, mame, ale)
    assert mame.end == ale.end
    assert_same_ram(mame, ale)


@pytest.mark.skipif(ale_reference.reference_missing() is not None, reason=str(ale_reference.reference_missing()))
def test_an_expired_timer_counts_as_stellas() -> None:
    """Ice Hockey's seed-3 match overruns its timer at step 5696 and waits on it: Stella's expired timer counts on
    in 64-cycle intervals until its scanline limit cuts the frame (ALE's frame counter 0x84 stands still a step),
    MAME's counts cycles. With ``[frame] timer = true`` and ``limit = true`` the RAM is ALE's at every step (it
    differed from step 5696 on without them)."""
    mame_env, ale_env = ale_reference.single_envs("ice_hockey_v0")
    log = ale_reference.random_log(["first_0"], int(ale_env.env.action_space.n), 20000, seed=3)[:5800]
    mame, ale = ale_reference.play(mame_env, log, seed=3), ale_reference.play(ale_env, log, seed=3)
    assert_same_ram(mame, ale)

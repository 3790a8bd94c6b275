"""SuperSuit's preprocessing and vectorisation wrappers over mame_zoo's envs, on real MAME.

The vectorised case runs envs in SuperSuit's worker processes; their MAME processes are not children of
pytest (the autouse leak check cannot see them), so the test tracks them itself and waits until they exit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import supersuit as ss
from pettingzoo.test import api_test
from procs import mame_descendants, wait_gone

from mame_zoo.games import boxing_v0, pong_v0

pytestmark = pytest.mark.timeout(120)


def preprocess(env: Any) -> Any:
    env = ss.color_reduction_v0(env, mode="full")
    env = ss.resize_v1(env, 84, 84)
    return ss.frame_stack_v1(env, 4)


def test_parallel_wrapper_stack(closing: Callable) -> None:
    env = closing(boxing_v0.parallel_env())
    env = preprocess(env)
    env = ss.frame_skip_v0(env, 4)
    env = ss.sticky_actions_v0(env, 0.25)
    env = ss.agent_indicator_v0(env)
    closing(env)
    agents = ["first_0", "second_0"]
    for agent in agents:
        assert env.observation_space(agent).shape == (84, 84, 6)  # 4 stacked frames + 2 agent channels
        assert env.action_space(agent).n == 18
    obs, _infos = env.reset(seed=0)
    assert set(obs) == set(agents)
    rng = np.random.default_rng(0)
    stacks = []
    for _ in range(6):
        for agent in agents:
            o = obs[agent]
            assert o.shape == (84, 84, 6) and o.dtype == np.uint8
            assert env.observation_space(agent).contains(o)
        # both agents see the same screen; only the indicator channels tell them apart
        np.testing.assert_array_equal(obs["first_0"][..., :4], obs["second_0"][..., :4])
        assert not np.array_equal(obs["first_0"][..., 4:], obs["second_0"][..., 4:])
        assert obs["first_0"][..., :4].std() > 0
        stacks.append(obs["first_0"][..., :4].copy())
        obs, rew, term, trunc, _ = env.step({a: int(rng.integers(18)) for a in env.agents})
        assert set(rew) == set(term) == set(trunc) == set(agents)
        assert not any(term.values()) and not any(trunc.values())
    # frame_skip is outside frame_stack: every step pushes 4 frames, so each stack holds 4 fresh frames
    assert not stacks[0][..., :3].any()  # after reset only the newest slot is filled
    assert stacks[-1].reshape(-1, 4).any(axis=0).all()
    assert not np.array_equal(stacks[0], stacks[-1])


def test_frame_skip_wrapper_sums_rewards(closing: Callable) -> None:
    """SuperSuit's frame_skip over 1-frame steps sees the same game as the env's own frameskip."""
    wrapped = closing(ss.frame_skip_v0(pong_v0.parallel_env(obs_type="ram", noop_max=0), 4))
    native = closing(pong_v0.parallel_env(obs_type="ram", noop_max=0, frameskip=4))
    wrapped.reset(seed=0)
    native.reset(seed=0)
    nonzero = 0
    for step in range(60):
        w_obs, w_rew, *_ = wrapped.step({"first_0": 0, "second_0": 0})
        n_obs, n_rew, *_ = native.step({"first_0": 0, "second_0": 0})
        np.testing.assert_array_equal(w_obs["first_0"], n_obs["first_0"], err_msg=f"step {step}")
        assert dict(w_rew) == n_rew
        nonzero += any(n_rew.values())
    assert nonzero >= 1


def test_aec_wrappers(closing: Callable) -> None:
    env = closing(preprocess(closing(boxing_v0.env())))
    api_test(env, num_cycles=15)
    env.reset(seed=1)
    seen = 0
    for agent in env.agent_iter(40):
        obs, reward, term, trunc, _info = env.last()
        assert obs.shape == (84, 84, 4) and obs.dtype == np.uint8
        assert env.observation_space(agent).contains(obs)
        assert isinstance(reward, float | int)
        env.step(None if term or trunc else env.action_space(agent).sample())
        seen += 1
    assert seen == 40


def test_markov_vector_env_in_process(closing: Callable) -> None:
    vec = closing(ss.pettingzoo_env_to_vec_env_v1(preprocess(closing(boxing_v0.parallel_env()))))
    assert vec.num_envs == 2  # one per agent
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (2, 84, 84, 4)
    for _ in range(3):
        obs, rew, term, trunc, _infos = vec.step(np.array([1, 2]))
        assert obs.shape == (2, 84, 84, 4) and rew.shape == (2,)
        assert not term.any() and not trunc.any()
    assert len(mame_descendants()) == 1


@pytest.mark.timeout(90)
def test_concat_vec_envs_in_worker_processes() -> None:
    before = mame_descendants()
    vec = ss.pettingzoo_env_to_vec_env_v1(preprocess(boxing_v0.parallel_env()))
    envs = ss.concat_vec_envs_v1(vec, 2, num_cpus=2, base_class="gymnasium")
    mames: set[int] = set()
    workers: list[int] = []
    try:
        workers = [p.pid for p in envs.procs]
        assert len(workers) == 2
        assert envs.num_envs == 4  # 2 copies x 2 agents
        obs, _ = envs.reset(seed=0)
        assert obs.shape == (4, 84, 84, 4) and obs.dtype == np.uint8
        mames = mame_descendants() - before
        assert len(mames) == 2  # one MAME per worker, none in this process
        rng = np.random.default_rng(0)
        for _ in range(4):
            obs, rew, term, trunc, _infos = envs.step(rng.integers(0, 18, 4))
            assert obs.shape == (4, 84, 84, 4) and rew.shape == (4,)
            assert not np.asarray(term).any() and not np.asarray(trunc).any()
        # each copy's two agents see the same screen
        np.testing.assert_array_equal(obs[0], obs[1])
        np.testing.assert_array_equal(obs[2], obs[3])
    finally:
        envs.close()
    left = wait_gone(mames | set(workers))
    assert not left, f"processes {sorted(left)} survive close() by 10 s"
    assert wait_gone(mame_descendants() - before, 1.0) == set()

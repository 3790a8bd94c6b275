"""``mame_zoo.scale`` subclasses two vector envs and uses parts of them that are not public API: SuperSuit's
``ProcConcatVec`` (its pipes, worker processes, buffers and worker message protocol) and Gymnasium's
``AsyncVectorEnv`` (its pipes, processes and async state). pyproject.toml pins both packages below their next
minor release; these checks fail loudly, naming the internal that changed, when a new release is tried. They
need no MAME (trivial envs only)."""

from __future__ import annotations

import inspect

import gymnasium
import numpy as np
import pytest
import supersuit
from gymnasium.vector.async_vector_env import AsyncState, AsyncVectorEnv
from supersuit.vector import ProcConcatVec, multiproc_vec

from mame_zoo.scale import MameAsyncVectorEnv, MameProcVecEnv

pytestmark = pytest.mark.timeout(120)


def test_gymnasium_async_vector_env_internals() -> None:
    assert issubclass(MameAsyncVectorEnv, AsyncVectorEnv)
    assert AsyncState.DEFAULT.name == "DEFAULT"
    env = AsyncVectorEnv([lambda: gymnasium.make("CartPole-v1")] * 2)
    try:
        for name in ("_state", "parent_pipes", "processes"):
            assert hasattr(env, name), f"gymnasium {gymnasium.__version__}: AsyncVectorEnv.{name} is gone"
        assert env._state is AsyncState.DEFAULT
        assert len(env.parent_pipes) == len(env.processes) == 2
        for method in ("reset_wait", "step_wait", "call_wait", "step_async", "reset_async"):
            assert method in vars(AsyncVectorEnv), f"AsyncVectorEnv.{method} is gone"
        env.reset(seed=0)
    finally:
        env.close()


def test_supersuit_proc_concat_vec_internals() -> None:
    assert issubclass(MameProcVecEnv, ProcConcatVec)
    init = inspect.signature(ProcConcatVec.__init__)
    assert list(init.parameters)[1:] == ["vec_env_constrs", "observation_space", "action_space", "tot_num_envs",
                                        "metadata"], f"SuperSuit {supersuit.__version__}: ProcConcatVec({init})"
    loop = inspect.getsource(multiproc_vec.async_loop)
    # the messages MameProcVecEnv sends to SuperSuit's worker loop, and what the loop answers
    for message in ('instr == "close"', 'name == "reset"', 'name == "step"', "pipe.send((e, tb))"):
        assert message in loop, f"SuperSuit {supersuit.__version__}: the worker loop no longer handles {message}"

    def vec_env() -> gymnasium.vector.VectorEnv:
        return gymnasium.vector.SyncVectorEnv([lambda: gymnasium.make("CartPole-v1")])

    env = ProcConcatVec([vec_env, vec_env], gymnasium.spaces.Box(-np.inf, np.inf, (4,), np.float32),
                        gymnasium.spaces.Discrete(2), 2, {})
    try:
        for name in ("pipes", "procs", "observations_buffers", "idx_starts"):
            assert hasattr(env, name), f"SuperSuit {supersuit.__version__}: ProcConcatVec.{name} is gone"
        assert len(env.pipes) == len(env.procs) == 2 and list(env.idx_starts) == [0, 1, 2]
        env.reset(seed=0)
    finally:
        env.close()

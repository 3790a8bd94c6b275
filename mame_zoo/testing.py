"""The conformance checks mame_zoo applies to its own games, for any game, a user's game file included::

    from mame_zoo.testing import check_game

    check_game("mygame.toml")        # or a registered name ("boxing_v0"), or a loaded Game

Each check runs the game in real MAME and raises :class:`~mame_zoo.errors.ConformanceError` (an
``AssertionError``) saying what does not hold:

* ``api``: PettingZoo's own harness, ``parallel_api_test`` and ``api_test`` (AEC), with its bookkeeping
  warnings turned into failures;
* ``seed``: PettingZoo's ``parallel_seed_test`` and ``seed_test``;
* ``determinism``: the same seed and actions in two MAME processes give the same observations, rewards,
  terminations and truncations at every step; ``reset(seed)`` again (the start state restored from its save
  state) repeats the trajectory;
* ``state``: save states restore exactly: an env started from another process's saved start state (the
  ``state_cache``) plays the same trajectory as the env that booted and saved it, and within one episode a
  state saved mid-play, played on and loaded again, repeats the same observations (from the third frame after
  the load on: MAME's screen is not part of a save state);
* ``pickle``: an env pickles before and after ``reset()`` without starting MAME, and the copy plays;
* ``close``: ``close()`` ends the env's MAME process and removes its private folder, and nothing else of it is
  left running.

Keyword arguments of :func:`check_game` (``mame=``, ``rom_path=``, ``obs_type=``...) go to every env it makes.
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

from mame_zoo.bridge.process import is_running, mame_processes
from mame_zoo.core.game import Game
from mame_zoo.env import MameParallelEnv, make_factories
from mame_zoo.errors import ConformanceError, InvalidOption

CHECKS = ("api", "seed", "determinism", "state", "pickle", "close")

Step = tuple[tuple[str, ...], tuple[tuple[str, float], ...], tuple[tuple[str, bool], ...],
             tuple[tuple[str, bool], ...]]


class _Game:
    """The factories of the game under test, with the caller's env options applied and every env closed after."""

    def __init__(self, game: str | os.PathLike[str] | Game, env_kwargs: dict[str, Any]) -> None:
        if isinstance(game, Game):
            self.parallel, _, self.aec = make_factories(game)
            self.name = game.env_name
        elif isinstance(game, str) and not game.endswith(".toml"):
            from mame_zoo.games import load

            module = load(game)
            self.parallel, self.aec, self.name = module.parallel_env, module.env, module.GAME.env_name
        else:
            from mame_zoo.declarative import load_game

            declared = load_game(game)
            self.parallel, _, self.aec = make_factories(declared)
            self.name = declared.env_name
        self.kwargs = env_kwargs
        self.made: list[Any] = []

    def parallel_env(self, **kwargs: Any) -> MameParallelEnv:
        env: MameParallelEnv = self.parallel(**{**self.kwargs, **kwargs})
        self.made.append(env)
        return env

    def aec_env(self, **kwargs: Any) -> AECEnv:
        env: AECEnv = self.aec(**{**self.kwargs, **kwargs})
        self.made.append(env)
        return env

    def close_all(self) -> None:
        for env in reversed(self.made):
            try:
                env.close()
            except Exception:  # the check's own failure is what counts
                pass
        self.made.clear()


def _fail(game: _Game, check: str, problem: str) -> ConformanceError:
    return ConformanceError(f"{game.name}: {check}: {problem}")


def _digest(obs: Any) -> str:
    return hashlib.sha1(np.ascontiguousarray(obs).tobytes()).hexdigest()


def _random_actions(env: ParallelEnv, rng: np.random.Generator) -> dict[str, Any]:
    """A uniformly random action for every live agent (``Discrete`` or ``MultiDiscrete`` spaces)."""
    out: dict[str, Any] = {}
    for a in env.agents:
        space = env.action_space(a)
        out[a] = rng.integers(space.nvec) if hasattr(space, "nvec") else int(rng.integers(space.n))
    return out


def trajectory(env: ParallelEnv, seed: int, steps: int, action_seed: int = 7) -> list[Step]:
    """Observation digests, rewards, terminations and truncations after ``reset(seed)`` and every step of
    seeded random actions (``action_seed``), until the episode ends or ``steps`` steps."""
    rng = np.random.default_rng(action_seed)
    obs, _ = env.reset(seed=seed)
    out: list[Step] = [(tuple(_digest(obs[a]) for a in sorted(obs)), (), (), ())]
    for _ in range(steps):
        if not env.agents:
            break
        actions = _random_actions(env, rng)
        obs, rew, term, trunc, _ = env.step(actions)
        out.append((tuple(_digest(obs[a]) for a in sorted(obs)), tuple(sorted((a, float(r)) for a, r in rew.items())),
                    tuple(sorted((a, bool(t)) for a, t in term.items())),
                    tuple(sorted((a, bool(t)) for a, t in trunc.items()))))
    return out


def _check_api(game: _Game, num_cycles: int) -> None:
    """PettingZoo's API harness on the parallel and the AEC form."""
    with warnings.catch_warnings():
        # the harness reports inconsistent agent bookkeeping only as warnings: make them failures
        warnings.filterwarnings("error", message=".*(Live agent|was dead|No agents present).*")
        try:
            parallel_api_test(game.parallel_env(), num_cycles=num_cycles)
            api_test(game.aec_env(), num_cycles=num_cycles)
        except (AssertionError, UserWarning) as exc:
            raise _fail(game, "api", f"PettingZoo's API test failed: {exc!r}") from exc


def _check_seed(game: _Game, num_cycles: int) -> None:
    """PettingZoo's seed tests on both forms."""
    try:
        parallel_seed_test(game.parallel_env, num_cycles=num_cycles)
        seed_test(game.aec_env, num_cycles=num_cycles)
    except AssertionError as exc:
        raise _fail(game, "seed", f"PettingZoo's seed test failed: {exc!r}") from exc


def _check_determinism(game: _Game, steps: int, seed: int = 3) -> None:
    """Same seed and actions in two MAME processes, and after a second reset, give the same trajectory."""
    first_env, second_env = game.parallel_env(), game.parallel_env()
    first = trajectory(first_env, seed, steps)
    second = trajectory(second_env, seed, steps)
    if first_env.bridge is None or second_env.bridge is None or first_env.bridge.pid == second_env.bridge.pid:
        raise _fail(game, "determinism", "the two envs did not run in two MAME processes")
    for label, other in (("a second MAME process", second), ("reset(seed) again", trajectory(first_env, seed, steps))):
        if len(other) != len(first):
            raise _fail(game, "determinism", f"with {label} the episode lasts {len(other) - 1} steps, not "
                                             f"{len(first) - 1}")
        for step, (a, b) in enumerate(zip(first, other)):
            if a != b:
                raise _fail(game, "determinism", f"with {label} the trajectory differs at step {step}: {a} != {b}")


def _check_state(game: _Game, steps: int, seed: int = 5) -> None:
    """Save states restore exactly: across processes (the start-state cache) and mid-episode."""
    with tempfile.TemporaryDirectory(prefix="mame_zoo-check-") as cache:
        saver = game.parallel_env(state_cache=cache)
        first = trajectory(saver, seed, steps)
        if not any(name.endswith(".sta") for name in os.listdir(cache)):
            raise _fail(game, "state", "the env did not keep its start state in state_cache=")
        loader = game.parallel_env(state_cache=cache)
        second = trajectory(loader, seed, steps)
        if saver.bridge is None or loader.bridge is None or saver.bridge.pid == loader.bridge.pid:
            raise _fail(game, "state", "the two envs did not run in two MAME processes")
        if second != first:
            step = next((i for i, (a, b) in enumerate(zip(first, second)) if a != b), min(len(first), len(second)))
            raise _fail(game, "state", f"an env started from another process's saved start state differs at step "
                                       f"{step}: {first[step] if step < len(first) else 'ended'} != "
                                       f"{second[step] if step < len(second) else 'ended'}")
    env, rng = saver, np.random.default_rng(11)
    env.reset(seed=seed)
    for _ in range(steps // 2):
        if not env.agents:
            raise _fail(game, "state", f"the episode ended within {steps // 2} random steps: give more steps=")
        env.step(_random_actions(env, rng))
    bridge = env.bridge
    assert bridge is not None
    path = os.path.join(bridge.workdir, "check.sta")
    bridge.save_state(path)
    # the env's own side of the state (a paddle's position lives in its controller) goes back with the load
    controller = copy.deepcopy(env._controller)
    plays = [_random_actions(env, rng) for _ in range(max(8, steps // 4))]
    settle = -(-3 // env.frameskip)  # steps until three frames have passed since the load

    def play() -> list[tuple[str, ...]]:
        seen = []
        for actions in plays:
            obs = env.step({a: act for a, act in actions.items() if a in env.agents})[0]
            seen.append(tuple(_digest(obs[a]) for a in sorted(obs)))
            if not env.agents:
                break
        return seen[settle:]

    on = play()
    if not env.agents:
        raise _fail(game, "state", "the episode ended while the check played on from its saved state: give a "
                                   "smaller steps=")
    bridge.load_state(path)
    env._controller = controller
    again = play()
    if again != on:
        step = next((i for i, (a, b) in enumerate(zip(on, again)) if a != b), min(len(on), len(again)))
        raise _fail(game, "state", f"after loading a state saved mid-episode the observations differ "
                                   f"{settle + step} steps after the load")


def _check_pickle(game: _Game) -> None:
    """Pickling before reset starts no MAME; the copy plays; a copy made after reset is unstarted."""
    before = mame_processes(os.getpid())
    env = game.parallel_env()
    clone = pickle.loads(pickle.dumps(env))
    game.made.append(clone)
    if mame_processes(os.getpid()) != before:
        raise _fail(game, "pickle", "pickling or unpickling an env started MAME")
    if not isinstance(clone, MameParallelEnv) or clone.possible_agents != env.possible_agents:
        raise _fail(game, "pickle", f"the copy is {clone!r}, not the same kind of env")
    steps = trajectory(clone, 1, 5)
    copy = pickle.loads(pickle.dumps(clone))
    game.made.append(copy)
    if copy.bridge is not None:
        raise _fail(game, "pickle", "a copy of a running env shares or has its MAME")
    if trajectory(copy, 1, 5) != steps:
        raise _fail(game, "pickle", "a copy made after reset plays differently from the original")


def _check_close(game: _Game, timeout: float = 10.0) -> None:
    """``close()`` ends the env's MAME and removes its private folder; nothing of it is left running."""
    before = mame_processes(os.getpid())
    env = game.parallel_env()
    trajectory(env, 0, 3)
    bridge = env.bridge
    if bridge is None or bridge.pid is None:
        raise _fail(game, "close", "reset() did not start MAME")
    pid, workdir = bridge.pid, Path(bridge.workdir)
    env.close()
    deadline = time.monotonic() + timeout
    while (is_running(pid) or mame_processes(os.getpid()) - before) and time.monotonic() < deadline:
        time.sleep(0.05)
    if is_running(pid):
        raise _fail(game, "close", f"MAME (pid {pid}) still runs {timeout:g} s after close()")
    if mame_processes(os.getpid()) - before:
        raise _fail(game, "close", f"MAME processes {sorted(mame_processes(os.getpid()) - before)} are left")
    if workdir.exists():
        raise _fail(game, "close", f"MAME's private folder {workdir} is left")
    env.close()  # twice is fine


def check_game(game: str | os.PathLike[str] | Game, checks: Sequence[str] = CHECKS, *, num_cycles: int = 60,
               steps: int = 200, **env_kwargs: Any) -> list[str]:
    """Run the conformance ``checks`` (default: all of :data:`CHECKS`) on a game: a registered name, a game
    file (``.toml``) or a loaded :class:`~mame_zoo.env.Game`. ``env_kwargs`` go to every env it makes.

    Returns the checks that passed (all of them; the first failure raises
    :class:`~mame_zoo.errors.ConformanceError`). Every env it made is closed, whatever happens.
    """
    unknown = [c for c in checks if c not in CHECKS]
    if unknown:
        raise InvalidOption(f"unknown checks {unknown}; the checks are {', '.join(CHECKS)}")
    subject = _Game(game, env_kwargs)
    runs: dict[str, Callable[[], None]] = {
        "api": lambda: _check_api(subject, num_cycles), "seed": lambda: _check_seed(subject, num_cycles),
        "determinism": lambda: _check_determinism(subject, steps), "state": lambda: _check_state(subject, steps),
        "pickle": lambda: _check_pickle(subject),
        "close": lambda: _check_close(subject)}
    try:
        for name in checks:
            runs[name]()
    finally:
        subject.close_all()
    return list(checks)


__all__ = ["CHECKS", "check_game", "trajectory"]

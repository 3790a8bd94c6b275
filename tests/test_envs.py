"""The PettingZoo environments (every shipped Atari game) against the real MAME emulator.

PettingZoo's own harness (API, seeding, max_cycles, render) on every game, then properties it does not check:
multi-step determinism across MAME processes and across resets, observation types and spaces, pickling,
rejection of bad actions and options, frameskip, sticky actions, and Boxing's full-match episode length.

Facts used (measured with this emulator and checked against ALE): Boxing's RAM 0x92/0x93 are the BCD
scores, 0x90/0x91 the clock; a random-vs-random Boxing match with ``noop_max=0`` ends on the clock at step
7139. Video Olympics with both players idle scores/penalises within the first ~130 frames.
"""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import gymnasium
import numpy as np
import pytest
from gymnasium.utils import seeding
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.test import (
    max_cycles_test,
    render_test,
)
from procs import mame_descendants
from scope import per_game

import mame_zoo
from mame_zoo.env import MameParallelEnv
from mame_zoo.errors import InvalidAction, InvalidOption, MameZooError, OptionTypeError, ResetNeeded, UnknownGame
from mame_zoo.games.atari import GAMES
from mame_zoo.testing import trajectory

pytestmark = pytest.mark.timeout(180)

GAME_NAMES = [g.env_name for g in GAMES]
MODULES = {name: importlib.import_module(f"mame_zoo.games.{name}") for name in GAME_NAMES}
# PettingZoo's spaces and agents for each env (pettingzoo.atari, 1.27), checked here on MAME
MINIMAL_ACTIONS = {
    "basketball_pong_v0": 6, "boxing_v0": 18, "combat_plane_v0": 18, "combat_tank_v0": 18, "double_dunk_v0": 18,
    "entombed_competitive_v0": 18, "entombed_cooperative_v0": 18,
    "flag_capture_v0": 10, "foozpong_v0": 6,
    "ice_hockey_v0": 18, "joust_v0": 18, "mario_bros_v0": 18, "maze_craze_v0": 18, "othello_v0": 10, "pong_v0": 6,
    "quadrapong_v0": 6, "space_invaders_v0": 6, "space_war_v0": 18, "surround_v0": 5, "tennis_v0": 18,
    "video_checkers_v0": 5, "volleyball_pong_v0": 6, "warlords_v0": 6, "wizard_of_wor_v0": 9,
}
LINES = {
    "basketball_pong_v0": 210, "boxing_v0": 210, "combat_plane_v0": 256, "combat_tank_v0": 256, "double_dunk_v0": 210,
    "entombed_competitive_v0": 210, "entombed_cooperative_v0": 210,
    "flag_capture_v0": 210, "foozpong_v0": 210,
    "ice_hockey_v0": 210, "joust_v0": 210, "mario_bros_v0": 210, "maze_craze_v0": 250, "othello_v0": 210,
    "pong_v0": 210, "quadrapong_v0": 210, "space_invaders_v0": 210, "space_war_v0": 250, "surround_v0": 210,
    "tennis_v0": 210, "video_checkers_v0": 210, "volleyball_pong_v0": 210, "warlords_v0": 210,
    "wizard_of_wor_v0": 210,
}
FRAME_SHAPES = {name: (LINES[name], 160) for name in GAME_NAMES}
AGENTS = {name: ["first_0", "second_0", "third_0", "fourth_0"][:n] for name, n in {
    name: 4 if name in ("foozpong_v0", "quadrapong_v0", "volleyball_pong_v0", "warlords_v0") else 2
    for name in GAME_NAMES}.items()}


def bcd(value: int) -> int:
    return 10 * (int(value) >> 4) + (int(value) & 0xF)


def tracked(factory: Callable[..., Any], track: Callable[[Any], Any], **defaults: Any) -> Callable[..., Any]:
    def make(**kwargs: Any) -> Any:
        return track(factory(**{**defaults, **kwargs}))

    return make


@pytest.fixture
def sdl_dummy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")


# --- 1. PettingZoo's harness ------------------------------------------------------------------------
# parallel_api_test, api_test and both seed tests run on every game in tests/test_conformance.py
# (mame_zoo.testing.check_game); max_cycles_test and render_test here.
@pytest.mark.parametrize("name", per_game(GAME_NAMES))
def test_max_cycles(name: str, closing: Callable) -> None:
    module = SimpleNamespace(parallel_env=tracked(MODULES[name].parallel_env, closing),
                             env=tracked(MODULES[name].env, closing))
    max_cycles_test(module)


@pytest.mark.parametrize("name", per_game(GAME_NAMES))
def test_render(name: str, closing: Callable, sdl_dummy: None) -> None:
    render_test(tracked(MODULES[name].env, closing))


def test_render_rgb_array_is_the_screen(closing: Callable) -> None:
    env = closing(MODULES["boxing_v0"].parallel_env(render_mode="rgb_array"))
    assert env.render() is None  # nothing emulated yet
    obs, _ = env.reset(seed=1)
    np.testing.assert_array_equal(env.render(), obs["first_0"])
    obs, *_ = env.step({"first_0": 3, "second_0": 4})
    frame = env.render()
    assert frame.shape == (210, 160, 3) and frame.dtype == np.uint8
    np.testing.assert_array_equal(frame, obs["first_0"])
    # RAM observations still render the screen
    ram_env = closing(MODULES["pong_v0"].parallel_env(obs_type="ram", render_mode="rgb_array"))
    ram_obs, _ = ram_env.reset(seed=1)
    assert ram_obs["first_0"].shape == (128,)
    frame = ram_env.render()
    assert frame.shape == (210, 160, 3) and frame.std() > 0


def test_render_without_mode_warns_and_returns_none(closing: Callable) -> None:
    env = closing(MODULES["boxing_v0"].parallel_env())
    with pytest.warns(UserWarning, match="render_mode"):
        assert env.render() is None


def test_render_human_opens_a_window(closing: Callable, sdl_dummy: None) -> None:
    pygame = pytest.importorskip("pygame")
    env = closing(MODULES["boxing_v0"].parallel_env(render_mode="human"))
    env.reset(seed=0)
    assert pygame.display.get_surface() is not None
    assert env.step({"first_0": 0, "second_0": 0})[0]["first_0"].shape == (210, 160, 3)
    assert env.render() is None
    env.close()
    assert not pygame.display.get_init()


# --- 2. determinism ---------------------------------------------------------------------------------
# the same seed in two MAME processes and after a second reset: tests/test_conformance.py (check_game)
def seeds_with_different_noops(noop_max: int) -> tuple[int, int]:
    """Two seeds whose reset draws noop counts far apart."""
    draws = {s: int(seeding.np_random(s)[0].integers(0, noop_max + 1)) for s in range(50)}
    lo = min(draws, key=draws.__getitem__)
    hi = max(draws, key=draws.__getitem__)
    assert draws[hi] - draws[lo] >= noop_max // 2
    return lo, hi


@pytest.mark.parametrize("name", per_game(GAME_NAMES))
def test_different_seeds_give_different_starts(name: str, closing: Callable) -> None:
    """A different seed (a different number of idle frames at reset) gives a different trajectory."""
    env = closing(MODULES[name].parallel_env(noop_max=30))
    seed, other = seeds_with_different_noops(30)
    first, shifted = trajectory(env, seed, 60), trajectory(env, other, 60)
    assert any(a[0] != b[0] for a, b in zip(first, shifted)), f"{name}: seeds {seed}, {other} give the same run"


def test_sticky_actions_are_seeded(closing: Callable) -> None:
    make = MODULES["boxing_v0"].parallel_env
    env1 = closing(make(repeat_action_probability=0.25, obs_type="ram"))
    env2 = closing(make(repeat_action_probability=0.25, obs_type="ram"))
    assert trajectory(env1, 5, 200) == trajectory(env2, 5, 200)


def test_ram_and_image_runs_agree(closing: Callable) -> None:
    """The same seed and actions give the same game whatever is observed (RAM obs skip the screen)."""
    make = MODULES["boxing_v0"].parallel_env
    ram_env = closing(make(obs_type="ram", noop_max=10))
    rgb_env = closing(make(obs_type="rgb_image", noop_max=10, render_mode=None))
    ram_twin = closing(make(obs_type="ram", noop_max=10, render_mode="rgb_array"))
    a = trajectory(ram_env, 3, 100)
    b = trajectory(ram_twin, 3, 100)
    assert a == b
    c = trajectory(rgb_env, 3, 100)
    assert [x[1:] for x in a] == [x[1:] for x in c]  # same rewards/terminations


# --- 3. observations and spaces ---------------------------------------------------------------------
@pytest.mark.parametrize("name", per_game(GAME_NAMES))
def test_spaces(name: str) -> None:
    env = MODULES[name].parallel_env()
    assert env.possible_agents == AGENTS[name]
    assert env.agents == []
    for agent in env.possible_agents:
        assert env.observation_space(agent) is env.observation_space(agent)
        assert env.action_space(agent) is env.action_space(agent)
        space = env.action_space(agent)
        assert isinstance(space, gymnasium.spaces.Discrete) and space.n == MINIMAL_ACTIONS[name]
        assert env.observation_space(agent).shape == (*FRAME_SHAPES[name], 3)
        assert env.observation_space(agent).dtype == np.uint8
    full = MODULES[name].parallel_env(full_action_space=True)
    assert all(full.action_space(a).n == 18 for a in full.possible_agents)
    assert env.metadata["name"] == name
    assert env.bridge is None  # constructing an env does not start MAME


@pytest.mark.parametrize("name", per_game(GAME_NAMES))
def test_observation_types(name: str, closing: Callable) -> None:
    """Grayscale and RAM observations (RGB ones are checked by api_test); both envs also render RGB frames,
    which must show the same game: the observation type does not change what is emulated."""
    make = MODULES[name].parallel_env
    h, w = FRAME_SHAPES[name]
    expected = {"grayscale_image": (h, w, 1), "ram": (128,)}
    envs = {t: closing(make(obs_type=t, noop_max=0, render_mode="rgb_array")) for t in expected}
    last: dict[str, np.ndarray] = {}
    screens: dict[str, list[np.ndarray]] = {}
    for obs_type, env in envs.items():
        for agent in env.possible_agents:
            assert env.observation_space(agent).shape == expected[obs_type]
        obs, infos = env.reset(seed=0)
        assert set(obs) == set(infos) == set(env.possible_agents)
        screens[obs_type] = []
        for step in range(4):
            for agent, o in obs.items():
                assert isinstance(o, np.ndarray) and o.dtype == np.uint8 and o.shape == expected[obs_type]
                assert env.observation_space(agent).contains(o), f"{obs_type} obs of {agent} not in its space"
            screens[obs_type].append(env.render())
            if step < 3:
                obs, *_ = env.step({a: 1 for a in env.agents})
        last[obs_type] = obs[env.possible_agents[0]]
    for a, b in zip(screens["grayscale_image"], screens["ram"]):
        assert a.shape == (h, w, 3)
        np.testing.assert_array_equal(a, b)
    rgb, gray = screens["grayscale_image"][-1].astype(float), last["grayscale_image"][..., 0].astype(float)
    assert rgb.std() > 0  # a real picture, not a blank screen
    luma = rgb @ np.array([0.299, 0.587, 0.114])
    assert np.abs(luma - gray).max() <= 1.0  # the same frame, converted to luminance
    assert last["ram"].any()


def test_obs_type_aliases_and_ram_size() -> None:
    boxing = MODULES["boxing_v0"]
    assert boxing.parallel_env(obs_type="rgb").obs_type == "rgb_image"
    assert boxing.parallel_env(obs_type="grayscale").observation_space("first_0").shape == (210, 160, 1)
    assert boxing.parallel_env(obs_type="ram").observation_space("second_0").shape == (128,)


def test_observations_are_not_overwritten_by_later_steps(closing: Callable) -> None:
    for obs_type in ("rgb_image", "ram"):
        env = closing(MODULES["boxing_v0"].parallel_env(obs_type=obs_type, noop_max=0))
        obs, _ = env.reset(seed=0)
        kept = obs["first_0"]
        snapshot = kept.copy()
        for _ in range(90):
            obs, *_ = env.step({"first_0": 8, "second_0": 7})
        np.testing.assert_array_equal(kept, snapshot)
        assert not np.array_equal(obs["first_0"], snapshot)  # the boxers did move


def test_warlords_has_four_agents(closing: Callable) -> None:
    env = closing(MODULES["warlords_v0"].parallel_env(noop_max=0))
    obs, _ = env.reset(seed=0)
    assert env.agents == ["first_0", "second_0", "third_0", "fourth_0"] == list(obs)
    _, rew, term, trunc, info = env.step({a: 1 for a in env.agents})
    assert set(rew) == set(term) == set(trunc) == set(info) == set(env.possible_agents)


# --- registry ----------------------------------------------------------------------------------------
def test_make_by_name() -> None:
    env = mame_zoo.make("boxing_v0")
    assert isinstance(env, MameParallelEnv) and isinstance(env, ParallelEnv)
    assert env.metadata["name"] == "boxing_v0"
    assert mame_zoo.make("boxing").metadata["name"] == "boxing_v0"
    assert mame_zoo.make("Ice-Hockey").metadata["name"] == "ice_hockey_v0"
    assert isinstance(mame_zoo.make("pong_v0", api="aec"), AECEnv)
    assert isinstance(mame_zoo.make("pong_v0", api="raw"), AECEnv)
    assert mame_zoo.make("pong_v0", obs_type="ram").observation_space("first_0").shape == (128,)
    assert set(GAME_NAMES) <= set(mame_zoo.names())
    with pytest.raises(UnknownGame, match="boxing_v0"):
        mame_zoo.make("boxing_v9")
    with pytest.raises(UnknownGame, match="Did you mean"):
        mame_zoo.make("boxng_v0")
    with pytest.raises(ValueError):
        mame_zoo.make("boxing_v0", api="vectorised")
    assert mame_descendants() == set()


# --- 4. pickling -------------------------------------------------------------------------------------
@pytest.mark.parametrize("api", ["parallel", "aec"])
def test_pickle_before_reset(api: str, closing: Callable) -> None:
    before = mame_descendants()
    env = mame_zoo.make("pong_v0", api=api, obs_type="ram", frameskip=2, max_cycles=7)
    data = pickle.dumps(env)
    clone = closing(pickle.loads(data))
    assert mame_descendants() == before  # neither pickling nor unpickling starts MAME
    base = clone.unwrapped if api == "aec" else clone
    base = getattr(base, "env", base)
    assert isinstance(base, MameParallelEnv)
    assert (base.obs_type, base.frameskip, base.max_cycles) == ("ram", 2, 7)
    if api == "parallel":
        obs, _ = clone.reset(seed=0)
        assert obs["first_0"].shape == (128,)
        for _ in range(7):
            _, _, _, trunc, _ = clone.step({a: 1 for a in clone.agents})
        assert all(trunc.values()) and clone.agents == []
    else:
        clone.reset(seed=0)
        for _agent in clone.agent_iter(20):
            _, _, term, trunc, _ = clone.last()
            clone.step(None if term or trunc else 1)
        assert clone.agents == []
    assert len(mame_descendants() - before) == 1


def test_pickle_after_reset_gives_an_unstarted_copy(closing: Callable) -> None:
    env = closing(MODULES["boxing_v0"].parallel_env(obs_type="ram"))
    env.reset(seed=0)
    clone = closing(pickle.loads(pickle.dumps(env)))
    assert clone.bridge is None
    assert len(mame_descendants()) == 1
    env.step({"first_0": 1, "second_0": 1})  # the original is unaffected
    obs, _ = clone.reset(seed=0)
    assert obs["first_0"].shape == (128,)


# --- 5. bad input ------------------------------------------------------------------------------------
def count_bridge_steps(env: MameParallelEnv) -> list[tuple[int, int]]:
    """Record (frames, MAME frame number) of every bridge step of env from now on."""
    bridge = env.bridge
    assert bridge is not None
    calls: list[tuple[int, int]] = []
    real = bridge.step

    def spy(frames: int = 1, *args: Any, **kwargs: Any) -> Any:
        result = real(frames, *args, **kwargs)
        calls.append((frames, result.frame_number))
        return result

    bridge.step = spy  # type: ignore[method-assign]
    return calls


BAD_ACTIONS = [18, -1, 1000, 1.0, 2.5, float("nan"), "1", "NOOP", np.array([1, 2]), np.array([1]),
               np.float32(3), np.array(2.0), True, np.bool_(False), [1], {}, np.int64(18), np.uint8(200)]


def test_step_before_reset_raises() -> None:
    env = MODULES["boxing_v0"].parallel_env()
    with pytest.raises(ResetNeeded):
        env.step({"first_0": 0, "second_0": 0})
    assert env.bridge is None


def test_invalid_actions_raise_and_change_nothing(closing: Callable) -> None:
    env = closing(MODULES["boxing_v0"].parallel_env(obs_type="ram", noop_max=0))
    twin = closing(MODULES["boxing_v0"].parallel_env(obs_type="ram", noop_max=0))
    env.reset(seed=0)
    twin.reset(seed=0)
    calls = count_bridge_steps(env)
    for bad in BAD_ACTIONS:
        for agent in ("first_0", "second_0"):
            with pytest.raises(InvalidAction):
                env.step({agent: bad, ("second_0" if agent == "first_0" else "first_0"): 1})
    for actions in ({"third_0": 0}, {"first_0": 0, "nobody": 1}, [0, 0], (0, 0), 0):
        with pytest.raises(InvalidAction):
            env.step(actions)  # type: ignore[arg-type]
    assert calls == []  # nothing was emulated
    # the env is unharmed: it continues exactly like a twin that never saw the bad actions
    for action in (np.int64(3), np.array(4), np.uint8(17), 0):
        obs, *_ = env.step({"first_0": action, "second_0": 5})
        twin_obs, *_ = twin.step({"first_0": int(action), "second_0": 5})
        np.testing.assert_array_equal(obs["first_0"], twin_obs["first_0"])


def test_invalid_action_through_aec(closing: Callable) -> None:
    env = closing(MODULES["pong_v0"].env())
    env.reset(seed=0)
    with pytest.raises(InvalidAction):
        for _ in env.agent_iter(2):
            env.step(6)  # pong has 6 actions: 6 is out of range


@pytest.mark.parametrize("kwargs", [
    {"obs_type": "foo"}, {"obs_type": None}, {"frameskip": 0}, {"frameskip": -4}, {"frameskip": 2.5},
    {"repeat_action_probability": 2}, {"repeat_action_probability": -0.1},
    {"repeat_action_probability": float("nan")}, {"max_cycles": 0}, {"noop_max": -1},
    {"render_mode": "ansi"},
], ids=repr)
def test_invalid_options_raise_value_error(kwargs: dict) -> None:
    """A bad option is a mame_zoo error (InvalidOption) that is also a ValueError, before any MAME starts."""
    before = mame_descendants()
    with pytest.raises(InvalidOption) as info:
        MODULES["boxing_v0"].parallel_env(**kwargs)
    assert isinstance(info.value, ValueError) and isinstance(info.value, MameZooError)
    with pytest.raises(ValueError):
        MODULES["boxing_v0"].env(**kwargs)
    assert mame_descendants() == before


def test_wrong_option_types_raise_type_error(boxing_rom: str) -> None:
    from mame_zoo.bridge import MachineConfig

    with pytest.raises(OptionTypeError) as info:
        MachineConfig("a2600", {"cart": boxing_rom}, options="-joyport1 pad")  # type: ignore[arg-type]
    assert isinstance(info.value, TypeError) and isinstance(info.value, MameZooError)


def test_actions_after_max_cycles_truncation(closing: Callable) -> None:
    env = closing(MODULES["boxing_v0"].parallel_env(max_cycles=3, obs_type="ram"))
    for _ in range(2):  # the cycle count restarts with every reset
        env.reset(seed=0)
        for i in range(3):
            assert env.agents == ["first_0", "second_0"]
            _, _, term, trunc, _ = env.step({"first_0": 1, "second_0": 1})
            assert trunc == {"first_0": i == 2, "second_0": i == 2}
            assert term == {"first_0": False, "second_0": False}
        assert env.agents == []
        with pytest.raises((InvalidAction, ResetNeeded)):
            env.step({"first_0": 1, "second_0": 1})
        with pytest.raises((InvalidAction, ResetNeeded)):
            env.step({"first_0": 1})
        with pytest.raises(ResetNeeded):
            env.step({})


def test_eliminated_warlord_cannot_act(closing: Callable) -> None:
    """With everyone idle a ball breaks through a castle within ~2200 frames; that warlord is out."""
    env = closing(MODULES["warlords_v0"].parallel_env(obs_type="ram", noop_max=0, frameskip=32))
    env.reset(seed=0)
    for _ in range(200):
        live = list(env.agents)
        _, rew, term, trunc, _ = env.step(dict.fromkeys(live, 0))
        assert set(rew) == set(live)
        if any(term.values()):
            break
    else:
        pytest.fail("no warlord fell in 6400 idle frames")
    out = [a for a in live if term[a]]
    assert len(out) == 1 and not any(trunc.values())
    assert rew[out[0]] == -1.0
    assert env.agents == [a for a in live if a not in out]
    with pytest.raises(InvalidAction):
        env.step({**dict.fromkeys(env.agents, 0), out[0]: 1})
    with pytest.raises(InvalidAction):
        env.step({out[0]: 0})
    # None stands for "no action" (what AEC sends for done agents) and is accepted
    _, rew, *_ = env.step({**dict.fromkeys(env.agents, 0), out[0]: None})
    assert set(rew) == set(live) - set(out)


def test_step_after_close_raises_and_reset_restarts(closing: Callable) -> None:
    env = closing(MODULES["boxing_v0"].parallel_env(obs_type="ram"))
    env.reset(seed=0)
    pid = env.bridge.pid
    env.close()
    env.close()  # twice is fine
    assert env.bridge is None
    with pytest.raises(ResetNeeded):
        env.step({"first_0": 0, "second_0": 0})
    env.reset(seed=0)
    assert env.bridge is not None and env.bridge.pid != pid
    env.step({"first_0": 0, "second_0": 0})


# --- 6. frameskip and sticky actions --------------------------------------------------------------------
@pytest.mark.parametrize("name, policy", [("boxing_v0", "random"), ("pong_v0", "idle")])
def test_frameskip_equals_repeated_single_frames(name: str, policy: str, closing: Callable) -> None:
    make = MODULES[name].parallel_env
    skip4 = closing(make(frameskip=4, obs_type="ram", noop_max=0))
    single = closing(make(frameskip=1, obs_type="ram", noop_max=0))
    obs4, _ = skip4.reset(seed=0)
    obs1, _ = single.reset(seed=0)
    np.testing.assert_array_equal(obs4["first_0"], obs1["first_0"])
    calls = count_bridge_steps(skip4)
    rng = np.random.default_rng(3)
    nonzero = 0
    for step in range(100):
        actions = {a: (int(rng.integers(18)) if policy == "random" else 0) for a in skip4.agents}
        obs4, rew4, _term4, _, _ = skip4.step(actions)
        summed = dict.fromkeys(rew4, 0.0)
        for _ in range(4):
            obs1, rew1, _, _, _ = single.step(actions)
            for a in summed:
                summed[a] += rew1[a]
        np.testing.assert_array_equal(obs4["first_0"], obs1["first_0"], err_msg=f"step {step}")
        assert rew4 == summed, f"step {step}"
        nonzero += any(rew4.values())
        assert len(calls) == step + 1 and calls[-1][0] == 4  # one MAME round trip of 4 frames per step
        if step:
            assert calls[-1][1] - calls[-2][1] == 4
    if policy == "idle":
        assert nonzero >= 2  # Video Olympics' serve timer: the summed rewards were really tested


def test_sticky_actions_probability_one_repeats_noop(closing: Callable) -> None:
    make = MODULES["boxing_v0"].parallel_env
    sticky = closing(make(repeat_action_probability=1.0, obs_type="ram", noop_max=0))
    plain = closing(make(obs_type="ram", noop_max=0))
    sticky.reset(seed=0)
    plain.reset(seed=0)
    rng = np.random.default_rng(0)
    random_actions = [{a: int(rng.integers(1, 18)) for a in plain.possible_agents} for _ in range(120)]
    idle = []
    for actions in random_actions:
        s_obs, *_ = sticky.step(actions)
        p_obs, *_ = plain.step({"first_0": 0, "second_0": 0})
        idle.append(p_obs["first_0"])
        np.testing.assert_array_equal(s_obs["first_0"], p_obs["first_0"])
    # and the same random actions without stickiness do move the boxers
    plain.reset(seed=0)
    moved = [plain.step(a)[0]["first_0"] for a in random_actions]
    assert any(not np.array_equal(x, y) for x, y in zip(moved, idle))


# --- 7. Boxing episode ---------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_boxing_match_ends_on_the_clock_at_step_7139(closing: Callable) -> None:
    env = closing(MODULES["boxing_v0"].parallel_env(obs_type="ram", noop_max=0))
    obs, _ = env.reset(seed=0)
    ram = obs["first_0"]
    assert (bcd(ram[0x12]), bcd(ram[0x13])) == (0, 0)
    rng = np.random.default_rng(0)
    totals = {"first_0": 0.0, "second_0": 0.0}
    events = 0
    for step in range(1, 7140):
        obs, rew, term, trunc, _ = env.step({a: int(rng.integers(18)) for a in env.agents})
        assert rew["first_0"] == -rew["second_0"]
        events += rew["first_0"] != 0
        for a in totals:
            totals[a] += rew[a]
        assert not any(trunc.values())
        if step < 7139:
            assert not any(term.values()), f"terminated early, at step {step}"
    assert term == {"first_0": True, "second_0": True}
    assert env.agents == []
    ram = obs["first_0"]
    assert ram[0x10] >> 4 == 0 and bcd(ram[0x11]) == 0  # the clock reads 0:00
    first, second = bcd(ram[0x12]), bcd(ram[0x13])
    assert events > 0  # some punches landed, so the reward sums below mean something
    assert totals == {"first_0": float(first - second), "second_0": float(second - first)}
    with pytest.raises(ResetNeeded):
        env.step({})


def test_games_command_lists_every_game(capsys: pytest.CaptureFixture[str]) -> None:
    """``mame-zoo games``: one line per game with its agents and action space (SF3's is MultiDiscrete)."""
    from mame_zoo.cli import main

    assert main(["games"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert set(lines) == set(mame_zoo.names())
    assert "actions:    18" in lines["boxing_v0"] and "first_0, second_0, third_0, fourth_0" in lines["warlords_v0"]
    assert "actions: 9 x 10" in lines["sfiii3n_v0"]  # a MultiDiscrete space
    # every one of PettingZoo's Atari environments (pettingzoo/atari/all_modules.py), by name
    from pettingzoo.atari.all_modules import atari_environments

    pettingzoo = {name.split("/")[1].rsplit("_v", 1)[0] for name in atari_environments}
    assert len(pettingzoo) == 24 and {f"{n}_v0" for n in pettingzoo} <= set(lines)
    assert "settings: num_players" in lines["foozpong_v0"]


def test_defaults_are_pettingzoo_atari_defaults() -> None:
    """Every option shared with ``pettingzoo.atari`` defaults to PettingZoo's value, and every option of
    mame_zoo's own defaults to what leaves the game as PettingZoo plays it (one frame per step, no sticky
    actions, no random idle frames at reset)."""
    import inspect

    from pettingzoo.atari.base_atari_env import ParallelAtariEnv

    ours = inspect.signature(MameParallelEnv.__init__).parameters
    theirs = inspect.signature(ParallelAtariEnv.__init__).parameters
    shared = sorted(set(ours) & set(theirs) - {"self", "game"})
    assert shared == ["full_action_space", "max_cycles", "obs_type", "render_mode"]
    assert {k: ours[k].default for k in shared} == {k: theirs[k].default for k in shared}
    assert (ours["frameskip"].default, ours["repeat_action_probability"].default, ours["noop_max"].default) == (
        1, 0.0, 0)

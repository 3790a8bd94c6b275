"""Differential-testing helpers: replay one action log in mame_zoo (MAME) and in PettingZoo's Atari envs (ALE).

Test-only. The reference is ``pettingzoo.atari`` on ``multi_agent_ale_py`` with the ROMs shipped in ale-py; both
sides use RAM observations (the cheapest, and what the Boxing chase policy reads). An action log is a list of
``{agent: action}`` dicts in minimal-action-set indices, replayed verbatim on both sides from ``reset(seed=s)``
with the same seed ``s`` > 0 (Multi-Agent-ALE seeds the 2600's power-on RAM and timers with it; seed 0 means the
clock's time there, so no replay with seed 0 repeats).

An *event* is ``(step, agent, reward)`` for every non-zero per-agent reward; ``end`` is the step index at which
the episode ended (all agents terminated or truncated), ``None`` if the log ran out first.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from mame_zoo.env import Rules

Log = list[dict[str, int]]
Event = tuple[int, str, float]

#: mame_zoo environment -> PettingZoo module implementing the same game and mode
PETTINGZOO = {
    "basketball_pong_v0": "basketball_pong_v3", "boxing_v0": "boxing_v2", "combat_plane_v0": "combat_plane_v2",
    "combat_tank_v0": "combat_tank_v2", "double_dunk_v0": "double_dunk_v3",
    "entombed_competitive_v0": "entombed_competitive_v3", "entombed_cooperative_v0": "entombed_cooperative_v3",
    "flag_capture_v0": "flag_capture_v2", "foozpong_v0": "foozpong_v3", "ice_hockey_v0": "ice_hockey_v2",
    "joust_v0": "joust_v3", "mario_bros_v0": "mario_bros_v3", "maze_craze_v0": "maze_craze_v3",
    "othello_v0": "othello_v3", "pong_v0": "pong_v3", "quadrapong_v0": "quadrapong_v4",
    "space_invaders_v0": "space_invaders_v2", "space_war_v0": "space_war_v2", "surround_v0": "surround_v2",
    "tennis_v0": "tennis_v3", "video_checkers_v0": "video_checkers_v4", "volleyball_pong_v0": "volleyball_pong_v3",
    "warlords_v0": "warlords_v3", "wizard_of_wor_v0": "wizard_of_wor_v3",
}


def reference_missing() -> str | None:
    """Why the ALE reference cannot run here (``None`` if it can)."""
    try:
        importlib.import_module("multi_agent_ale_py")
    except ImportError as exc:
        return f"multi_agent_ale_py is not installed (pip install multi-agent-ale-py): {exc}"
    try:
        importlib.import_module("pettingzoo.atari.base_atari_env")
    except ImportError as exc:
        return f"pettingzoo.atari cannot be imported: {exc}"
    return None


def rom_dir() -> str:
    """The folder of ale-py's ROMs (PettingZoo's ``auto_rom_install_path``)."""
    from ale_py.roms import get_rom_path

    return os.path.dirname(os.fspath(get_rom_path("boxing")))


@dataclasses.dataclass
class Trace:
    """What one replay produced."""

    events: list[Event]
    end: int | None
    ram: np.ndarray  # (steps + 1, 128): RAM 0x80..0xFF after reset and after every step
    actions: Log


def play(env: Any, log: Log | None = None, policy: Callable[[np.ndarray], dict[str, int]] | None = None,
         steps: int = 0, seed: int = 1) -> Trace:
    """Run ``log`` (or ``policy`` on the RAM for ``steps`` steps) from ``reset(seed=seed)``; always closes ``env``."""
    if seed <= 0:
        raise ValueError("Multi-Agent-ALE seeds a reset with seed 0 from the clock: replay with a seed > 0")
    try:
        obs, _ = env.reset(seed=seed)
        ram = [np.asarray(next(iter(obs.values())), dtype=np.uint8).copy()]
        events: list[Event] = []
        actions: Log = []
        end = None
        n = len(log) if log is not None else steps
        for i in range(n):
            action = log[i] if log is not None else policy(ram[-1])  # type: ignore[misc]
            actions.append(action)
            obs, rewards, _, _, _ = env.step({a: v for a, v in action.items() if a in env.agents})
            events += [(i, a, float(r)) for a, r in rewards.items() if r]
            if obs:
                ram.append(np.asarray(next(iter(obs.values())), dtype=np.uint8).copy())
            if not env.agents:
                end = i
                break
        return Trace(events, end, np.array(ram), actions)
    finally:
        env.close()


def rgb_frames(env: Any, log: Log, seed: int = 1) -> np.ndarray:
    """The first agent's RGB observation after ``reset(seed=seed)`` and after every step of ``log`` (until the
    episode ends), each pixel packed into one int (0xRRGGBB); always closes ``env``."""
    try:
        obs, _ = env.reset(seed=seed)
        agent = next(iter(obs))
        frames = [obs[agent]]
        for action in log:
            obs, *_ = env.step({a: v for a, v in action.items() if a in env.agents})
            if agent not in obs or not env.agents:
                break
            frames.append(obs[agent])
    finally:
        env.close()
    f = np.array(frames).astype(np.uint32)
    return (f[..., 0] << 16) | (f[..., 1] << 8) | f[..., 2]


def mame_env(env_name: str, game: Any = None, **settings: Any) -> Any:
    """A mame_zoo parallel env (RAM observations, no random start); ``game`` overrides the declaration,
    ``settings`` are the game's own keywords (``num_players=2``)."""
    module = importlib.import_module(f"mame_zoo.games.{env_name}")
    if game is not None:
        from mame_zoo.env import MameParallelEnv

        return MameParallelEnv(game, obs_type="ram", noop_max=0)
    return module.parallel_env(obs_type="ram", noop_max=0, **settings)


def ale_env(env_name: str, **settings: Any) -> Any:
    """The PettingZoo reference env for a mame_zoo env name (RAM observations), with the same keywords."""
    module = importlib.import_module(f"pettingzoo.atari.{PETTINGZOO[env_name]}")
    return module.parallel_env(obs_type="ram", auto_rom_install_path=rom_dir(), **settings)


#: mame_zoo environment -> ale-py's single-player game of the same cartridge (its default mode and difficulty)
ALE_SINGLE = {"boxing_v0": "Boxing", "tennis_v0": "Tennis", "surround_v0": "Surround", "ice_hockey_v0": "IceHockey",
              "pong_v0": "Pong", "double_dunk_v0": "DoubleDunk", "othello_v0": "Othello",
              "video_checkers_v0": "VideoCheckers", "space_invaders_v0": "SpaceInvaders", "mario_bros_v0": "MarioBros"}


class OneAgent:
    """A Gymnasium env seen as a one-agent parallel env (agent ``first_0``), so :func:`play` replays it."""

    def __init__(self, env: Any) -> None:
        self.env, self.agents = env, ["first_0"]

    def reset(self, seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
        obs, info = self.env.reset(seed=seed)
        self.agents = ["first_0"]
        return {"first_0": obs}, {"first_0": info}

    def step(self, actions: dict[str, int]) -> tuple[dict[str, Any], ...]:
        obs, reward, term, trunc, info = self.env.step(actions["first_0"])
        if term or trunc:
            self.agents = []
        return {"first_0": obs}, {"first_0": reward}, {"first_0": term}, {"first_0": trunc}, {"first_0": info}

    def close(self) -> None:
        self.env.close()


def single_envs(env_name: str) -> tuple[OneAgent, OneAgent]:
    """mame_zoo's single-agent env and ale-py's single-player game, both with RAM observations, one frame per
    step and no sticky actions (not v5's defaults: frameskip 4, sticky 0.25), mame_zoo without random starts."""
    import ale_py
    import gymnasium

    import mame_zoo  # noqa: F401  (registers mame_zoo/*)

    gymnasium.register_envs(ale_py)
    name = ALE_SINGLE[env_name]
    options = {"obs_type": "ram", "frameskip": 1, "repeat_action_probability": 0.0}
    return (OneAgent(gymnasium.make(f"mame_zoo/{name}-v0", noop_max=0, **options)),
            OneAgent(gymnasium.make(f"ALE/{name}-v5", **options)))


# --- action logs -------------------------------------------------------------------------------------
def random_log(agents: Sequence[str], n_actions: int, steps: int, seed: int) -> Log:
    """Uniformly random actions for every agent."""
    rng = np.random.default_rng(seed)
    return [{a: int(rng.integers(n_actions)) for a in agents} for _ in range(steps)]


def noop_log(agents: Sequence[str], steps: int) -> Log:
    """Every agent idle."""
    return [dict.fromkeys(agents, 0) for _ in range(steps)]


def sweep_log(agents: Sequence[str], n_actions: int, steps: int, seed: int, hold: int = 30) -> Log:
    """Scripted play: every agent goes through its actions in a seeded order, holding each for ``hold`` steps
    (long holds reach what random play rarely does: a paddle at its stop, a player across the field)."""
    rng = np.random.default_rng(seed)
    orders = {a: rng.permutation(n_actions) for a in agents}
    offsets = {a: int(rng.integers(hold)) for a in agents}
    return [{a: int(orders[a][((i + offsets[a]) // hold) % n_actions]) for a in agents} for i in range(steps)]


# ALE action index by (up, down, left, right) bits, without and with fire
_DIRS = {0: 0, 1: 2, 8: 3, 4: 4, 2: 5, 9: 6, 5: 7, 10: 8, 6: 9}
_FIRE_DIRS = {0: 1, 1: 10, 8: 11, 4: 12, 2: 13, 9: 14, 5: 15, 10: 16, 6: 17}


def boxing_chase_policy(seed: int, gap: int = 20, dy: int = 12, fire_probability: float = 0.25,
                        ) -> Callable[[np.ndarray], dict[str, int]]:
    """first_0 walks to a punching position beside second_0 and fires at random; second_0 acts at random.

    Positions are RAM 0xA0/0xA2 (first_0 x/y) and 0xA1/0xA3 (second_0). Punches land when the boxers are
    about ``gap`` pixels apart horizontally and ``dy`` lines apart vertically (aligned boxers block).
    """
    rng = np.random.default_rng(seed)

    def act(ram: np.ndarray) -> dict[str, int]:
        px, ex, py, ey = (int(ram[i]) for i in (0x20, 0x21, 0x22, 0x23))
        tx = ex - gap if px < ex else ex + gap
        ty = ey - dy if py < ey else ey + dy
        bits = (8 if tx > px + 2 else 4 if tx < px - 2 else 0) | (2 if ty > py + 2 else 1 if ty < py - 2 else 0)
        fire = rng.random() < fire_probability
        return {"first_0": (_FIRE_DIRS if fire else _DIRS)[bits], "second_0": int(rng.integers(18))}

    return act


# Pong's minimal set: NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE -> (direction, fire) and back
_PONG_SPLIT = {0: (0, 0), 1: (0, 1), 2: (1, 0), 3: (2, 0), 4: (1, 1), 5: (2, 1)}
_PONG_JOIN = {v: k for k, v in _PONG_SPLIT.items()}


def advance_fire(log: Log) -> Log:
    """Pong log whose fire buttons act one step earlier (paddle turns unchanged).

    Replayed in ALE this reproduces what MAME's frame boundary does to Video Olympics: the game reads the
    buttons in the 53 lines before VSYNC ends, which in mame_zoo already belong to the next step.
    """
    out = []
    for k, action in enumerate(log):
        nxt = log[min(k + 1, len(log) - 1)]
        out.append({a: _PONG_JOIN[(_PONG_SPLIT[v][0], _PONG_SPLIT[nxt[a]][1])] for a, v in action.items()})
    return out


# --- comparisons -------------------------------------------------------------------------------------
def first_divergence(a: Sequence[Event], b: Sequence[Event]) -> int | None:
    """Index of the first differing event (``None`` if the lists are equal)."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return None if len(a) == len(b) else min(len(a), len(b))


def describe(name: str, mame: Trace, ale: Trace) -> str:
    """One-line summary used in assertion messages and docs/fidelity.md."""
    fd = first_divergence(mame.events, ale.events)
    where = "none" if fd is None else (
        f"event #{fd}: MAME {mame.events[fd] if fd < len(mame.events) else '-'} vs "
        f"ALE {ale.events[fd] if fd < len(ale.events) else '-'}")
    return (f"{name}: MAME {len(mame.events)} events end={mame.end} | ALE {len(ale.events)} events end={ale.end} | "
            f"first divergence {where}")


def events_from_ram(game: Any, ram: np.ndarray, rules: Rules) -> tuple[list[Event], int | None]:
    """Re-derive the events of a recorded RAM trace with another rules object (no emulator needed)."""
    def values(row: np.ndarray) -> dict[str, int]:
        return {name: int(row[var.address - 0x80]) for name, var in game.vars.items()}

    rules.reset(values(ram[0]))
    events: list[Event] = []
    for i in range(1, len(ram)):
        outcome = rules.frame(values(ram[i]))
        events += [(i - 1, a, float(r)) for a, r in zip(game.agents, outcome.rewards) if r]
        if outcome.terminal:
            return events, i - 1
    return events, None

"""Fidelity against the reference: the same action log in mame_zoo and in PettingZoo/Multi-Agent-ALE.

Every game is replayed from ``reset(seed=0)`` (mame_zoo with ``noop_max=0``) with a fixed, seeded action log, and
the per-agent reward events ``(step, agent, reward)`` and the terminal step are compared. mame_zoo steps on the
game's VSYNC-off (the games' ``[frame] machine = "atari2600"``), where ALE ends a frame. What can be asserted
depends on how far the two emulators agree (figures and causes: ``docs/fidelity.md``):

* Boxing (a whole match), Pong (idle, and random with log seed 0), Tennis (idle and random) and Surround run in
  exact lock-step: identical event lists (more seeds: ``scripts/fidelity_report.py``).
* Ice Hockey, Combat and Warlords still drift apart (uncleared RAM and ALE's seeded RIOT timer, PAL frame
  lengths, paddle pots that MAME takes in only at its own frame end). For these the reward *semantics* must
  agree: every event matches the game's reward rule on both sides, the same reward magnitudes occur, and the
  terminal rule fires on both sides.

The reference is a test-only dependency: the module is skipped when ``multi_agent_ale_py`` is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ale_reference as ref
import pytest

_missing = ref.reference_missing()
pytestmark = pytest.mark.skipif(_missing is not None, reason=f"ALE reference unavailable: {_missing}")

TWO = ("first_0", "second_0")
FOUR = ("first_0", "second_0", "third_0", "fourth_0")
LOG_SEED = 0  # every random log below is drawn from this seed
SHORT = 3000  # steps of the short logs (the non-Boxing games)

# --- cached replays (several tests look at the same run) ---------------------------------------------
_cache: dict[tuple, tuple[ref.Trace, ref.Trace]] = {}


def _replay(key: tuple, env_name: str, log: ref.Log, game: object = None, ale_log: ref.Log | None = None,
            ) -> tuple[ref.Trace, ref.Trace]:
    """(MAME trace, ALE trace) of ``log`` (ALE replays ``ale_log`` if given); cached by ``key``."""
    if key not in _cache:
        mame = ref.play(ref.mame_env(env_name, game), log)
        ale = ref.play(ref.ale_env(env_name), ale_log if ale_log is not None else log)
        _cache[key] = (mame, ale)
    return _cache[key]


def _boxing() -> tuple[ref.Trace, ref.Trace]:
    """A full Boxing match: chase + random fire (first_0, computed from MAME's RAM) vs random (second_0)."""
    key = ("boxing", "chase")
    if key not in _cache:
        mame = ref.play(ref.mame_env("boxing_v0"), policy=ref.boxing_chase_policy(LOG_SEED), steps=8000)
        ale = ref.play(ref.ale_env("boxing_v0"), mame.actions)
        _cache[key] = (mame, ale)
    return _cache[key]


def _random(env_name: str, agents: Sequence[str], n_actions: int, steps: int = SHORT) -> tuple[ref.Trace, ref.Trace]:
    return _replay((env_name, "random", steps), env_name, ref.random_log(agents, n_actions, steps, LOG_SEED))


def _idle(env_name: str, agents: Sequence[str], steps: int = SHORT) -> tuple[ref.Trace, ref.Trace]:
    return _replay((env_name, "idle", steps), env_name, ref.noop_log(agents, steps))


# --- reward rules as predicates over one step's rewards (pattern = sorted ((agent, reward), ...)) ----
Pattern = tuple[tuple[str, float], ...]


def zero_sum(p: Pattern) -> bool:
    """first_0 gets r, second_0 gets -r (r != 0)."""
    return len(p) == 2 and p[0][0] == "first_0" and p[1][0] == "second_0" and p[0][1] == -p[1][1] != 0


def serve_penalty(p: Pattern) -> bool:
    """One player alone gets -1 (Pong's and Tennis' serve timers)."""
    return len(p) == 1 and p[0][1] == -1.0


def assert_semantics(name: str, mame: ref.Trace, ale: ref.Trace, allowed: Callable[[Pattern], bool], *,
                     min_events: int = 1) -> None:
    """Both event lists obey the game's reward rule and use the same reward magnitudes."""
    summary = ref.describe(name, mame, ale)
    for side, trace in (("MAME", mame), ("ALE", ale)):
        bad = [p for p in ref.patterns(trace.events) if not allowed(p)]
        assert not bad, f"{side} rewards outside the rule: {bad}\n{summary}"
        assert len(trace.events) >= min_events, f"{side}: too few events to compare\n{summary}"
    if mame.events and ale.events:
        assert ref.magnitudes(mame.events) == ref.magnitudes(ale.events), summary


def assert_counts_close(name: str, mame: ref.Trace, ale: ref.Trace, slack: float = 0.5, floor: int = 4) -> None:
    """Event counts agree within ``max(floor, slack * ALE count)``."""
    n, m = len(mame.events), len(ale.events)
    assert abs(n - m) <= max(floor, slack * m), ref.describe(name, mame, ale)


# --- Boxing: exact --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_boxing_full_match_is_lockstep_with_ale(mame_binary: str) -> None:
    """~7100 steps (MAME ~10 s): identical reward events and terminal step, and identical score, clock and
    position RAM."""
    mame, ale = _boxing()
    summary = ref.describe("boxing chase", mame, ale)
    assert len(mame.events) >= 100, f"the chase policy should land many punches\n{summary}"
    assert {abs(r) for _, _, r in mame.events} >= {1.0, 2.0}, f"jabs and power punches expected\n{summary}"
    assert mame.events == ale.events, summary
    assert mame.end is not None and mame.end == ale.end, summary
    # the bytes the rules read and both boxers' positions agree on every step (sampled at VSYNC-off like ALE;
    # at MAME's frame end second_0's 0xA1/0xA3 were a step ahead)
    for address in (0x90, 0x91, 0x92, 0x93, 0xA0, 0xA1, 0xA2, 0xA3):
        diff = (mame.ram[:, address - 0x80] != ale.ram[:, address - 0x80]).nonzero()[0]
        assert diff.size == 0, f"RAM {address:#x} differs first at step {diff[0] - 1}"


# --- Video Olympics (Pong) --------------------------------------------------------------------------------
def test_pong_idle_is_lockstep_with_ale(mame_binary: str) -> None:
    """Both idle: first point at step 132, then first_0's serve penalty every 120 frames, identically."""
    mame, ale = _idle("pong_v0", TWO)
    assert mame.events == ale.events, ref.describe("pong idle", mame, ale)
    assert len(mame.events) >= 20
    assert mame.end is None and ale.end is None


def test_pong_random_is_lockstep_with_ale(mame_binary: str) -> None:
    """Random paddles and buttons: identical events. Pins the paddle calibration (offset 36.3) and the frame
    signal: Video Olympics reads its buttons in the 53 lines before VSYNC ends, which MAME's frame end (the
    step boundary before the signal) put in the next step."""
    mame, ale = _random("pong_v0", TWO, 6)
    assert len(mame.events) >= 20
    assert mame.events == ale.events, ref.describe("pong random", mame, ale)


# --- Tennis ------------------------------------------------------------------------------------------------
def test_tennis_idle_is_exact(mame_binary: str) -> None:
    """Idle: first_0's serve-stall penalty every 180 frames, on the same frames as Tennis.cpp."""
    mame, ale = _idle("tennis_v0", TWO)
    assert len(mame.events) >= 10
    assert mame.events == ale.events, ref.describe("tennis idle", mame, ale)


def test_tennis_random_is_lockstep_with_ale(mame_binary: str) -> None:
    """Random play: identical points, games and stall penalties (Tennis reads its joysticks right after VSYNC)."""
    mame, ale = _random("tennis_v0", TWO, 18)
    assert len(mame.events) >= 20
    assert mame.events == ale.events, ref.describe("tennis random", mame, ale)


# --- Surround --------------------------------------------------------------------------------------------
def test_surround_random_is_lockstep_with_ale(mame_binary: str) -> None:
    """Random play, ports swapped as in ALE (first_0 = right joystick): identical events."""
    mame, ale = _random("surround_v0", TWO, 5)
    assert mame.events == ale.events, ref.describe("surround random", mame, ale)
    assert len(mame.events) >= 6


# --- Ice Hockey -------------------------------------------------------------------------------------------
def test_ice_hockey_random_reward_semantics(mame_binary: str) -> None:
    mame, ale = _random("ice_hockey_v0", TWO, 18)
    assert_semantics("ice_hockey random", mame, ale, lambda p: zero_sum(p) and abs(p[0][1]) == 1)
    assert_counts_close("ice_hockey random", mame, ale)


# --- Combat (tank) --------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_combat_tank_random_to_the_clock(mame_binary: str) -> None:
    """Random play until the timer ends the match (~8200 steps, MAME ~13 s).

    Steps are the cartridge's 314-line frames on both sides (MAME's a2600p draws 312). Hits follow Combat.cpp on
    both sides; their number depends on uncleared RAM (ALE's own count changes with its seed), and the end
    within a few steps of ALE's.
    """
    log = ref.random_log(TWO, 18, 9000, LOG_SEED)
    mame, ale = _replay(("combat_tank_v0", "random", 9000), "combat_tank_v0", log)
    summary = ref.describe("combat_tank random", mame, ale)
    assert_semantics("combat_tank random", mame, ale, lambda p: zero_sum(p) and abs(p[0][1]) == 1)
    assert mame.events[:1] == ale.events[:1], summary
    assert mame.end is not None and ale.end is not None, summary
    assert abs(mame.end - ale.end) <= 10, summary  # was up to +63 when steps were MAME's 312-line frames


# --- Warlords -----------------------------------------------------------------------------------------------
def _warlords_rule(trace: ref.Trace) -> list[str]:
    """Violations of Warlords.cpp: -1 once per fallen warlord, +1 to the survivor when <= 1 stands, then end."""
    problems = []
    fallen: list[str] = []
    for step, agent, reward in trace.events:
        if reward == -1.0:
            if agent in fallen:
                problems.append(f"{agent} fell twice (step {step})")
            fallen.append(agent)
        elif reward == 1.0:
            if step != trace.end or agent in fallen:
                problems.append(f"+1 to {agent} at step {step}, episode end {trace.end}")
        else:
            problems.append(f"unexpected reward {reward} at step {step}")
    if trace.end is not None and len(fallen) < 3:
        problems.append(f"episode ended at {trace.end} with {4 - len(fallen)} warlords standing")
    if trace.end is not None and not any(r == 1.0 for *_, r in trace.events):
        problems.append("no survivor reward at the end")
    return problems


def test_warlords_idle_reward_semantics(mame_binary: str) -> None:
    """Idle paddles: castles fall to the ball. Both sides obey the elimination rule (trajectories differ)."""
    mame, ale = _idle("warlords_v0", FOUR, 4000)
    summary = ref.describe("warlords idle", mame, ale)
    # the rule must be seen at work: three warlords fall (-1 each) and the last one standing gets +1
    assert ale.end is not None and len(ale.events) == 4, f"ALE: {ale.events}\n{summary}"
    for side, trace in (("MAME", mame), ("ALE", ale)):
        assert not _warlords_rule(trace), f"{side}: {_warlords_rule(trace)}\n{summary}"


@pytest.mark.xfail(strict=True, reason="a known difference, measured on MAME 0.251, 0.276 and 0.289 (2026-12-02): "
                   "with idle paddles no warlord falls in MAME within 4000 steps, while in ALE all three do; the "
                   "test above was vacuous for MAME's side until it checked that (lock-step work, issue 16)")
def test_warlords_idle_castles_fall_in_mame_too(mame_binary: str) -> None:
    mame, ale = _idle("warlords_v0", FOUR, 4000)
    assert mame.end is not None and len(mame.events) == 4, ref.describe("warlords idle", mame, ale)


# --- the rest of PettingZoo's suite ------------------------------------------------------------------------
#: env -> (actions, steps, log seed): identical to Multi-Agent-ALE on every log of the report (docs/fidelity.md);
#: one log here, with reward events (Flag Capture's seed 0 scores none), whole episodes for Joust, Mario Bros. and
#: Space Invaders
LOCKSTEP = {"double_dunk_v0": (18, SHORT, 0), "flag_capture_v0": (10, 5000, 1), "joust_v0": (18, 8000, 0),
            "mario_bros_v0": (18, 5500, 2), "othello_v0": (10, SHORT, 0), "space_invaders_v0": (6, SHORT, 0),
            "wizard_of_wor_v0": (9, 5000, 0)}


@pytest.mark.parametrize("name", sorted(LOCKSTEP))
def test_the_suite_is_lockstep_with_ale(mame_binary: str, name: str) -> None:
    """Identical reward events and end, and identical RAM after reset and after every step."""
    actions, steps, seed = LOCKSTEP[name]
    mame, ale = _replay((name, "random", steps, seed), name, ref.random_log(TWO, actions, steps, seed))
    summary = ref.describe(f"{name} random", mame, ale)
    assert mame.events == ale.events and mame.end == ale.end, summary
    assert len(mame.events) >= 1, summary
    if name in ("joust_v0", "mario_bros_v0", "space_invaders_v0"):
        assert mame.end is not None, f"the log should cover a whole episode\n{summary}"
    differ = (mame.ram != ale.ram).any(axis=0).nonzero()[0]
    assert differ.size == 0, f"RAM differs at {[hex(0x80 + i) for i in differ]}\n{summary}"


def test_a_setting_is_pettingzoos_mode(mame_binary: str) -> None:
    """Volleyball with num_players=2 (mode 39): the same agents and events as PettingZoo's with that keyword."""
    log = ref.random_log(TWO, 6, SHORT, LOG_SEED)
    mame = ref.play(ref.mame_env("volleyball_pong_v0", num_players=2), log)
    ale = ref.play(ref.ale_env("volleyball_pong_v0", num_players=2), log)
    assert {a for _, a, _ in mame.events} <= set(TWO) and len(mame.events) >= 10
    assert mame.events == ale.events, ref.describe("volleyball_pong num_players=2", mame, ale)


def team_zero_sum(p: Pattern) -> bool:
    """Video Olympics' teams: first_0 and third_0 get r, second_0 and fourth_0 -r; or one team's serve penalty."""
    d = dict(p)
    if set(d) == set(FOUR):
        return d["first_0"] == d["third_0"] == -d["second_0"] == -d["fourth_0"] != 0
    return set(d) in ({"first_0", "third_0"}, {"second_0", "fourth_0"}) and set(d.values()) == {-1.0}


def timer_or_zero_sum(p: Pattern) -> bool:
    """Board games: a zero-sum score change, or the player to move alone gets -1 for taking too long."""
    return zero_sum(p) or serve_penalty(p)


def both_gain(p: Pattern) -> bool:
    """Cooperative Entombed: both players get the same +1."""
    return p == (("first_0", 1.0), ("second_0", 1.0))


def caught_or_escaped(p: Pattern) -> bool:
    """Maze Craze: a caught robber gets -1 alone; an escape is +1 / -1 (or +1 alone when the other is out)."""
    return serve_penalty(p) or (len(p) == 1 and p[0][1] == 1.0) or zero_sum(p)


#: env -> (agents, actions, steps, rule): the games that differ from ALE for the reasons in docs/fidelity.md
#: (paddle pots, power-on RAM, Stella's cut frames): their rewards obey the rule
SEMANTICS: dict[str, tuple[tuple[str, ...], int, int, Callable[[Pattern], bool]]] = {
    "basketball_pong_v0": (TWO, 6, SHORT, lambda p: zero_sum(p) or serve_penalty(p)),
    "combat_plane_v0": (TWO, 18, SHORT, lambda p: zero_sum(p) and abs(p[0][1]) == 1),
    "entombed_competitive_v0": (TWO, 18, SHORT, lambda p: zero_sum(p) and abs(p[0][1]) == 1),
    "entombed_cooperative_v0": (TWO, 18, SHORT, both_gain),
    "foozpong_v0": (FOUR, 6, SHORT, team_zero_sum),
    "maze_craze_v0": (TWO, 18, SHORT, caught_or_escaped),
    "quadrapong_v0": (FOUR, 6, SHORT, team_zero_sum),
    "space_war_v0": (TWO, 18, SHORT, lambda p: zero_sum(p) and abs(p[0][1]) == 1),
    "video_checkers_v0": (TWO, 5, 5000, timer_or_zero_sum),
    "volleyball_pong_v0": (FOUR, 6, SHORT, team_zero_sum),
}


@pytest.mark.parametrize("name", sorted(SEMANTICS))
def test_the_suite_obeys_multi_agent_ales_rules(mame_binary: str, name: str) -> None:
    agents, actions, steps, rule = SEMANTICS[name]
    mame, ale = _random(name, agents, actions, steps)
    if name in ("combat_plane_v0", "maze_craze_v0", "space_war_v0"):  # ALE itself plays these differently in
        # every process (its power-on RAM seeds them): its log may score nothing, so only MAME's events must exist
        assert_semantics(f"{name} random", mame, ale, rule, min_events=0)
        assert mame.events, ref.describe(f"{name} random", mame, ale)
    else:
        assert_semantics(f"{name} random", mame, ale, rule)
        assert_counts_close(f"{name} random", mame, ale, slack=1.0)

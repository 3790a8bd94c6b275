"""SF3 3rd Strike pure logic (``mame_zoo.games.sf3``) on synthetic RAM traces; no MAME, no ROM.

Every test drives the same objects a live env uses: :class:`SF3Rules` gets one dict of variable values per
emulated frame (names of ``FRAME_VARS``), :class:`SF3Controller` turns actions into MAME field values. The
traces follow the facts in ``docs/sf3.md``: health −1 (0xFFFF as s16) or 0xFF after
a KO, the fighting flag 0x02011389 dropping at the end of a round, a wins counter rising after it, refills
between rounds, ``Bonus_Game_Flag``/char ids 21-22 in bonus stages, screen state 7 on the continue screen.

The memory-map, select-screen and continue tests check the code against independent data: the facts transcribed
in ``tests/sf3_sources.py`` (memory map, structures, select grid and cursor rules, value codes), never against
the code's own numbers or models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pytest
import sf3_sources as src
from hypothesis import given, settings
from hypothesis import strategies as st

from mame_zoo.core.ops import FrameOutcome, Hold, PressUntil, Var, Wait, bcd
from mame_zoo.errors import InvalidAction, InvalidGameSpec
from mame_zoo.games.sf3 import actions, characters, memory
from mame_zoo.games.sf3.actions import SF3Controller, action_space, decode
from mame_zoo.games.sf3.flow import SF3Rules
from mame_zoo.games.sf3.observation import observation, observation_space

pytestmark = pytest.mark.no_mame  # pure logic: runs on one MAME version only

# --- trace helpers -------------------------------------------------------------------------------------------
BASE: dict[str, int] = {name: 0 for name in memory.FRAME_VARS}
BASE.update(p1_health=160, p2_health=160, max_health=160, fighting=1, timer=99, round=1, p1_char=11, p2_char=2,
            phase=2, screen=4, p1_x=300, p2_x=500, p1_facing=1, p1_super_max=1, p2_super_max=1, p1_stun_max=72,
            p2_stun_max=72)


def fr(**kw: int) -> dict[str, int]:
    """One frame's values: the defaults (mid-round, both at 160) with ``kw`` changed."""
    unknown = set(kw) - set(BASE)
    assert not unknown, unknown
    return {**BASE, **kw}


def seq(frames: Iterable[dict[str, int]]) -> list[dict[str, int]]:
    return list(frames)


def hold(n: int, **kw: int) -> list[dict[str, int]]:
    return [fr(**kw)] * n


def ko_round(winner: int, wins_before: tuple[int, int], start: tuple[int, int] = (160, 160)) -> list[dict[str, int]]:
    """A round the ``winner`` wins by KO: the loser's health goes 160 → … → −1, the flag drops, wins rise,
    both read −1 in the transition, then refill to 160 with the flag still down."""
    w1, w2 = wins_before
    loser = 1 - winner
    hp = list(start)
    out = []
    for step in (40, 40, 50):
        hp[loser] = max(hp[loser] - step, 1)
        out += hold(3, p1_health=hp[0], p2_health=hp[1], p1_wins=w1, p2_wins=w2)
    hp[loser] = -1
    out += hold(2, p1_health=hp[0], p2_health=hp[1], p1_wins=w1, p2_wins=w2)  # KO frame, flag still on
    out += hold(5, p1_health=hp[0], p2_health=hp[1], p1_wins=w1, p2_wins=w2, fighting=0)
    nw = (w1 + (winner == 0), w2 + (winner == 1))
    out += hold(5, p1_health=hp[0], p2_health=hp[1], p1_wins=nw[0], p2_wins=nw[1], fighting=0)
    out += hold(5, p1_health=-1, p2_health=-1, p1_wins=nw[0], p2_wins=nw[1], fighting=0)  # transition
    out += hold(5, p1_health=160, p2_health=160, p1_wins=nw[0], p2_wins=nw[1], fighting=0, timer=99)  # refill
    return out


def run(rules: SF3Rules, trace: Sequence[Mapping[str, int]]) -> list[FrameOutcome]:
    """Feed a trace frame by frame, as the env does."""
    return [rules.frame(v) for v in trace]


def totals(outcomes: Sequence[FrameOutcome]) -> np.ndarray:
    return np.sum([o.rewards for o in outcomes], axis=0)


def env_steps(rules: SF3Rules, trace: Sequence[Mapping[str, int]], frameskip: int) -> tuple[list[np.ndarray], bool]:
    """The reward loop of ``MameParallelEnv.step``: per step, sum ``frame()`` over its frames, stop on terminal."""
    step_rewards, terminal = [], False
    for start in range(0, len(trace), frameskip):
        rewards = np.zeros(rules.n_agents)
        for values in trace[start:start + frameskip]:
            outcome = rules.frame(values)
            rewards += outcome.rewards
            if outcome.terminal:
                terminal = True
                break
        step_rewards.append(rewards)
        if terminal:
            break
    return step_rewards, terminal


def kinds(rules: SF3Rules) -> list[tuple[str, Any, str]]:
    return [(e.kind, e.winner, e.reason) for e in rules.history]


def fresh(trace_start: Mapping[str, int] | None = None, **options: Any) -> SF3Rules:
    rules = SF3Rules(**options)
    rules.reset(trace_start or fr())
    return rules


# --- rounds ------------------------------------------------------------------------------------------------
def test_round_won_by_ko_health_to_minus_one() -> None:
    rules = fresh()
    out = run(rules, ko_round(0, (0, 0)))
    assert totals(out).tolist() == [160.0, -160.0]
    assert kinds(rules) == [("round_done", 0, "ko")]
    assert not any(o.terminal for o in out)
    assert rules.wins == [1, 0] and rules.rounds_done == 1
    # the KO frame itself gives the last 30 points; nothing after it (transition −1, refill) is rewarded
    ko_frame = next(i for i, v in enumerate(ko_round(0, (0, 0))) if v["p2_health"] == -1)
    assert out[ko_frame].rewards == [30.0, -30.0]
    assert all(o.rewards == [0.0, 0.0] for o in out[ko_frame + 1:])


def test_ko_read_as_u8_0xff_is_zero_health() -> None:
    rules = fresh()
    out = run(rules, [fr(p2_health=20), fr(p2_health=0xFF), fr(p2_health=0xFF, fighting=0)])
    assert totals(out).tolist() == [160.0, -160.0]


def test_ko_damage_after_flag_drop_is_settled_when_wins_rise() -> None:
    # the flag drops while P2 still shows 40; its health reads −1 only later: the KO still costs all of it
    trace = [fr(p2_health=40), fr(p2_health=40, fighting=0), fr(p2_health=-1, fighting=0),
             fr(p2_health=-1, fighting=0, p1_wins=1), fr(p1_health=-1, p2_health=-1, fighting=0, p1_wins=1)]
    rules = fresh()
    out = run(rules, trace)
    assert [o.rewards[0] for o in out] == [120.0, 0.0, 0.0, 40.0, 0.0]
    assert kinds(rules) == [("round_done", 0, "ko")]


def test_time_over_round() -> None:
    rules = fresh(fr(timer=5))
    trace = [fr(timer=5), fr(timer=4, p1_health=150), fr(timer=3, p1_health=150, p2_health=100),
             fr(timer=2, p1_health=140, p2_health=100), fr(timer=1, p1_health=140, p2_health=100),
             fr(timer=0, p1_health=130, p2_health=100),  # last hit on the timer's last frame still counts
             fr(timer=0, p1_health=130, p2_health=90, fighting=0),  # flag-drop frame: counted (simultaneous hit)
             fr(timer=0, p1_health=130, p2_health=80, fighting=0),  # after it: never
             fr(timer=0, p1_health=130, p2_health=80, fighting=0, p1_wins=1),
             fr(timer=99, p1_health=-1, p2_health=-1, fighting=0, p1_wins=1),
             fr(timer=99, p1_health=160, p2_health=160, fighting=0, p1_wins=1)]
    out = run(rules, trace)
    assert totals(out).tolist() == [70.0 - 30.0, 30.0 - 70.0]  # dealt 70, taken 30; no KO settlement
    assert kinds(rules) == [("round_done", 0, "time")]
    assert rules.info()["health"] == (160, 160)


def test_time_over_draw_without_wins_change_and_double_ko() -> None:
    rules = fresh(fr(timer=1))
    trace = [fr(timer=1, p1_health=100, p2_health=100), fr(timer=0, p1_health=100, p2_health=100),
             fr(timer=0, p1_health=100, p2_health=100, fighting=0),
             fr(timer=99, fighting=0), fr(timer=99)]  # next round starts, no wins change: a draw
    run(rules, trace)
    assert kinds(rules) == [("round_done", None, "draw")]
    rules = fresh()
    run(rules, [fr(p1_health=10, p2_health=10), fr(p1_health=-1, p2_health=-1),
                fr(p1_health=-1, p2_health=-1, fighting=0, p1_wins=1, p2_wins=1)])
    assert kinds(rules) == [("round_done", None, "double_ko")]
    assert rules.damage == [160, 160]


def test_health_refill_between_rounds_gives_no_reward() -> None:
    rules = fresh(fr(p1_health=60, p2_health=25, fighting=0, p1_wins=1))
    # between rounds (flag down): −1, 0xFF, partial and full refills, max-health reread, then the flag rises
    trace = [fr(p1_health=h1, p2_health=h2, fighting=0, p1_wins=1)
             for h1, h2 in ((60, 25), (-1, 25), (-1, -1), (0xFF, 0xFF), (80, 40), (160, 160), (30, 160))]
    trace += [fr(p1_health=160, p2_health=160, p1_wins=1), fr(p1_health=-1, p2_health=160, p1_wins=1, fighting=0)]
    out = run(rules, trace)
    assert [o.rewards for o in out[:-1]] == [[0.0, 0.0]] * (len(trace) - 1)
    # a refill seen while the flag is already up is not a reward either (only decreases count)
    rules = fresh(fr(p1_health=-1, p2_health=-1, fighting=0))
    out = run(rules, [fr(p1_health=-1, p2_health=-1), fr(p1_health=80, p2_health=-1), fr(), fr(p2_health=150)])
    assert [o.rewards for o in out] == [[0.0, 0.0]] * 3 + [[10.0, -10.0]]


def test_max_health_is_read_from_ram() -> None:
    rules = fresh(fr(max_health=192, p1_health=192, p2_health=192))
    out = run(rules, [fr(max_health=192, p1_health=192, p2_health=180), fr(max_health=192, p1_health=192,
                                                                           p2_health=-1)])
    assert totals(out).tolist() == [192.0, -192.0]
    rules = fresh(fr(max_health=192, p1_health=192, p2_health=192), normalize=True)
    out = run(rules, [fr(max_health=192, p1_health=192, p2_health=96)])
    assert out[0].rewards == [0.5, -0.5]
    rules = fresh(fr(max_health=0))  # implausible read: 160
    assert rules.max_health == 160


def test_best_of_three_versus_match() -> None:
    rules = fresh()
    trace = ko_round(0, (0, 0)) + hold(3, p1_wins=1) + ko_round(1, (1, 0)) + hold(3, p1_wins=1, p2_wins=1)
    # round 3: time-over won by P1 (130 vs 100)
    trace += [fr(p1_wins=1, p2_wins=1, timer=2, p2_health=100, p1_health=130),
              fr(p1_wins=1, p2_wins=1, timer=0, p2_health=100, p1_health=130),
              fr(p1_wins=1, p2_wins=1, timer=0, p2_health=100, p1_health=130, fighting=0),
              fr(p1_wins=2, p2_wins=1, timer=0, p2_health=100, p1_health=130, fighting=0)]
    trace += hold(5, p1_wins=2, p2_wins=1, fighting=0)
    step_rewards, terminal = env_steps(rules, trace, frameskip=4)
    assert terminal
    assert kinds(rules) == [("round_done", 0, "ko"), ("round_done", 1, "ko"), ("round_done", 0, "time"),
                            ("match_done", 0, ""), ("game_done", 0, "matches")]
    assert np.sum(step_rewards, axis=0).tolist() == [160 - 160 + 60 - 30, -(160 - 160 + 60 - 30)]
    info = rules.end_step()
    assert info["match_done"] and info["game_done"] and info["episode_over"] and info["wins"] == (2, 1)
    assert info["match_winner"] == 0 and rules.matches_done == 1 and rules.rounds_done == 3
    assert rules.end_step()["events"] == []  # events are per step


def test_rounds_option_and_several_matches() -> None:
    rules = fresh(rounds=1)
    steps, terminal = env_steps(rules, ko_round(1, (0, 0)) + hold(10), frameskip=1)
    assert terminal and kinds(rules)[-1] == ("game_done", 1, "rounds")
    assert len(steps) == next(i for i, v in enumerate(ko_round(1, (0, 0))) if v["p2_wins"] == 1) + 1
    # two matches: wins go back to 0 for the second (a silent re-baseline)
    rules = fresh(matches=2)
    match1 = ko_round(0, (0, 0)) + ko_round(0, (1, 0)) + hold(5, p1_wins=2, fighting=0)
    match2 = hold(5, fighting=0) + ko_round(1, (0, 0)) + ko_round(1, (0, 1))
    out = run(rules, match1 + match2)
    assert [k for k in kinds(rules) if k[0] != "round_done"] == [("match_done", 0, ""), ("match_done", 1, ""),
                                                                  ("game_done", 1, "matches")]
    assert not any(o.terminal for o in out[:len(match1)]) and out[-1].terminal
    assert totals(out).tolist() == [0.0, 0.0]


def test_wins_to_win_option() -> None:
    rules = fresh(wins_to_win=3)
    run(rules, ko_round(0, (0, 0)) + ko_round(0, (1, 0)))
    assert "match_done" not in [k[0] for k in kinds(rules)]
    run(rules, ko_round(0, (2, 0)))
    assert ("match_done", 0, "") in kinds(rules)


# --- frameskip, zero-sum -------------------------------------------------------------------------------------
def full_match_trace() -> list[dict[str, int]]:
    return (ko_round(0, (0, 0)) + ko_round(1, (1, 0)) + ko_round(0, (1, 1)) + hold(5, p1_wins=2, p2_wins=1,
                                                                                     fighting=0))


@pytest.mark.parametrize("frameskip", [1, 2, 3, 4, 6, 7, 13])
def test_rewards_over_skipped_frames_equal_single_frames(frameskip: int) -> None:
    trace = full_match_trace()
    single = np.array(env_steps(fresh(), trace, 1)[0])
    skipped = np.array(env_steps(fresh(), trace, frameskip)[0])
    assert np.array_equal(single.sum(axis=0), skipped.sum(axis=0))
    # each skipped step is exactly the sum of its frames
    for i, step in enumerate(skipped):
        assert np.array_equal(step, single[i * frameskip:(i + 1) * frameskip].sum(axis=0))


def test_intermediate_frames_do_not_change_the_total() -> None:
    dense = [fr(p2_health=h) for h in range(160, 9, -1)]
    sparse = [fr(p2_health=h) for h in (150, 90, 10)]
    assert totals(run(fresh(), dense)).tolist() == totals(run(fresh(), sparse)).tolist() == [150.0, -150.0]


health_values = st.integers(min_value=1, max_value=160)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(health_values, health_values), min_size=1, max_size=60), st.integers(1, 8))
def test_monotone_random_health_traces(pairs: list[tuple[int, int]], frameskip: int) -> None:
    # health can only go down inside a round: make the random pairs monotone
    h1, h2, trace = 160, 160, []
    for a, b in pairs:
        h1, h2 = min(h1, a), min(h2, b)
        trace.append(fr(p1_health=h1, p2_health=h2))
    steps, _ = env_steps(fresh(), trace, frameskip)
    total = np.sum(steps, axis=0)
    assert total[0] + total[1] == 0
    assert total[0] == (160 - h2) - (160 - h1)  # damage dealt − damage taken


frame_strategy = st.fixed_dictionaries({
    "p1_health": st.sampled_from([-1, 0, 0xFF, 1, 40, 90, 159, 160]) | st.integers(-1, 200),
    "p2_health": st.sampled_from([-1, 0, 0xFF, 1, 40, 90, 159, 160]) | st.integers(-1, 200),
    "fighting": st.integers(0, 1), "timer": st.sampled_from([0, 1, 50, 99]),
    "p1_wins": st.integers(0, 2), "p2_wins": st.integers(0, 2), "bonus": st.sampled_from([0, 0, 0, 21, 22]),
    "screen": st.sampled_from([4, 7]), "max_health": st.sampled_from([160, 160, 192, 0]),
})


@settings(max_examples=200, deadline=None)
@given(st.lists(frame_strategy, min_size=1, max_size=80), st.sampled_from(["versus", "vs_cpu"]),
       st.integers(0, 1), st.booleans())
def test_arbitrary_traces_are_zero_sum_and_bounded(frames: list[dict[str, int]], mode: str, side: int,
                                                   cont: bool) -> None:
    trace = [fr(**f) for f in frames]
    rules = fresh(trace[0], mode=mode, human_side=side, continue_game=cont)
    outcomes = run(rules, trace)
    for o in outcomes:
        assert len(o.rewards) == rules.n_agents
        if mode == "versus":
            assert o.rewards[0] + o.rewards[1] == 0
    total = totals(outcomes)
    # the reward is exactly the bookkeeping of damage taken: P1's reward = P2's damage − P1's damage
    p1_total = float(rules.damage[1] - rules.damage[0])
    assert total[0] == (p1_total if mode == "versus" or side == 0 else -p1_total)
    assert all(d >= 0 for d in rules.damage)
    assert all(0 <= h <= rules.max_health for h in rules.health)
    obs = rules.observation()
    assert observation_space().contains(obs)


# --- vs-CPU: stages, bonus, continue -----------------------------------------------------------------------
def cpu_match(won: bool, vs_index: int) -> list[dict[str, int]]:
    w = 0 if won else 1
    trace = ko_round(w, (0, 0)) + ko_round(w, (1 - w, w))
    return [{**v, "p1_vs_index": vs_index} for v in trace]


def after_match(vs_index: int, n: int = 5, **kw: int) -> list[dict[str, int]]:
    return hold(n, fighting=0, p1_vs_index=vs_index, **kw)


def test_stage_progression_vs_cpu() -> None:
    rules = fresh(mode="vs_cpu")
    trace: list[dict[str, int]] = []
    for stage in range(10):
        trace += after_match(stage, screen=9) + cpu_match(True, stage) + after_match(stage, p1_wins=2)
    steps, terminal = env_steps(rules, trace, 3)
    assert terminal
    stage_events = [(k, r) for k, _, r in kinds(rules) if k == "stage_done"]
    assert stage_events == [("stage_done", str(s)) for s in range(1, 11)]
    assert kinds(rules)[-1] == ("game_done", 0, "completed")
    assert rules.stages_cleared == 10
    assert np.sum(steps, axis=0).tolist() == [160.0 * 2 * 10]
    # the observation's stage follows VS_Index + 1
    rules = fresh(mode="vs_cpu")
    run(rules, cpu_match(True, 0) + after_match(0, p1_wins=2) + after_match(1))
    assert rules.stage == 2 and int(rules.observation()["stage"][0]) == 2
    info = rules.end_step()
    assert info["stage_done"] and not info["game_done"] and info["stages_cleared"] == 1


def test_vs_cpu_loss_is_game_over_unless_continue() -> None:
    rules = fresh(mode="vs_cpu")
    out = run(rules, cpu_match(False, 3) + after_match(3, screen=7))
    assert out[-1].terminal and ("game_done", 1, "lost") in kinds(rules)
    assert sum(o.rewards[0] for o in out) == -320.0
    rules = fresh(mode="vs_cpu", continue_game=True)
    out = run(rules, cpu_match(False, 3) + after_match(3, p2_wins=2) + after_match(3, screen=7, p2_wins=2))
    assert not any(o.terminal for o in out)
    assert [k for k, _, _ in kinds(rules)][-2:] == ["match_done", "continue_screen"]
    info = rules.end_step()
    assert info["continue_screen"] and info["continue_screen_start"] and rules.continues == 1
    run(rules, after_match(3, screen=2))
    assert not rules.end_step()["continue_screen"]


def test_vs_cpu_human_on_p2() -> None:
    rules = fresh(mode="vs_cpu", human_side=1)
    out = run(rules, ko_round(1, (0, 0)))
    assert totals(out).tolist() == [160.0]
    trace = [{**v, "p2_vs_index": 4} for v in ko_round(1, (0, 1))]
    run(rules, trace)
    assert ("stage_done", 1, "5") in kinds(rules)


@pytest.mark.parametrize("marker", [{"bonus": 21}, {"bonus": 22}, {"p2_char": 21}, {"p2_char": 22}])
def test_bonus_stage_no_rewards_and_flagged(marker: dict[str, int]) -> None:
    rules = fresh(mode="vs_cpu")
    before = cpu_match(True, 2) + after_match(2, p1_wins=2)
    # bonus stage: fighting flag set [DEC-bbbs], health and wins counters move, nothing is rewarded
    bonus = [fr(fighting=1, p1_vs_index=3, p1_health=h, p2_health=h2, p1_wins=w, **marker)
             for h, h2, w in ((160, 160, 0), (100, 50, 0), (-1, -1, 1), (160, 0, 2))]
    after = after_match(3, n=3) + [{**v, "p1_vs_index": 3} for v in ko_round(0, (0, 0))]
    out = run(rules, before)
    rules.end_step()
    b = run(rules, bonus)
    assert all(o.rewards == [0.0] for o in b)
    info = rules.end_step()
    assert info["bonus_stage"] and info["bonus_start"] and info["noop_override"] and rules.wants_noop
    a = run(rules, after)
    info = rules.end_step()
    assert info["bonus_end"] and not info["bonus_stage"] and not rules.wants_noop
    assert [k for k, _, _ in kinds(rules) if k.startswith("bonus")] == ["bonus_start", "bonus_end"]
    assert kinds(rules)[-1] == ("round_done", 0, "ko")  # the first round after the bonus is counted normally
    assert sum(o.rewards[0] for o in out + b + a) == 160.0 * 3
    reason = "car" if 21 in marker.values() else "ball"
    assert [e.reason for e in rules.history if e.kind == "bonus_start"] == [reason]


def test_bonus_play_mode_flags_but_does_not_override() -> None:
    rules = fresh(mode="vs_cpu", bonus="play")
    run(rules, [fr(bonus=21), fr(bonus=21, p2_health=10)])
    info = rules.end_step()
    assert info["bonus_stage"] and not info["noop_override"] and rules.damage == [0, 0]


def test_rules_options_are_validated() -> None:
    for kw in ({"mode": "arcade"}, {"human_side": 2}, {"rounds": 0}, {"matches": 0}, {"bonus": "maybe"},
               {"wins_to_win": 0}):
        with pytest.raises(ValueError):
            SF3Rules(**kw)


def test_rules_read_only_flow_vars() -> None:
    rules = SF3Rules()
    only_flow = [{k: v[k] for k in memory.FLOW_VARS} for v in full_match_trace()]
    rules.reset({k: BASE[k] for k in memory.FLOW_VARS})
    assert totals(run(rules, only_flow)).tolist() == totals(run(fresh(), full_match_trace())).tolist()


# --- observation -----------------------------------------------------------------------------------------------
def test_observation_space_and_values() -> None:
    values = fr(p1_health=-1, p2_health=120, p1_stun=30, p2_stunned=1, p1_super_bar=64, p2_super_count=2,
                p2_super_max=3, p1_super_art=2, timer=57, p1_wins=1, p2_char=16, p1_vs_index=4)
    obs = observation(values)
    assert observation_space().contains(obs)
    assert int(obs["P1"]["health"][0]) == 0 and int(obs["P2"]["health"][0]) == 120
    assert obs["P2"]["stunned"] == 1 and obs["P1"]["super_type"] == 2 and int(obs["P2"]["super_count"][0]) == 2
    assert int(obs["P1"]["stun_bar"][0]) == 30 and int(obs["P1"]["super_bar"][0]) == 64
    assert obs["P1"]["side"] == 0 and obs["P2"]["side"] == 1  # P1 x 300 < P2 x 500
    assert obs["P2"]["character"] == 16 and int(obs["P1"]["wins"][0]) == 1
    assert int(obs["timer"][0]) == 57 and int(obs["stage"][0]) == 5
    own = observation(values, perspective=1)
    assert observation_space(perspective=True).contains(own)
    assert int(own["own"]["health"][0]) == 120 and own["own"]["side"] == 1 and own["opp"]["side"] == 0
    # equal x: the facing flag decides (P1 facing left = standing on the right)
    tie = observation(fr(p1_x=400, p2_x=400, p1_facing=0, p2_facing=1))
    assert (tie["P1"]["side"], tie["P2"]["side"]) == (1, 0)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(memory.FRAME_VARS)), st.integers(-40000, 70000)))
def test_observation_of_garbage_ram_is_in_space(garbage: dict[str, int]) -> None:
    assert observation_space().contains(observation({**BASE, **garbage}))


# --- memory map: checked against the facts (tests/sf3_sources.py), not against memory.py's own numbers ----------
ALL_VARS: dict[str, Var] = {**memory.FRAME_VARS, **memory.SELECT_VARS, **memory.EXTRA_VARS}

#: memory.py's variable (p1_/p2_ stripped) -> the facts' row it reads (keys of sf3_sources.RAM)
FACT_OF: dict[str, str] = {
    # FRAME_VARS (FLOW_VARS + OBS_VARS)
    "health": "vital_new", "max_health": "Max_vitality", "fighting": "Allow_a_battle_f", "wins": "PL_Wins.low",
    "timer": "Counter_hi.low", "round": "Round_num", "char": "My_char", "bonus": "Bonus_Game_Flag",
    "phase": "C_No[0].low", "screen": "E_No[0].low", "vs_index": "VS_Index", "stun": "piyori_type.now.quantity.h",
    "stun_max": "genkai.low", "stunned": "piyori_type.flag", "super_bar": "super_arts.gauge.s.h.low",
    "super_bar_len": "gauge_len", "super_count": "store.low", "super_max": "store_max.low", "super_art": "Super_Arts",
    "x": "xyz[0].disp.pos", "facing": "rl_flag", "difficulty": "Game_setting.level",
    # SELECT_VARS
    "cursor_x": "Cursor_X.low", "cursor_y": "Cursor_Y", "select_state": "SP_No[i][0].low", "arts_y": "Arts_Y.low",
    "color": "Player_Color", "select_timer": "Select_Timer",
    # EXTRA_VARS
    "frame_counter": "system_timer", "game_state": "G_No[1].low", "pause": "Game_pause.low", "winner_id": "Winner_id",
    "loser_id": "Loser_id", "player_id": "Player_id", "com_id": "COM_id", "stage_id": "Battle_Country.low",
    "bonus_enabled": "Game_setting.bonus", "continue_count": "Continue_Count", "operator": "wu.operator",
    "y": "Y position", "random_ix": "Random_ix",
}
#: bytes per Var dtype
DTYPE_SIZE = {"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4}


def split(name: str) -> tuple[str, int | None]:
    """``p2_x`` -> ("x", 1) when both ``p1_x`` and ``p2_x`` exist; a single variable -> (name, None)."""
    for p in (0, 1):
        prefix = memory.pvar("", p)
        what = name[len(prefix):]
        if name.startswith(prefix) and memory.pvar(what, 1 - p) in ALL_VARS:
            return what, p
    return name, None


def pairs() -> dict[str, tuple[Var, Var]]:
    out = {}
    for name in ALL_VARS:
        what, p = split(name)
        if p is not None:
            out[what] = (ALL_VARS[memory.pvar(what, 0)], ALL_VARS[memory.pvar(what, 1)])
    return out


def test_var_groups_are_disjoint() -> None:
    groups = (memory.FLOW_VARS, memory.OBS_VARS, memory.SELECT_VARS, memory.EXTRA_VARS)
    assert sum(len(g) for g in groups) == len({n for g in groups for n in g})
    assert dict(memory.FRAME_VARS) == {**memory.FLOW_VARS, **memory.OBS_VARS}


@pytest.mark.parametrize("group", ["FRAME_VARS", "SELECT_VARS", "EXTRA_VARS"])
def test_memory_map_matches_the_facts_table(group: str) -> None:
    wrong = []
    for name, var in getattr(memory, group).items():
        what, player = split(name)
        assert what in FACT_OF, f"{name}: no facts row mapped to it (every variable is checked)"
        fact = src.RAM[FACT_OF[what]]
        want = fact.p2 if player == 1 else fact.p1
        if var.address != want or var.dtype not in fact.sizes:
            wrong.append(f"{name}: {var.address:#x} {var.dtype}, facts {FACT_OF[what]}: {want:#x} {fact.sizes}")
        assert (var.device, var.space) == (src.DEVICE, src.SPACE), name
        assert src.MAIN_RAM[0] <= var.address <= src.MAIN_RAM[1], name
    assert not wrong, "\n".join(wrong)


def test_per_player_pairs_follow_their_structure() -> None:
    assert src.P2_BASE - src.P1_BASE == src.PLAYER_STRIDE  # the transcription is self-consistent
    assert (memory.P1_BASE, memory.P2_BASE, memory.PLAYER_STRIDE) == (src.P1_BASE, src.P2_BASE, src.PLAYER_STRIDE)
    struct_of = {f: s for s in src.STRUCT_ARRAYS.values() for f in s.fields}
    found = pairs()
    assert {"health", "x", "wins", "char", "stun", "super_bar", "cursor_x", "color"} <= set(found)
    for what, (v1, v2) in found.items():
        key, size = FACT_OF[what], DTYPE_SIZE[v1.dtype]
        assert v1.dtype == v2.dtype, what
        if key in src.PLAYER_FIELDS:  # plw[i] field: same offset from each player's base
            offset = src.PLAYER_FIELDS[key]
            assert (v1.address, v2.address) == (src.P1_BASE + offset, src.P2_BASE + offset), what
            assert v2.address - v1.address == src.PLAYER_STRIDE, what
        elif key in src.ARRAYS:  # name[2]: one element apart; a narrower read is the element's low end
            a = src.ARRAYS[key]
            assert size <= a.size, what
            assert v1.address == a.base + a.size - size, what
            assert v2.address - v1.address == a.stride, what
        elif key in struct_of:  # struct_array[2]: the struct's stride apart, inside P1's entry
            s = struct_of[key]
            assert v2.address - v1.address == s.stride, what
            if s.base is not None:
                assert 0 <= v1.address - s.base <= s.stride - size, what
        else:
            pytest.fail(f"{what}: the sources give no structure for {key}")
    for s in src.STRUCT_ARRAYS.values():  # each struct's P1 fields lie inside one entry
        p1 = [src.RAM[f].p1 for f in s.fields]
        assert max(p1) - min(p1) < s.stride


def test_addresses_are_aligned_for_their_dtype() -> None:
    from mame_zoo.bridge.protocol import TYPES

    assert set(DTYPE_SIZE) == set(TYPES)  # every dtype a Var can have
    faces = [memory.face_var(y, x) for y in range(3) for x in range(7)]
    for name, var in [*ALL_VARS.items(), *(("face", f) for f in faces)]:
        # big-endian SH-2 [MAME-cur]: a u16/s16 at an even address, a u32/s32 at a multiple of 4
        assert var.address % DTYPE_SIZE[var.dtype] == 0, f"{name}: {var.dtype} at {var.address:#x}"


def test_face_table_layout() -> None:
    base, (rows, cols) = src.RAM["ID_of_Face"].p1, src.ID_OF_FACE_SHAPE
    assert base == memory.ID_OF_FACE
    for y in range(rows):
        for x in range(cols):  # ID_of_Face[Cursor_Y][Cursor_X], s8, row-major [DEC-wb], [DEC-sel]
            assert memory.face_var(y, x) == Var(base + y * cols + x, "s8", src.DEVICE, src.SPACE), (y, x)
    for bad in ((rows, 0), (0, cols), (-1, 0)):
        with pytest.raises(ValueError):
            memory.face_var(*bad)


def test_value_codes_match_the_sources() -> None:
    screens = {"char_select": memory.SCREEN_CHAR_SELECT, "in_match": memory.SCREEN_IN_MATCH,
               "continue": memory.SCREEN_CONTINUE}
    assert screens == {k: src.SCREEN[k] for k in screens}
    phases = {"round_running": memory.PHASE_ROUND_RUNNING, "match_ended": memory.PHASE_MATCH_ENDED}
    assert phases == {k: src.PHASE[k] for k in phases}
    assert memory.DEFAULT_MAX_HEALTH == src.MAX_HEALTH and tuple(memory.BONUS_CHAR_IDS) == src.BONUS_CHAR_IDS


# --- actions and controller ------------------------------------------------------------------------------------
def test_every_field_exists_in_the_facts_port_list() -> None:
    fields = {(port, name) for port, names in actions.PORT_FIELDS.items() for name in names}
    controller = SF3Controller((0, 1))
    assert set(controller.inputs) <= fields and len(controller.inputs) == 20
    for f in (actions.START1, actions.START2, actions.COIN1, actions.COIN2, actions.SERVICE1, actions.SERVICE_MODE):
        assert f in fields
    ops = characters.selection_ops(1, "Chun-Li", 3, 7)
    assert all(f in fields for op in ops if isinstance(op, (Hold, PressUntil)) for f in op.inputs)
    # the live driver check is tests/test_sf3_driver.py::test_every_input_the_env_uses_exists


def test_p1_and_p2_kick_ports() -> None:
    p1, p2 = actions.player_fields(0), actions.player_fields(1)
    assert p1["short"] == (":EXTRA", "P1 Short Kick") and p1["forward"] == (":EXTRA", "P1 Forward Kick")
    assert p1["roundhouse"] == (":EXTRA", "P1 Roundhouse Kick")
    assert p2["roundhouse"] == (":INPUTS", "P2 Roundhouse Kick")
    assert p2["short"] == (":EXTRA", "P2 Short Kick") and p2["forward"] == (":EXTRA", "P2 Forward Kick")
    for p, fields in ((1, p1), (2, p2)):
        for name in ("jab", "strong", "fierce", "up", "down", "left", "right"):
            assert fields[name][0] == ":INPUTS" and fields[name][1].startswith(f"P{p} ")


def pressed(values: Mapping[tuple[str, str], int]) -> set[tuple[str, str]]:
    return {f for f, v in values.items() if v}


def test_controller_multi_discrete_all_pairs() -> None:
    c = SF3Controller((0, 1))
    assert c.reset() == dict.fromkeys(c.inputs, 0)
    p1, p2 = actions.player_fields(0), actions.player_fields(1)
    for move in range(9):
        for attack in range(10):
            out = c.encode({"first_0": np.array([move, attack]), "second_0": (move, attack)})
            want = set(actions.MOVES[move][1] + actions.ATTACKS[attack][1])
            assert pressed(out) == {p1[k] for k in want} | {p2[k] for k in want}
    out = c.encode({"first_0": [6, 6]})  # absent second_0: nothing pressed for P2
    assert pressed(out) == {(":INPUTS", "P1 Down"), (":EXTRA", "P1 Roundhouse Kick")}
    out = c.encode({"second_0": [3, 7]})
    assert pressed(out) == {(":INPUTS", "P2 Up"), (":INPUTS", "P2 Right"), (":EXTRA", "P2 Short Kick"),
                            (":EXTRA", "P2 Forward Kick")}
    assert pressed(c.encode({"second_0": [8, 6]})) == {(":INPUTS", "P2 Roundhouse Kick")}
    assert pressed(c.encode({"first_0": [8, 9], "second_0": None})) == set()


def test_discrete_and_combined_schemes() -> None:
    assert action_space("multi_discrete").nvec.tolist() == [9, 10]
    assert action_space("discrete").n == 18 and action_space("combined").n == 90
    assert decode(0, "discrete") == (8, 9)
    assert [decode(a, "discrete") for a in range(1, 9)] == [(m, 9) for m in range(8)]
    assert [decode(a, "discrete") for a in range(9, 18)] == [(8, k) for k in range(9)]
    assert {decode(a, "combined") for a in range(90)} == {(m, k) for m in range(9) for k in range(10)}
    assert decode(actions.noop_action("combined"), "combined") == (8, 9)
    assert len(actions.action_meanings("discrete")) == 18 and len(actions.action_meanings("combined")) == 90
    c = SF3Controller((1,), scheme="discrete")  # one agent on P2 (vs CPU)
    assert c.agents == ("first_0",)
    assert pressed(c.encode({"first_0": 15})) == {(":INPUTS", "P2 Roundhouse Kick")}
    assert pressed(c.encode({"first_0": np.int64(5)})) == {(":INPUTS", "P2 Right")}
    for bad, scheme in ((18, "discrete"), (-1, "discrete"), (1.5, "combined"), ([9, 0], "multi_discrete"),
                        ([0, 10], "multi_discrete"), (3, "multi_discrete"), (True, "discrete")):
        with pytest.raises(InvalidAction):
            decode(bad, scheme)
    with pytest.raises(ValueError):
        SF3Controller((0, 0))
    with pytest.raises(ValueError):
        action_space("box")


# --- characters ------------------------------------------------------------------------------------------------
def test_character_lookup_and_errors() -> None:
    assert characters.character("akuma").id == 14 and characters.character("GOUKI").id == 14
    assert characters.character("chun li").id == 16 and characters.character("Chun-Li").id == 16
    assert characters.character("twelve").id == 19 and characters.character("q").id == 18
    assert characters.character(11).name == "Ken"
    with pytest.raises(InvalidGameSpec, match=r"Ryu.*Ken|Ken.*Ryu") as err:
        characters.character("Guile")
    assert all(name in str(err.value) for name in characters.character_names())
    assert isinstance(err.value, ValueError)
    with pytest.raises(InvalidGameSpec, match=r"ids are 0\.\.20"):
        characters.character(21)
    with pytest.raises(InvalidGameSpec, match=r"not on the select grid.*Alex"):
        characters.selection_ops(0, "Gill")
    assert characters.super_art("III") == 3 and characters.super_art("sa2") == 2 and characters.super_art(1) == 1
    with pytest.raises(InvalidGameSpec, match="1, 2, 3"):
        characters.super_art(4)
    with pytest.raises(InvalidGameSpec, match="1, 2, 3"):
        characters.selection_ops(0, "Ryu", art="IV")
    assert characters.outfit("7") == 7
    with pytest.raises(InvalidGameSpec, match="1, 2, 3, 4, 5, 6, 7"):
        characters.outfit(0)
    with pytest.raises(InvalidGameSpec, match="1, 2, 3, 4, 5, 6, 7"):
        characters.selection_ops(0, "Ryu", colour=8)


def test_grid_ring_is_diambra_order() -> None:
    ring_ids = [characters.GRID[cell].diambra for cell in characters.RIGHT_RING]
    assert ring_ids == list(range(19))  # DIAMBRA's list is the RIGHT walk (facts §2.1 cross-check)
    assert len(characters.GRID) == 19 and set(characters.GRID) == set(characters.RIGHT_RING)
    assert characters.move_cursor((1, 6), "right") == (1, 0)  # Yun -> Yang
    assert characters.move_cursor((2, 0), "right") == (0, 1)  # Ken -> Alex
    assert characters.move_cursor((0, 1), "left") == (2, 0)  # Alex -> Ken (MAMEToolkit's 1×LEFT if on Alex)
    assert characters.move_cursor((0, 6), "up") == (0, 1) and characters.move_cursor((2, 0), "down") == (2, 5)


def test_model_grid_matches_the_sources_cell_by_cell() -> None:
    model = {cell: c.id for cell, c in characters.GRID.items()}
    for y in range(3):
        for x in range(7):
            assert model.get((y, x)) == src.SELECT_GRID.get((y, x)), f"cell (Cursor_Y {y}, Cursor_X {x})"
    # the sources' rules reproduce the sources' own RIGHT trace (checks the transcription)
    cell, walk = (0, 1), []
    for _ in src.RIGHT_WALK:
        walk.append(src.CHARACTER_NAMES[src.SELECT_GRID[cell]][0])
        cell = src.move(cell, "right")
    assert tuple(walk) == src.RIGHT_WALK and cell == (0, 1)
    opposite = {"up": "down", "down": "up", "left": "right", "right": "left"}
    for cell in src.SELECT_GRID:
        for d in opposite:
            assert characters.move_cursor(cell, d) == src.move(cell, d), (cell, d)
            assert src.move(src.move(cell, d), opposite[d]) == cell


def test_model_ids_match_the_sources() -> None:
    for char_id, names in src.CHARACTER_NAMES.items():
        for name in names:
            assert characters.character(name).id == char_id, name
        assert characters.character(char_id).name in names
    assert {c.id for c in characters.SELECTABLE} == set(src.SELECT_GRID.values())


class FakeSelectScreen:
    """One player's select screen as the sources describe it, independent of the model in ``characters``.

    RAM answers at the facts' addresses (``sf3_sources.RAM``), the face table is the sources' grid, the cursor
    moves by ``sf3_sources.move`` ([DEC-sel] §2.2: a press moves once, a held direction again every 5 frames),
    inputs are read by the sources' MAME field names. Start ops run with the env's semantics
    (``MameParallelEnv._run_ops``): Hold presses for its frames; PressUntil reads, stops on a match, else
    presses ``press`` frames and releases ``release`` frames; it fails after ``max_presses``.
    """

    INTRO_FRAMES, SA_INTRO_FRAMES = 30, 10  # not in the sources; any length will do

    def __init__(self, player: int, cell: tuple[int, int], arts_y: int = 0,
                 faces: Mapping[tuple[int, int], int] | None = None) -> None:
        assert src.valid(cell)
        self.player, self.cell, self.arts_y = player, cell, arts_y  # Arts_Y starts at the last SA used [DEC-sel]
        self.state, self.timer = src.SELECT_STATE["intro"], 0
        self.color = self.super_art = -1
        self.faces = dict(src.SELECT_GRID if faces is None else faces)
        self.controls = src.player_inputs(player)
        self.held_for = dict.fromkeys(self.controls, 0)  # frames each control has been held

    def read(self, var: Var) -> int:
        registers = {"Cursor_Y": self.cell[0], "Cursor_X.low": self.cell[1], "Arts_Y.low": self.arts_y,
                     "SP_No[i][0].low": self.state, "Player_Color": self.color}
        for key, value in registers.items():
            fact = src.RAM[key]
            if var.address == (fact.p1 if self.player == 0 else fact.p2):
                assert var.dtype in fact.sizes, (key, var.dtype)
                return value
        offset = var.address - src.RAM["ID_of_Face"].p1
        rows, cols = src.ID_OF_FACE_SHAPE
        if 0 <= offset < rows * cols and var.dtype == "s8":
            return self.faces.get(divmod(offset, cols), -1)  # what the 2 empty cells hold is not in the sources
        raise AssertionError(f"the sources list no select-screen RAM at {var.address:#x} ({var.dtype})")

    def frame(self, inputs: Mapping[tuple[str, str], int]) -> None:
        foreign = {f for f, v in inputs.items() if v} - set(self.controls.values())
        assert not foreign, f"P{self.player + 1} pressed fields the sources do not give it: {foreign}"
        for c, f in self.controls.items():
            self.held_for[c] = self.held_for[c] + 1 if inputs.get(f) else 0
        moves = [d for d in ("up", "down", "left", "right") if self.held_for[d] % src.CURSOR_REPEAT == 1]
        new_buttons = [b for b in src.BUTTONS if self.held_for[b] == 1]
        held_buttons = frozenset(b for b in src.BUTTONS if self.held_for[b])
        s = src.SELECT_STATE
        self.timer += 1
        if self.state == s["intro"] and self.timer >= self.INTRO_FRAMES:
            self.state, self.timer = s["picking_char"], 0
        elif self.state == s["picking_char"]:
            for d in moves:
                self.cell = src.move(self.cell, d)
            if new_buttons:  # any button confirms; the button(s) pick the colour [DEC-sel]
                assert held_buttons in src.COLOR_OF_BUTTONS, held_buttons
                self.color = src.COLOR_OF_BUTTONS[held_buttons]
                self.state, self.timer = s["sa_intro"], 0
        elif self.state == s["sa_intro"] and self.timer >= self.SA_INTRO_FRAMES:
            self.state, self.timer = s["picking_sa"], 0
        elif self.state == s["picking_sa"]:
            for d in moves:  # DOWN +1, UP -1, wrapping over the three arts [DEC-sel] Sel_Arts_Sub
                step = {"down": 1, "up": -1}.get(d, 0)
                self.arts_y = (self.arts_y + step) % src.N_SUPER_ARTS
            if new_buttons:
                self.super_art, self.state = self.arts_y, s["locked"]

    def run(self, ops: Sequence[Any]) -> None:
        for op in ops:
            if isinstance(op, Hold):
                for _ in range(op.frames):
                    self.frame(op.inputs)
            elif isinstance(op, PressUntil):
                for _ in range(op.max_presses):
                    value = self.read(op.var)
                    if (bcd(value) if op.decode_bcd else value) == op.value:
                        break
                    for _ in range(op.press):
                        self.frame(op.inputs)
                    for _ in range(op.release):
                        self.frame({})
                else:
                    raise InvalidGameSpec("never reached")
            elif isinstance(op, Wait):
                for _ in range(op.frames):
                    self.frame({})
            else:
                raise AssertionError(f"unexpected start op {op!r}")


@pytest.mark.parametrize("player", [0, 1])
def test_selection_reaches_every_character_from_every_start_cell(player: int) -> None:
    for target_cell, target in src.SELECT_GRID.items():
        for start in src.SELECT_GRID:
            for art in (1, 2, 3):
                colour = 7 if art == 3 else art
                screen = FakeSelectScreen(player, start, arts_y=start[1] % 3)
                screen.run(characters.selection_ops(player, target, art, colour))
                assert screen.cell == target_cell and screen.faces[screen.cell] == target
                assert screen.state == src.SELECT_STATE["locked"] and screen.super_art == art - 1
                assert screen.color == colour - 1  # outfit n = Player_Color n - 1
    for colour in range(1, 8):  # every outfit's button(s) [DEC-sel]
        screen = FakeSelectScreen(player, (1, 3))
        screen.run(characters.selection_ops(player, "Ryu", 2, colour))
        assert screen.color == colour - 1 and screen.state == src.SELECT_STATE["locked"]


def test_selection_fails_loudly_when_face_table_disagrees() -> None:
    screen = FakeSelectScreen(0, (0, 1), faces=dict.fromkeys(src.SELECT_GRID, 99))
    with pytest.raises(InvalidGameSpec):
        screen.run(characters.selection_ops(0, "Ryu"))
    screen = FakeSelectScreen(0, (0, 1))  # the same ops pass when it agrees
    screen.run(characters.selection_ops(0, "Ryu"))
    assert screen.state == src.SELECT_STATE["locked"]


def test_cursor_direction_shortest_path() -> None:
    assert characters.cursor_direction((0, 1), "Twelve") == "right"
    assert characters.cursor_direction((0, 1), "Ken") == "left"
    assert characters.cursor_direction((2, 5), "Ryu") is None
    for start in characters.RIGHT_RING:
        for target in characters.SELECTABLE:
            cell, steps = start, 0
            while (d := characters.cursor_direction(cell, target)) is not None:
                cell, steps = characters.move_cursor(cell, d), steps + 1
            assert characters.GRID[cell] == target and steps <= 9


def ram(**kw: int) -> dict[str, int]:
    """One frame of FRAME_VARS values from the sources: mid-round, both at full health, timer at its start."""
    values = dict.fromkeys(memory.FRAME_VARS, 0)
    values.update(p1_health=src.MAX_HEALTH, p2_health=src.MAX_HEALTH, max_health=src.MAX_HEALTH, fighting=1,
                  timer=src.TIMER_START, phase=src.PHASE["round_running"], screen=src.SCREEN["in_match"],
                  p1_char=11, p2_char=2)  # Ken vs Ryu [GF-fd]
    assert set(kw) <= set(values), set(kw) - set(values)
    return {**values, **kw}


def lost_match(human: int) -> tuple[list[dict[str, int]], list[dict[str, int]], list[dict[str, int]]]:
    """A 1P match the CPU wins 2-0 by KO, then the continue screen, then character select (RAM per the sources)."""
    hp, wins = memory.pvar("health", human), memory.pvar("wins", 1 - human)
    match: list[dict[str, int]] = []
    for won in range(src.WINS_PER_MATCH):
        match += [ram(**{wins: won, hp: h}) for h in (src.MAX_HEALTH, 80, 20, src.KO_HEALTH)]  # KO reads -1
        match += [ram(**{wins: won, hp: src.KO_HEALTH}, fighting=0)] * 3  # Allow_a_battle_f drops
        match += [ram(**{wins: won + 1, hp: src.KO_HEALTH}, fighting=0)] * 3  # PL_Wins rises
        match += [ram(**{wins: won + 1}, fighting=0)] * 3  # refill between rounds
    match += [ram(**{wins: src.WINS_PER_MATCH}, fighting=0, phase=src.PHASE["match_ended"])] * 10
    after = {wins: src.WINS_PER_MATCH, "fighting": 0, "phase": src.PHASE["match_ended"]}
    continuing = [ram(**after, screen=src.SCREEN["continue"])] * 64
    select = [ram(**after, screen=src.SCREEN["char_select"])] * 10
    return match, continuing, select


def forced(rules: SF3Rules, trace: Sequence[Mapping[str, int]]) -> list[set[tuple[str, str]]]:
    """The inputs ``forced_inputs()`` presses after each frame, as the env asks between frames."""
    out = []
    for values in trace:
        rules.frame(values)
        out.append({f for f, v in rules.forced_inputs().items() if v})
    return out


@pytest.mark.parametrize("continue_game", [True, False])
@pytest.mark.parametrize("human", [0, 1])
def test_continue_screen_presses_coin_and_start_only_when_continuing(human: int, continue_game: bool) -> None:
    match, continuing, select = lost_match(human)
    rules = SF3Rules("vs_cpu", human_side=human, continue_game=continue_game)
    rules.reset(match[0])
    assert not {f for f, v in rules.forced_inputs().items() if v}
    assert not any(forced(rules, match))  # nothing while the match runs or right after it
    assert ("match_done", 1 - human, "") in kinds(rules)
    on = forced(rules, continuing)
    if continue_game:
        coin, start = src.COIN[human], src.START[human]  # the human side's own coin slot and Start [MAME-cur]
        assert not rules.done
        assert set().union(*on) == {coin, start}
        coin_at = [i for i, p in enumerate(on) if coin in p]
        start_at = [i for i, p in enumerate(on) if start in p]
        assert coin_at and start_at and max(start_at) > min(coin_at)  # a Start after a coin
        assert any(coin not in p for p in on[coin_at[0]:])  # released: each press registers
    else:
        assert rules.done and ("game_done", 1 - human, "lost") in kinds(rules)
        assert not any(on)
    assert not any(forced(rules, select))  # off the continue screen: nothing

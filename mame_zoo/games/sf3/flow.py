"""SF3 rewards and match flow: a :class:`~mame_zoo.env.Rules` over the per-frame RAM values of :mod:`.memory`.

The env calls :meth:`SF3Rules.frame` once per emulated frame (also for frames a frameskip hides), so
rewards of a step are the sum over its frames and the state machine never misses a transition.

**Reward** (per player, zero-sum): damage dealt − damage taken, in health points (or fractions of the max
health with ``normalize=True``). Health is read as s16 and mapped into ``[0, Max_vitality]`` (the KO /
transition sentinel −1 or 0xFF counts as 0) [DIA-doc], [IDX-llm]. Only *decreases* count, and only

* while the fighting flag ``Allow_a_battle_f`` (0x02011389) is set, or on the frame it drops [MTK-env], [DEC-wb],
* and while the round is not yet decided (a KO or the flag dropping decides it; the timer reaching 0 does not,
  so a hit landing while the flag is still up after time runs out is counted, as the game counts it),
* never during a bonus stage (the flag is set there too [DEC-bbbs]).

So the refills and −1 readings between rounds never give rewards. If a round is won by KO (a wins counter
rises while the timer had not run out) but the loser still had health at the last counted frame (the last
hit landed after the flag dropped), that remaining health is charged to the loser then: a KO always costs
the loser all its health.

**Round / match / stage / game** (events, see :class:`Event`):

* ``round_done``: a wins counter (0x02011383/85) rises: its side won (both rise: a shared round, double
  KO or drawn time-over). Reason ``"ko"``, ``"time"`` (timer read 0 with both standing; which side the game
  credits, normally the higher health, is taken from the wins counters, not recomputed) or ``"double_ko"``.
  A decided round (KO/time) followed by the next round without any wins change is a ``"draw"`` (winner None).
* ``match_done``: a side reaches ``wins_to_win`` round wins (2 by default, best of 3 [MTK-env], [DIA-json]).
* vs-CPU (``mode="vs_cpu"``): the human winning the match is ``stage_done``; winning stage 10 (Gill) is
  ``game_done`` (``"completed"``); losing is ``game_done`` (``"lost"``) unless ``continue_game``, in which case
  the episode goes on through the continue screen (screen state 7 per effie [EF-mem], flagged
  ``continue_screen``; the env must insert a coin and press Start there).
* versus (``mode="versus"``): the episode ends after ``matches`` matches (``game_done``, ``"matches"``).
* ``rounds=N`` (any mode): the episode ends after N rounds; ``rounds=1`` is one round per episode.
* Bonus stages (``Bonus_Game_Flag`` 0x02016B3A ≠ 0 or a char id 21/22 [DEC-next], [DEC-bbbs]) give no rewards
  and no round events; ``bonus_start``/``bonus_end`` events and the ``bonus_stage`` info flag mark them.
  With ``bonus="skip"`` :attr:`SF3Rules.wants_noop` is true during them: the env should send no-ops.

Results are read by the integrator, after each step, with :meth:`SF3Rules.end_step` (an info dict; it also
clears the step's events) and the observation with :meth:`SF3Rules.observation`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mame_zoo.core.game import Rules
from mame_zoo.core.ops import FrameOutcome
from mame_zoo.errors import InvalidOption
from mame_zoo.games.sf3.memory import BONUS_CHAR_IDS, SCREEN_CONTINUE, pvar
from mame_zoo.games.sf3.observation import health, max_health, observation

MODES = ("versus", "vs_cpu")
BONUS_MODES = ("skip", "play")
FINAL_STAGE = 10  # 8 regular fights, the rival, Gill [WHP], [MTK-readme], [DIA-json]
EVENT_KINDS = ("round_done", "match_done", "stage_done", "game_done", "bonus_start", "bonus_end",
               "continue_screen")


@dataclass(frozen=True)
class Event:
    """Something that happened on frame ``frame`` (counted from the episode's reset, the first frame is 1).

    ``winner``: 0 (P1), 1 (P2) or None (draw / not applicable). ``reason``: ``ko``, ``time``, ``double_ko``,
    ``draw`` for rounds; the stage number (``"1"``..``"10"``) for stage_done; ``completed``, ``lost``, ``rounds``,
    ``matches`` for game_done; the bonus type (``car``, ``ball``) for bonus events.
    """

    kind: str
    frame: int
    winner: int | None = None
    reason: str = ""


def is_bonus(values: Mapping[str, int]) -> bool:
    """Whether a bonus stage runs: ``Bonus_Game_Flag`` ≠ 0 or a side's char id is 21/22 [DEC-next], [DEC-bbbs]."""
    return int(values.get("bonus", 0)) != 0 or any(
        int(values.get(pvar("char", p), 0)) in BONUS_CHAR_IDS for p in (0, 1))


def _bonus_kind(values: Mapping[str, int]) -> str:
    ids = {int(values.get("bonus", 0))} | {int(values.get(pvar("char", p), 0)) for p in (0, 1)}
    return "car" if 21 in ids else "ball" if 22 in ids else "bonus"


class SF3Rules(Rules):
    """Rewards and match flow of SF3 from per-frame RAM values (:data:`~.memory.FLOW_VARS` names).

    Args:
        mode: ``"versus"`` (two agents, P1 and P2; rewards ``[r, -r]``) or ``"vs_cpu"`` (one agent on
            ``human_side`` against the CPU; rewards ``[r]``).
        human_side: 0 (P1) or 1 (P2), the agent's side in vs-CPU mode.
        rounds: end the episode after this many rounds (None: no round limit).
        matches: versus mode: end the episode after this many matches.
        wins_to_win: round wins that take a match (2 = best of 3; change it if the test menu's round
            setting was changed).
        continue_game: vs-CPU: a lost match does not end the episode (the env continues the game).
        bonus: ``"skip"`` (the env sends no-ops during bonus stages, see :attr:`wants_noop`) or ``"play"``.
            Either way a bonus stage gives no reward.
        final_stage: the stage whose win completes the game.
        normalize: divide rewards by the max health (so a perfect round is worth 1).

    Attributes read by the integrator (all documented below): :attr:`events`, :attr:`done`, :attr:`stage`,
    :attr:`wants_noop`, :meth:`info`, :meth:`end_step`, :meth:`observation`.
    """

    def __init__(self, mode: str = "versus", *, human_side: int = 0, rounds: int | None = None, matches: int = 1,
                 wins_to_win: int = 2, continue_game: bool = False, bonus: str = "skip",
                 final_stage: int = FINAL_STAGE, normalize: bool = False) -> None:
        if mode not in MODES:
            raise InvalidOption(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if human_side not in (0, 1):
            raise InvalidOption(f"human_side must be 0 (P1) or 1 (P2), got {human_side!r}")
        for name, value in (("matches", matches), ("wins_to_win", wins_to_win), ("final_stage", final_stage)):
            if not isinstance(value, int) or value < 1:
                raise InvalidOption(f"{name} must be an int >= 1, got {value!r}")
        if rounds is not None and (not isinstance(rounds, int) or rounds < 1):
            raise InvalidOption(f"rounds must be None or an int >= 1, got {rounds!r}")
        if bonus not in BONUS_MODES:
            raise InvalidOption(f"bonus must be one of {', '.join(BONUS_MODES)}, got {bonus!r}")
        self.mode, self.human_side, self.rounds, self.matches = mode, human_side, rounds, matches
        self.wins_to_win, self.continue_game, self.bonus = wins_to_win, continue_game, bonus
        self.final_stage, self.normalize = final_stage, normalize
        self.reset({})

    # --- state ------------------------------------------------------------------------------------------
    def reset(self, values: Mapping[str, int]) -> None:
        """Start an episode; ``values`` (the frame before the first step) is the baseline, never rewarded."""
        mx = max_health(values)
        #: frames seen since reset
        self.t = 0
        #: events since the last :meth:`end_step` (or reset)
        self.events: list[Event] = []
        #: every event of the episode
        self.history: list[Event] = []
        #: the episode is over (terminal was returned)
        self.done = False
        self.health = [health(values.get(pvar("health", p), mx), mx) for p in (0, 1)]
        self.max_health = mx
        self.live_health = list(self.health)  # health at the last counted frame
        self.live_timer = int(values.get("timer", 0))
        self.timer_seen = self.live_timer > 0  # the timer was positive while this round was live
        self.live = bool(values.get("fighting", 0)) and not is_bonus(values)
        self.decided: str | None = None  # why the current round stopped counting: "ko" or "flag" (dropped)
        self.closed = False  # a round_done was emitted for the current round
        self.wins = [int(values.get(pvar("wins", p), 0)) for p in (0, 1)]
        self.in_bonus = is_bonus(values)
        self.on_continue = int(values.get("screen", -1)) == SCREEN_CONTINUE
        #: damage taken by P1 and P2 in the episode (health points)
        self.damage = [0, 0]
        #: rounds / matches finished, stages cleared (vs-CPU), continue screens seen
        self.rounds_done = self.matches_done = self.stages_cleared = self.continues = 0
        self.last_values: Mapping[str, int] = dict(values)

    @property
    def n_agents(self) -> int:
        """1 in vs-CPU mode, 2 in versus mode."""
        return 1 if self.mode == "vs_cpu" else 2

    @property
    def wants_noop(self) -> bool:  # type: ignore[override]  # a read-only view of Rules.wants_noop
        """True while the env should override the agents with no-ops (a bonus stage with ``bonus="skip"``)."""
        return self.in_bonus and self.bonus == "skip"

    def forced_inputs(self) -> dict[tuple[str, str], int]:
        """Inputs the env presses whatever the agents do: on the continue screen with ``continue_game``, a coin
        and Start for the human's side, alternating by frame so each press registers."""
        if not (self.on_continue and self.continue_game and self.mode == "vs_cpu"):
            return {}
        from mame_zoo.games.sf3.actions import COIN1, COIN2, START1, START2

        coin, start = (COIN1, START1) if self.human_side == 0 else (COIN2, START2)
        return {coin: 1, start: 0} if (self.t // 8) % 2 == 0 else {coin: 0, start: 1}

    @property
    def stage(self) -> int:
        """Current arcade stage 1..10: from ``VS_Index`` in vs-CPU mode [DEC-wb]; in versus mode matches + 1."""
        if self.mode == "vs_cpu":
            ram = int(self.last_values.get(pvar("vs_index", self.human_side), -1))
            return ram + 1 if 0 <= ram < self.final_stage else min(self.stages_cleared + 1, self.final_stage)
        return self.matches_done + 1

    def _emit(self, kind: str, winner: int | None = None, reason: str = "") -> None:
        event = Event(kind, self.t, winner, reason)
        self.events.append(event)
        self.history.append(event)

    # --- one frame ----------------------------------------------------------------------------------------
    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """Rewards (per agent) and terminal flag after one emulated frame with variable ``values``."""
        self.t += 1
        mx = max_health(values)
        self.max_health = mx
        cur = [health(values[pvar("health", p)], mx) for p in (0, 1)]
        taken = [0, 0]
        bonus = is_bonus(values)
        if bonus != self.in_bonus:
            self._emit("bonus_start" if bonus else "bonus_end",
                       reason=_bonus_kind(values if bonus else self.last_values))
            self.in_bonus = bonus
        self.last_values = values
        wins = [int(values[pvar("wins", p)]) for p in (0, 1)]
        if bonus:  # no fight: re-baseline everything, no reward, no round events
            self.health, self.wins, self.live, self.decided = cur, wins, False, None
            self._screens(values)
            return self._outcome(taken, mx)

        live = bool(values["fighting"])
        timer = int(values["timer"])
        if live and not self.live:  # the flag rises: a new round, or a resume after a spurious drop
            if (self.decided == "ko" or self._time_over) and not self.closed:
                self._round_done(None, "draw", taken)  # decided, next round starts, nobody scored
            self.decided, self.closed = None, False
            self.live_health = list(cur)
            self.timer_seen = timer > 0
        counting = (live or self.live) and self.decided is None
        if counting:
            for p in (0, 1):
                taken[p] = max(0, self.health[p] - cur[p])
            self.live_health, self.live_timer = list(cur), timer
            self.timer_seen = self.timer_seen or timer > 0
            if any(taken[p] and cur[p] == 0 for p in (0, 1)):
                self.decided = "ko"
            elif not live:  # the timer reaching 0 does not stop counting: only the flag drop does
                self.decided = "flag"
        self.health, self.live = cur, live

        rose = [wins[p] > self.wins[p] for p in (0, 1)]
        self.wins = wins  # a fall is a new match: re-baseline silently
        if any(rose):
            self._round_won(rose, taken)
        self._screens(values)
        return self._outcome(taken, mx)

    @property
    def _time_over(self) -> bool:
        """The current round ran out of time: the timer read 0 at the last counted frame, after being positive."""
        return self.live_timer == 0 and self.timer_seen and self.decided != "ko"

    def _round_won(self, rose: list[bool], taken: list[int]) -> None:
        time_over = self._time_over and min(self.live_health) > 0
        if all(rose):
            winner, reason = None, ("time" if time_over else "double_ko")
            losers = [0, 1]
        else:
            winner = 0 if rose[0] else 1
            reason, losers = ("time" if time_over else "ko"), [1 - winner]
        if not time_over:  # a KO costs the loser all its remaining health (hits after the flag dropped)
            for p in losers:
                taken[p] += self.live_health[p]
                self.live_health[p] = 0
        self.decided = self.decided or "flag"
        self._round_done(winner, reason, taken)
        reached = [w >= self.wins_to_win for w in self.wins]
        if any(reached):
            self._match_done(None if all(reached) else reached.index(True))

    def _round_done(self, winner: int | None, reason: str, taken: list[int]) -> None:
        self.closed = True
        self.rounds_done += 1
        self._emit("round_done", winner, reason)
        if self.rounds is not None and self.rounds_done >= self.rounds:
            self._game_done(winner, "rounds")

    def _match_done(self, winner: int | None) -> None:
        self.matches_done += 1
        self._emit("match_done", winner)
        if self.mode == "versus":
            if self.matches_done >= self.matches:
                self._game_done(winner, "matches")
            return
        if winner == self.human_side:
            stage = self.stage
            self.stages_cleared += 1
            self._emit("stage_done", winner, str(stage))
            if stage >= self.final_stage:
                self._game_done(winner, "completed")
        elif not self.continue_game:
            self._game_done(winner, "lost")

    def _game_done(self, winner: int | None, reason: str) -> None:
        if not self.done:
            self.done = True
            self._emit("game_done", winner, reason)

    def _screens(self, values: Mapping[str, int]) -> None:
        on = int(values.get("screen", -1)) == SCREEN_CONTINUE
        if on and not self.on_continue:
            self.continues += 1
            self._emit("continue_screen")
        self.on_continue = on

    def _outcome(self, taken: list[int], mx: int) -> FrameOutcome:
        self.damage = [self.damage[p] + taken[p] for p in (0, 1)]
        r = float(taken[1] - taken[0])  # P1: dealt (P2's loss) - taken
        if self.normalize:
            r /= mx
        if self.mode == "versus":
            return FrameOutcome([r, -r], self.done)
        return FrameOutcome([r if self.human_side == 0 else -r], self.done)

    # --- what the integrator reads ------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        """The state after the last frame, with flags for the events since the last :meth:`end_step`.

        Keys: ``round_done``, ``match_done``, ``stage_done``, ``game_done``, ``continue_screen_start``,
        ``bonus_start``, ``bonus_end`` (bools: such an event happened in this step); ``round_winner``,
        ``match_winner`` (0/1/None, of the step's last such event); ``episode_over``; ``wins`` (P1, P2 RAM
        counters); ``health`` (P1, P2 in [0, max]); ``max_health``; ``timer``; ``fighting``; ``stage``;
        ``rounds_done``; ``matches_done``; ``stages_cleared``; ``continues``; ``bonus_stage``;
        ``continue_screen``; ``noop_override`` (= :attr:`wants_noop`); ``damage_taken`` (P1, P2 episode totals);
        ``frame``; ``events`` (the step's events as dicts).
        """
        kinds = {e.kind for e in self.events}

        def last_winner(kind: str) -> int | None:
            found = [e.winner for e in self.events if e.kind == kind]
            return found[-1] if found else None

        v = self.last_values
        return {
            "round_done": "round_done" in kinds, "match_done": "match_done" in kinds,
            "stage_done": "stage_done" in kinds, "game_done": "game_done" in kinds,
            "continue_screen_start": "continue_screen" in kinds, "bonus_start": "bonus_start" in kinds,
            "bonus_end": "bonus_end" in kinds,
            "round_winner": last_winner("round_done"), "match_winner": last_winner("match_done"),
            "episode_over": self.done, "wins": tuple(self.wins), "health": tuple(self.health),
            "max_health": self.max_health, "timer": int(v.get("timer", 0)), "fighting": self.live,
            "stage": self.stage, "rounds_done": self.rounds_done, "matches_done": self.matches_done,
            "stages_cleared": self.stages_cleared, "continues": self.continues, "bonus_stage": self.in_bonus,
            "continue_screen": self.on_continue, "noop_override": self.wants_noop,
            "damage_taken": tuple(self.damage), "frame": self.t, "events": [asdict(e) for e in self.events],
        }

    def end_step(self) -> dict[str, Any]:
        """:meth:`info`, then forget the step's events; call once after the frames of each env step."""
        out = self.info()
        self.events = []
        return out

    def observation(self, perspective: int | None = None) -> dict[str, Any]:
        """The RAM-state observation of the last frame (:func:`.observation.observation`; stage as :attr:`stage`)."""
        return observation(self.last_values, perspective, human_side=self.human_side, stage=self.stage)


__all__ = ["BONUS_MODES", "EVENT_KINDS", "FINAL_STAGE", "MODES", "Event", "SF3Rules", "is_bonus"]

"""The SF3 game class: the pure-logic layer (memory, characters, actions, flow) wired to the framework.

The game file ``mame_zoo/games/data/sfiii3n.toml`` declares the game (identity, docs, machine, screen) and names
:class:`SF3Game` for what its settings change: agents, start sequence, actions, rules and the RAM-state
observation. ``mame_zoo.games.sfiii3n_v0.GAME`` is the file's game with the default settings.

Versus (``mode="versus"``): ``first_0`` plays P1 and ``second_0`` plays P2, both human-controlled from boot
(coins, both Start buttons, character select for both). Vs CPU (``mode="vs_cpu"``): one agent climbs the
arcade ladder against the game's CPU on ``side``. The start sequences follow the community sources
(``docs/sf3.md``, game flow); they are driven by RAM where the sources name the variables, and **have not been
run on the real ROM** by the developers (it cannot be shipped): check them with your own romset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium

from mame_zoo.core.game import Controller, Rules
from mame_zoo.core.ops import Hold, PressUntil, StartOp, Var, Wait, Write
from mame_zoo.declarative import DeclarativeGame
from mame_zoo.errors import InvalidOption
from mame_zoo.games.sf3.actions import (
    COIN1,
    COIN2,
    START1,
    START2,
    SF3Controller,
    action_meanings,
    action_space,
    noop_action,
)
from mame_zoo.games.sf3.characters import outfit, selectable_character, selection_ops, super_art
from mame_zoo.games.sf3.flow import BONUS_MODES, SF3Rules
from mame_zoo.games.sf3.memory import FLOW_VARS, FRAME_VARS
from mame_zoo.games.sf3.observation import observation_space

BOOT_FRAMES = 900  # power-on to attract mode; no public figure exists (docs/sf3.md §5), so be generous
FIGHT_WAIT = 3000  # polls (2 frames each) for the fight to start after the last selection


@dataclass(frozen=True)
class SF3Game(DeclarativeGame):
    """Street Fighter III 3rd Strike on MAME (``sfiii3n``), versus or against the CPU.

    Built from its game file (``sfiii3n_v0.GAME``); settings are fields, set with the env factories' keywords or
    ``dataclasses.replace(GAME, characters=(...))``.

    Args:
        mode: ``"versus"`` (two agents) or ``"vs_cpu"`` (one agent, the arcade ladder).
        characters: character names, P1 then P2 (vs CPU: only the agent's side is used).
        super_arts: Super Art per player, 1-3 (or ``"I"``, ``"II"``, ``"III"``).
        outfits: colour/outfit per player, 1-7.
        side: vs CPU: 0 = the agent plays P1, 1 = P2.
        difficulty: vs CPU: 1-8 (written into the game's setting and read back), or None to keep the ROM's.
        action_scheme: ``"multi_discrete"`` (``MultiDiscrete([9, 10])``: move x attack, MAMEToolkit's order),
            ``"discrete"`` (``Discrete(18)``: a move or an attack) or ``"combined"`` (``Discrete(90)``).
        rounds: end an episode after this many rounds (None: a whole match).
        matches: versus: matches per episode.
        continue_game: vs CPU: continue after a lost match instead of ending the episode.
        bonus: ``"skip"`` (agents' actions are ignored in bonus stages) or ``"play"``; no reward either way.
    """

    mode: str = "versus"
    characters: tuple[str, str] = ("Ryu", "Ken")
    super_arts: tuple[int | str, int | str] = (1, 1)
    outfits: tuple[int | str, int | str] = (1, 2)
    side: int = 0
    difficulty: int | None = None
    action_scheme: str = "multi_discrete"
    rounds: int | None = None
    matches: int = 1
    continue_game: bool = False
    bonus: str = "skip"

    vars: Mapping[str, Var] = field(default_factory=lambda: dict(FRAME_VARS))
    #: constructor keywords of the env factories that configure the game rather than the env
    options: tuple[str, ...] = ("characters", "super_arts", "outfits", "side", "difficulty", "action_scheme",
                                "rounds", "matches", "continue_game", "bonus")

    def __post_init__(self) -> None:
        # validate now, in the constructor, with errors that list the valid values
        if self.mode not in ("versus", "vs_cpu"):
            raise InvalidOption(f"mode must be 'versus' or 'vs_cpu', got {self.mode!r}")
        object.__setattr__(self, "characters", tuple(selectable_character(c).name for c in self.characters))
        object.__setattr__(self, "super_arts", tuple(super_art(a) for a in self.super_arts))
        object.__setattr__(self, "outfits", tuple(outfit(o) for o in self.outfits))
        if len(self.characters) != 2 or len(self.super_arts) != 2 or len(self.outfits) != 2:
            raise InvalidOption("characters, super_arts and outfits take one value per player (P1, P2)")
        if self.side not in (0, 1):
            raise InvalidOption(f"side must be 0 (P1) or 1 (P2), got {self.side!r}")
        if self.difficulty is not None and (not isinstance(self.difficulty, int) or not 1 <= self.difficulty <= 8):
            raise InvalidOption(f"difficulty must be an int from 1 to 8 or None, got {self.difficulty!r}")
        if self.bonus not in BONUS_MODES:
            raise InvalidOption(f"bonus must be one of {BONUS_MODES}, got {self.bonus!r}")
        action_space(self.action_scheme)  # validates the scheme
        self.rules()  # validates rounds / matches

    # --- identity and agents --------------------------------------------------------------------------
    @property
    def agents(self) -> tuple[str, ...]:  # type: ignore[override]
        """``first_0`` and ``second_0`` in versus mode; only ``first_0`` against the CPU."""
        return ("first_0", "second_0") if self.mode == "versus" else ("first_0",)

    @property
    def sides(self) -> tuple[int, ...]:
        """The player (0 = P1, 1 = P2) each agent drives."""
        return (0, 1) if self.mode == "versus" else (self.side,)

    def with_single_agent(self) -> SF3Game:
        """The vs-CPU variant (used by the Gymnasium env)."""
        return replace(self, mode="vs_cpu")

    # --- start ------------------------------------------------------------------------------------------
    @property
    def start(self) -> tuple[StartOp, ...]:  # type: ignore[override]
        """From power-on to the fight: test-menu settings, coins, character select."""
        ops: list[StartOp] = [Wait(BOOT_FRAMES)]
        if self.mode == "vs_cpu" and self.difficulty is not None:
            ops.append(Write(FRAME_VARS["difficulty"], self.difficulty - 1))  # Game_setting.level 0..7 [DEC-gcjp]
        coins, starts = (COIN1, COIN2), (START1, START2)
        for side in self.sides:  # a credit and a Start for every human side [GF-readme]
            ops += [Hold({coins[side]: 1}, 10), Wait(20)]
        for side in self.sides:
            ops += [Hold({starts[side]: 1}, 10), Wait(30)]
        for side in self.sides:
            ops += selection_ops(side, self.characters[side], self.super_arts[side], self.outfits[side])
        ops.append(PressUntil({}, FLOW_VARS["fighting"], 1, press=1, release=1, max_presses=FIGHT_WAIT))
        return tuple(ops)

    # --- actions, rules, observations --------------------------------------------------------
    def action_space(self, agent: str,
                     full_action_space: bool) -> gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete:
        """The action space of the configured action scheme."""
        return action_space(self.action_scheme)

    def noop_action(self, agent: str, full_action_space: bool) -> Any:
        """No direction and no button."""
        return noop_action(self.action_scheme)

    def action_meanings(self, full_action_space: bool = False) -> list[str]:
        """Names of the actions (for ``multi_discrete``: the move names, then the attack names)."""
        meanings = action_meanings(self.action_scheme)
        if isinstance(meanings, tuple):
            return [f"move {i}: {m}" for i, m in enumerate(meanings[0])] + [
                f"attack {i}: {a}" for i, a in enumerate(meanings[1])]
        return list(meanings)

    def controller(self, full_action_space: bool) -> Controller:
        """A fresh controller for the configured action scheme."""
        return SF3Controller(self.sides, self.action_scheme, self.agents)

    def rules(self) -> Rules:
        """Fresh match-flow rules for the configured mode."""
        return SF3Rules(self.mode, human_side=self.side, rounds=self.rounds, matches=self.matches,
                        continue_game=self.continue_game, bonus=self.bonus)

    def ram_state_space(self) -> gymnasium.spaces.Dict:
        """The space of the RAM-state dict (health, timer, positions...)."""
        return observation_space(perspective=True)

    def ram_state(self, rules: Rules, agent_index: int) -> dict[str, Any]:
        """The RAM-state dict of the last frame from ``agent_index``'s side."""
        assert isinstance(rules, SF3Rules)
        return rules.observation(self.sides[agent_index])

    @property
    def one_player_mode(self) -> bool | None:
        """True: the arcade ladder against the CPU (``mode="vs_cpu"``)."""
        return True


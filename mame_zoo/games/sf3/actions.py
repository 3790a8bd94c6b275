"""SF3 actions: the MAMEToolkit 9 moves × 10 attacks scheme and its mapping to ``sfiii3n``'s MAME input fields.

Moves (index: directions held) [MTK-env], [DIA-doc]::

    0 LEFT   1 LEFT+UP   2 UP   3 UP+RIGHT   4 RIGHT   5 RIGHT+DOWN   6 DOWN   7 DOWN+LEFT   8 none

Attacks (index: buttons held)::

    0 Jab   1 Strong   2 Fierce   3 Jab+Strong   4 Short   5 Forward   6 Roundhouse   7 Short+Forward
    8 Jab+Short   9 none

Directions are **screen-absolute**: LEFT is always screen-left, whichever side the fighter stands on. Nothing
here flips them by side (MAMEToolkit and DIAMBRA do not either); a policy that wants "forward/back" must use
the ``side`` entry of the RAM observation.

Three action encodings (:data:`ACTION_SCHEMES`):

* ``"multi_discrete"``: ``MultiDiscrete([9, 10])``, an action is ``(move, attack)``; the seed's scheme.
* ``"discrete"``: DIAMBRA-style ``Discrete(9 + 10 - 1 = 18)``, a move **or** an attack: 0 = no-op,
  1..8 = move 0..7 (LEFT .. DOWN+LEFT) with no attack, 9..17 = attack 0..8 (Jab .. Jab+Short) with no move.
* ``"combined"``: ``Discrete(90)``, ``move * 10 + attack`` (mikuh/sfiii3n's 90 actions); the no-op is 89.
  Every (move, attack) pair as a single int.

MAME fields (``:INPUTS``/``:EXTRA`` of the ``cps3`` driver, names as MAME 0.251 lists them
[MAME-0.251], bits [MAME-cur]): P1's directions and punches and **all** of P2's directions,
punches and the P2 Roundhouse Kick are on ``:INPUTS``; P1's three kicks and P2's Short/Forward kicks are on
``:EXTRA``. A value of 1 means "pressed" (the bridge handles the ports' active-low bits).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

import gymnasium
import numpy as np

from mame_zoo.core.game import Controller
from mame_zoo.core.ops import Input
from mame_zoo.errors import InvalidAction, InvalidOption

INPUTS = ":INPUTS"
EXTRA = ":EXTRA"

#: every field of the sfiii3n input ports, exactly as MAME 0.251 lists them [MAME-0.251]
PORT_FIELDS: Mapping[str, tuple[str, ...]] = {
    INPUTS: ("P1 Up", "P1 Down", "P1 Left", "P1 Right", "P1 Jab Punch", "P1 Strong Punch", "P1 Fierce Punch",
             "P2 Up", "P2 Down", "P2 Left", "P2 Right", "P2 Jab Punch", "P2 Strong Punch", "P2 Fierce Punch",
             "P2 Roundhouse Kick", "1 Player Start", "2 Players Start", "Coin 1", "Coin 2", "Service 1",
             "Service Mode"),
    EXTRA: ("P1 Short Kick", "P1 Forward Kick", "P1 Roundhouse Kick", "P2 Short Kick", "P2 Forward Kick"),
}

BUTTONS = ("jab", "strong", "fierce", "short", "forward", "roundhouse")
DIRECTIONS = ("up", "down", "left", "right")
_BUTTON_LABEL = {"jab": "Jab Punch", "strong": "Strong Punch", "fierce": "Fierce Punch", "short": "Short Kick",
                 "forward": "Forward Kick", "roundhouse": "Roundhouse Kick"}

START1: Input = (INPUTS, "1 Player Start")
START2: Input = (INPUTS, "2 Players Start")
COIN1: Input = (INPUTS, "Coin 1")
COIN2: Input = (INPUTS, "Coin 2")
SERVICE1: Input = (INPUTS, "Service 1")
SERVICE_MODE: Input = (INPUTS, "Service Mode")


def _port_of(player: int, control: str) -> str:
    """``:EXTRA`` for P1's kicks and P2's Short/Forward kicks [MAME-cur]; ``:INPUTS`` for everything else."""
    if control in ("short", "forward"):
        return EXTRA
    if control == "roundhouse":
        return EXTRA if player == 0 else INPUTS  # P2 Roundhouse is bit 0x04000000 of :INPUTS [MAME-cur]
    return INPUTS


def player_fields(player: int) -> dict[str, Input]:
    """The MAME field of each control of ``player`` (0 = P1, 1 = P2): keys ``up down left right`` + :data:`BUTTONS`."""
    if player not in (0, 1):
        raise InvalidOption(f"player must be 0 (P1) or 1 (P2), got {player!r}")
    prefix = f"P{player + 1} "
    out = {d: (INPUTS, prefix + d.capitalize()) for d in DIRECTIONS}
    out.update({b: (_port_of(player, b), prefix + _BUTTON_LABEL[b]) for b in BUTTONS})
    return out


# --- the action tables (MAMEToolkit order) ----------------------------------------------------------------
MOVES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("LEFT", ("left",)), ("LEFT+UP", ("left", "up")), ("UP", ("up",)), ("UP+RIGHT", ("up", "right")),
    ("RIGHT", ("right",)), ("RIGHT+DOWN", ("right", "down")), ("DOWN", ("down",)),
    ("DOWN+LEFT", ("down", "left")), ("NONE", ()),
)
ATTACKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("JAB", ("jab",)), ("STRONG", ("strong",)), ("FIERCE", ("fierce",)), ("JAB+STRONG", ("jab", "strong")),
    ("SHORT", ("short",)), ("FORWARD", ("forward",)), ("ROUNDHOUSE", ("roundhouse",)),
    ("SHORT+FORWARD", ("short", "forward")), ("JAB+SHORT", ("jab", "short")), ("NONE", ()),
)
N_MOVES, N_ATTACKS = len(MOVES), len(ATTACKS)
NO_MOVE, NO_ATTACK = N_MOVES - 1, N_ATTACKS - 1
ACTION_SCHEMES = ("multi_discrete", "discrete", "combined")


def action_space(scheme: str = "multi_discrete") -> gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete:
    """The action space of one agent under ``scheme`` (see :data:`ACTION_SCHEMES` and the module docstring)."""
    _check_scheme(scheme)
    if scheme == "multi_discrete":
        return gymnasium.spaces.MultiDiscrete([N_MOVES, N_ATTACKS])
    if scheme == "discrete":
        return gymnasium.spaces.Discrete(N_MOVES + N_ATTACKS - 1)
    return gymnasium.spaces.Discrete(N_MOVES * N_ATTACKS)


def noop_action(scheme: str = "multi_discrete") -> Any:
    """The action that presses nothing under ``scheme``."""
    _check_scheme(scheme)
    if scheme == "multi_discrete":
        return np.array([NO_MOVE, NO_ATTACK], dtype=np.int64)
    return 0 if scheme == "discrete" else NO_MOVE * N_ATTACKS + NO_ATTACK


def _check_scheme(scheme: str) -> None:
    if scheme not in ACTION_SCHEMES:
        raise InvalidOption(f"unknown action scheme {scheme!r}; use one of {', '.join(ACTION_SCHEMES)}")


def decode(action: Any, scheme: str = "multi_discrete") -> tuple[int, int]:
    """``(move, attack)`` indices of ``action`` under ``scheme``; raises :class:`InvalidAction` when out of range.

    ``multi_discrete`` takes any length-2 sequence/array of ints; ``discrete``/``combined`` take an int (a
    0-d array is fine).
    """
    _check_scheme(scheme)
    if scheme == "multi_discrete":
        arr = np.asarray(action)
        if arr.shape != (2,) or not np.issubdtype(arr.dtype, np.integer):
            raise InvalidAction(f"a multi_discrete SF3 action is (move, attack) ints, got {action!r}")
        move, attack = int(arr[0]), int(arr[1])
        if not (0 <= move < N_MOVES and 0 <= attack < N_ATTACKS):
            raise InvalidAction(f"SF3 action {action!r} out of range: move in [0, 9), attack in [0, 10)")
        return move, attack
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action.item()
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
        raise InvalidAction(f"a {scheme} SF3 action is an int, got {action!r}")
    n = int(cast("gymnasium.spaces.Discrete", action_space(scheme)).n)  # discrete/combined: a Discrete space
    a = int(action)
    if not 0 <= a < n:
        raise InvalidAction(f"SF3 {scheme} action {a} out of range [0, {n})")
    if scheme == "combined":
        return divmod(a, N_ATTACKS)
    if a == 0:
        return NO_MOVE, NO_ATTACK
    if a < N_MOVES:
        return a - 1, NO_ATTACK
    return NO_MOVE, a - N_MOVES


def action_meanings(scheme: str = "multi_discrete") -> list[str] | tuple[list[str], list[str]]:
    """Names of the actions: for ``multi_discrete`` a pair (move names, attack names), else one list."""
    _check_scheme(scheme)
    moves, attacks = [m for m, _ in MOVES], [a for a, _ in ATTACKS]
    if scheme == "multi_discrete":
        return moves, attacks
    if scheme == "combined":
        return [f"{m}|{a}" for m in moves for a in attacks]
    return ["NOOP", *moves[:NO_MOVE], *attacks[:NO_ATTACK]]


def controls(move: int, attack: int) -> frozenset[str]:
    """The controls (``"left"``, ``"jab"``, ...) held by ``(move, attack)``."""
    return frozenset(MOVES[move][1] + ATTACKS[attack][1])


# --- controller --------------------------------------------------------------------------------------------
AGENT_NAMES = ("first_0", "second_0")  # the suite's convention (mame_zoo.games.atari.AGENT_NAMES)


class SF3Controller(Controller):
    """Turns each agent's action into the held state of its player's 10 controls for a whole step.

    Args:
        sides: the player (0 = P1, 1 = P2) each agent drives, in agent order. ``(0, 1)``: two agents,
            ``first_0`` on P1 and ``second_0`` on P2 (versus). ``(0,)``: one agent on P1 against the CPU;
            ``(1,)``: one agent on P2.
        scheme: the action encoding, one of :data:`ACTION_SCHEMES`.
        agents: agent names; default the first ``len(sides)`` of ``("first_0", "second_0")``.

    :attr:`inputs` lists the 20 fields of both players whatever ``sides`` is, so the idle side's controls are
    driven to "released" too. Agents missing from ``actions`` (or mapped to ``None``) press nothing.
    """

    def __init__(self, sides: Sequence[int] = (0, 1), scheme: str = "multi_discrete",
                 agents: Sequence[str] | None = None) -> None:
        _check_scheme(scheme)
        sides = tuple(sides)
        if not sides or len(sides) > 2 or len(set(sides)) != len(sides) or any(s not in (0, 1) for s in sides):
            raise InvalidOption(f"sides must be (0,), (1,), (0, 1) or (1, 0), got {sides!r}")
        self.sides = sides
        self.scheme = scheme
        self.agents = tuple(agents) if agents is not None else AGENT_NAMES[: len(sides)]
        if len(self.agents) != len(sides):
            raise InvalidOption(f"{len(sides)} sides need as many agent names, got {self.agents!r}")
        self.fields = {p: player_fields(p) for p in (0, 1)}
        self.inputs = tuple(f for p in (0, 1) for f in self.fields[p].values())

    def reset(self) -> dict[Input, int]:
        """Every field released (the controller keeps no state)."""
        return dict.fromkeys(self.inputs, 0)

    def encode(self, actions: Mapping[str, Any]) -> dict[Input, int]:
        """Field values to hold for a frame of the agents' actions."""
        out = self.reset()
        for agent, side in zip(self.agents, self.sides):
            action = actions.get(agent)
            if action is None:
                continue
            for control in controls(*decode(action, self.scheme)):
                out[self.fields[side][control]] = 1
        return out


__all__ = [
    "ACTION_SCHEMES", "AGENT_NAMES", "ATTACKS", "BUTTONS", "COIN1", "COIN2", "DIRECTIONS", "EXTRA", "INPUTS", "MOVES",
    "NO_ATTACK", "NO_MOVE", "N_ATTACKS", "N_MOVES", "PORT_FIELDS", "SERVICE1", "SERVICE_MODE", "START1", "START2",
    "SF3Controller", "action_meanings", "action_space", "controls", "decode", "noop_action", "player_fields",
]

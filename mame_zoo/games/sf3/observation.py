"""The DIAMBRA-like RAM-state observation of SF3 and its gymnasium ``Dict`` space.

Keys follow DIAMBRA's ``sfiii3n`` RAM states [DIA-doc]: globally ``stage``, ``timer``, ``round``; per player
``health``, ``stun_bar``, ``stunned``, ``super_bar``, ``super_type`` (0..2 = Super Art I..III, the RAM value),
``super_count``, ``super_max``, ``side``, ``character``, ``wins``.

Players are ``"P1"``/``"P2"`` (absolute, the same dict for every agent, as DIAMBRA) or, with a
``perspective``, ``"own"``/``"opp"`` (what a self-play agent on either side wants).

Numeric entries are ``Box(shape=(1,), dtype=int16)`` arrays, categorical ones ``Discrete`` values returned as
``np.int64`` scalars. Every value is clipped into its space, so ``space.contains(obs)`` always holds even when
RAM reads garbage (menus, transitions); the ranges are DIAMBRA's where it has one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from gymnasium import spaces

from mame_zoo.errors import InvalidOption
from mame_zoo.games.sf3.memory import DEFAULT_MAX_HEALTH, pvar

N_CHAR_IDS = 23  # 0..20 fighters, 21/22 bonus-stage pseudo-opponents [docs/sf3.md §2.1]
MAX_STAGE = 10  # [DIA-json] stages_per_game, [DEC-next]

#: (low, high) of each Box entry
BOX_RANGES: Mapping[str, tuple[int, int]] = {
    "health": (0, 255),  # [0, Max_vitality]; 160 usually, a 192 code path exists [DEC-gauge]
    "stun_bar": (0, 72),  # [DIA-doc]; per-character max 56/64/72 [JP-lua]
    "super_bar": (0, 128),  # [DIA-doc]
    "super_count": (0, 3),  # [DIA-doc]
    "super_max": (0, 3),  # DIAMBRA says [1, 3]; 0 is allowed here for menus and transitions
    "wins": (0, 4),  # 2 in a default best-of-3; up to 4 with the "7 ROUNDS" setting [DEC-gcjp]
    "stage": (1, MAX_STAGE),
    "timer": (0, 100),  # 99 or 100 at round start [docs/sf3.md §6.4]
    "round": (0, 15),  # raw Round_num [DEC-wb]; its base (0 or 1) is undocumented
}
DISCRETE_SIZES: Mapping[str, int] = {"stunned": 2, "super_type": 3, "side": 2, "character": N_CHAR_IDS}
PLAYER_KEYS = ("health", "stun_bar", "stunned", "super_bar", "super_type", "super_count", "super_max", "side",
               "character", "wins")
GLOBAL_KEYS = ("stage", "timer", "round")


def _box(key: str) -> spaces.Box:
    low, high = BOX_RANGES[key]
    return spaces.Box(low, high, (1,), np.int16)


def _space(key: str) -> spaces.Discrete | spaces.Box:
    return spaces.Discrete(DISCRETE_SIZES[key]) if key in DISCRETE_SIZES else _box(key)


def observation_space(perspective: bool = False) -> spaces.Dict:
    """The ``Dict`` space of :func:`observation`: player keys ``P1``/``P2``, or ``own``/``opp`` if ``perspective``."""
    player = spaces.Dict({k: _space(k) for k in PLAYER_KEYS})
    names = ("own", "opp") if perspective else ("P1", "P2")
    return spaces.Dict({**{k: _space(k) for k in GLOBAL_KEYS}, names[0]: player, names[1]: spaces.Dict(player.spaces)})


def max_health(values: Mapping[str, int]) -> int:
    """``Max_vitality`` (0x02016B30) if it reads 1..255, else 160 [DEC-wb], [EF-tr]."""
    m = int(values.get("max_health", DEFAULT_MAX_HEALTH))
    return m if 0 < m < 256 else DEFAULT_MAX_HEALTH


def health(raw: int, maximum: int) -> int:
    """Health in ``[0, maximum]``: the KO/transition sentinel -1 (s16/s8) or 255 (u8) and any negative read are 0."""
    raw = int(raw)
    if raw < 0 or raw == 0xFF or raw == 0xFFFF:
        return 0
    return min(raw, maximum)


def side(values: Mapping[str, int], player: int) -> int:
    """0 if ``player`` stands on the screen's left of the opponent, 1 if on the right.

    From the sign of the x difference (Grouflon's choice [GF-readme v0.8]); on equal x, from the facing flag
    (``rl_flag`` 1 = facing right = standing on the left [GF-gs]). The global ``ichikannkei`` byte and
    sfiii-gym's "sideP2" are avoided (docs/sf3.md §6.6).
    """
    mine, theirs = int(values.get(pvar("x", player), 0)), int(values.get(pvar("x", 1 - player), 0))
    if mine != theirs:
        return 0 if mine < theirs else 1
    return 0 if int(values.get(pvar("facing", player), 1)) == 1 else 1


def stage_of(values: Mapping[str, int], human_side: int = 0) -> int:
    """Arcade stage 1..10: ``VS_Index`` of the human's side + 1 [DEC-wb], [DEC-next] (clipped)."""
    return int(np.clip(int(values.get(pvar("vs_index", human_side), 0)) + 1, 1, MAX_STAGE))


def _val(key: str, value: int) -> Any:
    if key in DISCRETE_SIZES:
        return np.int64(np.clip(value, 0, DISCRETE_SIZES[key] - 1))
    low, high = BOX_RANGES[key]
    return np.array([np.clip(value, low, high)], dtype=np.int16)


def player_state(values: Mapping[str, int], player: int) -> dict[str, Any]:
    """The per-player part of the observation for ``player`` (0 = P1, 1 = P2)."""
    g = values.get

    def p(what: str, default: int = 0) -> int:
        return int(g(pvar(what, player), default))

    raw = {
        "health": health(p("health"), max_health(values)),
        "stun_bar": p("stun"),
        "stunned": int(p("stunned") != 0),
        "super_bar": p("super_bar"),
        "super_type": p("super_art"),
        "super_count": p("super_count"),
        "super_max": p("super_max"),
        "side": side(values, player),
        "character": p("char"),
        "wins": p("wins"),
    }
    return {k: _val(k, raw[k]) for k in PLAYER_KEYS}


def observation(values: Mapping[str, int], perspective: int | None = None, *, human_side: int = 0,
                stage: int | None = None) -> dict[str, Any]:
    """The RAM-state observation from one frame's variable values (names of :data:`~.memory.FRAME_VARS`).

    Args:
        values: the variables of the last frame of the step.
        perspective: None: players under ``P1``/``P2``; 0 or 1: under ``own`` (that side) and ``opp``.
        human_side: whose ``VS_Index`` gives the stage (vs-CPU: the human's side).
        stage: override the stage (e.g. :attr:`~.flow.SF3Rules.stage`); default from RAM.
    """
    out: dict[str, Any] = {
        "stage": _val("stage", stage_of(values, human_side) if stage is None else stage),
        "timer": _val("timer", int(values.get("timer", 0))),
        "round": _val("round", int(values.get("round", 0))),
    }
    if perspective is None:
        out["P1"], out["P2"] = player_state(values, 0), player_state(values, 1)
    else:
        if perspective not in (0, 1):
            raise InvalidOption(f"perspective must be None, 0 or 1, got {perspective!r}")
        out["own"], out["opp"] = player_state(values, perspective), player_state(values, 1 - perspective)
    return out


__all__ = ["BOX_RANGES", "DISCRETE_SIZES", "GLOBAL_KEYS", "PLAYER_KEYS", "health", "max_health", "observation",
           "observation_space", "player_state", "side", "stage_of"]

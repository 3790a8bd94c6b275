"""Street Fighter III 3rd Strike (``sfiii3n``, MAME ``cps3``): the pure-logic layer, no MAME needed.

* :mod:`.memory`: the RAM map as :class:`~mame_zoo.spec.Var` (``FLOW_VARS`` per frame, ``OBS_VARS`` for the
  RAM observation, ``FRAME_VARS`` = both, ``SELECT_VARS`` for the select screen).
* :mod:`.characters`: names ↔ ids, the select grid, Super Arts, outfits, RAM-driven ``selection_ops``.
* :mod:`.actions`: the 9 moves × 10 attacks scheme and :class:`SF3Controller` for the ``:INPUTS``/``:EXTRA`` fields.
* :mod:`.observation`: the DIAMBRA-like RAM-state ``Dict`` observation and its space.
* :mod:`.flow`: :class:`SF3Rules`, per-frame rewards and the round/match/stage/game state machine.

Every address and rule cites a source key of the table in ``docs/sf3.md``. Nothing was run
on the real ROM.
"""

from mame_zoo.games.sf3.actions import (
    ACTION_SCHEMES,
    AGENT_NAMES,
    SF3Controller,
    action_meanings,
    action_space,
    decode,
    noop_action,
    player_fields,
)
from mame_zoo.games.sf3.characters import (
    CHARACTERS,
    Character,
    character,
    character_names,
    outfit,
    selection_ops,
    super_art,
)
from mame_zoo.games.sf3.flow import Event, SF3Rules, is_bonus
from mame_zoo.games.sf3.memory import FLOW_VARS, FRAME_VARS, OBS_VARS, SELECT_VARS
from mame_zoo.games.sf3.observation import observation, observation_space

__all__ = [
    "ACTION_SCHEMES", "AGENT_NAMES", "CHARACTERS", "FLOW_VARS", "FRAME_VARS", "OBS_VARS", "SELECT_VARS", "Character",
    "Event", "SF3Controller", "SF3Rules", "action_meanings", "action_space", "character", "character_names",
    "decode", "is_bonus", "noop_action", "observation", "observation_space", "outfit", "player_fields",
    "selection_ops", "super_art",
]

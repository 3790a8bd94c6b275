"""Which tests run on which MAME version.

``make test`` runs the suite on the system's MAME, then on each newer supported version. Tests marked
``first_mame`` run on the first only: per-game variants of tests whose code path is the same for every game (the
env, its API, its rendering), where the games of :data:`EVERY_VERSION` keep the test on every version. The
fidelity of every game on every version is in the generated report (docs/fidelity.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

#: the games whose per-game tests run on every MAME version, one for each way the bridge runs a game: joysticks on
#: NTSC (Boxing), Stella's timer in play (Ice Hockey), PAL and early writes (Combat), paddles and four players
#: (Warlords), Stella's scanline and instruction limits in play (Entombed), and SF3's driver. (The seven games of
#: the lock-step issue are compared with ALE on every version: tests/test_fidelity_ale.py.)
EVERY_VERSION = frozenset({"boxing_v0", "ice_hockey_v0", "combat_tank_v0", "warlords_v0", "entombed_competitive_v0",
                           "sfiii3n_v0"})


def per_game(names: Iterable[str]) -> list[Any]:
    """``names`` as parameters, those outside :data:`EVERY_VERSION` marked ``first_mame``."""
    return [pytest.param(n, marks=() if n in EVERY_VERSION else (pytest.mark.first_mame,)) for n in names]

"""Street Fighter III 3rd Strike (``sfiii3n``) for two agents: ``mame_zoo.games.sfiii3n_v0``.

Bring your own romset: ``sfiii3n.zip`` in ``MAME_ZOO_ROMS`` or ``rom_path=``. Settings are keywords of the
factories, e.g. ``parallel_env(characters=("Ken", "Chun-Li"), super_arts=(3, 2), rounds=1)``; the vs-CPU
single-agent env is ``gymnasium.make("mame_zoo/Sfiii3n-v0", difficulty=3)``; the MAMEToolkit-compatible
``Environment`` is in :mod:`mame_zoo.sf_environment`. See ``docs/games/sfiii3n.md``.
"""

from mame_zoo.env import make_factories
from mame_zoo.games.sf3.game import VERSUS as GAME

parallel_env, raw_env, env = make_factories(GAME)

__all__ = ["GAME", "env", "parallel_env", "raw_env"]

"""Street Fighter III 3rd Strike (``sfiii3n``) for two agents: ``mame_zoo.games.sfiii3n_v0``.

Bring your own romset: ``sfiii3n.zip`` in ``MAME_ZOO_ROMS`` or ``rom_path=``. Settings are keywords of the
factories, e.g. ``parallel_env(characters=("Ken", "Chun-Li"), super_arts=(3, 2), rounds=1)``; the vs-CPU
single-agent env is ``gymnasium.make("mame_zoo/Sfiii3n-v0", difficulty=3)``; the MAMEToolkit-compatible
``Environment`` is in :mod:`mame_zoo.sf_environment`. The game file ``mame_zoo/games/data/sfiii3n.toml`` names
the game's class, :class:`mame_zoo.games.sf3.game.SF3Game`. Its page: ``docs/games/sfiii3n_v0.md``; playing it:
``docs/sf3.md``.
"""

from mame_zoo.declarative import load_builtin
from mame_zoo.env import make_factories
from mame_zoo.games.sf3.game import SF3Game

_game = load_builtin("sfiii3n")
assert isinstance(_game, SF3Game)  # the file names the class: a mismatch is a packaging bug, not a user error
GAME: SF3Game = _game

parallel_env, raw_env, env = make_factories(GAME)

__all__ = ["GAME", "env", "parallel_env", "raw_env"]

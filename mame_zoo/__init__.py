"""mame_zoo: arcade and Atari 2600 games in the real MAME emulator as PettingZoo multi-agent environments.

Quick start::

    from mame_zoo.games import boxing_v0
    env = boxing_v0.parallel_env()
    obs, infos = env.reset(seed=0)
"""

from mame_zoo import errors, games  # games: registers the shipped games' names (nothing is loaded)
from mame_zoo.bridge import Bridge, MachineConfig, ReadSpec
from mame_zoo.declarative import make_from_file
from mame_zoo.env import MameParallelEnv
from mame_zoo.registry import make, names
from mame_zoo.single_agent import SingleAgentEnv, register_envs

__version__ = "0.1.0"

register_envs()

__all__ = ["Bridge", "MachineConfig", "MameParallelEnv", "ReadSpec", "SingleAgentEnv", "__version__", "errors",
           "games", "make", "make_from_file", "names"]

"""mame_zoo: arcade and Atari 2600 games in the real MAME emulator as PettingZoo multi-agent environments."""

from mame_zoo import errors
from mame_zoo.bridge import Bridge, MachineConfig, ReadSpec

__version__ = "0.1.0"

__all__ = ["Bridge", "MachineConfig", "ReadSpec", "__version__", "errors"]

"""The MAME bridge: launch one MAME process and drive it in lockstep. It knows no game."""

from mame_zoo.bridge.client import Bridge
from mame_zoo.bridge.config import InputField, MachineConfig, MapEntry, SpaceInfo, StepResult
from mame_zoo.bridge.process import check_version, find_mame, mame_version
from mame_zoo.bridge.protocol import PROTOCOL_VERSION, Agg, Hello, ReadSpec

__all__ = ["PROTOCOL_VERSION", "Agg", "Bridge", "Hello", "InputField", "MachineConfig", "MapEntry", "ReadSpec",
           "SpaceInfo", "StepResult", "check_version", "find_mame", "mame_version"]

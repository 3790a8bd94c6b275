"""The MAME bridge: launch one MAME process and drive it in lockstep. It knows no game."""

from mame_zoo.bridge.client import Bridge, Hello, InputField, MachineConfig, MapEntry, SpaceInfo, StepResult
from mame_zoo.bridge.process import check_version, find_mame, mame_version
from mame_zoo.bridge.protocol import PROTOCOL_VERSION, Agg, ReadSpec

__all__ = ["PROTOCOL_VERSION", "Agg", "Bridge", "Hello", "InputField", "MachineConfig", "MapEntry", "ReadSpec",
           "SpaceInfo", "StepResult", "check_version", "find_mame", "mame_version"]

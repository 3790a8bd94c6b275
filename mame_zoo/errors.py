"""The mame_zoo exception family.

Every failure a user can cause or meet raises a subclass of :class:`MameZooError` whose message says what
went wrong and how to fix it. Each class takes a single message string, so exceptions survive pickling
across the worker processes of vectorised environments with their type and message intact.
"""

from __future__ import annotations


class MameZooError(Exception):
    """Base class of every mame_zoo error."""


class MameNotFound(MameZooError):
    """No MAME binary could be found."""


class MameVersionError(MameZooError):
    """The MAME binary is too old for the Lua API the bridge uses."""


class UnknownGame(MameZooError):
    """An environment id or MAME system name that does not exist."""


class RomNotFound(MameZooError):
    """A ROM file, romset or media file is missing."""


class RomChecksumMismatch(MameZooError):
    """ROM files were found but their checksums differ from what MAME expects (raised with strict_roms=True)."""


class EmulatorError(MameZooError):
    """Base class of failures of a running MAME process."""


class EmulatorCrashed(EmulatorError):
    """MAME exited when it should not have; the message has its exit code and the tail of its log."""


class EmulatorTimeout(EmulatorError):
    """MAME did not answer in time; it was killed."""


class LuaError(EmulatorError):
    """The bridge's Lua side raised an error; the message carries the Lua traceback."""


class ProtocolError(EmulatorError):
    """A malformed or out-of-sequence message on the bridge's pipes."""


class EmulatorClosed(MameZooError):
    """The emulator or environment was used after close()."""


class InputNotFound(MameZooError, KeyError):
    """An input port or field that the running machine does not have."""

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return str(self.args[0]) if self.args else ""


class AddressError(MameZooError, ValueError):
    """A device, address space, address or value type that does not exist or cannot be read."""


class StateError(MameZooError):
    """A save state could not be written or loaded."""


class InvalidAction(MameZooError, ValueError):
    """An action that is out of range, of the wrong type, or for an agent that is not playing."""


class InvalidGameSpec(MameZooError, ValueError):
    """A game declaration (built in or from a file) that is inconsistent or incomplete."""


class ResetNeeded(MameZooError, RuntimeError):
    """step() was called before reset() or after the episode ended."""


class ConformanceError(MameZooError, AssertionError):
    """A game failed one of the conformance checks of :mod:`mame_zoo.testing`."""


class InvalidOption(MameZooError, ValueError):
    """An option or argument whose value mame_zoo cannot use (out of range, unknown name, conflicting settings)."""


class OptionTypeError(MameZooError, TypeError):
    """An option or argument of the wrong type."""

"""The game a file declares: :class:`DeclarativeGame`, a plain picklable record over its rules
(:mod:`~mame_zoo.declarative.rules`) and controls (:mod:`~mame_zoo.declarative.controls`).

:mod:`mame_zoo.declarative.parse` builds it from a TOML file; it is the :class:`~mame_zoo.core.Game` every
file-declared game (and every built-in game) runs as. Nothing here talks to MAME: the environment
(:mod:`mame_zoo.env`) reads the variables and drives the inputs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import gymnasium

from mame_zoo.bridge import MachineConfig
from mame_zoo.core.game import Controller, Game, PowerOn, Rules
from mame_zoo.core.ops import (
    BusTap,
    ChargeTap,
    EarlyWrite,
    FrameSignal,
    Input,
    InputTap,
    PenScreen,
    PressUntil,
    StartOp,
    Var,
    Wait,
)
from mame_zoo.declarative.controls import ActionController, Dial, Wiring
from mame_zoo.declarative.rules import DeclarativeRules, Decoder, PythonRules, RuleSet
from mame_zoo.errors import InvalidOption
from mame_zoo.roms import atari_rom, require_romset, rom_paths


# --- the game --------------------------------------------------------------------------------------------
def resolve_media(spec: str) -> str:
    """A media file: ``"ale:NAME"`` is ale-py's Atari ROM of that name, anything else a path."""
    if spec.startswith("ale:"):
        return atari_rom(spec[4:])
    return spec



@dataclass(frozen=True)
class Choice:
    """What one value of a setting changes: the game mode (``mode``: set it, ``add``: add to it) and how many
    of the file's agents play (``agents``; None: unchanged)."""

    mode: int | None = None
    add: int = 0
    agents: int | None = None


@dataclass(frozen=True)
class Setting:
    """A game setting a file declares (``[settings.NAME]``): an env keyword with a fixed set of values."""

    name: str
    default: Any
    choices: Mapping[Any, Choice]
    doc: str = ""


@dataclass(frozen=True)
class DeclarativeGame(Game):
    """A game declared by a file (see ``docs/declarative.md``); runs on :class:`~mame_zoo.env.MameParallelEnv`.

    Built by :func:`mame_zoo.declarative.load_game`; the built-in Atari games are instances too.
    """

    name: str
    version: int
    players: tuple[Wiring, ...] = ()
    vars: Mapping[str, Var] = field(default_factory=dict)
    decoders: Mapping[str, Decoder] = field(default_factory=dict)
    start_sequence: tuple[StartOp, ...] = ()
    restart_sequence: tuple[StartOp, ...] = (Wait(3),)
    single_agent_sequence: tuple[StartOp, ...] | None = None
    single_agent_restart: tuple[StartOp, ...] | None = None
    single_agent: bool = False
    system: str = ""
    media: Mapping[str, str] = field(default_factory=dict)
    romset: bool = True
    mame_options: tuple[str, ...] = ()
    crop: tuple[int, int, int, int] | None = None
    screen_size: tuple[int, int] | None = None
    ram_obs: tuple[Var, int] | None = None
    frame_signal: FrameSignal | None = None
    input_taps: Mapping[Input, InputTap] = field(default_factory=dict)
    charge_taps: Mapping[Input, ChargeTap] = field(default_factory=dict)
    bus_taps: tuple[BusTap, ...] = ()
    early_writes: tuple[EarlyWrite, ...] = ()
    pen_screen: PenScreen | None = None
    power_on: PowerOn | None = None
    table: tuple[tuple[str, frozenset[str]], ...] = ()
    minimal: tuple[tuple[int, ...], ...] = ()
    full: tuple[int, ...] | None = None
    dial: Dial | None = None
    ruleset: RuleSet | None = None
    python_rules: PythonRules | None = None
    description: str = ""
    rules_text: str = ""
    sources: tuple[str, ...] = ()
    history: tuple[str, ...] = ()
    extra_doc: str = ""
    render_fps: int = 60
    path: str = ""
    options: tuple[str, ...] = ()
    setting_specs: tuple[Setting, ...] = ()
    chosen: Mapping[str, Any] = field(default_factory=dict)
    mode_default: int | None = None  # [mode] default: the game mode before settings
    mode_offset: int = 0  # [mode] offset: a start step with until ... equal = "mode" waits for mode + offset
    mode_steps: tuple[int, ...] = ()  # indices of those steps in start_sequence
    #: [mode] table: (settings, mode) pairs; the first whose settings all hold gives the mode (before any add)
    mode_table: tuple[tuple[Mapping[str, Any], int], ...] = ()
    game_mode: int | None = None  # the mode the settings chose
    num_agents: int | None = None  # how many of the file's agents play (None: all)

    def settings(self) -> dict[str, Any]:
        """The file's settings (``[settings.NAME]``) and their current values (a game class: its fields')."""
        return dict(self.chosen) if self.setting_specs else super().settings()

    def with_settings(self, **values: Any) -> DeclarativeGame:
        """The game with other setting values: the mode they choose is what the start sequence selects.

        Raises :class:`~mame_zoo.errors.InvalidOption` for an unknown setting or value. A game class
        (``[game] python``) replaces its dataclass fields instead.
        """
        if not self.setting_specs and self.options:
            return replace(self, **values)
        specs = {s.name: s for s in self.setting_specs}
        for name, value in values.items():
            if name not in specs:
                raise InvalidOption(f"{self.env_name} has no setting {name!r}; its settings: "
                                    f"{', '.join(specs) or '(none)'}")
            if value not in specs[name].choices or type(value) is not type(specs[name].default):
                raise InvalidOption(f"{self.env_name}: {name}={value!r} is not one of "
                                    f"{', '.join(repr(v) for v in specs[name].choices)}")
        chosen = {**self.chosen, **values}
        mode, add, agents = self.mode_default, 0, None
        for spec in self.setting_specs:
            choice = spec.choices[chosen[spec.name]]
            mode = choice.mode if choice.mode is not None else mode
            add += choice.add
            agents = choice.agents if choice.agents is not None else agents
        if self.mode_table:
            mode = next((m for when, m in self.mode_table if all(chosen[k] == v for k, v in when.items())), None)
            if mode is None:
                raise InvalidOption(f"{self.env_name} has no game mode for "
                                    f"{', '.join(f'{k}={v!r}' for k, v in chosen.items())}; its table has: "
                                    + "; ".join(", ".join(f"{k}={v!r}" for k, v in when.items())
                                                for when, _ in self.mode_table))
        if mode is None:
            return replace(self, chosen=chosen, num_agents=agents)
        mode += add
        sequence = list(self.start_sequence)
        for i in self.mode_steps:
            step = sequence[i]
            assert isinstance(step, PressUntil)
            sequence[i] = replace(step, value=mode + self.mode_offset)
        return replace(self, chosen=chosen, num_agents=agents, game_mode=mode, start_sequence=tuple(sequence))

    @property
    def agents(self) -> tuple[str, ...]:  # type: ignore[override]
        """The agents, in the order of the file's ``[[agents]]`` (only the first in the single-agent form)."""
        names = tuple(w.name for w in self.players)[:self.num_agents]
        return names[:1] if self.single_agent else names

    @property
    def start(self) -> tuple[StartOp, ...]:  # type: ignore[override]
        """The start sequence (in the single-agent form: the file's ``single_agent`` sequence, if it has one)."""
        if self.single_agent and self.single_agent_sequence is not None:
            return self.single_agent_sequence
        return self.start_sequence

    @property
    def restart(self) -> tuple[StartOp, ...]:  # type: ignore[override]
        """Run after every load of the start state (in the single-agent form: ``single_agent_restart``, if given)."""
        if self.single_agent and self.single_agent_restart is not None:
            return self.single_agent_restart
        return self.restart_sequence

    @property
    def one_player_mode(self) -> bool | None:
        """True when the game has a 1-player variant against the machine (``[start] single_agent``), else None."""
        return True if self.single_agent_sequence is not None else None

    @property
    def rom(self) -> str | None:
        """The ale-py ROM name of the cartridge (``media.cart = "ale:NAME"``), if it comes from there."""
        cart = self.media.get("cart", "")
        return cart[4:] if cart.startswith("ale:") else None

    @property
    def pal(self) -> bool:
        """True for the PAL Atari 2600 (``a2600p``)."""
        return self.system == "a2600p"

    @property
    def rules_doc(self) -> str:
        """The rules in words: the file's ``rules_doc``, else generated from the declared rules."""
        if self.rules_text:
            return self.rules_text
        if self.ruleset is not None:
            return self.ruleset.describe()
        return f"Rules from the Python factory {self.python_rules.target if self.python_rules else '?'}."

    def machine(self, rom_path: str | Sequence[str] | None) -> MachineConfig:
        """The MAME machine of the file, with ``ale:`` media resolved (RomNotFound if absent)."""
        paths = rom_paths(rom_path)
        if self.romset:
            require_romset(self.system, paths)
        media = {slot: resolve_media(spec) for slot, spec in self.media.items()}
        return MachineConfig(self.system, media, tuple(paths), self.mame_options)

    def _action_sets(self, full_action_space: bool) -> tuple[tuple[frozenset[str], ...], ...]:
        groups = (self.full,) if full_action_space and self.full is not None else self.minimal
        return tuple(tuple(self.table[i][1] for i in group) for group in groups)

    def action_space(self, agent: str,
                     full_action_space: bool) -> gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete:
        """The agent's action space: the minimal set, or the table's full set."""
        sets = self._action_sets(full_action_space)
        if len(sets) == 1:
            return gymnasium.spaces.Discrete(len(sets[0]))
        return gymnasium.spaces.MultiDiscrete([len(s) for s in sets])

    def noop_action(self, agent: str, full_action_space: bool) -> Any:
        """The first action that holds no button (0 if every action holds one)."""
        picks = [next((i for i, held in enumerate(s) if not held), 0) for s in self._action_sets(full_action_space)]
        return picks[0] if len(picks) == 1 else tuple(picks)

    def action_meanings(self, full_action_space: bool = False) -> list[str]:
        """Names of the actions in index order (for several components: each component's names in turn)."""
        groups = (self.full,) if full_action_space and self.full is not None else self.minimal
        return [self.table[i][0] for group in groups for i in group]

    def controller(self, full_action_space: bool) -> Controller:
        """A fresh controller over the file's wiring."""
        wired = [w for w in self.players if w.name in self.agents]
        charge = idle = None
        if self.dial is not None and self.power_on is not None and any(w.dial in self.charge_taps for w in wired):
            charge = self.power_on.charge  # the dials' fields are charging inputs: the machine's law
            turned = {w.dial for w in wired}
            idle = self.power_on.idle_charges([f for f in self.charge_taps if f not in turned], self.dial.start,
                                              self.single_agent)
        return ActionController(wired, self._action_sets(full_action_space), self.dial,
                                self.noop_action(self.agents[0], full_action_space), charge, idle)

    def rules(self) -> Rules:
        """Fresh rules: the file's declarative rules or its Python factory's."""
        if self.python_rules is not None:
            return self.python_rules.build(self.single_agent)
        assert self.ruleset is not None
        ruleset = self.ruleset.for_single_agent() if self.single_agent else self.ruleset
        return DeclarativeRules(ruleset, len(self.agents))

    def frame_shape(self) -> tuple[int, int]:
        """(height, width) of the observed screen, from [screen]."""
        if self.crop is not None:
            top, bottom, left, right = self.crop
            return bottom - top, right - left
        assert self.screen_size is not None
        return self.screen_size

    def with_single_agent(self) -> DeclarativeGame:
        """The 1-player variant: the first agent plays against the machine's own opponent."""
        if self.single_agent_sequence is None:
            raise InvalidOption(f"{self.env_name} has no 1-player mode against the machine (no [start] single_agent)")
        changed = {s.name: self.chosen[s.name] for s in self.setting_specs if self.chosen[s.name] != s.default}
        if changed:
            raise InvalidOption(f"{self.env_name}: {', '.join(f'{k}={v!r}' for k, v in changed.items())} set(s) the "
                                "multi-agent game's mode; the 1-player form plays ale-py's default mode, without them")
        return replace(self, single_agent=True)


__all__ = ["Choice", "DeclarativeGame", "Setting", "resolve_media"]

"""The one PettingZoo ``ParallelEnv`` every game runs on, and the factories that derive AEC from it."""

from __future__ import annotations

import contextlib
import hashlib
import numbers
import os
import shutil
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import gymnasium
import numpy as np
from gymnasium.utils import EzPickle, seeding
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils import OrderEnforcingWrapper
from pettingzoo.utils.conversions import parallel_to_aec

from mame_zoo.bridge import Agg, Bridge, MachineConfig, ReadSpec
from mame_zoo.bridge.process import find_mame, version_name
from mame_zoo.bridge.protocol import PROTOCOL_VERSION, TIMELINE_SUFFIX, TYPES, BusModel
from mame_zoo.core.game import Controller, Game, Rules
from mame_zoo.core.ops import Hold, Input, LoadState, PressUntil, Var
from mame_zoo.errors import InvalidAction, InvalidOption, MameZooError, ResetNeeded, StateError
from mame_zoo.roms import find_romset
from mame_zoo.start import StartRunner, set_frame_signal

ObsType = Literal["rgb_image", "grayscale_image", "ram"]
_OBS_ALIASES = {"rgb": "rgb_image", "rgb_image": "rgb_image", "grayscale": "grayscale_image",
                "grayscale_image": "grayscale_image", "ram": "ram"}


def _check_multi_discrete(agent: str, action: Any, space: gymnasium.spaces.MultiDiscrete) -> tuple[int, ...]:
    try:
        arr = np.asarray(action)
    except (TypeError, ValueError):
        arr = np.asarray(None)
    if arr.shape != space.shape or not np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        raise InvalidAction(f"action of {agent!r} must be {len(space.nvec)} ints (each in [0, n) for n in "
                            f"{space.nvec.tolist()}), got {action!r}")
    if (arr < 0).any() or (arr >= space.nvec).any():
        raise InvalidAction(f"action {arr.tolist()} of {agent!r} is out of range {space.nvec.tolist()}")
    return tuple(int(x) for x in arr)


def _romset_files(machine: MachineConfig) -> list[str]:
    """The files of ``machine.system``'s romset found in ``machine.rompath`` (a zip, or a folder's files)."""
    found = find_romset(machine.system, list(machine.rompath))
    if found is None:
        return []
    if os.path.isdir(found):
        return sorted(os.path.join(found, n) for n in os.listdir(found))
    return [found]


def _file_digest(path: str) -> bytes:
    digest = hashlib.sha1()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.digest()


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _mame_version_or_none(mame: str | os.PathLike[str] | None) -> str | None:
    """The version of the MAME an env will run (``"0.276"``), or None while none can be found."""
    try:
        return version_name(find_mame(mame))
    except MameZooError:
        return None


def driven_fields(game: Game, controller: Controller) -> set[Input]:
    """Every input field an env of ``game`` sets: its controller's and its start sequences'."""
    fields = set(controller.inputs)
    for op in (*game.start, *game.restart):
        if isinstance(op, (Hold, PressUntil)):
            fields.update(op.inputs)
    return fields


def use_frame_signal(bridge: Bridge, game: Game, fields: Mapping[Input, int]) -> None:
    """Step ``bridge`` on ``game``'s own frame, if it declares one (``Game.frame_signal``), with the taps of
    ``fields`` (input -> field id) installed so the game reads each step's inputs at once (digital inputs, and
    charging ones as the reference times them), and the game's bus taps and early writes."""
    if game.frame_signal is None:
        return
    set_frame_signal(bridge, game)
    for field, fid in fields.items():
        tap = game.input_taps.get(field)
        if tap is not None:
            bridge.tap_input(fid, bridge.space(tap.device, tap.space).id, tap.address, tap.mask, tap.active_low,
                             tap.mirror)
        charge = game.charge_taps.get(field)
        if charge is not None:
            bridge.tap_charge(fid, bridge.space(charge.device, charge.space).id, charge.address, charge.mask,
                              charge.trigger, charge.clock_hz, charge.mirror)
    for bus in game.bus_taps:
        bridge.tap_bus(bridge.space(bus.device, bus.space).id, bus.first, bus.last, bus.mask,
                       BusModel[bus.model.upper()], mirror=bus.mirror)
    for early in game.early_writes:
        bridge.tap_early(bridge.space(early.device, early.space).id, early.first, early.last, early.catch_up,
                         early.item_device, early.items, mirror=early.mirror)


def use_screen(bridge: Bridge, game: Game) -> None:
    """Take ``game``'s frames from its device's own bitmap, if the game says where (``Game.pen_screen``)."""
    s = game.pen_screen
    if s is not None:
        bridge.set_screen(s.device, s.buffers, s.selector, s.row_pixels, s.top, s.left, s.colours, s.row_cycles,
                          s.rows)


class MameParallelEnv(ParallelEnv, EzPickle):  # type: ignore[misc]  # pettingzoo ships no types: ParallelEnv is Any
    """A MAME game as a PettingZoo ``ParallelEnv``; every player is an agent with its own reward.

    MAME is started by the first :meth:`reset`, not by the constructor, so envs pickle cheaply for vectorised
    workers. The start state after the game's menus is saved once and reloaded by every later reset.

    Args:
        game: the game declaration.
        obs_type: ``"rgb_image"`` (H×W×3), ``"grayscale_image"`` (H×W×1) or ``"ram"`` (bytes); ``"rgb"`` and
            ``"grayscale"`` are accepted too.
        frameskip: emulated frames per step (inside MAME: one round trip per step); rewards are summed.
        repeat_action_probability: sticky actions: each agent repeats its previous action with this probability.
        max_cycles: steps after which every agent is truncated.
        full_action_space: use all 18 Atari actions instead of the game's minimal set.
        render_mode: ``None``, ``"rgb_array"`` or ``"human"`` (a pygame window).
        noop_max: a reset lets a seeded random number (0..noop_max) of extra idle frames pass, varying the start
            (default 0: none, as in ``pettingzoo.atari``; mame_zoo's trainer and evaluator use 30).
        rom_path: folder(s) with the user's romsets (arcade games); default ``MAME_ZOO_ROMS``.
        mame: the MAME binary; default found automatically (``MAME_ZOO_MAME``, PATH, Debian's location).
        timeout: seconds before a silent MAME is declared hung and killed.
        boot_timeout: seconds MAME may take to start the machine (slow disks, big romsets, loaded machines).
        ram_state: observations become ``{"frame": ..., "ram": <the game's RAM-state dict>}`` (games that
            declare one, e.g. SF3); the RAM-state dict is in every agent's info either way.
        mame_window: show MAME's own window (for watching and debugging; training wants it off).
        throttle: run MAME at real-time speed (training wants it off).
        sound: let MAME play sound (training wants it off).
        state_cache: a folder where the start state (after the game's menus) is kept between processes, keyed
            by game, settings, MAME version and ROM contents, so later envs skip the start sequence. Default:
            ``MAME_ZOO_STATE_CACHE``, else no cache (nothing is written outside the per-process temp dir).
    """

    def __init__(self, game: Game, obs_type: str = "rgb_image", frameskip: int = 1,
                 repeat_action_probability: float = 0.0, max_cycles: int = 100000, full_action_space: bool = False,
                 render_mode: str | None = None, noop_max: int = 0,
                 rom_path: str | Sequence[str] | None = None, mame: str | None = None, timeout: float = 10.0,
                 ram_state: bool = False, mame_window: bool = False, throttle: bool = False,
                 sound: bool = False, state_cache: str | os.PathLike[str] | None = None,
                 boot_timeout: float = 60.0) -> None:
        EzPickle.__init__(self, game, obs_type, frameskip, repeat_action_probability, max_cycles, full_action_space,
                          render_mode, noop_max, rom_path, mame, timeout, ram_state, mame_window, throttle, sound,
                          state_cache, boot_timeout)
        if not isinstance(obs_type, str) or obs_type not in _OBS_ALIASES:
            raise InvalidOption(f"obs_type must be one of {sorted(_OBS_ALIASES)}, got {obs_type!r}")
        if not _is_int(frameskip) or not 1 <= frameskip <= 1000:
            raise InvalidOption(f"frameskip must be an int from 1 to 1000, got {frameskip!r}")
        if not 0.0 <= float(repeat_action_probability) <= 1.0:
            raise InvalidOption(f"repeat_action_probability must be in [0, 1], got {repeat_action_probability}")
        if not _is_int(max_cycles) or max_cycles < 1:
            raise InvalidOption(f"max_cycles must be a positive int, got {max_cycles!r}")
        if render_mode not in (None, "rgb_array", "human"):
            raise InvalidOption(f"render_mode must be None, 'rgb_array' or 'human', got {render_mode!r}")
        for name, seconds in (("timeout", timeout), ("boot_timeout", boot_timeout)):
            if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real) or not 0 < seconds < float("inf"):
                raise InvalidOption(f"{name} must be a positive number of seconds, got {seconds!r}")
        if not _is_int(noop_max) or noop_max < 0:
            raise InvalidOption(f"noop_max must be an int >= 0, got {noop_max!r}")
        if obs_type == "ram" and game.ram_obs is None:
            raise InvalidOption(f"{game.env_name} has no RAM observation")
        if ram_state and game.ram_state_space() is None:
            raise InvalidOption(f"{game.env_name} has no RAM-state observation (ram_state=True)")
        self.game = game
        self.obs_type: ObsType = _OBS_ALIASES[obs_type]  # type: ignore[assignment]
        self.frameskip = int(frameskip)
        self.repeat_action_probability = float(repeat_action_probability)
        self.max_cycles = int(max_cycles)
        self.full_action_space = full_action_space
        self.render_mode = render_mode
        self.noop_max = int(noop_max)
        self.rom_path = rom_path
        self.mame = mame
        self.timeout = float(timeout)
        self.boot_timeout = float(boot_timeout)
        # which MAME produced the results (emulation differs between versions): known before the first reset
        # when the binary can be found, set from the running MAME at every boot
        self.metadata = {"render_modes": ["human", "rgb_array"], "name": game.env_name, "is_parallelizable": True,
                         "render_fps": game.render_fps, "mame_version": _mame_version_or_none(mame)}

        self.possible_agents = list(game.agents)
        self.agents: list[str] = []
        self.action_spaces = {a: game.action_space(a, full_action_space) for a in self.possible_agents}
        if self.obs_type == "ram":
            assert game.ram_obs is not None
            shape: tuple[int, ...] = (game.ram_obs[1],)
        else:
            h, w = game.frame_shape()
            shape = (h, w, 3 if self.obs_type == "rgb_image" else 1)
        self.ram_state = bool(ram_state)
        self.mame_window, self.throttle, self.sound = bool(mame_window), bool(throttle), bool(sound)
        self.state_cache = os.fspath(state_cache) if state_cache is not None else None
        # one space object per agent: seeding one agent's space must not reseed the others'
        self.observation_spaces = {a: self._make_obs_space(shape) for a in self.possible_agents}

        self._bridge: Bridge | None = None
        self._controller = game.controller(full_action_space)
        self._rules: Rules | None = None
        self._fields: dict[Input, int] = {}
        self._spaces: dict[tuple[str, str], int] = {}
        self._var_at: list[tuple[str, int, int]] = []  # (variable, read spec, column): set at boot
        self._start_state: str | None = None
        self._start_seed: int | None = None  # the seed the start state was built for (games with a power-on)
        self._last_actions: dict[str, Any] = {}
        self._release: dict[int, int] = {}  # switches the reset left held, released with the first step
        self._noop = {a: game.noop_action(a, full_action_space) for a in self.possible_agents}
        self._frame: np.ndarray | None = None
        self._ram: np.ndarray | None = None
        self._cycles = 0
        self._window: Any = None
        self.np_random, _ = seeding.np_random(None)

    # --- spaces -------------------------------------------------------------------------------------
    def _make_obs_space(self, shape: tuple[int, ...]) -> gymnasium.spaces.Space[Any]:
        frame = gymnasium.spaces.Box(0, 255, shape, np.uint8)
        if not self.ram_state:
            return frame
        state = self.game.ram_state_space()
        assert state is not None
        return gymnasium.spaces.Dict({"frame": frame, "ram": state})

    def observation_space(self, agent: str) -> gymnasium.spaces.Space[Any]:
        """The observation space of ``agent`` (the same object on every call)."""
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> gymnasium.spaces.Discrete | gymnasium.spaces.MultiDiscrete:
        """The action space of ``agent`` (the same object on every call)."""
        return self.action_spaces[agent]

    # --- MAME lifecycle -----------------------------------------------------------------------------
    @property
    def bridge(self) -> Bridge | None:
        """The running MAME bridge (``None`` before the first reset or after close)."""
        return self._bridge

    def _boot(self) -> None:
        game = self.game
        self._start_state = self._start_seed = None
        machine = game.machine(self.rom_path)
        bridge = Bridge(machine, mame=self.mame, timeout=self.timeout, boot_timeout=self.boot_timeout,
                        render=self.mame_window, throttle=self.throttle, sound=self.sound)
        self._bridge, self._spaces = bridge, {}
        self.metadata["mame_version"] = version_name(bridge.binary)
        try:
            self._fields = {f: bridge.field(*f) for f in sorted(driven_fields(game, self._controller))}
            specs, self._var_at = self._var_reads()
            if self.obs_type == "ram":
                var, size = game.ram_obs  # type: ignore[misc]
                specs.append(ReadSpec(self._space_id(var), var.address, "u8", size, Agg.LAST))
            bridge.set_reads(specs)
            use_screen(bridge, game)
            use_frame_signal(bridge, game, self._fields)
        except BaseException:
            bridge.close()
            self._bridge = None
            raise

    def _start_seed_for(self, seed: int | None) -> int | None:
        """The seed the start must be built for: the episode seed where the reference's start depends on it (a
        power-on model), else None (one start for every seed)."""
        power_on = self.game.power_on
        if power_on is None or not power_on.seeded(self.game.single_agent):
            return None
        if seed is not None:
            return int(seed)
        if self._start_seed is not None:
            return self._start_seed  # an unseeded reset replays the last seed's start
        return int(self.np_random.integers(1 << 31))

    def _build_start(self, seed: int | None) -> None:
        """Run the game from power-on to its start state for ``seed`` (and save it), or take it from the cache."""
        bridge, game = self._bridge, self.game
        assert bridge is not None
        machine = game.machine(self.rom_path)
        self._start_state = self._start_seed = None
        cached = self._cached_start(machine, bridge, seed)
        if cached is not None:
            self._start_state, self._start_seed = cached, seed
            return
        self._runner().from_power_on(seed)
        self._start_state = os.path.join(bridge.workdir, "start.sta")
        bridge.save_state(self._start_state)
        # MAME writes the state at the end of its timeslice, within the next frame: the start state is the end of
        # this frame (a load runs to it again, and that frame end counts as the next step's first frame end)
        bridge.step(1, frame=False)
        self._start_seed = seed
        self._store_start(machine, bridge, seed)

    # --- start-state cache (opt-in: state_cache= or MAME_ZOO_STATE_CACHE; never a default folder in $HOME) ----
    def _cache_path(self, machine: MachineConfig, bridge: Bridge, seed: int | None) -> str | None:
        folder = self.state_cache or os.environ.get("MAME_ZOO_STATE_CACHE")
        if not folder:
            return None
        game = self.game
        key = hashlib.sha1()
        settings = game.settings()
        key.update(repr((PROTOCOL_VERSION, game.env_name, bridge.hello.mame_version, machine.system, settings,
                         tuple(game.start), self.obs_type == "ram", game.frame_signal,
                         sorted(game.input_taps.items()), sorted(game.charge_taps.items()), game.bus_taps,
                         game.early_writes, game.pen_screen, game.power_on, game.single_agent,
                         seed)).encode())
        state_files = [op.path for op in game.start if isinstance(op, LoadState)]
        for path in [*machine.media.values(), *_romset_files(machine), *state_files]:
            key.update(_file_digest(path))
        return os.path.join(os.path.abspath(folder), f"{game.env_name}-{key.hexdigest()[:20]}.sta")

    def _cached_start(self, machine: MachineConfig, bridge: Bridge, seed: int | None) -> str | None:
        path = self._cache_path(machine, bridge, seed)
        if path is None or not all(os.path.isfile(f) for f in (path, path + TIMELINE_SUFFIX)):
            return None
        try:
            bridge.load_state(path)  # validated here; reset() loads it again
        except StateError:
            return None  # a damaged or foreign file: rebuild it
        bridge.step(1, frame=False)
        return path

    def _store_start(self, machine: MachineConfig, bridge: Bridge, seed: int | None) -> None:
        path = self._cache_path(machine, bridge, seed)
        if path is None or self._start_state is None:
            return
        tmp = f"{path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            # the bridge's timing file first: a state with no timing file beside it is not taken from the cache
            shutil.copyfile(self._start_state + TIMELINE_SUFFIX, tmp)
            os.replace(tmp, path + TIMELINE_SUFFIX)
            shutil.copyfile(self._start_state, tmp)
            os.replace(tmp, path)  # atomic: parallel envs may race to write the same state
        except OSError as exc:  # the cache only saves time: a full disk or read-only folder must not stop the env
            warnings.warn(f"mame_zoo: cannot keep the start state in the cache {os.path.dirname(path)} ({exc}); "
                          "this env works without it. Fix the folder's permissions/space or unset the "
                          "state cache (state_cache= / MAME_ZOO_STATE_CACHE).", RuntimeWarning, stacklevel=2)
            with contextlib.suppress(OSError):
                os.remove(tmp)

    def _space_id(self, var: Var) -> int:
        assert self._bridge is not None
        key = (var.device, var.space)
        if key not in self._spaces:
            self._spaces[key] = self._bridge.space(*key).id
        return self._spaces[key]

    def _field_id(self, field: Input) -> int:
        assert self._bridge is not None
        fid = self._fields[field] = self._bridge.field(*field)
        return fid

    def _neutral(self) -> dict[int, int]:
        """Every driven field at rest: the controller's reset values, 0 for the start sequence's switches."""
        neutral = {self._fields[f]: v for f, v in self._controller.reset().items()}
        for f in self._fields:
            neutral.setdefault(self._fields[f], 0)
        return neutral

    def _runner(self) -> StartRunner:
        """The start-step interpreter on this env's bridge and fields."""
        assert self._bridge is not None
        return StartRunner(self._bridge, self.game, lambda f: self._fields[f] if f in self._fields
                           else self._field_id(f), self._neutral())

    # --- PettingZoo API -----------------------------------------------------------------------------
    def reset(self, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Start a new episode; ``seed`` makes the start (and so the whole trajectory) reproducible."""
        if seed is not None:
            self.np_random, _ = seeding.np_random(seed)
        if self._bridge is None or self._bridge.closed:
            self._boot()
        start_seed = self._start_seed_for(seed)
        if self._start_state is None or start_seed != self._start_seed:
            try:
                self._build_start(start_seed)
            except BaseException:
                if self._bridge is not None:  # a failed start leaves no MAME behind; the next reset boots anew
                    self._bridge.close()
                    self._bridge = None
                raise
        assert self._bridge is not None and self._start_state is not None
        try:
            self._bridge.load_state(self._start_state)
        except StateError as exc:
            # the start state went missing or bad under us (temp dir cleaned, cache file damaged): rebuild it once
            warnings.warn(f"mame_zoo: {exc}; restarting MAME to rebuild the start state", RuntimeWarning,
                          stacklevel=2)
            self._bridge.close()
            self._bridge = self._start_state = None
            self._boot()
            self._build_start(start_seed)
            assert self._bridge is not None and self._start_state is not None
            self._bridge.load_state(self._start_state)
        bridge = self._bridge
        restart = self.game.restart
        self._runner().run(restart)
        neutral = self._neutral()
        # A restart whose last hold is `observed` (ale-py's reset ends inside its second soft reset) keeps it held
        # on the observed frame; the first step (or the no-op start) releases it.
        last = restart[-1] if restart else None
        observed = isinstance(last, Hold) and last.observed
        held = {self._fields[f]: v for f, v in last.inputs.items()} if observed else {}  # type: ignore[union-attr]
        noops = int(self.np_random.integers(0, self.noop_max + 1)) if self.noop_max else 0
        crop = self.game.crop
        result = bridge.step(1 if held else 1 + noops, {**neutral, **held}, frame=self._needs_frame, crop=crop)
        self._release = {f: neutral[f] for f in held}
        if held and noops:
            result = bridge.step(noops, self._release, frame=self._needs_frame, crop=crop)
            self._release = {}
        self._rules = self.game.rules()
        self._rules.reset(self._values_at(result.values, -1))
        self._store(result)
        self.agents = list(self.possible_agents)
        self._last_actions = dict(self._noop)
        self._cycles = 0
        shared = self._rules.end_step()
        if self.render_mode == "human":
            self.render()
        return self._observations(self.agents), self._infos(self.agents, shared)

    @property
    def _needs_frame(self) -> bool:
        return self.obs_type != "ram" or self.render_mode is not None

    def _var_reads(self) -> tuple[list[ReadSpec], list[tuple[str, int, int]]]:
        """The variables' per-frame reads, adjacent ones of a space and type merged into one block read, and
        where each variable is in them: (name, read, column)."""
        specs: list[ReadSpec] = []
        where: list[tuple[str, int, int]] = []
        for name, var in sorted(self.game.vars.items(), key=lambda kv: (kv[1].device, kv[1].space, kv[1].dtype,
                                                                         kv[1].address)):
            space = self._space_id(var)
            size = TYPES[var.dtype][1].itemsize
            last = specs[-1] if specs else None
            if (last is not None and (last.space_id, last.dtype) == (space, var.dtype)
                    and var.address - last.address in range(0, (last.count + 1) * size, size)):
                column = (var.address - last.address) // size
                if column == last.count:
                    specs[-1] = ReadSpec(space, last.address, var.dtype, last.count + 1, Agg.ALL)
            else:
                specs.append(ReadSpec(space, var.address, var.dtype, 1, Agg.ALL))
                column = 0
            where.append((name, len(specs) - 1, column))
        return specs, where

    def _values_at(self, values: list[np.ndarray], index: int) -> dict[str, int]:
        return {name: int(values[spec][index, column]) for name, spec, column in self._var_at}

    def _store(self, result: Any) -> None:
        if result.frame is not None:
            self._frame = result.frame
        if self.obs_type == "ram":
            self._ram = result.values[-1]

    def _observations(self, agents: Sequence[str]) -> dict[str, Any]:
        obs = self._observation()
        if not self.ram_state:
            return dict.fromkeys(agents, obs)
        assert self._rules is not None
        index = {a: i for i, a in enumerate(self.possible_agents)}
        return {a: {"frame": obs, "ram": self.game.ram_state(self._rules, index[a])} for a in agents}

    def _infos(self, agents: Sequence[str], shared: dict[str, Any]) -> dict[str, dict[str, Any]]:
        if self.game.ram_state_space() is None or self._rules is None:
            return {a: dict(shared) for a in agents}
        index = {a: i for i, a in enumerate(self.possible_agents)}
        return {a: {**shared, "ram_state": self.game.ram_state(self._rules, index[a])} for a in agents}

    def _observation(self) -> np.ndarray:
        if self.obs_type == "ram":
            assert self._ram is not None
            return self._ram
        assert self._frame is not None
        frame = np.ascontiguousarray(self._frame)
        if self.obs_type == "grayscale_image":
            gray: np.ndarray = frame @ np.array([0.299, 0.587, 0.114])  # numpy types this matmul as Any
            return np.clip(gray + 0.5, 0, 255).astype(np.uint8)[..., None]
        return frame

    def _check_actions(self, actions: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(actions, Mapping):
            raise InvalidAction(f"actions must be a dict {{agent: action}}, got {type(actions).__name__}")
        checked: dict[str, int | tuple[int, ...]] = {}
        for agent, action in actions.items():
            if agent not in self.action_spaces:
                raise InvalidAction(f"unknown agent {agent!r}; agents are {self.possible_agents}")
            if agent not in self.agents:
                if action is None:
                    continue
                raise InvalidAction(f"agent {agent!r} is done and cannot act until reset()")
            if action is None:
                continue
            space = self.action_spaces[agent]
            if isinstance(space, gymnasium.spaces.MultiDiscrete):
                checked[agent] = _check_multi_discrete(agent, action, space)
                continue
            if isinstance(action, np.ndarray) and action.shape == ():
                action = action.item()
            if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
                raise InvalidAction(f"action of {agent!r} must be an int in [0, {space.n}), got {action!r}")
            if not 0 <= int(action) < space.n:
                raise InvalidAction(f"action {int(action)} of {agent!r} is out of range [0, {space.n})")
            checked[agent] = int(action)
        return checked

    def step(self, actions: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, float], dict[str, bool],
                                                        dict[str, bool], dict[str, dict[str, Any]]]:
        """Advance one step with every live agent's action; returns obs, rewards, terminations, truncations, infos."""
        if self._bridge is None or self._rules is None:
            raise ResetNeeded("call reset() before step()")
        if not self.agents:
            raise ResetNeeded("the episode is over (no agents left); call reset()")
        chosen = self._check_actions(actions)
        if self._rules.wants_noop:  # the game is in a phase where agents do not play (e.g. a skipped bonus stage)
            chosen = {}
        for agent in self.agents:
            chosen.setdefault(agent, self._noop[agent])
        inputs, later = self._frame_inputs(chosen)
        result = self._bridge.step(self.frameskip, inputs, frame=self._needs_frame, crop=self.game.crop, later=later)
        self._store(result)

        n = len(self.possible_agents)
        rewards = np.zeros(n)
        terminal = False
        lives: list[int] = [0] * n
        for f in range(self.frameskip):
            outcome = self._rules.frame(self._values_at(result.values, f))
            rewards += outcome.rewards[:n]
            lives = outcome.lives[:n] or lives
            if outcome.terminal:
                terminal = True
                break
        self._cycles += 1
        truncated = self._cycles >= self.max_cycles
        live = self.agents
        index = {a: i for i, a in enumerate(self.possible_agents)}
        out_obs = self._observations(live)
        out_rew = {a: float(rewards[index[a]]) for a in live}
        out_term = {a: terminal or lives[index[a]] < 0 for a in live}
        out_trunc = dict.fromkeys(live, truncated)
        out_info = self._infos(live, self._rules.end_step())
        self.agents = [a for a in live if not (out_term[a] or out_trunc[a])]
        if self.render_mode == "human":
            self.render()
        return out_obs, out_rew, out_term, out_trunc, out_info

    def _frame_inputs(self, chosen: dict[str, Any]) -> tuple[dict[int, int], list[tuple[int, dict[int, int]]]]:
        """The input values of the step's first frame and of its later frames where they change.

        Sticky actions are decided per emulated frame, as ALE does: in each frame each agent keeps the action it
        played in the frame before with probability ``repeat_action_probability``, so the new action takes over
        at a random frame of the step (or not in it). A turning dial moves frame by frame.
        """
        frames, last = self.frameskip, self._last_actions
        switch: dict[str, int] = {}
        p = self.repeat_action_probability
        if p:
            draws = self.np_random.random((len(chosen), frames)) >= p  # True: the frame takes the new action
            for (agent, action), takes in zip(chosen.items(), draws):
                if action != last.get(agent, self._noop[agent]):
                    switch[agent] = int(takes.argmax()) if takes.any() else frames
        controller, fields, forced = self._controller, self._fields, self._rules.forced_inputs()  # type: ignore[union-attr]

        def encode(frame: int) -> dict[int, int]:
            acting = {a: (last.get(a, self._noop[a]) if frame < switch.get(a, 0) else v) for a, v in chosen.items()}
            encoded = controller.encode(acting)
            if frame == 0:
                encoded.update(forced)
            return {(fields[f] if f in fields else self._field_id(f)): v for f, v in encoded.items()}

        inputs = encode(0)
        if self._release:
            inputs = {**self._release, **inputs}
            self._release = {}
        changes = range(1, frames) if controller.per_frame else sorted({f for f in switch.values() if 0 < f < frames})
        later = [(f, encode(f)) for f in changes]
        for agent, action in chosen.items():
            if switch.get(agent, 0) < frames:
                last[agent] = action
        return inputs, later

    def render(self) -> np.ndarray | None:
        """``rgb_array``: the current screen (RGB); ``human``: show it in a window."""
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode; pass render_mode= to the env")
            return None
        if self._frame is None:
            return None
        frame = np.ascontiguousarray(self._frame)
        if self.render_mode == "rgb_array":
            return frame
        self._show(frame)
        return None

    def _show(self, frame: np.ndarray) -> None:
        try:
            import pygame
        except ImportError as exc:
            raise ImportError("render_mode='human' needs pygame: pip install 'mame-zoo[play]'") from exc
        zoom = 3
        h, w = frame.shape[:2]
        if self._window is None:
            pygame.init()
            pygame.display.set_caption(self.game.env_name)
            self._window = pygame.display.set_mode((w * zoom, h * zoom))
        surface = pygame.surfarray.make_surface(frame.swapaxes(0, 1))
        self._window.blit(pygame.transform.scale(surface, (w * zoom, h * zoom)), (0, 0))
        pygame.event.pump()
        pygame.display.flip()

    def close(self) -> None:
        """Stop MAME and close the window. Safe to call more than once."""
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None
        self._start_state = self._start_seed = None
        self._rules = None
        self.agents = []
        if self._window is not None:
            import pygame

            pygame.display.quit()
            self._window = None


def configure(game: Game, kwargs: Mapping[str, Any]) -> tuple[Game, dict[str, Any]]:
    """Split factory keywords into game settings (``game.options``, e.g. SF3's ``characters``) and env options.

    Returns the configured game and the keywords left for :class:`MameParallelEnv`.
    """
    settings = {k: v for k, v in kwargs.items() if k in game.options}
    rest = {k: v for k, v in kwargs.items() if k not in game.options}
    return (game.with_settings(**settings) if settings else game), rest


def make_factories(game: Game) -> tuple[Callable[..., MameParallelEnv], Callable[..., AECEnv], Callable[..., AECEnv]]:
    """``(parallel_env, raw_env, env)`` for a game: the native parallel env, its AEC form, and AEC + order checks.

    AEC is derived from the parallel env once; ``parallel_env()`` is never a Parallel→AEC→Parallel round trip.
    """

    def parallel_env(**kwargs: Any) -> MameParallelEnv:
        configured, env_kwargs = configure(game, kwargs)
        return MameParallelEnv(configured, **env_kwargs)

    def raw_env(**kwargs: Any) -> AECEnv:
        return parallel_to_aec(parallel_env(**kwargs))

    def env(**kwargs: Any) -> AECEnv:
        return OrderEnforcingWrapper(raw_env(**kwargs))

    for fn, what in ((parallel_env, "ParallelEnv"), (raw_env, "AEC env"), (env, "AEC env with order checks")):
        fn.__doc__ = f"{game.env_name} as a PettingZoo {what}; keyword arguments go to MameParallelEnv."
    return parallel_env, raw_env, env


# Controller, Game and Rules live in mame_zoo.core.game; they stay importable from here
__all__ = ["Controller", "Game", "MameParallelEnv", "Rules", "configure", "driven_fields", "make_factories",
           "use_frame_signal", "use_screen"]

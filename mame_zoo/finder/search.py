"""The search model of the RAM address finder: value types, snapshots, candidates and the :class:`Finder`."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mame_zoo.bridge import Bridge, MachineConfig, ReadSpec
from mame_zoo.bridge.client import InputField, SpaceInfo
from mame_zoo.core.game import Game
from mame_zoo.core.ops import Hold, Input, PressUntil, Var
from mame_zoo.declarative.model import DeclarativeGame, resolve_media
from mame_zoo.declarative.rules import Decoder
from mame_zoo.declarative.write import machine_section, save_vars, var_entry
from mame_zoo.env import driven_fields, use_frame_signal, use_screen
from mame_zoo.errors import AddressError, InputNotFound, InvalidGameSpec, InvalidOption, UnknownGame
from mame_zoo.roms import rom_paths
from mame_zoo.start import StartRunner

MAX_SNAPSHOT = 64 << 20  # bytes of RAM one snapshot may hold
CHUNK = 0xFFFF  # the bridge's largest step


# --- value types -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ValueType:
    """How bytes at an address are read: size, signedness, byte order, packed BCD."""

    name: str
    size: int
    signed: bool = False
    big_endian: bool = False
    bcd: bool = False
    nibble: str = ""  # "hi" or "lo": one half of a byte (a digit or a small counter)

    def values_at(self, data: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(values, valid) of this type at ``offsets`` into the byte array ``data`` (BCD: valid digits only)."""
        out = np.zeros(len(offsets), np.int64)
        valid = np.ones(len(offsets), bool)
        for k in range(self.size):
            byte = data[offsets + k].astype(np.int64)
            weight = (self.size - 1 - k) if self.big_endian else k
            if self.bcd:
                hi, lo = byte >> 4, byte & 0xF
                valid &= (hi <= 9) & (lo <= 9)
                out += (hi * 10 + lo) * 100 ** weight
            else:
                out |= byte << (8 * weight)
        if self.nibble:
            out = (out >> 4) if self.nibble == "hi" else (out & 0xF)
        if self.signed:
            bits = 8 * self.size
            out = np.where(out >= 1 << (bits - 1), out - (1 << bits), out)
        return out, valid

    def var(self, address: int, space: SpaceInfo) -> tuple[Var, Decoder]:
        """The game-file variable reading this type at ``address`` (native order, or ``byteswap``)."""
        dtype = f"{'s' if self.signed else 'u'}{8 * self.size}"
        swap = self.size > 1 and self.big_endian != space.big_endian
        var = Var(address, dtype, space.device, space.name)
        if self.nibble:
            return var, Decoder(dtype, mask=0xF0, shift=4) if self.nibble == "hi" else Decoder(dtype, mask=0x0F)
        return var, Decoder(dtype, swap, bcd=self.bcd)


def _types() -> dict[str, ValueType]:
    out = {"u8": ValueType("u8", 1), "s8": ValueType("s8", 1, True), "bcd8": ValueType("bcd8", 1, bcd=True),
           "hi4": ValueType("hi4", 1, nibble="hi"), "lo4": ValueType("lo4", 1, nibble="lo")}
    for size in (2, 4):
        for order, big in (("le", False), ("be", True)):
            out[f"u{8 * size}{order}"] = ValueType(f"u{8 * size}{order}", size, False, big)
            out[f"s{8 * size}{order}"] = ValueType(f"s{8 * size}{order}", size, True, big)
            out[f"bcd{8 * size}{order}"] = ValueType(f"bcd{8 * size}{order}", size, False, big, True)
    return out


#: every value type the finder knows; ``u16`` (no order) means the space's own byte order
TYPES: dict[str, ValueType] = _types()
OPS = ("equal", "not_equal", "increased", "decreased", "changed_by", "value")
_ALIASES = {"unchanged": "equal", "same": "equal", "changed": "not_equal", "different": "not_equal",
            "delta": "changed_by", "is": "value"}


def _is_native_alias(name: str) -> bool:
    return name in ("u16", "s16", "u32", "s32", "bcd16", "bcd32")


# --- records -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Snapshot:
    """The RAM bytes of every searched range at one frame."""

    label: str | None
    frame: int
    data: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class Candidate:
    """A surviving (address, type): its value now and at the earlier snapshots (oldest first)."""

    address: int
    type: str
    value: int
    history: tuple[int | None, ...] = ()

    def __str__(self) -> str:
        past = " ".join("-" if v is None else str(v) for v in self.history)
        return f"{self.address:#010x} {self.type:<8} {self.value:>12}   {past}"


@dataclass(frozen=True)
class Target:
    """What ``mame-zoo find``/``debug`` runs: the machine, the game (if any) and media as a game file says it."""

    machine: MachineConfig
    game: Game | None = None
    media_specs: Mapping[str, str] | None = None


def resolve_target(target: str, *, cart: str | None = None, media: Mapping[str, str] | None = None,
                   rom_path: str | Sequence[str] | None = None) -> Target:
    """A registered game (``boxing_v0``), a game file (``my.toml``, even one with only ``[machine]``) or a
    MAME system name (``a2600`` with ``cart="ale:boxing"``, ``sfiii3n`` with ``rom_path``)."""
    from mame_zoo.declarative.parse import load_machine

    slots = dict(media or {})
    if cart:
        slots["cart"] = cart
    game: Game | None
    if target.endswith(".toml") or os.path.isfile(target):
        system, file_media, _, options, game = load_machine(target)
        specs = {**file_media, **slots}
        machine = MachineConfig(system, {k: resolve_media(v) for k, v in specs.items()},
                                tuple(rom_paths(rom_path)), options)
        return Target(machine, game, specs)
    from mame_zoo.games import declaration

    try:
        game = declaration(target)
    except UnknownGame:
        game = None
    if game is not None:
        machine = game.machine(rom_path)
        specs = dict(game.media) if isinstance(game, DeclarativeGame) else dict(machine.media)
        if slots:  # other media for the game's machine (e.g. another cartridge)
            specs.update(slots)
            machine = replace(machine, media={**machine.media, **{k: resolve_media(v) for k, v in slots.items()}})
        return Target(machine, game, specs)
    machine = MachineConfig(target, {k: resolve_media(v) for k, v in slots.items()}, tuple(rom_paths(rom_path)))
    return Target(machine, None, slots)


# --- the finder ------------------------------------------------------------------------------------------------
class Finder:
    """A live MAME machine whose RAM is searched for the addresses of game values.

    Args:
        machine: what to run (see :meth:`open` for names and game files).
        game: the game declaration, if any: :meth:`start` runs its start sequence, its agents' buttons are
            inputs named ``agent.button`` (``first_0.fire``).
        device: the CPU whose address space is searched (default the main CPU).
        space: the address space of ``device`` to search (default its program space).
        ranges: ``(first, last)`` address ranges to search; default every RAM range of the space's map.
        window: show MAME's window at real speed, so you can play with the keyboard between commands.
        media_specs: the media as a game file writes them (``{"cart": "ale:boxing"}``), for :meth:`save`.
        mame: the MAME binary (default: found automatically).
        timeout: the bridge's reply timeout in seconds.
        keep: how many snapshots are kept for comparisons and history.
    """

    def __init__(self, machine: MachineConfig, *, game: Game | None = None, device: str = ":maincpu",
                 space: str = "program", ranges: Sequence[tuple[int, int]] | None = None, window: bool = False,
                 media_specs: Mapping[str, str] | None = None, mame: str | None = None, timeout: float = 10.0,
                 keep: int = 16) -> None:
        self.machine = machine
        self.game = game
        self.window = window
        self.media_specs = dict(media_specs) if media_specs is not None else dict(machine.media)
        self.keep = max(2, keep)
        self.bridge = Bridge(machine, mame=mame, render=window, throttle=window, timeout=timeout)
        try:
            self.space = self.bridge.space(device, space)
            self.ranges = self._check_ranges(ranges) if ranges else self._ram_ranges()
            self._specs = [ReadSpec(self.space.id, lo, "u8", hi - lo + 1) for lo, hi in self.ranges]
            self._field_list: list[InputField] | None = None
            self._ids: dict[Input, int] = {}
            self.held: dict[Input, int] = {}
            self.snapshots: list[Snapshot] = []
            self.labels: dict[str, Snapshot] = {}
            self.masks: dict[str, list[np.ndarray]] = {}
            self._undo: list[dict[str, list[tuple[np.ndarray, int]]]] = []  # packed bits, length
            self.frame = self.bridge.hello.frame_number
            if game is not None:  # count frames as the game's envs do (its [frame] signal, if it has one)
                fields = driven_fields(game, game.controller(False))
                use_screen(self.bridge, game)
                use_frame_signal(self.bridge, game, {f: self._id(f) for f in sorted(fields)})
        except BaseException:
            self.bridge.close()
            raise

    @classmethod
    def open(cls, target: str, *, cart: str | None = None, media: Mapping[str, str] | None = None,
             rom_path: str | Sequence[str] | None = None, **kwargs: Any) -> Finder:
        """A finder on a registered game, a game file or a MAME system (see :func:`resolve_target`)."""
        t = resolve_target(target, cart=cart, media=media, rom_path=rom_path)
        return cls(t.machine, game=t.game, media_specs=t.media_specs, **kwargs)

    def close(self) -> None:
        """Stop MAME."""
        self.bridge.close()

    def __enter__(self) -> Finder:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- address ranges --------------------------------------------------------------------------------
    def _ram_ranges(self) -> list[tuple[int, int]]:
        entries = [(e.start, e.end) for e in self.bridge.memory_map(self.space) if e.read == "ram"]
        merged: list[tuple[int, int]] = []
        for lo, hi in sorted(entries):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
            else:
                merged.append((lo, hi))
        if not merged:
            kinds = sorted({f"{e.start:#x}-{e.end:#x} {e.read}" for e in self.bridge.memory_map(self.space)})
            raise AddressError(f"no RAM in the map of {self.space.device} {self.space.name}; give ranges= "
                               f"(the map: {', '.join(kinds[:12]) or 'empty'})")
        return self._check_ranges(merged)

    def _check_ranges(self, ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
        out = []
        for lo, hi in ranges:
            if not 0 <= lo <= hi <= self.space.address_mask:
                raise AddressError(f"range {lo:#x}-{hi:#x} is not inside {self.space.device} {self.space.name} "
                                   f"(0-{self.space.address_mask:#x})")
            out.append((int(lo), int(hi)))
        if sum(hi - lo + 1 for lo, hi in out) > MAX_SNAPSHOT:
            raise AddressError(f"the ranges hold more than {MAX_SNAPSHOT >> 20} MiB; search smaller ranges")
        return out

    # --- inputs ----------------------------------------------------------------------------------------
    def fields(self) -> list[InputField]:
        """Every input field of the machine."""
        if self._field_list is None:
            self._field_list = self.bridge.inputs()
        return list(self._field_list)

    def input(self, name: str | Input) -> Input:
        """An input field from its name: ``"P1 Right"`` (unique field name), ``":PORT/Field"``, an agent's button
        ``"first_0.fire"`` (game files), or a ``(port, field)`` pair."""
        if isinstance(name, tuple):
            return name
        fields = self.fields()
        if name.startswith(":") and "/" in name:
            port, field_name = name.split("/", 1)
            return port, field_name
        if isinstance(self.game, DeclarativeGame) and "." in name:
            agent, button = name.split(".", 1)
            for w in self.game.players:
                if w.name == agent and button in w.buttons:
                    return w.buttons[button]
        matchers: tuple[Callable[[InputField], bool], ...] = (
            (lambda f: f.field == name), (lambda f: f.field.lower() == name.lower()))
        for match in matchers:
            found = [(f.port, f.field) for f in fields if match(f)]
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise InputNotFound(f"{name!r} is a field of several ports: "
                                    + ", ".join(f"{p}/{n}" for p, n in found) + "; write PORT/FIELD")
        close = difflib.get_close_matches(name, sorted({f.field for f in fields}), n=4)
        raise InputNotFound(f"no input field {name!r}" + (f"; did you mean {', '.join(close)}?" if close else
                                                          "; `inputs` lists them"))

    def _id(self, field: Input) -> int:
        if field not in self._ids:
            self._ids[field] = self.bridge.field(*field)
        return self._ids[field]

    def hold(self, *names: str | Input, value: int = 1) -> None:
        """Hold inputs (at ``value``) during the following frames until :meth:`release`."""
        for name in names:
            field = self.input(name)
            self._id(field)
            self.held[field] = value

    def release(self, *names: str | Input) -> None:
        """Release the given inputs (all held ones when none are given)."""
        fields = [self.input(n) for n in names] if names else list(self.held)
        for field in fields:
            if field in self.held:
                self.held[field] = 0

    def _inputs(self, extra: Mapping[Input, int] | None = None) -> dict[int, int]:
        values = {self._id(f): v for f, v in self.held.items()}
        for f, v in (extra or {}).items():
            values[self._id(f)] = v
        return values

    def wait(self, frames: int) -> None:
        """Let ``frames`` frames pass with the held inputs."""
        self._run(frames, self._inputs())

    def _run(self, frames: int, inputs: dict[int, int]) -> None:
        if frames < 1:
            raise InvalidOption(f"frames must be >= 1, got {frames}")
        chunk = 30 if self.window else CHUNK  # real-time steps stay well inside the bridge's timeout
        while frames > 0:
            n = min(frames, chunk)
            self.frame = self.bridge.step(n, inputs, frame=False).frame_number
            frames -= n

    def press(self, *names: str | Input, frames: int = 1) -> None:
        """Hold ``names`` (with the held inputs) for ``frames`` frames, then let them go."""
        fields = [self.input(n) for n in names]
        self._run(frames, self._inputs(dict.fromkeys(fields, 1)))
        for f in fields:
            self.held.setdefault(f, 0)  # bridge inputs are sticky: send the release with the next frames

    def play(self, seconds: float) -> None:
        """Run ``seconds`` of game time; with ``window=True`` in real time, while you play with the keyboard."""
        self.wait(max(1, round(seconds * self.bridge.hello.refresh_hz)))

    def start(self, seed: int = 0) -> None:
        """Run the game from power-on (the reference's, for the episode ``seed``, where the game's machine has a
        power-on model) through its start and restart sequences: the state an env's first observation after
        ``reset(seed=seed)`` comes from (games and game files only)."""
        if self.game is None:
            raise InvalidGameSpec(f"{self.machine.system} is a bare machine: `start` needs a game or game file")
        ops = (*self.game.start, *self.game.restart)
        neutral = {self._id(f): 0 for op in ops if isinstance(op, Hold | PressUntil) for f in op.inputs}
        neutral.update({self._id(f): v for f, v in self.game.controller(False).reset().items()})
        runner = StartRunner(self.bridge, self.game, self._id, neutral,
                             step=lambda frames, inputs: self._run(frames, {**self._inputs(), **inputs}))
        runner.from_power_on(seed)
        runner.run(self.game.restart, seed)

    # --- snapshots and candidates ------------------------------------------------------------------------
    def snapshot(self, label: str | None = None) -> Snapshot:
        """Read the searched RAM now; it becomes the snapshot later filters compare with."""
        data = tuple(np.asarray(a, np.uint8) for a in self.bridge.read(self._specs))
        snap = Snapshot(label, self.frame, data)
        self.snapshots.append(snap)
        del self.snapshots[:-self.keep]
        if label:
            self.labels[label] = snap
        return snap

    def peek(self, address: int, count: int = 16) -> bytes:
        """``count`` bytes at ``address`` now."""
        (values,) = self.bridge.read([ReadSpec(self.space.id, address, "u8", count)])
        return bytes(np.asarray(values, np.uint8))

    def type_names(self, names: Iterable[str] = ()) -> list[str]:
        """Validated type names; ``u16``/``s16``/``u32``/``s32``/``bcd16``/``bcd32`` mean the space's byte order,
        ``all`` every type; none given: every type."""
        order = "be" if self.space.big_endian else "le"
        out: list[str] = []
        for name in names or ("all",):
            if name == "all":
                out += list(TYPES)
            elif _is_native_alias(name):
                out.append(name + order)
            elif name in TYPES:
                out.append(name)
            else:
                raise InvalidOption(f"unknown type {name!r}; types: {', '.join(TYPES)} (u16, s32, bcd16... mean the "
                                 f"space's byte order, {order})")
        return list(dict.fromkeys(out))

    def new(self, *types: str, aligned: bool | None = None) -> int:
        """Start a search: every address of the ranges, as every type in ``types`` (default all), is a candidate.

        Multi-byte types start at addresses aligned to their size when ``aligned`` (default: on CPUs with a
        data bus wider than 8 bits). Takes the first snapshot; returns the number of candidates.
        """
        if aligned is None:
            aligned = self.space.data_width > 8
        self.masks = {}
        for name in self.type_names(types):
            t = TYPES[name]
            per_range = []
            for lo, hi in self.ranges:
                n = max(0, hi - lo + 1 - t.size + 1)
                mask = np.ones(n, bool)
                if aligned and t.size > 1:
                    mask &= (lo + np.arange(n)) % t.size == 0
                per_range.append(mask)
            self.masks[name] = per_range
        self._undo = []
        self.snapshot("new")
        return self.count

    @property
    def count(self) -> int:
        """The number of surviving (address, type) candidates."""
        return int(sum(int(m.sum()) for masks in self.masks.values() for m in masks))

    def restrict(self, *types: str) -> int:
        """Keep only candidates of the given types."""
        keep = set(self.type_names(types))
        self._push_undo()
        self.masks = {k: v for k, v in self.masks.items() if k in keep}
        return self.count

    def filter(self, op: str, value: int | None = None, *, since: str | None = None) -> int:
        """Take a snapshot and keep the candidates whose value, compared with the previous snapshot (or the one
        labelled ``since``), is ``equal``, ``not_equal``, ``increased``, ``decreased``, ``changed_by`` ``value``;
        or (``value``) equals ``value`` now. Returns the number of survivors."""
        op = _ALIASES.get(op, op)
        if op not in OPS:
            raise InvalidOption(f"unknown comparison {op!r}; use one of {', '.join(OPS)}")
        if op in ("changed_by", "value") and value is None:
            raise InvalidOption(f"{op} needs a number")
        if not self.masks:
            raise InvalidOption("no search yet: call new() first")
        before = self._reference(since)
        now = self.snapshot()
        self._push_undo()
        for name, masks in self.masks.items():
            t = TYPES[name]
            for r, mask in enumerate(masks):
                idx = np.flatnonzero(mask)
                if not idx.size:
                    continue
                cur, ok = t.values_at(now.data[r], idx)
                if op == "value":
                    keep = ok & (cur == value)
                else:
                    old, ok_old = t.values_at(before.data[r], idx)
                    ok &= ok_old
                    diff = cur - old
                    keep = ok & {"equal": diff == 0, "not_equal": diff != 0, "increased": diff > 0,
                                 "decreased": diff < 0, "changed_by": diff == (value or 0)}[op]
                mask[idx[~keep]] = False
        return self.count

    def _reference(self, since: str | None) -> Snapshot:
        if since is not None:
            if since not in self.labels:
                raise InvalidOption(f"no snapshot labelled {since!r}; labels: {', '.join(self.labels) or '(none)'}")
            return self.labels[since]
        return self.snapshots[-1]

    def equal(self, since: str | None = None) -> int:
        """Keep candidates whose value did not change."""
        return self.filter("equal", since=since)

    def not_equal(self, since: str | None = None) -> int:
        """Keep candidates whose value changed."""
        return self.filter("not_equal", since=since)

    def increased(self, since: str | None = None) -> int:
        """Keep candidates whose value went up."""
        return self.filter("increased", since=since)

    def decreased(self, since: str | None = None) -> int:
        """Keep candidates whose value went down."""
        return self.filter("decreased", since=since)

    def changed_by(self, delta: int, since: str | None = None) -> int:
        """Keep candidates whose value changed by exactly ``delta`` (negative: went down by it)."""
        return self.filter("changed_by", delta, since=since)

    def value(self, value: int) -> int:
        """Keep candidates whose value is ``value`` now (BCD types: the decimal number)."""
        return self.filter("value", value)

    def undo(self) -> int:
        """Undo the last filter or type restriction."""
        if not self._undo:
            raise InvalidOption("nothing to undo")
        packed = self._undo.pop()
        self.masks = {k: [np.unpackbits(bits, count=n).astype(bool) for bits, n in v] for k, v in packed.items()}
        return self.count

    def _push_undo(self) -> None:
        """Keep the candidates as they are now (as bits; at most ~128 MiB of history, at least one step)."""
        packed = {k: [(np.packbits(m), len(m)) for m in v] for k, v in self.masks.items()}
        self._undo.append(packed)
        size = sum(b.nbytes for b, _ in next(iter(packed.values()), [])) * max(1, len(packed))
        del self._undo[:-max(1, min(32, (128 << 20) // max(1, size)))]

    def candidates(self, limit: int | None = None, types: Iterable[str] = (),
                   address: int | None = None) -> list[Candidate]:
        """The survivors (optionally of some types, or at one address), by address, with their values now and at
        the earlier snapshots. ``limit`` keeps the first ones (cheap even with millions of survivors)."""
        wanted = set(self.type_names(types)) if types else None
        found: list[tuple[int, int, str, int, int]] = []
        order = {name: i for i, name in enumerate(TYPES)}
        for name, masks in self.masks.items():
            if wanted is not None and name not in wanted:
                continue
            for r, mask in enumerate(masks):
                lo = self.ranges[r][0]
                if address is not None:
                    off = address - lo
                    offsets = [off] if 0 <= off < len(mask) and mask[off] else []
                else:
                    offsets = np.flatnonzero(mask)[:limit].tolist()  # each array is sorted by address
                found += [(lo + off, order[name], name, r, off) for off in offsets]
        found.sort()
        if limit is not None:
            found = found[:limit]
        snaps = self.snapshots[-6:]
        out = []
        for address, _, name, r, off in found:
            t = TYPES[name]
            series = []
            for snap in snaps:
                v, ok = t.values_at(snap.data[r], np.array([off]))
                series.append(int(v[0]) if ok[0] else None)
            now = series[-1]
            out.append(Candidate(address, name, now if now is not None else -1, tuple(series[:-1])))
        return out

    def read(self, address: int, type: str) -> int:
        """The value of ``type`` at ``address`` now."""
        t = TYPES[self.type_names([type])[0]]
        raw = np.frombuffer(self.peek(address, t.size), np.uint8)
        value, ok = t.values_at(raw, np.array([0]))
        if not ok[0]:
            raise InvalidOption(f"{raw.tobytes().hex()} at {address:#x} is not valid {t.name}")
        return int(value[0])

    def watch(self, candidates: Sequence[Candidate] | None = None, frames: int = 60,
              every: int = 10) -> list[tuple[int, list[int | None]]]:
        """Run ``frames`` frames (held inputs stay held) and read the candidates every ``every`` frames.

        Returns ``(frame number, values)`` rows, one value per candidate (None: not valid for its type).
        """
        cands = list(candidates) if candidates is not None else self.candidates(limit=8)
        rows = []
        done = 0
        while done < frames:
            n = min(every, frames - done)
            self.wait(n)
            done += n
            values: list[int | None] = []
            for c in cands:
                try:
                    values.append(self.read(c.address, c.type))
                except ValueError:
                    values.append(None)
            rows.append((self.frame, values))
        return rows

    # --- saving -------------------------------------------------------------------------------------------
    def pick(self, address: int | None = None, type: str | None = None) -> Candidate:
        """The one survivor at ``address`` and/or of ``type``; raises if there is none or more than one."""
        found = self.candidates(limit=11, types=[type] if type else (), address=address)
        if len(found) != 1:
            where = f" at {address:#x}" if address is not None else ""
            what = f" of type {type}" if type else ""
            listing = ", ".join(f"{c.address:#x} {c.type}" for c in found[:10])
            more = ", ..." if len(found) > 10 else ""
            many = "more than 10" if len(found) > 10 else str(len(found))
            raise InvalidOption(f"{many} candidates{where}{what}" + (f" ({listing}{more})" if found else "")
                             + "; narrow further or give the address and type")
        return found[0]

    def variable(self, address: int, type: str) -> tuple[Var, Decoder]:
        """The game-file variable for ``type`` at ``address`` in the searched space."""
        return TYPES[self.type_names([type])[0]].var(address, self.space)

    def save(self, path: str | os.PathLike[str], name: str, address: int | None = None,
             type: str | None = None, *, mask: int | None = None, shift: int = 0) -> tuple[Var, Decoder]:
        """Write variable ``name`` into the game file ``path`` (created with ``[machine]`` and ``[screen]`` if it
        does not exist). Without ``address`` the single survivor (of ``type``, if given) is taken; ``mask`` and
        ``shift`` keep some bits of it (``mask=0xF0, shift=4``: the high nibble)."""
        if address is None or type is None:
            chosen = self.pick(address, type)
            address, type = chosen.address, chosen.type
        var, decoder = self.variable(address, type)
        if mask is not None or shift:
            decoder = replace(decoder, mask=mask, shift=shift)
        hello = self.bridge.hello
        new_file = machine_section(self.machine.system, self.media_specs, tuple(self.machine.options),
                                   (hello.screen_height, hello.screen_width))
        found_as = TYPES[self.type_names([type])[0]].name
        save_vars(path, {name: var_entry(var, decoder)}, {name: f"found by mame-zoo find as {found_as}"},
                  new_file=new_file)
        return var, decoder

    def save_state(self, path: str | os.PathLike[str]) -> None:
        """Save a MAME state (e.g. for a game file's ``[start] state``); written before the next frame."""
        self.bridge.save_state(path)
        self._run(1, self._inputs())

    def load_state(self, path: str | os.PathLike[str]) -> None:
        """Load a MAME state saved on this machine."""
        self.bridge.load_state(path)
        self._run(1, self._inputs())

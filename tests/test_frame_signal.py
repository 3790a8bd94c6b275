"""The game's own frame (protocol v2's SIGNAL and TAP) on real MAME: the 2600 stepping on VSYNC-off.

What the Atari game files' ``[frame] machine = "atari2600"`` relies on: one step is one game frame (also when the
game's frames are not MAME's 262 lines), frame skip and save states stay exact, inputs reach the game at once,
and the built-in machine's taps are where MAME's own driver puts each control.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import numpy as np
import pytest

from mame_zoo.bridge import Agg, Bridge, MachineConfig, ReadSpec
from mame_zoo.bridge.protocol import Edge
from mame_zoo.core.ops import InputTap, InstructionLimit
from mame_zoo.declarative.machines import MACHINES
from mame_zoo.errors import AddressError, InputNotFound, ProtocolError
from mame_zoo.roms import atari_rom

pytestmark = pytest.mark.timeout(180)
MODEL = MACHINES["atari2600"]("a2600")
SIGNAL, TAPS = MODEL.signal, MODEL.taps
PADDLES = ("-joyport1", "pad", "-joyport2", "pad")


def signalled(mame: str, game: str = "boxing", options: tuple[str, ...] = (), system: str = "a2600",
              longest: int = 0, instructions: InstructionLimit | None = None) -> Bridge:
    """A 2600 bridge stepping on VSYNC-off (frames bounded by ``longest`` MAME frames, or cut after
    ``instructions``), every built-in tap of its controls installed, RAM read each step."""
    bridge = Bridge(MachineConfig(system, {"cart": atari_rom(game)}, (), options), mame=mame)
    space = bridge.space()
    ins = instructions
    bridge.set_signal(space.id, SIGNAL.address, SIGNAL.mask, Edge.FALL, SIGNAL.mirror, longest,
                      instructions=None if ins is None else (ins.count, ins.first, ins.last, ins.mirror))
    ports = {f.port for f in bridge.inputs()}
    for (port, name), tap in TAPS.items():
        if port in ports:
            bridge.tap_input(bridge.field(port, name), space.id, tap.address, tap.mask, tap.active_low, tap.mirror)
    bridge.set_reads([ReadSpec(space.id, 0x80, "u8", 128, Agg.ALL)])
    return bridge


@pytest.fixture
def boxing(mame_binary: str) -> Iterator[Bridge]:
    bridge = signalled(mame_binary)
    with bridge:
        yield bridge


def field(bridge: Bridge, name: str, port: str = ":joyport1:joy:JOY") -> int:
    return bridge.field(port, name)


def random_inputs(bridge: Bridge, steps: int, seed: int) -> list[dict[int, int]]:
    ids = [field(bridge, n) for n in ("P1 Up", "P1 Down", "P1 Left", "P1 Right", "P1 Button 1")]
    ids += [field(bridge, n.replace("P1", "P2"), ":joyport2:joy:JOY") for n in ("P1 Up", "P1 Right", "P1 Button 1")]
    rng = np.random.default_rng(seed)
    return [{i: int(rng.integers(2)) for i in ids} for _ in range(steps)]


def start(bridge: Bridge) -> None:
    reset = bridge.field(":SWB", "Reset Game")
    bridge.step(60, frame=False)
    bridge.step(4, {reset: 1}, frame=False)
    bridge.step(1, {reset: 0}, frame=False)


def play(bridge: Bridge, inputs: list[dict[int, int]]) -> list[bytes]:
    return [bytes(bridge.step(1, i, frame=False).values[0]) for i in inputs]


def read(bridge: Bridge, address: int) -> int:
    return int(bridge.read([ReadSpec(bridge.space().id, address, "u8", 1, Agg.LAST)])[0][0])


def test_one_step_is_one_game_frame_even_when_it_is_not_mames(mame_binary: str, boxing: Bridge) -> None:
    """Boxing draws 262 lines, MAME's a2600 frame: one step per MAME frame. Combat (PAL) draws 314 on the
    312-line a2600p: its steps fall behind MAME's frames by one every 156 game frames."""
    start(boxing)
    before = boxing.step(1, frame=False).frame_number
    after = boxing.step(600, frame=False).frame_number
    assert after - before == 600
    combat = signalled(mame_binary, "combat", system="a2600p")
    with combat:
        start(combat)
        first = combat.step(1, frame=False).frame_number
        last = combat.step(3120, frame=False).frame_number
    assert last - first == 3120 * 314 // 312


def test_frameskip_is_single_frames_and_every_frame_is_sampled(boxing: Bridge) -> None:
    start(boxing)
    path = os.path.join(boxing.workdir, "f.sta")
    boxing.save_state(path)
    hold = random_inputs(boxing, 1, 3)[0]
    singles = [bytes(boxing.step(1, hold, frame=False).values[0]) for _ in range(12)]
    boxing.load_state(path)
    skipped = bytes(boxing.step(12, hold, frame=False).values[0])
    assert skipped == b"".join(singles)  # ALL: each signal frame's RAM, in order


def test_save_and_load_at_a_signal_are_exact_across_processes(mame_binary: str, boxing: Bridge,
                                                              tmp_path: os.PathLike[str]) -> None:
    start(boxing)
    inputs = random_inputs(boxing, 300, 7)
    play(boxing, inputs[:100])
    path = os.path.join(tmp_path, "mid.sta")
    boxing.save_state(path)
    first = play(boxing, inputs[100:])
    boxing.load_state(path)
    assert play(boxing, inputs[100:]) == first
    other = signalled(mame_binary)
    with other:
        other.load_state(path)
        assert play(other, inputs[100:]) == first
    assert len({f[0x20] for f in first}) > 5  # the log moved first_0's boxer: inputs reached the game


#: the machine model's instruction limit (Stella's 25000 instructions, counted on the cartridge's reads)
COUNTED = MACHINES["atari2600"]("a2600", instructions=True).signal.instructions


def counted(mame: str) -> Bridge:
    """Entombed stepping on VSYNC-off or after Stella's 25000 instructions."""
    return signalled(mame, "entombed", instructions=COUNTED)


def test_frames_of_25000_instructions_save_and_load_exactly(mame_binary: str, tmp_path: os.PathLike[str]) -> None:
    """Entombed's title screen loops without VSYNC while FIRE is held (INY; LDA INPT4; BPL: 8 cycles for 3
    instructions): with Stella's instruction limit each such step ends after 25000 instructions, some 67 000
    cycles (3-4 of MAME's frames), and steps are single VSYNC frames again once FIRE is released. A state saved
    between two cut steps, loaded here and in another process, replays them: the model's place in the cut frame
    travels beside the state."""
    bridge = counted(mame_binary)
    with bridge:
        start(bridge)
        fire = field(bridge, "P1 Button 1")
        bridge.step(1, frame=False)
        for _ in range(2):
            bridge.step(1, {fire: 1}, frame=False)
        path = os.path.join(tmp_path, "loop.sta")
        bridge.save_state(path)
        inputs = [{fire: 1}] * 4 + [{fire: 0}] * 4
        steps = [bridge.step(1, i, frame=False) for i in inputs]
        numbers = np.diff([s.frame_number for s in steps]).tolist()
        assert all(3 <= n <= 4 for n in numbers[:3]) and numbers[-3:] == [1, 1, 1], numbers
        first = [bytes(s.values[0]) for s in steps]
        bridge.load_state(path)
        assert play(bridge, inputs) == first
    other = counted(mame_binary)
    with other:
        other.load_state(path)
        assert play(other, inputs) == first


def test_inputs_reach_the_game_at_once(boxing: Bridge) -> None:
    """A tapped input reads pressed right after the step that set it, before MAME's own frame end takes it."""
    start(boxing)
    up, fire = field(boxing, "P1 Up"), field(boxing, "P1 Button 1")
    boxing.step(1, {up: 1, fire: 1}, frame=False)
    assert read(boxing, 0x280) & 0x10 == 0 and read(boxing, 0x0C) & 0x80 == 0
    assert read(boxing, 0x380) & 0x10 == 0 and read(boxing, 0x3C) & 0x80 == 0  # mirrors too
    boxing.step(1, {up: 0, fire: 0}, frame=False)
    assert read(boxing, 0x280) & 0x10 and read(boxing, 0x0C) & 0x80


@pytest.mark.parametrize("options", [(), PADDLES], ids=["joysticks", "paddles"])
def test_the_builtin_taps_are_where_mames_driver_puts_each_control(mame_binary: str,
                                                                    options: tuple[str, ...]) -> None:
    """Press each control through MAME alone (no taps: its own frame end takes the value in) and check that
    exactly the declared bit changes, at the declared address and at every mirror of it."""
    bridge = Bridge(MachineConfig("a2600", {"cart": atari_rom("boxing")}, (), options), mame=mame_binary)
    with bridge:
        ports = {f.port for f in bridge.inputs()}
        mine = {key: tap for key, tap in TAPS.items() if key[0] in ports}
        assert len(mine) == (12 if not options else 6)  # 2 joysticks + 2 switches, or 4 paddle buttons + 2
        bridge.step(5, frame=False)
        for (port, name), tap in mine.items():
            fid = bridge.field(port, name)
            mirrors = [tap.address | m for m in range(0x1000) if m & ~tap.mirror == 0]
            released = [read(bridge, a) for a in mirrors]
            bridge.step(2, {fid: 1}, frame=False)
            pressed = [read(bridge, a) for a in mirrors]
            bridge.step(2, {fid: 0}, frame=False)
            level = (0 if tap.active_low else tap.mask, tap.mask if tap.active_low else 0)
            assert {r & tap.mask for r in released} == {level[1]}, (name, "released")
            assert {p & tap.mask for p in pressed} == {level[0]}, (name, "pressed")
            if tap.address in (0x280, 0x282):  # RIOT registers are clean bytes: nothing else moved
                assert {(r ^ p) & ~tap.mask & 0xFF for r, p in zip(released, pressed)} == {0}, name


def test_a_signal_can_be_replaced_and_cleared(mame_binary: str) -> None:
    """Combat on the a2600p: stepping on its VSYNC, on a second signal that replaces the first, then (space 0)
    on MAME's frame end again, each counting its own frames."""
    combat = signalled(mame_binary, "combat", system="a2600p")
    with combat:
        start(combat)
        combat.set_signal(combat.space().id, SIGNAL.address, SIGNAL.mask, Edge.FALL, SIGNAL.mirror)  # replaced
        first = combat.step(1, frame=False).frame_number
        assert combat.step(1560, frame=False).frame_number - first == 1560 * 314 // 312
        combat.set_signal(0, 0, 0)
        first = combat.step(1, frame=False).frame_number
        assert combat.step(600, frame=False).frame_number - first == 600


def test_bad_signals_and_taps_are_refused(boxing: Bridge) -> None:
    space = boxing.space()
    with pytest.raises(ProtocolError, match="bit mask"):
        boxing.set_signal(space.id, 0x00, 0, Edge.FALL)
    with pytest.raises(AddressError, match="unknown space id"):
        boxing.set_signal(999, 0x00, 0x02, Edge.FALL)
    with pytest.raises(ProtocolError, match="12 bits"):
        boxing.set_signal(space.id, 0x00, 0x02, Edge.FALL, mirror=0x1FFF)
    with pytest.raises(AddressError, match="code address range outside the space"):
        boxing.set_signal(space.id, 0x00, 0x02, Edge.FALL, instructions=(25000, 0x1000, 0x2FFF, 0))
    with pytest.raises(InputNotFound):
        boxing.tap_input(4242, space.id, 0x280, 0x10, True)
    tap = InputTap(0x280, 0x10)
    with pytest.raises(AddressError, match="outside the space"):
        boxing.tap_input(field(boxing, "P1 Up"), space.id, 0xFFFFFF, tap.mask, tap.active_low)
    start(boxing)  # the session goes on
    boxing.step(1, frame=False)


def test_a_game_file_declares_its_frame() -> None:
    """Pure logic: the format's [frame] section, its built-in machine, and its errors."""
    from dataclasses import replace

    from mame_zoo.core.ops import FrameSignal
    from mame_zoo.declarative import loads_game
    from mame_zoo.errors import InvalidGameSpec
    from mame_zoo.games.atari import GAMES

    limited = {"entombed_competitive", "entombed_cooperative", "video_checkers", "ice_hockey", "maze_craze"}  # limit
    timed = {"ice_hockey", "video_checkers", "maze_craze"}  # [frame] timer = true
    cut = {"entombed_competitive", "entombed_cooperative", "video_checkers", "maze_craze"}  # instructions = true
    early = {"combat_tank", "combat_plane", "pong", "basketball_pong", "foozpong", "quadrapong", "volleyball_pong"}
    for g in GAMES:  # the machine's on the file's MAME system (Combat, Maze Craze and Space War: PAL's a2600p)
        model = MACHINES["atari2600"](g.system, "PAL" if g.name == "maze_craze" else None, g.name in limited,
                                      early=g.name in early, timer=g.name in timed, instructions=g.name in cut)
        assert g.frame_signal == model.signal, g.name
        assert g.early_writes == model.early, g.name
        assert (g.frame_signal.instructions is not None) == (g.name in cut), g.name
        assert g.input_taps == TAPS and g.charge_taps == model.charges and g.bus_taps == model.bus
        assert g.power_on == model.power_on
    assert MACHINES["atari2600"]("a2600p").signal.limit.lines == 342 != SIGNAL.limit.lines
    base = ('[game]\nname = "g"\n[machine]\nsystem = "a2600"\nmedia = { cart = "ale:boxing" }\n[screen]\n'
            'size = [10, 10]\n[actions]\ntable = "atari"\n[[agents]]\nname = "a"\n'
            'buttons.fire = [":joyport1:joy:JOY", "P1 Button 1"]\n')
    custom = loads_game(base + '[frame]\nsignal = { address = 0x10, mask = 0x80, edge = "rise" }\n'
                        'taps = [{ input = [":SWB", "Reset Game"], address = 0x282, mask = 1, mirror = 0x100 }]\n')
    assert custom.frame_signal == FrameSignal(0x10, 0x80, "rise")
    bounded_file = loads_game(base + '[frame]\nmachine = "atari2600"\nlongest = 3\n')
    assert bounded_file.frame_signal == replace(SIGNAL, longest=3)
    assert custom.input_taps == {(":SWB", "Reset Game"): InputTap(0x282, 1, True, 0x100)}
    assert loads_game(base).frame_signal is None
    for bad, message in (('machine = "c64"', "no built-in machine 'c64'"),
                         ('machine = "atari2600"\ndisplay = "SECAM"', 'must be "NTSC" or "PAL"'),
                         ('signal = { address = 0, mask = 2 }\nlimit = true', "belongs to a built-in machine"),
                         ('signal = { address = 0, mask = 2 }\ntimer = true', "belongs to a built-in machine"),
                         ('signal = { address = 0, mask = 2, edge = "up" }', 'must be "fall" or "rise"'),
                         ('machine = "atari2600"\nsignal = { address = 0, mask = 2 }', "give either machine")):
        with pytest.raises(InvalidGameSpec, match=message):
            loads_game(base + "[frame]\n" + bad + "\n")
    with pytest.raises(InvalidGameSpec, match="edge"):
        FrameSignal(0, 2, "up")
    with pytest.raises(InvalidGameSpec, match="instruction limit counts"):
        InstructionLimit(0, 0x1000, 0x1FFF)
    with pytest.raises(InvalidGameSpec, match="code range"):
        InstructionLimit(25000, 0x1FFF, 0x1000)


def test_a_frame_without_vsync_ends_at_the_longest(mame_binary: str) -> None:
    """Entombed's title screen loops without VSYNC while the first player holds FIRE (its loop count seeds the
    maze): each such step ends at MAME's ``longest``-th frame end (without a bound the step would never end).
    Released, steps are one VSYNC frame each again. (The game files count Stella's 25000 instructions instead:
    tests/test_fidelity_ale.py.)"""
    assert SIGNAL.longest == 0  # not the machine's default: Boxing's power-on frames would count otherwise
    bridge = signalled(mame_binary, "entombed", longest=4)
    with bridge:
        start(bridge)
        fire = field(bridge, "P1 Button 1")
        numbers = [bridge.step(1, frame=False).frame_number]
        numbers += [bridge.step(1, {fire: 1}, frame=False).frame_number for _ in range(4)]
        numbers += [bridge.step(1, {fire: 0}, frame=False).frame_number for _ in range(4)]
        steps = np.diff(numbers).tolist()
        assert steps[1:4] == [4, 4, 4], steps
        assert steps[-3:] == [1, 1, 1], steps

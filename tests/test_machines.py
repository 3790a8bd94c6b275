"""The ``atari2600`` machine model on real MAME: the 2600 as Stella (ALE) powers it on, times its paddles and reads
its TIA. The fidelity tests compare whole replays with ALE; these pin the pieces without ALE."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mame_zoo.bridge import Agg, Bridge, MachineConfig, ReadSpec
from mame_zoo.bridge.protocol import BusModel
from mame_zoo.declarative.machines import POTS, StellaPowerOn, atari2600, stella_paddle_cycles
from mame_zoo.env import MameParallelEnv
from mame_zoo.errors import AddressError, InvalidOption, MameZooError
from mame_zoo.games import combat_tank_v0, tennis_v0
from mame_zoo.roms import atari_rom
from mame_zoo.single_agent import SingleAgentEnv

pytestmark = pytest.mark.timeout(240)


def ram_after_reset(env: object, seed: int) -> np.ndarray:
    try:
        obs, _ = env.reset(seed=seed)  # type: ignore[attr-defined]
        first = obs if isinstance(obs, np.ndarray) else next(iter(obs.values()))
        return np.asarray(first).copy()
    finally:
        env.close()  # type: ignore[attr-defined]


def test_the_twister_is_stellas() -> None:
    """The power-on fill is std::mt19937's low bytes (the first outputs for seed 5489, the standard's check
    value being the 10000th), and ale-py's is seeded with its system seed whatever the episode seed."""
    power_on = StellaPowerOn()
    assert power_on._draws(5489, False, 1)[0] == 3499211612  # mt19937's first output for its default seed
    assert power_on._draws(5489, False, 10000)[-1] == 4123659995  # the C++ standard's check value
    assert power_on.fill(1, True) == power_on.fill(2, True) != power_on.fill(1, False)
    assert power_on.timer(7, False, 2) == 25 + int(power_on._draws(7, False, 1)[0]) % 75  # re-seeded stream
    assert power_on.timer(7, True, 0) == 25 + int(power_on._draws(7, True, 130)[129]) % 75


@pytest.mark.parametrize("seed", [1, 12345])
def test_combat_keeps_the_seeds_power_on_bytes(mame_binary: str, seed: int) -> None:
    """Combat never clears RAM 0xA6/0xA7: after a reset they hold the power-on fill of the episode seed."""
    ram = ram_after_reset(combat_tank_v0.parallel_env(obs_type="ram"), seed)
    fill = StellaPowerOn().fill(seed, False)
    assert bytes(ram[0x26:0x28]) == fill[0x26:0x28]


def test_seeds_change_multi_agent_starts_not_single_agent_ones(mame_binary: str) -> None:
    """Multi-Agent-ALE's start depends on the seed (Tennis' frame counter 0x84: 79 after seed 1's reset, 80
    after seed 2's, as measured in ALE); ale-py's does not."""
    counters = [int(ram_after_reset(tennis_v0.parallel_env(obs_type="ram"), s)[0x04]) for s in (1, 2)]
    assert counters == [79, 80]
    single = [ram_after_reset(SingleAgentEnv("tennis_v0", obs_type="ram"), s) for s in (1, 2)]
    assert (single[0] == single[1]).all()


@pytest.mark.parametrize("pot", sorted(POTS))
def test_pots_are_the_inputs_mame_reads_there(mame_binary: str, pot: tuple[str, str]) -> None:
    """MAME's own wiring, without the bridge's taps: a pot at 0 reads charged (bit 7) at its INPT register only."""
    config = MachineConfig("a2600", {"cart": atari_rom("pong")}, (), ("-joyport1", "pad", "-joyport2", "pad"))
    with Bridge(config, mame=mame_binary) as bridge:
        space = bridge.space()
        fields = {p: bridge.field(*p) for p in POTS}
        bridge.step(2, {fid: (0 if p == pot else 255) for p, fid in fields.items()}, frame=False)
        read = bridge.read([ReadSpec(space.id, a, "u8", 1, Agg.LAST) for a in (0x08, 0x09, 0x0A, 0x0B)])
        charged = [int(v[0]) & 0x80 != 0 for v in read]
        assert charged == [a == POTS[pot] for a in (0x08, 0x09, 0x0A, 0x0B)]


def test_paddle_cycles_are_stellas() -> None:
    assert stella_paddle_cycles(27450) == 522 and stella_paddle_cycles(790196) == 15045
    assert stella_paddle_cycles(408823) == 7783 and stella_paddle_cycles(0) == -1  # 0 ohms: charged at once


def test_the_bus_fills_the_tias_undriven_bits(mame_binary: str) -> None:
    """Boxing keeps INPT4 as read (LDA $000C,Y into 0xE3): Stella's bus holds the address' high byte there (0),
    MAME's own guess the low byte (0x0C). With the machine's bus tap the RAM holds Stella's."""
    model = atari2600("a2600")
    for tapped in (False, True):
        with Bridge(MachineConfig("a2600", {"cart": atari_rom("boxing")}), mame=mame_binary) as bridge:
            space = bridge.space()
            if tapped:
                for bus in model.bus:
                    bridge.tap_bus(space.id, bus.first, bus.last, bus.mask, BusModel[bus.model.upper()], bus.mirror)
            reset = bridge.field(":SWB", "Reset Game")
            bridge.step(60, frame=False)
            bridge.step(8, {reset: 1}, frame=False)
            bridge.step(60, {reset: 0}, frame=False)
            low = int(bridge.read([ReadSpec(space.id, 0xE3, "u8", 1, Agg.LAST)])[0][0]) & 0x3F
            assert low == (0x00 if tapped else 0x0C)


def test_port_b_reads_its_switches_as_stellas_riot(mame_binary: str) -> None:
    """A pin of port B made an output (SWBCNT) reads its output latch in MAME, the console switches in Stella
    (Combat writes its clock there after a match); the machine's tap reads bits 2, 4 and 5 as 1, as Stella."""
    high = [bus for bus in atari2600("a2600").bus if bus.model == "high"]
    for tapped in (False, True):
        with Bridge(MachineConfig("a2600", {"cart": atari_rom("combat")}), mame=mame_binary) as bridge:
            space = bridge.space()
            for bus in high if tapped else ():
                bridge.tap_bus(space.id, bus.first, bus.last, bus.mask, BusModel.HIGH, bus.mirror)
            bridge.step(2, frame=False)
            bridge.write_many([(space.id, 0x283, "u8", 0x34), (space.id, 0x282, "u8", 0x00)])  # SWBCNT, SWCHB
            swchb = int(bridge.read([ReadSpec(space.id, 0x282, "u8", 1, Agg.LAST)])[0][0])
            assert swchb & 0x34 == (0x34 if tapped else 0x00)


def test_the_tias_bitmap_is_mames_screen_unblended(mame_binary: str) -> None:
    """Frames from the TIA's own bitmap (the machine's pen screen) equal MAME's screen wherever MAME's screen shows
    no blend, i.e. wherever the frame equals the one before it, in a game whose VSYNC takes the usual 3 lines
    (elsewhere the bitmap's rows follow VSYNC off, as Stella's, and MAME's screen does not: test_fidelity_ale)."""
    game = tennis_v0.GAME
    assert game.pen_screen is not None
    envs = [MameParallelEnv(g, obs_type="rgb_image", mame=mame_binary)
            for g in (game, dataclasses.replace(game, pen_screen=None))]
    try:
        frames = [env.reset(seed=1)[0]["first_0"] for env in envs]
        assert envs[0].bridge is not None and envs[0].bridge._pens is not None and envs[1].bridge._pens is None
        rng = np.random.default_rng(0)
        previous = frames[0]
        for _ in range(60):
            actions = {agent: int(rng.integers(0, 18)) for agent in envs[0].agents}
            pen, screen = (env.step(actions)[0]["first_0"] for env in envs)
            unchanged = (pen == previous).all(-1)
            assert ((pen == screen).all(-1) | ~unchanged).all()
            previous = pen
        assert pen.std() > 0  # a picture, not a blank screen
    finally:
        for env in envs:
            env.close()


def test_a_bad_pen_screen_is_refused(mame_binary: str) -> None:
    with Bridge(MachineConfig("a2600", {"cart": atari_rom("boxing")}), mame=mame_binary) as bridge:
        good = (":tia_video", ("0/helper[0]", "0/helper[1]"), "0/current_bitmap", 228, 24, 26, 128)
        for bad, error in (((":maincpu", *good[1:]), AddressError),  # no palette
                           ((good[0], ("0/helper[0]", "0/nothing"), *good[2:]), AddressError),
                           ((*good[:3], 100, *good[4:]), MameZooError),  # rows too short
                           ((*good[:6], 100000), MameZooError)):  # more colours than the palette has
            with pytest.raises(error):
                bridge.set_screen(*bad)
        bridge.set_screen(*good)
        frame = bridge.step(1).frame
        assert frame is not None and frame.shape == (223, 176, 3)


def test_a_bad_early_write_is_refused(mame_binary: str) -> None:
    """EARLY names a device's save items per register: a wrong device, item or count is refused by name, and the
    machine's own set is accepted (what it changes is measured against ALE in test_fidelity_ale)."""
    assert not atari2600("a2600").early  # only where a game asks: the taps cost
    (early,) = atari2600("a2600", early=True).early
    with Bridge(MachineConfig("a2600", {"cart": atari_rom("combat")}), mame=mame_binary) as bridge:
        space = bridge.space().id
        good = (space, early.first, early.last, early.catch_up, early.item_device, early.items)
        for bad, error in (((*good[:4], ":nodevice", good[5]), AddressError),
                           ((*good[:5], ("0/ENAM0", "0/ENAM1", "0/nothing")), AddressError),
                           ((*good[:5], good[5][:2]), InvalidOption)):  # one item short
            with pytest.raises(error):
                bridge.tap_early(*bad, mirror=early.mirror)
        bridge.tap_early(*good, mirror=early.mirror)
        assert bridge.step(2).frame is not None

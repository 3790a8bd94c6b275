"""SF3 without the ROM: the real ``cps3`` driver booted from a placeholder ``sfiii3n`` romset (zero-filled files
with the names and sizes MAME lists). It checks names and memory regions only: the placeholder runs no game.

With a user's romset in ``MAME_ZOO_ROMS`` the last tests play for real; without it they skip with the reason.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from placeholders import make_romset

from mame_zoo.bridge import Bridge, MachineConfig
from mame_zoo.bridge.protocol import Edge
from mame_zoo.core.ops import Hold, PressUntil, Var, Write
from mame_zoo.errors import InvalidGameSpec, ResetNeeded, RomNotFound
from mame_zoo.games import sfiii3n_v0
from mame_zoo.games.sf3 import FRAME_VARS, SELECT_VARS, SF3Controller
from mame_zoo.games.sf3.game import SF3Game
from mame_zoo.roms import find_romset, rom_paths


@pytest.fixture(scope="module")
def placeholder_roms(mame_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    rompath = tmp_path_factory.mktemp("sf3roms")
    make_romset(rompath, "sfiii3n", mame_binary)
    return rompath


@pytest.fixture(scope="module")
def sf3_bridge(mame_binary: str, placeholder_roms: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the placeholder's wrong checksums
        bridge = Bridge(MachineConfig("sfiii3n", rompath=[str(placeholder_roms)]), mame=mame_binary, boot_timeout=60)
    with bridge:
        yield bridge


def _game_inputs(game: SF3Game) -> set[tuple[str, str]]:
    fields = set(game.controller(False).inputs)
    for op in game.start:
        if isinstance(op, (Hold, PressUntil)):
            fields.update(op.inputs)
    return fields


def test_an_instruction_limit_needs_a_6502(sf3_bridge: Bridge) -> None:
    """The instruction limit follows a 6502's bus: on CPS3's SH-2 it is refused before anything is installed."""
    from mame_zoo.errors import ProtocolError

    with pytest.raises(ProtocolError, match="needs a 6502-family CPU"):
        sf3_bridge.set_signal(sf3_bridge.space().id, 0x0, 0x01, Edge.FALL, instructions=(25000, 0x0, 0xFF, 0))
    sf3_bridge.step(1, frame=False)  # still stepping on MAME's frame end


@pytest.mark.parametrize("mode", ["versus", "vs_cpu"])
def test_every_input_the_env_uses_exists(sf3_bridge: Bridge, mode: str) -> None:
    game = replace(sfiii3n_v0.GAME, mode=mode, difficulty=4 if mode == "vs_cpu" else None)
    driver = {(f.port, f.field) for f in sf3_bridge.inputs()}
    used = _game_inputs(game)
    assert used <= driver, f"not in MAME's sfiii3n: {sorted(used - driver)}"
    for port, field in sorted(used):
        sf3_bridge.field(port, field)  # and the bridge can take hold of each


def test_action_map_drives_the_right_player_fields() -> None:
    controller = SF3Controller((0, 1), "multi_discrete")
    roundhouse, short = 6, 4
    both = controller.encode({"first_0": (8, roundhouse), "second_0": (8, roundhouse)})
    pressed = {f for f, v in both.items() if v}
    assert pressed == {(":EXTRA", "P1 Roundhouse Kick"), (":INPUTS", "P2 Roundhouse Kick")}
    pressed = {f for f, v in controller.encode({"second_0": (0, short)}).items() if v}
    assert pressed == {(":INPUTS", "P2 Left"), (":EXTRA", "P2 Short Kick")}
    pressed = {f for f, v in controller.encode({"first_0": (3, 3)}).items() if v}
    assert pressed == {(":INPUTS", "P1 Up"), (":INPUTS", "P1 Right"), (":INPUTS", "P1 Jab Punch"),
                       (":INPUTS", "P1 Strong Punch")}


def _readable(entries, address: int, size: int) -> bool:
    return any(e.start <= address and address + size - 1 <= e.end and e.read not in ("unmap", "nop")
               for e in entries)


def test_every_address_the_env_reads_is_in_readable_memory(sf3_bridge: Bridge) -> None:
    space = sf3_bridge.space(":maincpu", "program")
    assert space.big_endian and space.data_width == 32
    entries = sf3_bridge.memory_map(space)
    game = replace(sfiii3n_v0.GAME, mode="vs_cpu", difficulty=3)
    variables: dict[str, Var] = {**FRAME_VARS, **SELECT_VARS}
    ops = [op for op in game.start if isinstance(op, (PressUntil, Write))]
    variables.update({f"start op {i}": op.var for i, op in enumerate(ops)})
    sizes = {"u8": 1, "s8": 1, "u16": 2, "s16": 2, "u32": 4, "s32": 4}
    for name, var in variables.items():
        assert (var.device, var.space) == (":maincpu", "program"), name
        assert _readable(entries, var.address, sizes[var.dtype]), f"{name} at {var.address:#x} is not readable"
    from mame_zoo.bridge import ReadSpec

    values = sf3_bridge.read([ReadSpec(space.id, v.address, v.dtype) for v in variables.values()])
    assert len(values) == len(variables)


def test_without_a_romset_the_error_says_how_to_fix_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MAME_ZOO_ROMS", raising=False)
    env = sfiii3n_v0.parallel_env()
    with pytest.raises(RomNotFound, match="MAME_ZOO_ROMS"):
        env.reset()
    env = sfiii3n_v0.parallel_env(rom_path=str(tmp_path))
    with pytest.raises(RomNotFound, match=str(tmp_path)):
        env.reset()
    env.close()


def test_settings_are_validated_with_the_valid_values_listed() -> None:
    with pytest.raises(InvalidGameSpec, match="Chun-Li"):
        sfiii3n_v0.parallel_env(characters=("Ryu", "Goku"))
    with pytest.raises(ValueError, match="difficulty"):
        sfiii3n_v0.parallel_env(difficulty=9)
    with pytest.raises(ValueError, match="scheme"):
        sfiii3n_v0.parallel_env(action_scheme="joystick")
    env = sfiii3n_v0.parallel_env(characters=("ken", "chun li"), super_arts=(3, "II"), action_scheme="discrete",
                                  ram_state=True)
    assert env.game.characters == ("Ken", "Chun-Li") and env.game.super_arts == (3, 2)
    assert env.action_space("first_0").n == 18
    assert set(env.observation_space("first_0").spaces) == {"frame", "ram"}
    assert env.observation_space("first_0")["frame"].shape == (224, 384, 3)


def test_a_rom_that_does_not_play_fails_with_a_clear_error(mame_binary: str, placeholder_roms: Path) -> None:
    """The placeholder never reaches the select screen: the start sequence must give up, not hang."""
    env = sfiii3n_v0.parallel_env(rom_path=str(placeholder_roms), timeout=30)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            with pytest.raises(InvalidGameSpec, match="never reached"):
                env.reset()
    finally:
        env.close()


def test_seed_compatible_environment_requires_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from mame_zoo.sf_environment import Environment

    env = Environment("env1", None, difficulty=3)
    with pytest.raises(ResetNeeded, match="Start must be called"):
        env.step(8, 9)
    env.close()


# --- with the user's romset ---------------------------------------------------------------------------
USER_ROMS = rom_paths()
HAVE_ROM = find_romset("sfiii3n", USER_ROMS) is not None
needs_rom = pytest.mark.skipif(not HAVE_ROM, reason="no sfiii3n romset in MAME_ZOO_ROMS (mame_zoo ships no "
                                                     "arcade ROMs; set MAME_ZOO_ROMS to a folder with sfiii3n.zip)")


@needs_rom
@pytest.mark.requires_rom
def test_the_conformance_kit_with_the_rom() -> None:
    """The checks every shipped game passes (mame_zoo.testing), on the user's romset."""
    from mame_zoo.testing import CHECKS, check_game

    assert check_game("sfiii3n_v0", frameskip=3, max_cycles=400) == list(CHECKS)


@needs_rom
@pytest.mark.requires_rom
def test_versus_match_to_the_end_and_determinism() -> None:
    def play(seed: int) -> tuple[list[float], dict]:
        env = sfiii3n_v0.parallel_env(frameskip=4, max_cycles=20000)
        rng = np.random.default_rng(seed)
        rewards: list[float] = []
        info: dict = {}
        try:
            env.reset(seed=seed)
            while env.agents:
                acts = {a: np.array([rng.integers(9), rng.integers(10)]) for a in env.agents}
                _, rew, _, _, infos = env.step(acts)
                rewards.append(rew["first_0"])
                info = infos["first_0"]
                assert rew["first_0"] == -rew["second_0"]
        finally:
            env.close()
        return rewards, info

    first, info = play(1)
    assert info["match_done"] or info["episode_over"], info
    assert max(info["wins"]) == 2
    second, _ = play(1)
    assert first == second


@needs_rom
@pytest.mark.requires_rom
def test_vs_cpu_ladder_progress() -> None:
    import gymnasium

    env = gymnasium.make("mame_zoo/Sfiii3n-v0", difficulty=1, frameskip=4, continue_game=True,
                         rom_path=os.environ.get("MAME_ZOO_ROMS"))
    try:
        env.reset(seed=0)
        stages = set()
        for _ in range(20000):
            _, _, term, trunc, info = env.step(env.action_space.sample())
            stages.add(info["stage"])
            if term or trunc:
                break
        assert min(stages) == 1
    finally:
        env.close()

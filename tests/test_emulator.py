"""The MAMEToolkit-compatible API (mame_zoo.emulator) on real MAME with ale-py's Boxing cartridge."""

from __future__ import annotations

import numpy as np
import pytest

from mame_zoo.emulator import Action, Address, Emulator, list_actions, parse_address, see_games
from mame_zoo.errors import AddressError, EmulatorClosed, InputNotFound


def test_addresses_parse_like_mametoolkit() -> None:
    assert parse_address("0x02068D0B") == 0x02068D0B
    assert parse_address(0x92) == 0x92
    assert parse_address("146") == 146  # MAMEToolkit pasted strings into Lua, which reads these as decimal
    for bad in ("0xZZ", "ninety", -1, 1 << 40, 1.5):
        with pytest.raises(AddressError):
            parse_address(bad)  # type: ignore[arg-type]
    with pytest.raises(AddressError, match="Invalid address mode"):
        Address("0x80", "f32")


def test_emulator_steps_with_frame_and_memory(mame_binary: str, boxing_rom: str) -> None:
    memory = {"clock": Address("0x91", "u8"), "player_x": Address(0xA0, "u8"), "word": Address("0x90", "u16")}
    with Emulator("env1", None, "a2600", memory, frame_ratio=3, media={"cart": boxing_rom}) as emu:
        assert emu.screenDims == {"width": 176, "height": 223}
        data = emu.step([])
        assert set(data) == {"frame", "clock", "player_x", "word"}
        assert data["frame"].shape == (223, 176, 3) and data["frame"].dtype == np.uint8
        assert data["clock"] == 0xAA  # attract mode
        for _ in range(20):
            emu.step([])
        reset = Action(":SWB", "Reset Game")
        emu.step([reset])
        emu.step([reset])
        emu.step([])  # actions are held for one step only, like MAMEToolkit
        assert emu.step([])["clock"] == 0x59  # the match started: 1:59
        right = Action(":joyport1:joy:JOY", "P1 Right")
        x0 = emu.step([])["player_x"]
        for _ in range(5):
            x = emu.step([right])["player_x"]
        assert x > x0
        first = emu.bridge.hello.frame_number
        assert isinstance(data["word"], int) and first == 0
        with pytest.raises(InputNotFound, match="P1 Jump"):
            emu.step([Action(":joyport1:joy:JOY", "P1 Jump")])
    with pytest.raises(EmulatorClosed):
        emu.step([])


def test_list_actions_and_see_games(mame_binary: str, boxing_rom: str) -> None:
    actions = list_actions(None, "a2600", media={"cart": boxing_rom})
    assert {"port": ":joyport1:joy:JOY", "field": "P1 Button 1"} in actions
    assert {"port": ":SWB", "field": "Reset Game"} in actions
    games = dict(see_games(pattern="sfiii3*"))
    assert "sfiii3n" in games and "Street Fighter III" in games["sfiii3n"]

"""Real arcade drivers booted from placeholder romsets (zero-filled files named and sized as MAME expects).

Only machine-level facts can be checked this way (start-up, stepping, ports, screen geometry, address spaces):
the code in the placeholder ROMs is all zeros, so no game runs.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from placeholders import list_roms, make_romset

from mame_zoo.bridge import Bridge, MachineConfig, ReadSpec
from mame_zoo.bridge.process import mame_version, version_name
from mame_zoo.errors import RomChecksumMismatch

pytestmark = pytest.mark.timeout(180)

SFIII3N_PORTS = {
    ":INPUTS": {"P1 Up", "P1 Down", "P1 Left", "P1 Right", "P1 Jab Punch", "P1 Strong Punch", "P1 Fierce Punch",
                "P2 Up", "P2 Down", "P2 Left", "P2 Right", "P2 Jab Punch", "P2 Strong Punch", "P2 Fierce Punch",
                "P2 Roundhouse Kick", "1 Player Start", "2 Players Start", "Coin 1", "Coin 2", "Service 1",
                "Service Mode"},
    ":EXTRA": {"P1 Short Kick", "P1 Forward Kick", "P1 Roundhouse Kick", "P2 Short Kick", "P2 Forward Kick"},
}
SFIII3N_ADDRESSES = (0x02068D0B, 0x02011383, 0x02011389)
# Space Invaders' four 2 KiB program ROMs (CRCs 734f5ad8, 6bfaca4a, 0ccead96, 14e538b0): MAME renamed the
# files after the chips' labels between 0.251 and 0.276 (`mame -listroms invaders` on each version)
INVADERS_ROM_NAMES = (
    ("invaders.h", "invaders.g", "invaders.f", "invaders.e"),  # 0.251
    ("9316b-0869_m739h.h1", "9316b-0856_m739g.g1", "9316b-0855_m739f.f1", "9316b-0854_m739e.e1"),  # 0.276, 0.289
)


@pytest.fixture(scope="module")
def sfiii3n_roms(mame_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A placeholder sfiii3n romset (41 sparse files), built once for this module."""
    rompath = tmp_path_factory.mktemp("roms")
    files = make_romset(rompath, "sfiii3n", mame_binary)
    assert len(files) == 41
    return rompath


def test_list_roms_parses_listroms(mame_binary: str) -> None:
    roms = list_roms(mame_binary, "invaders")
    old_names, new_names = INVADERS_ROM_NAMES
    version = mame_version(mame_binary)
    expected = [old_names] if version <= (0, 251) else [new_names] if version >= (0, 276) else [old_names, new_names]
    assert roms in [tuple((name, 2048) for name in names) for names in expected]
    with pytest.raises(RuntimeError):
        list_roms(mame_binary, "nosuchgame")


def test_invaders_boots_and_steps(mame_binary: str, tmp_path: Path) -> None:
    rompath = tmp_path / "roms"
    files = make_romset(rompath, "invaders", mame_binary)
    assert [f.stat().st_size for f in files] == [2048] * 4
    with pytest.warns(RuntimeWarning, match="do not match") as record:
        bridge = Bridge(MachineConfig("invaders", rompath=[str(rompath)]), mame=mame_binary)
    with bridge:
        message = str(record[0].message)
        assert all(f.name in message for f in files)
        h = bridge.hello
        assert h.system == "invaders"
        assert (h.screen_width, h.screen_height) == (260, 224)
        frame = h.frame_number
        for n in (1, 59):
            r = bridge.step(n)
            assert r.frame_number == frame + n
            frame = r.frame_number
            assert r.frame is not None
            assert r.frame.shape == (h.screen_height, h.screen_width, 3)
            assert r.frame.dtype == np.uint8
        assert frame == 60
        sp = bridge.space()
        assert sp.data_width == 8 and not sp.big_endian
        assert bridge.read([ReadSpec(sp.id, 0x2000, "u8", 16)])[0].shape == (16,)  # invaders work RAM
        assert {f.port for f in bridge.inputs()} >= {":IN0", ":IN1", ":IN2"}


def test_invaders_strict_roms_raises(mame_binary: str, tmp_path: Path) -> None:
    rompath = tmp_path / "roms"
    first = make_romset(rompath, "invaders", mame_binary)[0].name
    with pytest.raises(RomChecksumMismatch, match=re.escape(first)):
        Bridge(MachineConfig("invaders", rompath=[str(rompath)]), mame=mame_binary, strict_roms=True,
               workdir=tmp_path)
    assert not list(tmp_path.glob("mame_zoo-*"))


def test_sfiii3n_boots_with_its_ports_screen_and_memory(mame_binary: str, sfiii3n_roms: Path) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bridge = Bridge(MachineConfig("sfiii3n", rompath=[str(sfiii3n_roms)]), mame=mame_binary, boot_timeout=60)
    with bridge:
        checksum = [w for w in caught if issubclass(w.category, RuntimeWarning) and "do not match" in str(w.message)]
        assert len(checksum) == 1, [str(w.message) for w in caught]
        for name, _ in list_roms(mame_binary, "sfiii3n"):
            assert name in str(checksum[0].message)

        h = bridge.hello
        assert h.system == "sfiii3n"
        assert (h.screen_width, h.screen_height) == (384, 224)

        fields = bridge.inputs()
        ports: dict[str, set[str]] = {}
        for f in fields:
            ports.setdefault(f.port, set()).add(f.field)
        assert ports == SFIII3N_PORTS
        assert len(fields) == sum(len(v) for v in SFIII3N_PORTS.values())  # no duplicates
        players = {f.field: f.player for f in fields}
        assert players["P2 Roundhouse Kick"] == 1 and players["P2 Short Kick"] == 1
        assert players["P1 Roundhouse Kick"] == 0 and players["P1 Jab Punch"] == 0

        sp = bridge.space(":maincpu", "program")
        assert sp.data_width == 32 and sp.big_endian
        specs = [ReadSpec(sp.id, a, "u8") for a in SFIII3N_ADDRESSES]
        values = bridge.read(specs)
        assert [v.shape for v in values] == [(1,)] * 3
        assert all(v.dtype == np.uint8 for v in values)

        # a big-endian 32-bit space: values as the CPU sees them (main RAM is at 0x02000000)
        ram = 0x02000100
        bridge.write(sp.id, ram, "u32", 0x11223344)
        block = bridge.read([ReadSpec(sp.id, ram, "u8", 4)])[0]
        assert list(block) == [0x11, 0x22, 0x33, 0x44]
        assert np.array_equal(block, np.concatenate(bridge.read([ReadSpec(sp.id, ram + i, "u8") for i in range(4)])))
        assert list(bridge.read([ReadSpec(sp.id, ram, "u16", 2)])[0]) == [0x1122, 0x3344]
        assert bridge.read([ReadSpec(sp.id, ram, "s32")])[0][0] == 0x11223344
        assert any(e.start <= ram <= e.end and e.read == "ram" for e in bridge.memory_map(sp))

        bridge.set_reads(specs)
        r = bridge.step(30, {bridge.field(":INPUTS", "Coin 1"): 1, bridge.field(":EXTRA", "P1 Short Kick"): 1})
        assert r.frame_number == h.frame_number + 30
        assert len(r.values) == 3
        assert r.frame is not None and r.frame.shape == (224, 384, 3)


def test_sfiii3n_strict_roms_raises(mame_binary: str, sfiii3n_roms: Path, tmp_path: Path) -> None:
    with pytest.raises(RomChecksumMismatch) as info:
        Bridge(MachineConfig("sfiii3n", rompath=[str(sfiii3n_roms)]), mame=mame_binary, boot_timeout=60,
               strict_roms=True, workdir=tmp_path)
    assert "sfiii3-simm1.0" in str(info.value)
    assert f"({version_name(mame_binary)})" in str(info.value)  # the MAME version whose romset it expects
    assert not list(tmp_path.glob("mame_zoo-*"))

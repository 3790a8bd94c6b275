"""Env-level recovery and guards on real MAME: the start state vanishing, an unusable state cache, the boot
timeout option, half-built emulators, ``None`` actions and hostile game names."""

from __future__ import annotations

import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from procs import mame_descendants, running
from test_faults import FAST, NOOP, within

from mame_zoo.emulator import Address, Emulator
from mame_zoo.errors import AddressError, EmulatorTimeout, InvalidAction, UnknownGame
from mame_zoo.games import boxing_v0
from mame_zoo.registry import make, resolve
from mame_zoo.single_agent import SingleAgentEnv


def test_reset_rebuilds_a_vanished_start_state(closing: Callable) -> None:
    """Something (a tmp cleaner) removed the start state between episodes: reset restarts MAME and goes on."""
    env = closing(boxing_v0.parallel_env(obs_type="ram"))
    first, _ = env.reset(seed=4)
    env.step(dict(NOOP))
    old_pid = env.bridge.pid
    os.remove(env._start_state)
    with within(FAST + 20), pytest.warns(RuntimeWarning, match="does not exist; restarting MAME"):
        again, _ = env.reset(seed=4)
    assert env.bridge.pid != old_pid and not running({old_pid})
    assert (again["first_0"] == first["first_0"]).all()  # the rebuilt start is the same start
    env.step(dict(NOOP))
    assert mame_descendants() == {env.bridge.pid}


def test_reset_rebuilds_a_damaged_cached_start_state(closing: Callable, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    filler = closing(boxing_v0.parallel_env(obs_type="ram", state_cache=cache))
    filler.reset(seed=4)  # the start of each seed is cached (Multi-Agent-ALE's power-on depends on it)
    filler.close()
    (state,) = cache.glob("boxing_v0-*.sta")
    env = closing(boxing_v0.parallel_env(obs_type="ram", state_cache=cache))
    first, _ = env.reset(seed=4)
    assert env._start_state is not None and Path(env._start_state) == state.resolve()
    state.write_bytes(b"MAMESAVE" + b"\0" * 40)  # damaged while the env runs
    with pytest.warns(RuntimeWarning, match="restarting MAME to rebuild the start state"):
        again, _ = env.reset(seed=4)
    assert (again["first_0"] == first["first_0"]).all()
    assert state.read_bytes()[:8] == b"MAMESAVE" and state.stat().st_size > 1000  # rewritten whole


def test_unusable_state_cache_warns_and_plays(closing: Callable, tmp_path: Path) -> None:
    """The cache folder cannot be created (its parent is a file): a warning, never a failed env."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    env = closing(boxing_v0.parallel_env(obs_type="ram", state_cache=blocker / "cache"))
    with pytest.warns(RuntimeWarning, match="cannot keep the start state in the cache"):
        env.reset(seed=0)
    env.step(dict(NOOP))
    env.reset(seed=1)  # the start state in MAME's own folder still serves every reset
    assert blocker.read_text() == "not a folder" and list(tmp_path.iterdir()) == [blocker]


def test_boot_timeout_option(closing: Callable) -> None:
    env = closing(boxing_v0.parallel_env(obs_type="ram", boot_timeout=0.001))
    assert pickle.loads(pickle.dumps(env)).boot_timeout == 0.001  # EzPickle keeps it for vector-env workers
    with within(FAST), pytest.raises(EmulatorTimeout, match="boot_timeout="):
        env.reset(seed=0)
    assert env.bridge is None and mame_descendants() == set()
    for bad in (0, -1.0, float("nan"), float("inf"), "60", True):
        with pytest.raises(ValueError, match="boot_timeout must be a positive number"):
            boxing_v0.parallel_env(boot_timeout=bad)
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        boxing_v0.parallel_env(timeout=0)


def test_emulator_setup_failure_stops_mame(mame_binary: str, boxing_rom: str) -> None:
    """MAME has started, then the memory addresses turn out wrong: no MAME and no folder stay behind."""
    before = set(Path(tempfile.gettempdir()).glob("mame_zoo-*"))
    with within(FAST), pytest.raises(AddressError, match="must be an Address"):
        Emulator("env1", None, "a2600", {"ok": Address("0x80", "u8"), "bad": "0x81"},  # type: ignore[dict-item]
                 binary_path=mame_binary, media={"cart": boxing_rom})
    assert mame_descendants() == set()
    assert set(Path(tempfile.gettempdir()).glob("mame_zoo-*")) <= before


def test_single_agent_step_rejects_none(closing: Callable) -> None:
    env = closing(SingleAgentEnv("boxing_v0", obs_type="ram"))
    env.reset(seed=0)
    with pytest.raises(InvalidAction, match="needs an action"):
        env.step(None)
    env.step(0)  # still usable


def test_hostile_game_names_give_short_messages() -> None:
    huge = "x" * 100_000 + "'); os.execute('rm -rf /') --\n"
    for name in (huge, huge + "_v9", "boxing_v9" + "\n" * 5000):
        with pytest.raises(UnknownGame) as info:
            resolve(name)
        assert len(str(info.value)) < 1000
    with pytest.raises(UnknownGame):
        make(huge)

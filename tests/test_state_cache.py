"""The opt-in start-state cache: a second env skips the start sequence and plays the same trajectory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mame_zoo.games import boxing_v0
from mame_zoo.start import StartRunner


def _trajectory(env, steps: int = 120) -> list[tuple[bytes, float]]:
    rng = np.random.default_rng(7)
    obs, _ = env.reset(seed=3)
    out = [(obs["first_0"].tobytes(), 0.0)]
    for _ in range(steps):
        obs, rew, _, _, _ = env.step({a: int(rng.integers(18)) for a in env.agents})
        out.append((obs["first_0"].tobytes(), rew["first_0"]))
    return out


def test_cached_start_state_is_reused_and_plays_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAME_ZOO_STATE_CACHE", raising=False)
    cache = tmp_path / "cache"
    first = boxing_v0.parallel_env(state_cache=cache, obs_type="ram")
    try:
        reference = _trajectory(first)
    finally:
        first.close()
    (state,) = cache.glob("boxing_v0-*.sta")

    second = boxing_v0.parallel_env(state_cache=cache, obs_type="ram")
    builds = []
    original = StartRunner.from_power_on
    monkeypatch.setattr(StartRunner, "from_power_on", lambda self, seed: (builds.append(seed), original(self, seed))[1])
    try:
        assert _trajectory(second) == reference
    finally:
        second.close()
    assert builds == [], "the second env ran the start sequence instead of loading the cache"
    monkeypatch.setattr(StartRunner, "from_power_on", original)

    state.write_bytes(b"MAMESAVE garbage")  # a damaged cache file is rebuilt, not trusted
    third = boxing_v0.parallel_env(state_cache=cache, obs_type="ram")
    try:
        assert _trajectory(third) == reference
    finally:
        third.close()
    assert state.read_bytes()[:8] == b"MAMESAVE" and state.stat().st_size > 1000


def test_no_cache_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAME_ZOO_STATE_CACHE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    env = boxing_v0.parallel_env(obs_type="ram")
    try:
        env.reset(seed=0)
        env.step({"first_0": 0, "second_0": 0})
    finally:
        env.close()
    assert list(tmp_path.iterdir()) == []

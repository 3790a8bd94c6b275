"""Ray RLlib PPO on a multi-agent mame_zoo env (examples/rllib_ppo.py): a local Ray with 2 env runners.

Needs the ``ray`` extra (``pip install "mame-zoo[ray]"``: ray[rllib] and torch); skipped without it. Kept small:
2 CPUs, 42x42 grayscale observations, a tiny CNN, 128 env steps per iteration. Every MAME runs in an env
runner (a Ray actor process), none in this process; afterwards no MAME and no Ray process may be left, and
nothing may have been written to $HOME.
"""

from __future__ import annotations

import importlib.util
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from procs import parent_of, running

try:
    import ray
    import ray.rllib
    import torch  # noqa: F401
except ImportError as exc:  # the default test venv has no Ray: it is the optional extra `ray`
    pytest.skip(f"Ray RLlib is not installed ({exc}); pip install 'mame-zoo[ray]' to run this test",
                allow_module_level=True)

from mame_zoo.scale import mame_descendants

pytestmark = pytest.mark.timeout(240)
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "rllib_ppo.py"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rllib_ppo_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def descendants() -> set[int]:
    """Running processes below this one (Ray's gcs_server, raylet and workers are; so are their MAMEs)."""
    me, found = os.getpid(), set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        p: int | None = int(name)
        while p is not None and p > 1:
            p = parent_of(p)
            if p == me:
                found.add(int(name))
                break
    return running(found)


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ModuleType, Path]]:
    """The example module with a local Ray (2 CPUs) started as the example does, HOME pointed at an empty folder."""
    home = tmp_path_factory.mktemp("home")
    results = tmp_path_factory.mktemp("ray_results")
    saved = {k: os.environ.get(k) for k in ("HOME", "RAY_AUTH_TOKEN", "RAY_ADDRESS")}
    os.environ["HOME"] = str(home)
    os.environ.pop("RAY_ADDRESS", None)
    before = descendants()
    module = load_example()
    module.keep_home_clean(str(results))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield module, home
    finally:
        ray.shutdown()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    deadline = time.monotonic() + 20
    left = descendants() - before
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = descendants() - before
    assert not left, f"processes left after ray.shutdown(): {sorted((p, comm(p)) for p in left)}"
    assert not any(home.iterdir()), f"files written to $HOME: {sorted(p.name for p in home.iterdir())}"


@pytest.mark.parametrize("policy", ["shared", "per-agent"])
def test_ppo_one_iteration_with_two_env_runners(example: tuple[ModuleType, Path], policy: str) -> None:
    module, _home = example
    config = module.build_config("boxing_v0", env_runners=2, policy=policy, size=42, batch=128, minibatch=64,
                                 epochs=1, fragment=64, small=True)
    algo: Any = config.build_algo()
    mames: set[int] = set()
    try:
        mames = mame_descendants()
        owners = {parent_of(m) for m in mames}
        # one MAME per env runner, each in its own Ray actor process, none in this process
        assert len(mames) == 2 and len(owners) == 2 and os.getpid() not in owners
        assert all(comm(o).startswith("ray::") for o in owners if o is not None), [comm(o) for o in owners if o]
        result = algo.train()
        assert result["num_env_steps_sampled_lifetime"] >= 128
        modules = {"shared"} if policy == "shared" else {"first_0", "second_0"}
        for name in modules:
            loss = result["learners"][name]["total_loss"]
            assert math.isfinite(float(loss)), f"{name}: {loss}"
    finally:
        algo.stop()
    left = mames & mame_descendants()
    deadline = time.monotonic() + 10
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = mames & mame_descendants()
    assert not left, f"MAME processes {sorted(left)} survive algo.stop()"

"""PettingZoo's registry: after ``import mame_zoo``, ``pettingzoo.make("parallel" | "aec", "mame_zoo/<name>-v<N>")``
builds every game, errors are PettingZoo's own, and the env is the one mame_zoo's factories build.

Making an env does not boot MAME, but it asks the binary for its version, so these tests run on every version.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pettingzoo
import pytest
from pettingzoo.env_registry.exceptions import NameNotFound, VersionNotFound

import mame_zoo  # noqa: F401 - registers the games with PettingZoo
from mame_zoo.declarative import register, unregister
from mame_zoo.env import MameParallelEnv
from mame_zoo.games import SHIPPED, boxing_v0, declaration
from mame_zoo.registry import pettingzoo_id
from mame_zoo.testing import trajectory


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_pettingzoo_make_builds_every_shipped_game(name: str) -> None:
    """``pettingzoo.make`` after ``import mame_zoo``: the game's own factories, kwargs and PettingZoo's
    ``max_cycles`` passed through (constructing an env never starts MAME)."""
    env_id = pettingzoo_id(name)
    assert env_id == "mame_zoo/" + name.replace("_v", "-v")
    parallel = pettingzoo.make("parallel", env_id, frameskip=2, max_cycles=77)
    assert isinstance(parallel, MameParallelEnv) and parallel.game.env_name == name
    assert (parallel.frameskip, parallel.max_cycles) == (2, 77)
    aec = pettingzoo.make("aec", f"mame_zoo/{name}")  # PettingZoo's own alias form, as in "atari/boxing_v2"
    assert isinstance(aec, pettingzoo.AECEnv) and aec.unwrapped.game.env_name == name
    assert pettingzoo.make("parallel", env_id.rsplit("-v", 1)[0]).game.env_name == name  # newest version


def test_pettingzoo_errors_are_pettingzoos_own() -> None:
    with pytest.raises(VersionNotFound, match="v0"):
        pettingzoo.make("parallel", "mame_zoo/boxing-v2")  # PettingZoo's own version of Boxing
    with pytest.raises(NameNotFound):
        pettingzoo.make("parallel", "mame_zoo/no_such_game-v0")


def test_a_registered_game_file_is_in_pettingzoos_registry_until_unregistered(tmp_path: Path) -> None:
    text = Path(declaration("boxing_v0").path).read_text(encoding="utf-8")  # type: ignore[attr-defined]
    game_file = tmp_path / "boxing_copy.toml"
    game_file.write_text(text.replace('name = "boxing"', 'name = "boxing_copy"', 1), encoding="utf-8")
    name = register(game_file)
    try:
        env = pettingzoo.make("parallel", "mame_zoo/boxing_copy-v0")
        assert isinstance(env, MameParallelEnv) and env.game.env_name == "boxing_copy_v0"
        assert name == "boxing_copy_v0"
        register(game_file, replace=True)  # the new game replaces the entry (PettingZoo caches entry points)
        assert pettingzoo.make("parallel", "mame_zoo/boxing_copy-v0").game is not env.game
    finally:
        unregister(name)
    with pytest.raises(NameNotFound):
        pettingzoo.make("parallel", "mame_zoo/boxing_copy-v0")


def test_pettingzoo_make_plays_the_same_game(closing: Callable[[Any], Any]) -> None:
    """Real MAME: the registry's Boxing and the module's give the same trajectory."""
    via_registry = closing(pettingzoo.make("parallel", "mame_zoo/boxing-v0", frameskip=4))
    via_module = closing(boxing_v0.parallel_env(frameskip=4))
    assert trajectory(via_registry, seed=3, steps=60) == trajectory(via_module, seed=3, steps=60)

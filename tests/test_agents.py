"""The pretrained agents shipped in the package (:mod:`mame_zoo.agents`), on real MAME: loading without
PyTorch, playing both sides of Boxing and against the console, the CLI's ``pretrained`` player, and that the
NumPy forward pass equals the Stable-Baselines3 policy it was exported from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import gymnasium
import numpy as np
import pytest

import mame_zoo  # noqa: F401  (registers mame_zoo/Boxing-v0)
from mame_zoo import agents
from mame_zoo.errors import InvalidOption, UnknownGame
from mame_zoo.games import boxing_v0

pytestmark = pytest.mark.timeout(240)

ROOT = Path(__file__).resolve().parent.parent


def test_shipped_agents_and_their_record() -> None:
    assert agents.available() == ["boxing_v0"]
    meta = agents.info("boxing")  # aliases resolve
    assert meta["game"] == "boxing_v0" and meta["obs"]["obs_type"] == "ram"
    trained = meta["trained"]
    for key in ("command", "frames", "minutes", "mame_version", "evaluation"):
        assert trained.get(key), f"the agent's file does not say {key!r}"
    size = (ROOT / "mame_zoo" / "agents" / "data" / "boxing_v0.npz").stat().st_size
    assert size < 3_000_000


def test_loading_and_acting_need_no_torch() -> None:
    code = ("import sys, numpy as np, mame_zoo.agents as a; bot = a.load('boxing_v0'); bot.reset(); "
            "act = bot.act(np.zeros(128, np.uint8)); assert 0 <= act < bot.n_actions; "
            "assert 'torch' not in sys.modules and 'stable_baselines3' not in sys.modules; print(act)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_user_errors_are_named() -> None:
    with pytest.raises(UnknownGame, match="no pretrained agent for 'nosuchgame'; there are: boxing_v0"):
        agents.load("nosuchgame")
    with pytest.raises(UnknownGame, match="no pretrained agent for tennis_v0"):
        agents.load("tennis_v0")
    with pytest.raises(InvalidOption, match="agent must be one of"):
        agents.load("boxing_v0", agent="third_0")
    bot = agents.load("boxing_v0")
    with pytest.raises(InvalidOption, match="obs_type='ram'"):
        bot.act(np.zeros((210, 160, 3), np.uint8))


def test_plays_against_the_console() -> None:
    bot = agents.load("boxing_v0", seed=0)
    assert bot.env_kwargs == {"frameskip": 4, "obs_type": "ram"}
    env = gymnasium.make("mame_zoo/Boxing-v0", **bot.env_kwargs)
    try:
        scores = []
        for _ in range(2):  # sampled actions from one seed: the same env seed gives the same match
            obs, _ = env.reset(seed=11)
            bot.reset(seed=0)  # restart its sampling too
            total = 0.0
            for _ in range(400):
                obs, reward, terminated, truncated, _ = env.step(bot.act(obs))
                total += float(reward)
                if terminated or truncated:
                    break
            scores.append(total)
        assert scores[0] == scores[1]
        assert scores[0] > 0  # a trained boxer lands more than it takes in 400 steps (random play: about 0)
    finally:
        env.close()


def test_plays_either_side_of_the_two_player_game() -> None:
    env = boxing_v0.parallel_env(obs_type="ram", frameskip=4)
    bots = {a: agents.load("boxing_v0", a, seed=k) for k, a in enumerate(env.possible_agents)}
    try:
        obs, _ = env.reset(seed=3)
        for bot in bots.values():
            bot.reset()
        returns = dict.fromkeys(env.possible_agents, 0.0)
        positions = set()
        for _ in range(300):
            obs, rewards, _, _, _ = env.step({a: bots[a].act(obs[a]) for a in env.agents})
            for a, r in rewards.items():
                returns[a] += float(r)
            ram = obs["first_0"]
            positions.add((int(ram[32]), int(ram[34]), int(ram[33]), int(ram[35])))  # both boxers' x, y
        assert returns["first_0"] == -returns["second_0"]
        assert len({p[:2] for p in positions}) > 10 and len({p[2:] for p in positions}) > 10  # both boxers move
    finally:
        env.close()


def test_eval_and_record_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("stable_baselines3", reason="the eval command is in the 'train' extra")
    from mame_zoo.train.cli import main

    out = tmp_path / "out.json"
    assert main(["eval", "pretrained", "--game", "boxing_v0", "--vs", "cpu", "random", "--episodes", "1",
                 "--max-steps", "100", "--json", os.fspath(out), "--no-progress"]) == 0
    data = json.loads(out.read_text())
    assert [d["player"] for d in data] == ["pretrained"] * 2 and [d["opponent"] for d in data] == ["cpu", "random"]
    assert all(d["frames"] == 400 for d in data)  # 100 steps of the agent's frameskip 4
    assert "sys" not in capsys.readouterr().err
    assert main(["eval", "random", "--vs", "pretrained", "--episodes", "1", "--max-steps", "20",
                 "--no-progress"]) == 0  # random play takes the pretrained opponent's settings
    assert main(["eval", "pretrained", "--game", "boxing_v0", "--frameskip", "2", "--episodes", "1"]) == 2
    assert "frameskip=4" in capsys.readouterr().err
    pytest.importorskip("imageio_ffmpeg")
    assert main(["record", "pretrained", "--game", "boxing_v0", "--vs", "cpu", "--max-steps", "30", "--out",
                 os.fspath(tmp_path / "v"), "--no-progress"]) == 0
    assert [p.name for p in (tmp_path / "v").glob("*.mp4")] == ["pretrained-vs-cpu-ep0000.mp4"]


def test_human_plays_the_pretrained_agent() -> None:
    pytest.importorskip("pygame")
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from mame_zoo.play import play

    result = play("boxing_v0", "pretrained", fps=0, seed=0, max_steps=200)
    assert result.steps == 200
    assert all(list(a) == ["first_0"] for a in result.human_actions)
    first, second = result.episodes[0]["first_0"], result.episodes[0]["second_0"]
    assert first == -second  # how well it boxes is test_plays_against_the_console's: here the session works
    with pytest.raises(ValueError, match="frameskip=4"):
        play("boxing_v0", "pretrained", frameskip=1, max_steps=1)


def test_numpy_forward_equals_the_exported_policy(tmp_path: Path) -> None:
    """The exporter writes what SB3's MlpPolicy computes: the same logits for the same observations."""
    pytest.importorskip("stable_baselines3", reason="needs the 'train' extra")
    import torch
    from stable_baselines3 import PPO

    from mame_zoo.agents.observation import ObsConfig, Preprocessor
    from mame_zoo.agents.pretrained import load_file
    from mame_zoo.train.export import export_agent
    from mame_zoo.train.nets import policy_spec
    from mame_zoo.train.policy import CONFIG_ATTR

    cfg = ObsConfig.for_game("boxing_v0", stack=2, obs_type="ram")
    n = 2 * 128 + 2

    class Shape(gymnasium.Env):  # only the spaces matter: no emulator runs here
        observation_space = gymnasium.spaces.Box(0.0, 1.0, (n,), np.float32)
        action_space = gymnasium.spaces.Discrete(18)

        def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
            return np.zeros(n, np.float32), {}

        def step(self, action: object) -> tuple[np.ndarray, float, bool, bool, dict]:
            return np.zeros(n, np.float32), 0.0, False, False, {}

    name, kwargs = policy_spec("mlp")
    model = PPO(name, Shape(), n_steps=16, batch_size=16, seed=0, device="cpu", policy_kwargs=kwargs)
    with torch.no_grad():  # away from the near-zero initial action layer, so that logits differ
        for p in model.policy.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    setattr(model, CONFIG_ATTR, cfg.to_dict())
    model.save(os.fspath(tmp_path / "m.zip"))
    path = export_agent(tmp_path / "m.zip", tmp_path / "m.npz", {"command": "test"})
    bot = load_file(path, "second_0")
    pre = Preprocessor(cfg, "second_0")
    rng = np.random.default_rng(1)
    for _ in range(5):
        ram = rng.integers(0, 256, 128, dtype=np.uint8)
        x = torch.as_tensor(pre(ram))[None]
        with torch.no_grad():
            expected = model.policy.get_distribution(x).distribution.logits[0].numpy()
        got = bot.logits(ram)
        np.testing.assert_allclose(got - got.max(), expected - expected.max(), atol=1e-5)
    with pytest.raises(InvalidOption, match="only RAM"):
        rgb = ObsConfig.for_game("boxing_v0")
        setattr(model, CONFIG_ATTR, rgb.to_dict())
        model.save(os.fspath(tmp_path / "rgb.zip"))
        export_agent(tmp_path / "rgb.zip", tmp_path / "rgb.npz")

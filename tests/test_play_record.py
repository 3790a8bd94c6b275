"""Recording wrappers, ``mame-zoo record`` and human play (pygame, headless, scripted key events) on real MAME."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import gymnasium
import imageio.v2 as imageio
import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # before pygame is imported anywhere
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

import mame_zoo  # noqa: F401  (registers mame_zoo/Boxing-v0)
from mame_zoo.games import boxing_v0
from mame_zoo.record import RecordEpisodes, RecordParallelEpisodes, VideoWriter

pytestmark = pytest.mark.timeout(180)

# Boxing's meanings: NOOP 0, FIRE 1, UP 2, RIGHT 3, LEFT 4, DOWN 5, UPRIGHT 6, UPLEFT 7, ...
NOOP, FIRE, UP, RIGHT, LEFT, UPLEFT = 0, 1, 2, 3, 4, 7
WHITE = (222, 222, 222)  # player 1's boxer


def _mp4_frames(path: str) -> list[np.ndarray]:
    with imageio.get_reader(path, format="FFMPEG") as reader:
        return [np.asarray(f) for f in reader]


# --- recording ------------------------------------------------------------------------------------------
def test_parallel_recording_mp4(tmp_path: Path) -> None:
    pytest.importorskip("imageio_ffmpeg")
    env = RecordParallelEpisodes(boxing_v0.parallel_env(frameskip=4, max_cycles=12, render_mode="rgb_array"),
                                 os.fspath(tmp_path), name_prefix="box", scale=2)
    try:
        env.reset(seed=1)
        rng = np.random.default_rng(1)
        while env.agents:
            env.step({a: int(rng.integers(18)) for a in env.agents})
        assert env.paths == [os.fspath(tmp_path / "box-ep0000.mp4")]  # written when the episode ended
        env.reset(seed=2)
        for _ in range(3):
            env.step({a: 0 for a in env.agents})
    finally:
        env.close()  # writes the unfinished second episode
    assert env.paths[1:] == [os.fspath(tmp_path / "box-ep0001.mp4")]
    first, second = (_mp4_frames(p) for p in env.paths)
    assert len(first) == 13 and len(second) == 4  # the reset frame + one per step
    assert first[0].shape == (420, 320, 3)
    with imageio.get_reader(env.paths[0], format="FFMPEG") as reader:
        assert reader.get_meta_data()["fps"] == pytest.approx(15.0)  # real time: 60 Hz / frameskip 4


def test_gym_recording_gif_keeps_exact_frames(tmp_path: Path) -> None:
    env = RecordEpisodes(gymnasium.make("mame_zoo/Boxing-v0", frameskip=4, max_cycles=10, render_mode="rgb_array"),
                         os.fspath(tmp_path), fmt="gif", every=2, episode_trigger=lambda ep: ep == 1)
    shown = []
    try:
        for seed in (0, 1):
            obs, _ = env.reset(seed=seed)
            shown = [obs]
            done = False
            while not done:
                obs, _, term, trunc, _ = env.step(3)
                shown.append(obs)
                done = term or trunc
    finally:
        env.close()
    assert env.paths == [os.fspath(tmp_path / "episode-ep0001.gif")]  # only episode 1 was triggered
    frames = imageio.mimread(env.paths[0])
    assert len(frames) == 6  # 11 frames (reset + 10 steps), every 2nd kept
    for got, want in zip(frames, shown[::2]):
        np.testing.assert_array_equal(np.asarray(got)[..., :3], want)  # the 2600 palette survives GIF


def test_recording_needs_rgb_array_and_known_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rgb_array"):
        RecordParallelEpisodes(boxing_v0.parallel_env(), os.fspath(tmp_path))
    with pytest.raises(ValueError, match=r"mp4 or \.gif"):
        VideoWriter(os.fspath(tmp_path / "x.avi"), 15)
    assert VideoWriter(os.fspath(tmp_path / "empty.gif"), 15).close() is None
    assert not list(tmp_path.iterdir())


def _tiny_checkpoint(path: Path) -> str:
    """An untrained but genuine mame_zoo checkpoint (SB3 PPO + the observation settings), made without MAME."""
    pytest.importorskip("stable_baselines3", reason="needs the 'train' extra")
    from stable_baselines3 import PPO

    from mame_zoo.agents.observation import ObsConfig
    from mame_zoo.train.nets import SmallCNN
    from mame_zoo.train.policy import CONFIG_ATTR

    cfg = ObsConfig.for_game("boxing_v0")

    class Shape(gymnasium.Env):
        observation_space = gymnasium.spaces.Box(0, 255, cfg.shape, np.uint8)
        action_space = gymnasium.spaces.Discrete(18)

        def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
            return np.zeros(cfg.shape, np.uint8), {}

        def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
            return np.zeros(cfg.shape, np.uint8), 0.0, False, False, {}

    model = PPO("CnnPolicy", Shape(), n_steps=16, batch_size=16, seed=0, device="cpu",
                policy_kwargs={"features_extractor_class": SmallCNN})
    setattr(model, CONFIG_ATTR, cfg.to_dict())
    model.save(os.fspath(path))
    return os.fspath(path)


def test_record_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mame_zoo.train.cli import main

    assert main(["record", "random", "--vs", "random", "--game", "boxing_v0", "--max-steps", "10", "--format",
                 "gif", "--scale", "1", "--out", os.fspath(tmp_path / "a"), "--no-progress"]) == 0
    gifs = sorted((tmp_path / "a").glob("*.gif"))
    assert [p.name for p in gifs] == ["random-vs-random-ep0000.gif"]
    assert _gif_steps(gifs[0]) == 11  # the reset's frame and one per step


def _gif_steps(path: Path) -> int:
    """How many frames a GIF shows, counted by time (Pillow merges repeated frames into one of longer duration)."""
    from PIL import Image

    with Image.open(path) as gif:
        durations = []
        for index in range(gif.n_frames):
            gif.seek(index)
            durations.append(gif.info["duration"])
    return round(sum(durations) / min(durations))


# --- human play -----------------------------------------------------------------------------------------
def test_action_mapping() -> None:
    from mame_zoo.games import declaration
    from mame_zoo.play import action_for

    boxing = declaration("boxing_v0").action_meanings(False)
    pong = declaration("pong_v0").action_meanings(False)
    assert boxing[action_for({"up", "left", "fire"}, boxing)] == "UPLEFTFIRE"
    assert boxing[action_for({"up", "down", "right"}, boxing)] == "RIGHT"  # opposites cancel
    assert boxing[action_for(set(), boxing)] == "NOOP"
    assert pong[action_for({"up", "right", "fire"}, pong)] == "RIGHTFIRE"  # Pong has no UP: dropped
    assert pong[action_for({"up", "fire"}, pong)] == "FIRE"
    assert pong[action_for({"down"}, pong)] == "NOOP"


def _keys(schedule: dict[int, list[tuple[int, int]]]) -> Any:
    """A play() script posting (event type, key) pairs at given steps."""
    import pygame

    def script(step: int) -> Iterable[Any]:
        return [pygame.event.Event(kind, key=key) for kind, key in schedule.get(step, [])]

    return script


def _white_x(frame: np.ndarray) -> float:
    _, xs = np.nonzero(np.all(frame == WHITE, axis=-1)[40:180])  # the ring, not the score line
    return float(xs.mean())


def test_play_against_cpu_with_scripted_keys() -> None:
    pygame = pytest.importorskip("pygame")
    from mame_zoo.play import play

    down, up = pygame.KEYDOWN, pygame.KEYUP
    script = _keys({0: [(down, pygame.K_RIGHT)], 15: [(up, pygame.K_RIGHT), (down, pygame.K_SPACE)],
                    20: [(down, pygame.K_ESCAPE)]})
    result = play("boxing_v0", "cpu", frameskip=4, fps=0, seed=0, script=script, keep_frames=True)
    assert result.steps == 20  # Esc quit before step 20
    assert [a["first_0"] for a in result.human_actions] == [RIGHT] * 15 + [FIRE] * 5
    assert _white_x(result.frames[14]) > _white_x(result.frames[0]) + 10  # the human's boxer walked right
    assert list(result.episodes[0]) == ["first_0"]


def test_play_two_humans_keyboard_and_gamepad() -> None:
    pygame = pytest.importorskip("pygame")
    from mame_zoo.play import play

    def script(step: int) -> list[Any]:
        if step == 0:
            return [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_LEFT),  # player 1: arrows
                    pygame.event.Event(pygame.KEYDOWN, key=pygame.K_d)]  # player 2: WASD
        if step == 3:  # a first gamepad appears and pushes its hat up: it belongs to player 1
            return [pygame.event.Event(pygame.JOYHATMOTION, instance_id=0, hat=0, value=(0, 1))]
        if step == 5:
            return [pygame.event.Event(pygame.JOYBUTTONDOWN, instance_id=0, button=0)]
        if step == 6:
            return [pygame.event.Event(pygame.QUIT)]
        return []

    result = play("boxing_v0", "human", frameskip=2, fps=0, seed=0, script=script)
    assert result.steps == 6
    assert [a["first_0"] for a in result.human_actions] == [LEFT] * 3 + [UPLEFT] * 2 + [15]  # 15: UPLEFTFIRE
    assert [a["second_0"] for a in result.human_actions] == [RIGHT] * 6
    assert set(result.episodes[0]) == {"first_0", "second_0"}


def test_play_against_checkpoint(tmp_path: Path) -> None:
    pytest.importorskip("pygame")
    from mame_zoo.play import play

    ckpt = _tiny_checkpoint(tmp_path / "tiny.zip")
    result = play("boxing_v0", ckpt, side="second_0", fps=0, seed=0, max_steps=12)
    assert result.steps == 12
    assert all(list(a) == ["second_0"] and a["second_0"] == NOOP for a in result.human_actions)
    assert set(result.episodes[0]) == {"first_0", "second_0"}
    with pytest.raises(ValueError, match="frameskip"):
        play("boxing_v0", ckpt, frameskip=1, max_steps=1)

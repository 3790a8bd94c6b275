"""Recording episodes to MP4 or GIF (imageio), as wrappers for any PettingZoo parallel env or Gymnasium env.

Both wrappers read ``env.render()`` after every reset and step, so the env needs ``render_mode="rgb_array"``
(mame_zoo envs render the full screen). A file is written when an episode ends (or at ``close()``):
``<folder>/<prefix>-ep<episode>.mp4``. MP4 needs the ``imageio-ffmpeg`` package (the ``train`` extra); GIF
needs only Pillow::

    env = RecordParallelEpisodes(boxing_v0.parallel_env(render_mode="rgb_array"), "videos")
    env = RecordEpisodes(gymnasium.make("mame_zoo/Boxing-v0", render_mode="rgb_array"), "videos", fmt="gif")

They also fit under SuperSuit's wrappers in training (``mame-zoo train --video-every N``): wrap the raw env
first, then the observation pipeline.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, SupportsFloat, cast

import gymnasium
import numpy as np
from pettingzoo.utils.wrappers import BaseParallelWrapper

from mame_zoo.errors import InvalidOption

if TYPE_CHECKING:
    import numpy.typing as npt

FORMATS = ("mp4", "gif")


def _frameskip(env: Any) -> int:
    """Emulated frames per step of a (possibly wrapped) mame_zoo env; 1 if unknown."""
    for _ in range(20):
        attrs: dict[str, Any] = getattr(env, "__dict__", {})
        if isinstance(attrs.get("frameskip"), int):
            return int(attrs["frameskip"])
        inner: Any = attrs.get("_env")  # SingleAgentEnv keeps its MameParallelEnv here
        if isinstance(getattr(inner, "frameskip", None), int):
            return int(inner.frameskip)
        env = attrs.get("env")
        if env is None:
            break
    return 1


def _render_fps(env: Any) -> float:
    metadata = getattr(env, "metadata", None) or {}
    return float(metadata.get("render_fps", 60) or 60)


class VideoWriter:
    """Collects RGB frames and writes them as an MP4 (streamed through ffmpeg) or a GIF (at ``close()``).

    Args:
        path: output file; its extension (``.mp4`` or ``.gif``) picks the format.
        fps: frames per second of the video.
        scale: integer upscaling (nearest neighbour) of every frame.
    """

    def __init__(self, path: str, fps: float, scale: int = 1) -> None:
        ext = os.path.splitext(path)[1].lower().lstrip(".")
        if ext not in FORMATS:
            raise InvalidOption(f"video files must end in .mp4 or .gif, got {path!r}")
        if scale < 1:
            raise InvalidOption("scale must be >= 1")
        self.path, self.fps, self.scale, self.format = path, float(fps), int(scale), ext
        self.frames: list[np.ndarray] = []
        self.count = 0
        self._writer: Any = None

    def add(self, frame: np.ndarray | None) -> None:
        """Append one H×W×3 uint8 frame (``None`` is ignored)."""
        if frame is None:
            return
        frame = np.asarray(frame, dtype=np.uint8)
        if self.scale > 1:
            frame = frame.repeat(self.scale, axis=0).repeat(self.scale, axis=1)
        if self.format == "gif":
            self.frames.append(frame)
        else:
            if self._writer is None:
                import imageio.v2 as imageio

                try:
                    self._writer = imageio.get_writer(self.path, format="FFMPEG", mode="I", fps=self.fps,
                                                      codec="libx264", pixelformat="yuv420p", macro_block_size=2,
                                                      ffmpeg_log_level="error")
                except (ImportError, ValueError, RuntimeError) as exc:
                    raise ImportError("writing MP4 needs imageio-ffmpeg: pip install imageio-ffmpeg (or record "
                                      f"GIFs) [{exc}]") from exc
            self._writer.append_data(frame)
        self.count += 1

    def close(self) -> str | None:
        """Finish the file; returns its path, or None if no frame was added."""
        if self.count == 0:
            return None
        if self.format == "gif":
            import imageio.v2 as imageio

            # imageio's stub asks for an (invariant) list[ArrayLike]
            imageio.mimsave(self.path, cast("list[npt.ArrayLike]", self.frames), duration=1000.0 / self.fps, loop=0)
            self.frames = []
        elif self._writer is not None:
            self._writer.close()
            self._writer = None
        return self.path


class _Recorder:
    """Episode bookkeeping shared by the two wrappers."""

    def __init__(self, folder: str, name_prefix: str, episode_trigger: Callable[[int], bool] | None, fmt: str,
                 every: int, scale: int, fps: float | None, unique_per_process: bool) -> None:
        if fmt not in FORMATS:
            raise InvalidOption(f"fmt must be one of {FORMATS}, got {fmt!r}")
        if every < 1:
            raise InvalidOption("every must be >= 1")
        self.folder, self.name_prefix, self.fmt = folder, name_prefix, fmt
        self.trigger = episode_trigger or (lambda episode: True)
        self.every, self.scale, self.fps = every, scale, fps
        self.unique_per_process = unique_per_process
        self.episode = -1
        self.step_index = 0
        self.writer: VideoWriter | None = None
        self.paths: list[str] = []

    def start(self, env_fps: float, frameskip: int) -> None:
        self.finish()
        self.episode += 1
        self.step_index = 0
        if not self.trigger(self.episode):
            return
        os.makedirs(self.folder, exist_ok=True)
        pid = f"-{os.getpid()}" if self.unique_per_process else ""
        path = os.path.join(self.folder, f"{self.name_prefix}{pid}-ep{self.episode:04d}.{self.fmt}")
        fps = self.fps or max(1.0, env_fps / max(1, frameskip) / self.every)
        self.writer = VideoWriter(path, fps, self.scale)

    def capture(self, render: Callable[[], Any]) -> None:
        if self.writer is not None and self.step_index % self.every == 0:
            self.writer.add(render())
        self.step_index += 1

    def finish(self) -> None:
        if self.writer is not None:
            path = self.writer.close()
            if path:
                self.paths.append(path)
            self.writer = None

    def __getstate__(self) -> dict[str, Any]:  # envs are pickled into vector-env workers
        state = dict(self.__dict__)
        state["writer"] = None
        return state


class RecordParallelEpisodes(BaseParallelWrapper):  # type: ignore[misc]  # pettingzoo ships no types: it is Any
    """Records episodes of a PettingZoo parallel env (``render_mode="rgb_array"``) to MP4 or GIF files.

    Args:
        env: the parallel env.
        folder: where the files go (created if needed).
        name_prefix: file names are ``<prefix>-ep<episode>.<fmt>``.
        episode_trigger: which episodes (0, 1, ...) to record; default all.
        fmt: ``"mp4"`` or ``"gif"``.
        every: keep every Nth step's frame.
        scale: integer upscaling of the frames.
        fps: video frame rate (default: real time, ``render_fps / frameskip / every``).
        unique_per_process: put the process id in file names (envs cloned into vector-env workers).

    ``paths`` lists the files written so far.
    """

    def __init__(self, env: Any, folder: str, name_prefix: str = "episode",
                 episode_trigger: Callable[[int], bool] | None = None, fmt: str = "mp4", every: int = 1,
                 scale: int = 1, fps: float | None = None, unique_per_process: bool = False) -> None:
        super().__init__(env)
        if getattr(env, "render_mode", None) != "rgb_array":
            raise InvalidOption("recording needs the env created with render_mode='rgb_array'")
        self.recorder = _Recorder(folder, name_prefix, episode_trigger, fmt, every, scale, fps, unique_per_process)

    @property
    def paths(self) -> list[str]:
        """Files written so far."""
        return self.recorder.paths

    def reset(self, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """Reset the env and start recording the new episode if the trigger says so."""
        result: tuple[dict[str, Any], dict[str, dict[str, Any]]] = self.env.reset(seed=seed, options=options)
        self.recorder.start(_render_fps(self.env), _frameskip(self.env))
        self.recorder.capture(self.env.render)
        return result

    def step(self, actions: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float], dict[str, bool],
                                                     dict[str, bool], dict[str, dict[str, Any]]]:
        """Step the env and keep the frame; the file is written when the episode ends."""
        result: tuple[dict[str, Any], dict[str, float], dict[str, bool], dict[str, bool],
                      dict[str, dict[str, Any]]] = self.env.step(actions)
        self.recorder.capture(self.env.render)
        if not self.env.agents:
            self.recorder.finish()
        return result

    def close(self) -> None:
        """Write any unfinished episode, then close the env."""
        self.recorder.finish()
        self.env.close()


class RecordEpisodes(gymnasium.Wrapper):
    """Records episodes of a Gymnasium env (``render_mode="rgb_array"``) to MP4 or GIF files.

    Same arguments as :class:`RecordParallelEpisodes`; ``paths`` lists the files written so far.
    """

    def __init__(self, env: gymnasium.Env, folder: str, name_prefix: str = "episode",
                 episode_trigger: Callable[[int], bool] | None = None, fmt: str = "mp4", every: int = 1,
                 scale: int = 1, fps: float | None = None, unique_per_process: bool = False) -> None:
        super().__init__(env)
        if env.render_mode != "rgb_array":
            raise InvalidOption("recording needs the env created with render_mode='rgb_array'")
        self.recorder = _Recorder(folder, name_prefix, episode_trigger, fmt, every, scale, fps, unique_per_process)

    @property
    def paths(self) -> list[str]:
        """Files written so far."""
        return self.recorder.paths

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Reset the env and start recording the new episode if the trigger says so."""
        result = self.env.reset(seed=seed, options=options)
        self.recorder.start(_render_fps(self.env), _frameskip(self.env.unwrapped))
        self.recorder.capture(self.env.render)
        return result

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        """Step the env and keep the frame; the file is written when the episode ends."""
        obs, reward, terminated, truncated, info = self.env.step(action)
        self.recorder.capture(self.env.render)
        if terminated or truncated:
            self.recorder.finish()
        return obs, reward, terminated, truncated, info

    def close(self) -> None:
        """Write any unfinished episode, then close the env."""
        self.recorder.finish()
        super().close()

"""MAMEToolkit-compatible Street Fighter III environment: change ``from MAMEToolkit.sf_environment import
Environment`` to ``from mame_zoo.sf_environment import Environment``.

The agent is P1 against the game's CPU, through the arcade ladder, as in MAMEToolkit; underneath it is the
``sfiii3n_v0`` vs-CPU game of mame_zoo (fast resets from a saved state, typed errors, no forked MAME).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from mame_zoo.env import MameParallelEnv
from mame_zoo.errors import InvalidOption, ResetNeeded
from mame_zoo.games.sfiii3n_v0 import GAME
from mame_zoo.roms import rom_paths

MOVE_NOOP, ATTACK_NOOP, ATTACK_JAB = 8, 9, 0
SCREEN_SKIP_STEPS = 2000  # how long next_round/next_stage may wait for the next fight (steps)


class Environment:
    """Street Fighter III 3rd Strike against the CPU, stepped with a move and an attack index.

    Args:
        env_id: a label (kept for compatibility).
        roms_path: folder holding ``sfiii3n.zip`` (None: ``MAME_ZOO_ROMS``).
        difficulty: the CPU's difficulty, 1-8.
        frame_ratio: frames emulated per sub-step (one frame is returned per sub-step).
        frames_per_step: sub-steps per :meth:`step`, all with the same action.
        render: show MAME's window (default: headless).
        throttle: run at real-time speed (default: as fast as possible).
        sound: play sound (default: silent).
        frame_skip: accepted for compatibility; ignored (MAME's -frameskip only skips drawing).
        debug: accepted for compatibility.
        binary_path: the MAME binary (default: found automatically).
        **settings: further SF3 settings of :class:`mame_zoo.games.sf3.game.SF3Game` (``characters``, ...).
    """

    def __init__(self, env_id: str, roms_path: str | None, difficulty: int = 3, frame_ratio: int = 3,
                 frames_per_step: int = 3, render: bool = False, throttle: bool = False, frame_skip: int = 0,
                 sound: bool = False, debug: bool = False, binary_path: str | None = None, **settings: Any) -> None:
        if int(frames_per_step) < 1 or int(frame_ratio) < 1:
            raise InvalidOption("frame_ratio and frames_per_step must be >= 1")
        self.env_id = env_id
        self.frames_per_step = int(frames_per_step)
        game = dataclasses.replace(GAME.with_single_agent(), difficulty=difficulty, **settings)
        self._env = MameParallelEnv(game, frameskip=int(frame_ratio), noop_max=0, max_cycles=10**9,
                                    rom_path=rom_paths(roms_path or None), mame=binary_path, mame_window=render,
                                    throttle=throttle, sound=sound)
        self._agent = self._env.possible_agents[0]
        self._started = False
        self._waiting: str | None = None  # "round", "stage" or "game": what must be called before step()
        self.stage = 1

    def start(self) -> Any:
        """Boot MAME, start a game and return the frames of the fight's first step."""
        self._env.reset()
        self._started, self._waiting, self.stage = True, None, 1
        return self._idle_frames()

    def _idle_frames(self) -> Any:
        frames = []
        for _ in range(self.frames_per_step):
            obs, *_ = self._env.step({self._agent: np.array([MOVE_NOOP, ATTACK_NOOP])})
            frames.append(obs[self._agent])
        return frames[0] if self.frames_per_step == 1 else frames

    def step(self, move_action: int, attack_action: int) -> tuple[Any, dict[str, float], bool, bool, bool]:
        """Hold (move, attack) for ``frames_per_step`` sub-steps; returns
        ``(frames, {"P1": reward, "P2": -reward}, round_done, stage_done, game_done)``."""
        if not self._started:
            raise ResetNeeded("Start must be called before stepping")
        if self._waiting is not None:
            call = "new_game()" if self._waiting == "game" else f"next_{self._waiting}()"
            raise ResetNeeded(f"the {self._waiting} is over: call {call} before stepping again")
        frames, reward = [], 0.0
        round_done = stage_done = game_done = False
        for _ in range(self.frames_per_step):
            obs, rew, term, trunc, info = self._env.step({self._agent: np.array([move_action, attack_action])})
            frames.append(obs[self._agent])
            reward += rew[self._agent]
            i = info[self._agent]
            round_done |= bool(i.get("round_done"))
            stage_done |= bool(i.get("stage_done"))
            game_done |= bool(i.get("game_done")) or term[self._agent] or trunc[self._agent]
            if round_done or game_done:
                break
        if game_done:
            self._waiting = "game"
        elif stage_done:
            self._waiting, self.stage = "stage", self.stage + 1
        elif round_done:
            self._waiting = "round"
        out = frames[0] if self.frames_per_step == 1 else frames
        return out, {"P1": reward, "P2": -reward}, round_done, stage_done, game_done

    def _skip_to_fight(self, press_jab: bool) -> Any:
        for k in range(SCREEN_SKIP_STEPS):
            attack = ATTACK_JAB if press_jab and k % 2 == 0 else ATTACK_NOOP
            _, _, _, _, info = self._env.step({self._agent: np.array([MOVE_NOOP, attack])})
            if info[self._agent].get("fighting"):
                self._waiting = None
                return self._idle_frames()
        raise ResetNeeded(f"the next fight did not start within {SCREEN_SKIP_STEPS} steps; call new_game()")

    def next_round(self) -> Any:
        """Wait for the next round to start; returns its first frames."""
        return self._skip_to_fight(press_jab=False)

    def next_stage(self) -> Any:
        """Skip the win, grade and opponent-select screens (pressing Jab) to the next fight."""
        return self._skip_to_fight(press_jab=True)

    def new_game(self) -> Any:
        """Start over from stage 1 (reloads the saved start state: no menus are replayed)."""
        return self.start()

    def close(self) -> None:
        """Stop MAME."""
        self._env.close()


__all__ = ["Environment"]

"""Rules of Atari games that the game file format cannot say, named by their files' ``[rules] python`` key.

Pure Python over the files' RAM variables (no MAME, no declarative engine): Multi-Agent-ALE's per-game logic
(``Farama-Foundation/Multi-Agent-ALE`` ``src/games/supported/*.cpp``).
"""

from __future__ import annotations

from collections.abc import Mapping

from mame_zoo.core.game import Rules
from mame_zoo.core.ops import FrameOutcome


class TennisRules(Rules):
    """Tennis: a point or game won is +1 (zero-sum); the server stalling 180 frames gets -1.

    Args:
        stall_penalty: Multi-Agent-ALE's penalty for a stalled serve; ale-py's 1-player Tennis has none.
    """

    STALL_LIMIT = 180

    def __init__(self, stall_penalty: bool = True) -> None:
        self.stall_penalty = stall_penalty

    def reset(self, values: Mapping[str, int]) -> None:
        """Read the score bytes at the start of an episode."""
        self.points = values["points_first"] - values["points_second"]
        self.games = values["games_first"] - values["games_second"]
        self.turns = 0
        self.stall = 0

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """Rewards for a point or game won, the stall penalty, and the end of the set."""
        points = values["points_first"] - values["points_second"]
        games = values["games_first"] - values["games_second"]
        r = 0.0
        if games != self.games:
            r = float(games - self.games)
            self.turns += 1
        elif points != self.points:
            r = float(points - self.points)
        self.points, self.games = points, games
        rewards = [r, -r]
        # Tennis.cpp: the counter restarts when 0xCC is 0 and always counts this frame; a timed-out serve
        # replaces the frame's rewards (scoring cannot happen on the same frame).
        self.stall = (0 if values["serve"] == 0 else self.stall) + 1
        if self.stall >= self.STALL_LIMIT and self.stall_penalty:
            rewards = [-1.0, 0.0] if self.turns % 2 == 0 else [0.0, -1.0]
            self.stall = 0
        mine, theirs = values["games_first"], values["games_second"]
        terminal = (mine >= 6 and games >= 2) or (theirs >= 6 and -games >= 2) or mine == 7 or theirs == 7
        return FrameOutcome(rewards, terminal)


__all__ = ["TennisRules"]

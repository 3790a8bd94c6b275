"""Rules of Atari games that the game file format cannot say, named by their files' ``[rules] python`` key:
Tennis, Othello, Video Checkers, Double Dunk, Wizard of Wor, Maze Craze and cooperative Entombed.

Pure Python over the files' raw RAM variables (no MAME, no declarative engine; BCD is decoded here):
Multi-Agent-ALE's per-game logic (``Farama-Foundation/Multi-Agent-ALE`` ``src/games/supported/*.cpp``).

Multi-Agent-ALE runs each game's ``step`` on every emulated frame of its reset too (the Select presses' idle
frames, the soft resets, the starting actions), so its move timers have already counted some frames when the
first observation is made. mame_zoo's rules start at that observation: ``start_count`` is the timer's value
there (measured against PettingZoo with idle actions; it depends on the mode's number of Select presses).
"""

from __future__ import annotations

from collections.abc import Mapping

from mame_zoo.core.game import Rules
from mame_zoo.core.ops import FrameOutcome, bcd


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


class OthelloRules(Rules):
    """Othello (2-player mode 4): zero-sum change of (white 0xCE - black 0xD0, BCD); a 600-frame move timer.

    first_0 is white. The timer restarts on every frame whose reward is non-zero (a move changes the scores)
    and counts that frame; when it reaches ``max_turn_time`` the player to move (0xC0 == 0xFF: first_0) gets
    -1 instead of the frame's reward. The game is over when 0xC0 (the player indicator) has been 0 for more
    than 75 frames.

    Args:
        max_turn_time: ALE's ``max_turn_time`` (its default 60 * 10; 0 switches the penalty off).
        start_count: the timer's value at the first observation (ALE's reset ran 13 stepped frames: 3 Select
            presses, 8 soft-reset frames, 2 idle frames).
        end_after: the game is over once 0xC0 has been 0 for more than this many frames (Multi-Agent-ALE's 75;
            ale-py's 1-player Othello.cpp: 50).
    """

    def __init__(self, max_turn_time: int = 600, start_count: int = 13, end_after: int = 75) -> None:
        self.max_turn_time = max_turn_time
        self.start_count = start_count
        self.end_after = end_after

    def reset(self, values: Mapping[str, int]) -> None:
        """Read the scores at the start of an episode."""
        self.score = bcd(values["score_white"]) - bcd(values["score_black"])
        self.turn_count = self.start_count
        self.inactive = 1 if values["player"] == 0 else 0

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """The score change, the move timer's penalty, and the end of the game."""
        score = bcd(values["score_white"]) - bcd(values["score_black"])
        first = float(score - self.score)
        rewards = [first, -first]
        self.score = score
        self.inactive = self.inactive + 1 if values["player"] == 0 else 0
        if first != 0:
            self.turn_count = 0
        self.turn_count += 1
        if self.max_turn_time > 0 and self.turn_count >= self.max_turn_time:
            if values["player"] == 0xFF:
                rewards[0] = -1.0
            else:
                rewards[1] = -1.0
            self.turn_count = 0
        return FrameOutcome(rewards, self.inactive > self.end_after)


#: Video Checkers' board: the 32 dark squares' RAM bytes (0x88, 0x91 and 0x9A are not squares)
CHECKERS_SQUARES = (*range(0x80, 0x88), *range(0x89, 0x91), *range(0x92, 0x9A), *range(0x9B, 0xA3))


class VideoCheckersRules(Rules):
    """Video Checkers (2-player mode 10): +1/-1 when a side has no pieces left; a 600-frame move timer.

    first_0 plays black (squares 0x10 / 0x20), second_0 white (0x90 / 0xA0). The timer restarts when the
    turn (0xC0 >> 4 non-zero: white) changes and counts every frame; past ``max_turn_time`` the player to move
    gets -1. When black has no pieces first_0 gets -1 and second_0 +1 (the other way round when white has none)
    and the game ends; that outcome replaces the frame's penalty.

    Args:
        max_turn_time: ALE's ``max_turn_time`` (its default 60 * 10; 0 switches the penalty off).
        start_count: the timer's value at the first observation (ALE's reset ran 19 stepped frames: 9 Select
            presses, 8 soft-reset frames, 2 idle frames).
    """

    def __init__(self, max_turn_time: int = 600, start_count: int = 19) -> None:
        self.max_turn_time = max_turn_time
        self.start_count = start_count

    def reset(self, values: Mapping[str, int]) -> None:
        """Whose turn it is at the start of an episode."""
        self.turn_count = self.start_count
        self.white_turn = (values["turn"] >> 4) != 0

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """The move timer's penalty and the end of the game."""
        black = white = 0
        for address in CHECKERS_SQUARES:
            state = values[f"sq_{address:02x}"]
            if state in (0x10, 0x20):
                black += 1
            elif state in (0x90, 0xA0):
                white += 1
        white_turn = (values["turn"] >> 4) != 0
        if white_turn != self.white_turn:
            self.turn_count = 0
        self.turn_count += 1
        self.white_turn = white_turn
        rewards = [0.0, 0.0]
        if self.max_turn_time > 0 and self.turn_count > self.max_turn_time:
            rewards = [0.0, -1.0] if white_turn else [-1.0, 0.0]
            self.turn_count = 0
        if black == 0:
            return FrameOutcome([-1.0, 1.0], True)
        if white == 0:
            return FrameOutcome([1.0, -1.0], True)
        return FrameOutcome(rewards, False)


class DoubleDunkRules(Rules):
    """Double Dunk (2-player mode 16): zero-sum change of (BCD 0xF6 - 0xF7); a 120-frame play-choice timer.

    The choice timer restarts on every frame whose choice byte 0x89 is not 0 and has neither bit 0x80 nor
    0x40 set, and counts every frame; past ``max_turn_time`` it replaces the frame's rewards: 0x89 == 0 gives
    both agents -1, bit 0x40 second_0 -1, bit 0x80 first_0 -1. The game ends when a side has 24 points or more
    and 0xFE is 0xE7.

    Args:
        max_turn_time: ALE's ``max_turn_time`` (its default 60 * 2; 0 switches the penalty off).
        start_count: the timer's value at the first observation (0x89 is 9 there, so the first frame restarts
            the timer whatever it is).
    """

    def __init__(self, max_turn_time: int = 120, start_count: int = 0) -> None:
        self.max_turn_time = max_turn_time
        self.start_count = start_count

    def reset(self, values: Mapping[str, int]) -> None:
        """Read the scores at the start of an episode."""
        self.score = bcd(values["score_first"]) - bcd(values["score_second"])
        self.count = self.start_count

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """The score change, the choice timer's penalty, and the end of the game."""
        mine, theirs = bcd(values["score_first"]), bcd(values["score_second"])
        first = float(mine - theirs - self.score)
        self.score = mine - theirs
        rewards = [first, -first]
        terminal = (mine >= 24 or theirs >= 24) and values["end"] == 0xE7
        choice = values["choice"]
        if not (choice == 0 or choice & 0x80 or choice & 0x40):
            self.count = 0
        self.count += 1
        if self.max_turn_time > 0 and self.count > self.max_turn_time:
            if choice == 0:
                rewards = [-1.0, -1.0]
            elif choice & 0x40:
                rewards = [0.0, -1.0]
            elif choice & 0x80:
                rewards = [-1.0, 0.0]
            self.count = 0
        return FrameOutcome(rewards, terminal)


class WizardOfWorRules(Rules):
    """Wizard of Wor (two players): each player's own score change; a player out of lives leaves the game.

    WizardOfWor.cpp: the score is BCD 0x86 (tens/units of hundreds) and 0x88 (thousands) for the first player,
    0x85 / 0x87 for the second, less 8000 at 8000 or more, times 100. Lives are the low nibble of 0x8D / 0x8C
    minus 1, taken only while the player waits to enter the maze (bit 0 of 0xD7 / 0xD6 clear); at -1 the
    player is out. The game ends when both lives nibbles are 0 and 0xF4 is 0xF8.
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Read the scores at the start of an episode; both players start with 2 lives."""
        self.scores = [self._score(values, "first"), self._score(values, "second")]
        self.lives = [2, 2]

    @staticmethod
    def _score(values: Mapping[str, int], who: str) -> int:
        # raw bytes: ALE's getDecimalScore
        score = bcd(values[f"score_lo_{who}"]) + 100 * bcd(values[f"score_hi_{who}"])
        if score >= 8000:
            score -= 8000
        return score * 100

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """Score changes, the latched lives, and the end of the game."""
        rewards = []
        for i, who in enumerate(("first", "second")):
            score = self._score(values, who)
            rewards.append(float(score - self.scores[i]))
            self.scores[i] = score
            new_lives = (values[f"lives_{who}"] & 0x0F) - 1
            if values[f"waiting_{who}"] & 0x01 == 0:
                self.lives[i] = new_lives
        new_first = (values["lives_first"] & 0x0F) - 1
        new_second = (values["lives_second"] & 0x0F) - 1
        terminal = new_first == -1 and values["game_state"] == 0xF8 and new_second == -1
        return FrameOutcome(rewards, terminal, list(self.lives))


class MazeCrazeRules(Rules):
    """Maze Craze: the first out of the maze gets +1 and the other -1; a robbed (stuck) player gets -1 and is out.

    MazeCraze.cpp: a player is out once bit 0x40 of 0xEA / 0xEB is set (-1 on that frame). A player has escaped
    when 0xEC / 0xED is 0xFF; on the frame the difference (first - second) is not 0, a surviving player gets +1
    if the other is out (the second if the first is out, else the first), otherwise the difference, zero-sum.
    The game ends then, or when both players are out.
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Both players start in the maze."""
        self.alive = [True, True]

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """Rewards for being caught and for leaving the maze; the end of the game."""
        escaped = [1 if values["escaped_first"] == 0xFF else 0, 1 if values["escaped_second"] == 0xFF else 0]
        rewards = [0.0, 0.0]
        for i, who in enumerate(("first", "second")):
            if self.alive[i] and values[f"stuck_{who}"] & 0x40:
                self.alive[i] = False
                rewards[i] = -1.0
        completion = escaped[0] - escaped[1]
        if completion != 0:
            if not self.alive[0]:
                rewards[1] = 1.0
            elif not self.alive[1]:
                rewards[0] = 1.0
            else:
                rewards = [float(completion), float(-completion)]
        terminal = completion != 0 or not any(self.alive)
        return FrameOutcome(rewards, terminal, [0 if a else -1 for a in self.alive])


class EntombedCooperativeRules(Rules):
    """Entombed, cooperative (ALE mode 3): +1 to both players on every frame the sub-stage byte grows.

    Multi-Agent-ALE ``Entombed.cpp``: the reward is 1 when RAM 0xEF is above its value of the previous frame
    (a drop, at a new stage, gives nothing and only lowers the mark); both players get the same reward. The
    episode ends when either player's lives (0xC7 bits 0-1 and 4-5) reach 0. Lives are never negative, so no
    player leaves the game before the end.
    """

    def reset(self, values: Mapping[str, int]) -> None:
        """Take the sub-stage of the first observed frame as the mark."""
        self.depth = values["substage"]

    def frame(self, values: Mapping[str, int]) -> FrameOutcome:
        """+1 to both when the sub-stage grew; the end when a player has no lives left."""
        depth = values["substage"]
        r = 1.0 if depth > self.depth else 0.0
        self.depth = depth
        lives = values["lives"]
        terminal = (lives & 0x03) == 0 or (lives & 0x30) == 0
        return FrameOutcome([r, r], terminal)


__all__ = ["DoubleDunkRules", "EntombedCooperativeRules", "MazeCrazeRules", "OthelloRules", "TennisRules",
           "VideoCheckersRules", "WizardOfWorRules"]

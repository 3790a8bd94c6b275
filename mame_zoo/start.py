"""Running a game's start steps on a bridge: from power-on (the reference's, where the game's machine has a
power-on model) through its start sequence. One interpreter for the env (:mod:`mame_zoo.env`, which saves the
result as the start state) and the address finder (``mame-zoo find``'s ``start``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from mame_zoo.bridge import Bridge, ReadSpec
from mame_zoo.bridge.protocol import Edge
from mame_zoo.core.game import Game
from mame_zoo.core.ops import Hold, LoadState, MachineReset, PressUntil, StartOp, Var, Wait, Write, bcd
from mame_zoo.errors import InvalidGameSpec

#: a step of the bridge: (frames, inputs) -> None
Step = Callable[[int, Mapping[int, int]], None]


def set_frame_signal(bridge: Bridge, game: Game, limit: str = "play") -> None:
    """Step ``bridge`` on ``game``'s own frame, if it declares one (``Game.frame_signal``). Its scanline limit,
    if it has one, is watched in ``limit`` = "start" (start sequences), "detect" (the machine's format detection
    at power-on) or "play" (only where the game asks for it in play)."""
    signal = game.frame_signal
    if signal is None:
        return
    frame_limit = None
    if signal.limit is not None and (limit != "play" or signal.limit.in_play):
        lim = signal.limit
        frame_limit = (lim.detect_lines if limit == "detect" else lim.lines, lim.line_cycles, lim.first, lim.last,
                       lim.mirror)
    ins = signal.instructions
    bridge.set_signal(bridge.space(signal.device, signal.space).id, signal.address, signal.mask,
                      Edge[signal.edge.upper()], signal.mirror, signal.longest, limit=frame_limit,
                      clock_hz=signal.clock_hz,
                      instructions=None if ins is None else (ins.count, ins.first, ins.last, ins.mirror))


class StartRunner:
    """Runs start steps on ``bridge`` for ``game``: ``field`` gives an input's field id, ``neutral`` the field
    values with every input at rest, ``step`` emulates frames with inputs (default: ``bridge.step`` without a
    screen). Machine resets count from power-on, so the power-on model restarts each one as the reference does
    for the seed."""

    def __init__(self, bridge: Bridge, game: Game, field: Callable[[tuple[str, str]], int],
                 neutral: Mapping[int, int], step: Step | None = None) -> None:
        self.bridge, self.game, self.field, self.neutral = bridge, game, field, dict(neutral)

        def frames_only(frames: int, inputs: Mapping[int, int]) -> None:
            bridge.step(frames, inputs, frame=False)

        self.step: Step = step or frames_only
        self.resets = 0

    def space(self, var: Var) -> int:
        """The bridge's id of a variable's address space."""
        return self.bridge.space(var.device, var.space).id

    def from_power_on(self, seed: int | None) -> None:
        """The reference's power-on (if the game's machine has a power-on model), then the start sequence, the
        game's scanline limit watched throughout; afterwards the frame signal is the one for play."""
        bridge, game, power_on = self.bridge, self.game, self.game.power_on
        if power_on is not None:
            set_frame_signal(bridge, game, "detect")
            var, size = power_on.ram
            fill = power_on.fill(seed or 0, game.single_agent)
            bridge.write_many([(self.space(var), var.address + i, "u8", b) for i, b in enumerate(fill[:size])])
            self.machine_reset(seed)
            self.run(power_on.detection(), seed)
        set_frame_signal(bridge, game, "start")
        self.run(game.start, seed)
        set_frame_signal(bridge, game, "play")

    def machine_reset(self, seed: int | None) -> None:
        """Reset the machine; with a power-on model, restarted as the reference restarts reset number
        ``self.resets`` for ``seed``."""
        bridge, game, power_on = self.bridge, self.game, self.game.power_on
        if power_on is not None and game.frame_signal is not None:
            spec = power_on.spec
            bridge.arm_restart(bridge.space(spec.device, spec.space).id, spec.vector, spec.timer_reads,
                               spec.timer_writes, power_on.timer(seed or 0, game.single_agent, self.resets),
                               game.frame_signal.clock_hz, spec.first_cycles, spec.line_origin, power_on.timer_in_play)
        self.resets += 1
        bridge.soft_reset()

    def run(self, ops: Sequence[StartOp], seed: int | None = None) -> None:
        """Run start steps (a start or restart sequence)."""
        bridge, neutral = self.bridge, self.neutral
        for op in ops:
            if isinstance(op, MachineReset):
                self.machine_reset(seed)
            elif isinstance(op, Wait):
                self.step(op.frames, neutral)
            elif isinstance(op, Hold):
                if op.frames:  # (0: an observed hold, held on the observed frame only)
                    self.step(op.frames, {**neutral, **{self.field(f): v for f, v in op.inputs.items()}})
            elif isinstance(op, PressUntil):
                spec = ReadSpec(self.space(op.var), op.var.address, op.var.dtype)
                pressed = {**neutral, **{self.field(f): v for f, v in op.inputs.items()}}
                for _ in range(op.max_presses):
                    value = int(bridge.read([spec])[0][0])
                    if (bcd(value) if op.decode_bcd else value) == op.value:
                        break
                    self.step(op.press, pressed)
                    self.step(op.release, neutral)
                else:
                    raise InvalidGameSpec(
                        f"{self.game.env_name}: RAM {op.var.address:#x} never reached {op.value} after "
                        f"{op.max_presses} presses; the start sequence does not fit this ROM")
            elif isinstance(op, Write):
                space = self.space(op.var)
                bridge.write(space, op.var.address, op.var.dtype, op.value)
                got = int(bridge.read([ReadSpec(space, op.var.address, op.var.dtype)])[0][0])
                if got != op.value:
                    raise InvalidGameSpec(f"{self.game.env_name}: wrote {op.value} to RAM {op.var.address:#x} but "
                                          f"it reads back {got}; the start sequence does not fit this ROM")
            elif isinstance(op, LoadState):
                bridge.load_state(op.path)
                self.step(1, neutral)
            else:
                raise InvalidGameSpec(f"{self.game.env_name}: unknown start step {op!r}")


__all__ = ["StartRunner", "set_frame_signal"]

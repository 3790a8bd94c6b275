"""Self-play training, evaluation and checkpoint loading (the ``train`` extra: PyTorch + Stable-Baselines3).

Nothing here imports torch or Stable-Baselines3 at import time: ``import mame_zoo.train`` works without the
extra, and the functions that need it raise an :class:`ImportError` that names it.

- :func:`mame_zoo.train.selfplay.train` / ``mame-zoo train``: PPO self-play, one shared policy for every agent.
- :func:`mame_zoo.train.evaluate.evaluate` / ``mame-zoo eval``: a checkpoint against the built-in CPU, a
  random policy or another checkpoint.
- :mod:`mame_zoo.train.policy`: the observation pipeline shared by training and evaluation, and
  :func:`~mame_zoo.train.policy.load_policy`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRA_HINT = "pip install torch==2.13.0 && pip install 'mame-zoo[train]'"


def require_train_extra() -> tuple[ModuleType, ModuleType]:
    """Import and return ``(torch, stable_baselines3)``, or raise an ImportError naming the ``train`` extra."""
    try:
        torch = importlib.import_module("torch")
        sb3 = importlib.import_module("stable_baselines3")
    except ImportError as exc:
        raise ImportError(f"training and checkpoints need PyTorch and Stable-Baselines3 (the 'train' extra): "
                          f"{EXTRA_HINT}  [{exc}]") from exc
    return torch, sb3


__all__ = ["EXTRA_HINT", "require_train_extra"]

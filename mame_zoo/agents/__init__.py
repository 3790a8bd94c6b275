"""Agents to play against: pretrained policies shipped in the package, and the observation pipeline they share
with training (:mod:`mame_zoo.agents.observation`).

Example::

    import gymnasium, mame_zoo.agents

    bot = mame_zoo.agents.load("boxing_v0")
    env = gymnasium.make("mame_zoo/Boxing-v0", **bot.env_kwargs)   # frameskip 4, RAM observations
    obs, _ = env.reset(seed=0)
    bot.reset()
    obs, reward, terminated, truncated, _ = env.step(bot.act(obs))

Playing needs only NumPy; no PyTorch, no network.
"""

from __future__ import annotations

from mame_zoo.agents.pretrained import PretrainedAgent, available, info, load, load_file

__all__ = ["PretrainedAgent", "available", "info", "load", "load_file"]

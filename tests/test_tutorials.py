"""PettingZoo's own Atari tutorial client, with only the env id changed, on real MAME.

PettingZoo's CleanRL tutorial (``tutorials/CleanRL/cleanrl_advanced.py`` in PettingZoo's repository) trains
PPO on ``make("parallel", f"atari/{env_id}")`` through a fixed SuperSuit chain. The chain below is that
tutorial's, wrapper for wrapper and argument for argument, over ``"mame_zoo/<game>-v0"``; the learner is a
small PPO update of the same shape (Nature CNN, clipped surrogate, value loss), run for a few hundred steps:
what the tutorial needs from an env (spaces, vectorisation, agent indicator, resets) must work unchanged.

PettingZoo's AgileRL tutorial is not run: agilerl (2.58) requires ``pettingzoo<1.27``, and the tutorial itself
uses 1.27's ``make``, so the two cannot be installed together.
"""

from __future__ import annotations

import numpy as np
import pytest
import supersuit as ss
import torch
from pettingzoo import make

import mame_zoo  # noqa: F401  (registers mame_zoo/* with PettingZoo)

pytestmark = pytest.mark.timeout(300)


def cleanrl_envs(env_id: str, num_envs: int = 2) -> object:
    """The tutorial's env setup (``# env setup`` in cleanrl_advanced.py) with ``env_id`` in place of atari/'s."""
    env = make("parallel", env_id)
    env = ss.max_observation_v0(env, 2)
    env = ss.frame_skip_v0(env, 4)
    env = ss.clip_reward_v0(env, lower_bound=-1, upper_bound=1)
    env = ss.color_reduction_v0(env, mode="B")
    env = ss.resize_v1(env, x_size=84, y_size=84)
    env = ss.frame_stack_v1(env, 4)
    env = ss.agent_indicator_v0(env, type_only=False)
    env = ss.pettingzoo_env_to_vec_env_v1(env)
    return ss.concat_vec_envs_v1(env, num_envs // 2, num_cpus=0, base_class="gymnasium")


class Agent(torch.nn.Module):
    """Actor-critic over the stacked frames: the Nature CNN of CleanRL's PPO (channels last -> first)."""

    def __init__(self, channels: int, actions: int) -> None:
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(channels, 32, 8, stride=4), torch.nn.ReLU(),
            torch.nn.Conv2d(32, 64, 4, stride=2), torch.nn.ReLU(),
            torch.nn.Conv2d(64, 64, 3, stride=1), torch.nn.ReLU(), torch.nn.Flatten(),
            torch.nn.Linear(64 * 7 * 7, 512), torch.nn.ReLU())
        self.actor, self.critic = torch.nn.Linear(512, actions), torch.nn.Linear(512, 1)

    def forward(self, obs: torch.Tensor) -> tuple[torch.distributions.Categorical, torch.Tensor]:
        hidden = self.body(obs.permute(0, 3, 1, 2) / 255.0)
        return torch.distributions.Categorical(logits=self.actor(hidden)), self.critic(hidden).squeeze(-1)


@pytest.mark.parametrize("game", ["boxing", "space_invaders"])
def test_cleanrl_tutorial_runs_with_only_the_id_changed(game: str) -> None:
    envs = cleanrl_envs(f"mame_zoo/{game}-v0")
    try:
        space, actions = envs.observation_space, envs.action_space
        # the tutorial's asserts and storage shapes: 84x84, 4 stacked frames + the agent indicator's 2 planes
        assert space.shape == (84, 84, 6) and actions.n == (18 if game == "boxing" else 6)
        torch.manual_seed(1)
        agent = Agent(space.shape[-1], actions.n)
        optimizer = torch.optim.Adam(agent.parameters(), lr=2.5e-4, eps=1e-5)
        obs, _ = envs.reset(seed=1)
        steps, rewards_seen = 128, []
        for _update in range(2):
            batch_obs, batch_act, batch_logp, batch_ret = [], [], [], []
            for _ in range(steps // 2):
                with torch.no_grad():
                    dist, _value = agent(torch.as_tensor(obs, dtype=torch.float32))
                    action = dist.sample()
                next_obs, reward, _term, _trunc, _info = envs.step(action.numpy())
                batch_obs.append(obs)
                batch_act.append(action)
                batch_logp.append(dist.log_prob(action))
                batch_ret.append(torch.as_tensor(reward, dtype=torch.float32))
                rewards_seen.append(np.asarray(reward))
                obs = next_obs
            o = torch.as_tensor(np.concatenate(batch_obs), dtype=torch.float32)
            a, old_logp, ret = torch.cat(batch_act), torch.cat(batch_logp), torch.cat(batch_ret)
            dist, value = agent(o)
            ratio = (dist.log_prob(a) - old_logp).exp()
            advantage = ret - value.detach()
            loss = (-torch.min(ratio * advantage, ratio.clamp(0.9, 1.1) * advantage).mean()
                    + 0.5 * ((value - ret) ** 2).mean() - 0.01 * dist.entropy().mean())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            assert torch.isfinite(loss)
        assert obs.shape == (2, 84, 84, 6) and obs.dtype == np.uint8
        assert all(np.all(np.abs(r) <= 1) for r in rewards_seen)  # clip_reward_v0 at work
    finally:
        envs.close()

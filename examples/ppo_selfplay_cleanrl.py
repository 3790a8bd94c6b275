"""Self-play PPO on a mame_zoo game in one file, CleanRL style (PyTorch only, read it top to bottom).

One network plays every side of the match: each agent of each parallel match is one row of the batch, and
SuperSuit's agent-indicator planes tell the network which player it is looking from. The number of agents
and the observation channels are read from the env, so the same file trains on any mame_zoo Atari game.

    python examples/ppo_selfplay_cleanrl.py --game boxing_v0 --total-frames 2000000

Needs PyTorch (``pip install torch==2.13.0``) besides mame_zoo. ``mame-zoo train`` is the Stable-Baselines3
version of the same algorithm, with checkpoints, logs and evaluation; this file is for reading and hacking.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import numpy as np
import supersuit as ss
import torch
from torch import nn, optim
from torch.distributions.categorical import Categorical

from mame_zoo.registry import make


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--game", default="boxing_v0")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-frames", type=int, default=2_000_000, help="emulated frames to train for")
    p.add_argument("--frameskip", type=int, default=4, help="frames per step, done inside MAME")
    p.add_argument("--max-cycles", type=int, default=100_000, help="truncate episodes after N steps")
    p.add_argument("--num-games", type=int, default=4, help="matches played in parallel")
    p.add_argument("--num-workers", type=int, default=2, help="processes running the matches (0: none)")
    p.add_argument("--num-steps", type=int, default=128, help="steps per env per rollout")
    p.add_argument("--learning-rate", type=float, default=2.5e-4)
    p.add_argument("--no-anneal-lr", action="store_true")
    p.add_argument("--gamma", type=float, default=0.99)
    p.add_argument("--gae-lambda", type=float, default=0.95)
    p.add_argument("--num-minibatches", type=int, default=4)
    p.add_argument("--update-epochs", type=int, default=3)
    p.add_argument("--clip-coef", type=float, default=0.1)
    p.add_argument("--ent-coef", type=float, default=0.01)
    p.add_argument("--vf-coef", type=float, default=0.5)
    p.add_argument("--max-grad-norm", type=float, default=0.5)
    p.add_argument("--torch-threads", type=int, default=1, help="1 leaves the CPU to the emulators")
    p.add_argument("--save", help="write the trained network's state_dict here")
    return p.parse_args()


def make_envs(args: argparse.Namespace) -> tuple[Any, int]:
    """num_games matches -> one vector env with one row per (match, agent); returns it and the agent count."""
    env = make(args.game, frameskip=args.frameskip, max_cycles=args.max_cycles)
    n_agents = len(env.possible_agents)
    env = ss.color_reduction_v0(env, mode="full")  # grey
    env = ss.resize_v1(env, x_size=84, y_size=84)
    env = ss.frame_stack_v1(env, 4)  # 84x84x4
    env = ss.agent_indicator_v0(env, type_only=False)  # + one plane per agent: 84x84x(4 + n_agents)
    env = ss.pettingzoo_env_to_vec_env_v1(env)  # each agent is an env of the vector
    envs = ss.concat_vec_envs_v1(env, args.num_games, num_cpus=args.num_workers, base_class="gymnasium")
    return envs, n_agents


def layer_init(layer: nn.Module, std: float = np.sqrt(2), bias_const: float = 0.0) -> nn.Module:
    torch.nn.init.orthogonal_(layer.weight, std)
    torch.nn.init.constant_(layer.bias, bias_const)
    return layer


class Agent(nn.Module):
    """Shared actor-critic: the 2013 DQN convolutions (cheap on a CPU), a policy head and a value head."""

    def __init__(self, obs_shape: tuple[int, ...], n_actions: int) -> None:
        super().__init__()
        height, width, channels = obs_shape
        convs = nn.Sequential(
            layer_init(nn.Conv2d(channels, 16, 8, stride=4)), nn.ReLU(),
            layer_init(nn.Conv2d(16, 32, 4, stride=2)), nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            n_flat = convs(torch.zeros(1, channels, height, width)).shape[1]
        self.network = nn.Sequential(convs, layer_init(nn.Linear(n_flat, 256)), nn.ReLU())
        self.actor = layer_init(nn.Linear(256, n_actions), std=0.01)
        self.critic = layer_init(nn.Linear(256, 1), std=1)

    def hidden(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x.permute(0, 3, 1, 2) / 255.0)  # N,H,W,C uint8 -> N,C,H,W in [0, 1]

    def get_value(self, x: torch.Tensor) -> torch.Tensor:
        return self.critic(self.hidden(x))

    def get_action_and_value(self, x: torch.Tensor, action: torch.Tensor | None = None) -> tuple[torch.Tensor, ...]:
        hidden = self.hidden(x)
        probs = Categorical(logits=self.actor(hidden))
        if action is None:
            action = probs.sample()
        return action, probs.log_prob(action), probs.entropy(), self.critic(hidden)


def main() -> None:
    args = parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.torch_threads)
    device = torch.device("cpu")

    envs, n_agents = make_envs(args)
    obs_shape = envs.observation_space.shape  # one row's observation: (84, 84, 4 + n_agents)
    n_actions = envs.action_space.n
    num_envs = envs.num_envs  # num_games * n_agents
    batch_size = num_envs * args.num_steps
    minibatch_size = batch_size // args.num_minibatches
    frames_per_update = args.num_steps * args.num_games * args.frameskip
    num_updates = max(1, args.total_frames // frames_per_update)
    print(f"{args.game}: {n_agents} agents x {args.num_games} games = {num_envs} envs, obs {obs_shape}, "
          f"{n_actions} actions, {num_updates} updates of {batch_size} samples")

    agent = Agent(obs_shape, n_actions).to(device)
    optimizer = optim.Adam(agent.parameters(), lr=args.learning_rate, eps=1e-5)

    # rollout storage
    obs = torch.zeros((args.num_steps, num_envs, *obs_shape), dtype=torch.uint8)
    actions = torch.zeros((args.num_steps, num_envs), dtype=torch.long)
    logprobs = torch.zeros((args.num_steps, num_envs))
    rewards = torch.zeros((args.num_steps, num_envs))
    dones = torch.zeros((args.num_steps, num_envs))
    values = torch.zeros((args.num_steps, num_envs))

    start = time.time()
    next_obs_np, _ = envs.reset(seed=args.seed)
    next_obs = torch.as_tensor(next_obs_np)
    next_done = torch.zeros(num_envs)
    episode_returns = np.zeros(num_envs)  # raw score differences, per row
    finished: list[float] = []  # returns of the first agent's rows (its score margin)
    frames = 0

    for update in range(1, num_updates + 1):
        if not args.no_anneal_lr:
            optimizer.param_groups[0]["lr"] = (1.0 - (update - 1.0) / num_updates) * args.learning_rate

        # 1. play num_steps steps in every match; both sides act with the same network
        for step in range(args.num_steps):
            obs[step] = next_obs
            dones[step] = next_done
            with torch.no_grad():
                action, logprob, _, value = agent.get_action_and_value(next_obs.float())
            values[step] = value.flatten()
            actions[step] = action
            logprobs[step] = logprob
            next_obs_np, reward, term, trunc, _ = envs.step(action.numpy())
            done = np.logical_or(term, trunc)
            episode_returns += reward
            for i in np.flatnonzero(done):
                if i % n_agents == 0:
                    finished.append(float(episode_returns[i]))
                episode_returns[i] = 0.0
            rewards[step] = torch.as_tensor(np.sign(reward), dtype=torch.float32)  # clipped, as in Atari PPO
            next_obs = torch.as_tensor(next_obs_np)
            next_done = torch.as_tensor(done, dtype=torch.float32)
        frames += frames_per_update

        # 2. generalised advantage estimation
        with torch.no_grad():
            next_value = agent.get_value(next_obs.float()).reshape(1, -1)
            advantages = torch.zeros_like(rewards)
            lastgaelam = torch.zeros(num_envs)
            for t in reversed(range(args.num_steps)):
                if t == args.num_steps - 1:
                    nextnonterminal, nextvalues = 1.0 - next_done, next_value
                else:
                    nextnonterminal, nextvalues = 1.0 - dones[t + 1], values[t + 1]
                delta = rewards[t] + args.gamma * nextvalues * nextnonterminal - values[t]
                advantages[t] = lastgaelam = delta + args.gamma * args.gae_lambda * nextnonterminal * lastgaelam
            returns = advantages + values

        # 3. PPO update on the flattened batch (every agent's samples together)
        b_obs = obs.reshape((-1, *obs_shape))
        b_logprobs, b_actions = logprobs.reshape(-1), actions.reshape(-1)
        b_advantages, b_returns, b_values = advantages.reshape(-1), returns.reshape(-1), values.reshape(-1)
        b_inds = np.arange(batch_size)
        clipfracs = []
        for _epoch in range(args.update_epochs):
            np.random.shuffle(b_inds)
            for begin in range(0, batch_size, minibatch_size):
                mb = b_inds[begin:begin + minibatch_size]
                _, newlogprob, entropy, newvalue = agent.get_action_and_value(b_obs[mb].float(), b_actions[mb])
                logratio = newlogprob - b_logprobs[mb]
                ratio = logratio.exp()
                with torch.no_grad():
                    approx_kl = ((ratio - 1) - logratio).mean()
                    clipfracs.append(((ratio - 1.0).abs() > args.clip_coef).float().mean().item())
                mb_adv = b_advantages[mb]
                mb_adv = (mb_adv - mb_adv.mean()) / (mb_adv.std() + 1e-8)
                pg_loss = torch.max(-mb_adv * ratio,
                                    -mb_adv * torch.clamp(ratio, 1 - args.clip_coef, 1 + args.clip_coef)).mean()
                v_unclipped = (newvalue.flatten() - b_returns[mb]) ** 2
                v_clipped = b_values[mb] + torch.clamp(newvalue.flatten() - b_values[mb], -args.clip_coef,
                                                       args.clip_coef)
                v_loss = 0.5 * torch.max(v_unclipped, (v_clipped - b_returns[mb]) ** 2).mean()
                loss = pg_loss - args.ent_coef * entropy.mean() + args.vf_coef * v_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), args.max_grad_norm)
                optimizer.step()

        recent = finished[-20:]
        margin = f"{np.mean(recent):+.1f} over {len(recent)} ep" if recent else "no episode finished yet"
        print(f"update {update}/{num_updates}  frames {frames}  fps {frames / (time.time() - start):.0f}  "
              f"first agent's margin {margin}  pg {pg_loss.item():+.3f}  v {v_loss.item():.3f}  "
              f"kl {approx_kl.item():.4f}  clipfrac {np.mean(clipfracs):.3f}", flush=True)

    envs.close()
    if args.save:
        torch.save(agent.state_dict(), args.save)
        print(f"saved {args.save}")


if __name__ == "__main__":
    main()

"""Feature extractors for the PPO policy (imports torch: only loaded with the ``train`` extra)."""

from __future__ import annotations

import gymnasium
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor, NatureCNN
from torch import nn


class SmallCNN(BaseFeaturesExtractor):
    """The 2013 DQN network (Mnih et al.): two convolutions and a 256-unit layer.

    About 3× cheaper to train than SB3's default :class:`~stable_baselines3.common.torch_layers.NatureCNN` on
    84×84 inputs, which matters on a small CPU machine; channels come from the observation space.
    """

    def __init__(self, observation_space: gymnasium.spaces.Box, features_dim: int = 256,
                 normalized_image: bool = False) -> None:
        super().__init__(observation_space, features_dim)
        channels = observation_space.shape[0]  # SB3 hands over channels-first image spaces
        self.cnn = nn.Sequential(
            nn.Conv2d(channels, 16, kernel_size=8, stride=4), nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=4, stride=2), nn.ReLU(),
            nn.Flatten(),
        )
        with torch.no_grad():
            n_flatten = self.cnn(torch.zeros((1, *observation_space.shape))).shape[1]
        self.linear = nn.Sequential(nn.Linear(n_flatten, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        """Features of a batch of (already scaled) channels-first images."""
        features: torch.Tensor = self.linear(self.cnn(observations))
        return features


#: ``--net`` choices for screens -> (features extractor class, its kwargs)
NETS: dict[str, tuple[type[BaseFeaturesExtractor], dict[str, int]]] = {
    "small": (SmallCNN, {"features_dim": 256}),
    "nature": (NatureCNN, {"features_dim": 512}),
}
#: hidden layers of ``--net mlp`` (RAM observations), separate for the policy and the value function (tanh)
MLP_LAYERS = (256, 256)
#: what each network observes
NET_OBS_TYPE = {"small": "rgb", "nature": "rgb", "mlp": "ram"}


def policy_spec(net: str) -> tuple[str, dict[str, object]]:
    """SB3's policy name and ``policy_kwargs`` for a ``--net`` choice."""
    if net == "mlp":
        return "MlpPolicy", {"net_arch": list(MLP_LAYERS)}
    extractor, extractor_kwargs = NETS[net]
    return "CnnPolicy", {"features_extractor_class": extractor, "features_extractor_kwargs": extractor_kwargs}

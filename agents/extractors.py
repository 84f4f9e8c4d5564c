"""The features extractor of ``--finetune``: the slot encoder trained inside the policy.

The other encoders use SB3's NatureCNN (``cnn``) or ``agents.relative_set_extractor`` (``objects``,
and ``slots`` / ``slots-cycle`` with a frozen encoder, whose VecEnv already emits slot rows).
"""

from __future__ import annotations

import gymnasium as gym
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from agents.encoders.api import SlotEncoder
from agents.set_pooling import CLSTransformerPooling


class FinetuneSlotExtractor(BaseFeaturesExtractor):
    """RGB frames -> slots (trainable encoder) -> CLS pooling -> (B, features_dim); the slow path,
    used with ``--finetune``. SB3 hands image observations over channel-first, scaled to [0, 1]."""

    def __init__(self, observation_space: gym.spaces.Box, encoder_path: str, features_dim: int = 128,
                 d_model: int = 64) -> None:
        super().__init__(observation_space, features_dim)
        size = observation_space.shape[-1] if observation_space.shape[0] == 3 else observation_space.shape[0]
        self.encoder = SlotEncoder.load(encoder_path, image_size=size)
        self.slot_model = self.encoder.model.train()  # registered as a submodule, so PPO trains it
        self.pool = CLSTransformerPooling(self.encoder.slot_dim, d_model)
        self.head = nn.Sequential(nn.Linear(d_model, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        frames = observations.permute(0, 2, 3, 1) if observations.shape[1] == 3 else observations
        return self.head(self.pool(self.encoder.slots(frames)))

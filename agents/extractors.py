"""SB3 feature extractors selected by ``--encoder``: cnn, slots / slots-cycle, objects.

- ``cnn``: SB3's NatureCNN on the RGB frame (the end-to-end baseline).
- ``objects``: the ground-truth object rows (oracle), pooled by a CLS transformer.
- ``slots`` / ``slots-cycle`` with a frozen encoder: the VecEnv already emits slots (see
  ``agents.slot_vec_env``), so the extractor is the same set pooling as ``objects``.
- ``--finetune``: ``FinetuneSlotExtractor`` runs the slot encoder inside the policy on RGB frames.
"""

from __future__ import annotations

import gymnasium as gym
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn

from agents.encoders.api import SlotEncoder
from agents.set_pooling import CLSTransformerPooling


class SetExtractor(BaseFeaturesExtractor):
    """(B, N, F) rows -> (B, features_dim): CLS-transformer pooling then an MLP.

    With ``presence_column`` set, rows whose value there is 0 are ignored (absent objects).
    """

    def __init__(self, observation_space: gym.spaces.Box, features_dim: int = 128, d_model: int = 64,
                 layers: int = 1, presence_column: int | None = None) -> None:
        super().__init__(observation_space, features_dim)
        if len(observation_space.shape) != 2:
            raise ValueError(f"a set extractor needs (N, F) observations, got shape {observation_space.shape}")
        self.presence_column = presence_column
        self.pool = CLSTransformerPooling(observation_space.shape[1], d_model, layers=layers)
        self.head = nn.Sequential(nn.Linear(d_model, features_dim), nn.ReLU())

    def forward(self, observations: torch.Tensor) -> torch.Tensor:
        present = None
        if self.presence_column is not None:
            present = observations[..., self.presence_column] > 0.5
        return self.head(self.pool(observations, present))


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

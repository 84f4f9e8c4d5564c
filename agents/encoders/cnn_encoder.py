"""The CNN encoder of Slot Attention: frames to a set of position-aware feature vectors."""

from __future__ import annotations

import torch
from torch import nn

from agents.encoders.position_embedding import SoftPositionEmbedding


class CnnEncoder(nn.Module):
    """Frames (B, 3, R, R) in [0, 1] -> features (B, N, D), N = (R / 2)^2.

    Four 5x5 convolutions (the first with stride 2), a soft position embedding, then LayerNorm
    and a two-layer MLP per position, as in Locatello et al. (2020) with one downsampling step.
    """

    def __init__(self, resolution: int, channels: int = 64, feature_dim: int = 64) -> None:
        super().__init__()
        self.grid_size = resolution // 2
        self.convs = nn.Sequential(
            nn.Conv2d(3, channels, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(channels, channels, 5, padding=2), nn.ReLU(),
            nn.Conv2d(channels, channels, 5, padding=2), nn.ReLU(),
            nn.Conv2d(channels, channels, 5, padding=2), nn.ReLU(),
        )
        self.position = SoftPositionEmbedding(channels, self.grid_size, self.grid_size)
        self.norm = nn.LayerNorm(channels)
        self.mlp = nn.Sequential(nn.Linear(channels, feature_dim), nn.ReLU(), nn.Linear(feature_dim, feature_dim))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.convs(images).permute(0, 2, 3, 1)  # (B, G, G, C)
        features = self.position(features).flatten(1, 2)  # (B, N, C)
        return self.mlp(self.norm(features))

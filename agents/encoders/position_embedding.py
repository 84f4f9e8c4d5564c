"""Soft position embedding (Locatello et al. 2020): a learned linear map of a coordinate grid."""

from __future__ import annotations

import torch
from torch import nn


def coordinate_grid(height: int, width: int) -> torch.Tensor:
    """(1, height, width, 4) grid of (y, x, 1 - y, 1 - x) with y, x in [0, 1]."""
    ys = torch.linspace(0.0, 1.0, height)
    xs = torch.linspace(0.0, 1.0, width)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    grid = torch.stack([grid_y, grid_x, 1.0 - grid_y, 1.0 - grid_x], dim=-1)
    return grid.unsqueeze(0)


class SoftPositionEmbedding(nn.Module):
    """Adds ``Linear(grid)`` to channels-last feature maps (B, H, W, C)."""

    def __init__(self, channels: int, height: int, width: int) -> None:
        super().__init__()
        self.projection = nn.Linear(4, channels)
        self.register_buffer("grid", coordinate_grid(height, width), persistent=False)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features + self.projection(self.grid)

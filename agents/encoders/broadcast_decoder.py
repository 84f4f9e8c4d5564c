"""Spatial broadcast decoder: each slot painted separately, alpha masks compete across slots."""

from __future__ import annotations

import torch
from torch import nn

from agents.encoders.position_embedding import SoftPositionEmbedding

BROADCAST_SIZE = 8


class BroadcastDecoder(nn.Module):
    """Slots (B, K, D) -> per-slot RGB (B, K, 3, R, R) and alpha logits (B, K, 1, R, R).

    Every slot is tiled on an 8x8 grid with a soft position embedding and upsampled by stride-2
    transposed convolutions to the resolution R (a power of two >= 16); the last one emits the
    four output channels directly, which keeps the full-resolution work (done K times per image)
    small.
    """

    def __init__(self, slot_dim: int, resolution: int, channels: int = 32) -> None:
        super().__init__()
        if resolution < 2 * BROADCAST_SIZE or resolution & (resolution - 1):
            raise ValueError(f"resolution={resolution} must be a power of two >= {2 * BROADCAST_SIZE}")
        self.position = SoftPositionEmbedding(slot_dim, BROADCAST_SIZE, BROADCAST_SIZE)
        layers: list[nn.Module] = [nn.Conv2d(slot_dim, channels, 3, padding=1), nn.ReLU()]
        size = BROADCAST_SIZE
        while size < resolution // 2:
            layers += [nn.ConvTranspose2d(channels, channels, 4, stride=2, padding=1), nn.ReLU()]
            size *= 2
        layers.append(nn.ConvTranspose2d(channels, 4, 4, stride=2, padding=1))
        self.net = nn.Sequential(*layers)

    def forward(self, slots: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch, num_slots, dim = slots.shape
        tiled = slots.reshape(batch * num_slots, 1, 1, dim).expand(-1, BROADCAST_SIZE, BROADCAST_SIZE, -1)
        out = self.net(self.position(tiled).permute(0, 3, 1, 2))
        out = out.view(batch, num_slots, 4, *out.shape[-2:])
        return out[:, :, :3], out[:, :, 3:]


def combine(rgb: torch.Tensor, alpha_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mix per-slot images with masks softmaxed over slots.

    rgb (B, K, 3, R, R), alpha_logits (B, K, 1, R, R) -> reconstruction (B, 3, R, R), masks (B, K, R, R).
    """
    masks = alpha_logits.softmax(dim=1)
    return (rgb * masks).sum(dim=1), masks.squeeze(2)

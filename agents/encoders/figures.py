"""Pictures of what a slot autoencoder sees: image | reconstruction | each slot's masked paint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from agents.encoders.slot_autoencoder import SlotAutoencoder
from envs.recording import write_image


def slot_grid(model: SlotAutoencoder, frames: np.ndarray, scale: int = 2) -> np.ndarray:
    """One row per frame: input | reconstruction | slot k's mask-weighted colours (masks are the
    decoder's alpha masks). frames (B, H, W, 3) uint8 -> picture (B*S, (K+2)*S, 3) uint8 with
    S = scale * model resolution; a thin white line separates the columns."""
    with torch.no_grad():
        out = model(torch.from_numpy(frames))
    rgb, alpha = model.decode(out.slots)
    masks = alpha.softmax(dim=1)  # (B, K, 1, R, R)
    painted = (rgb.clamp(0, 1) * masks + (1 - masks) * 0.15).detach()
    columns = [out.target, out.reconstruction.clamp(0, 1), *painted.unbind(dim=1)]
    tiles = torch.stack(columns, dim=1)  # (B, K+2, 3, R, R)
    tiles = (tiles.permute(0, 1, 3, 4, 2).cpu().numpy() * 255).astype(np.uint8)
    tiles = tiles.repeat(scale, axis=2).repeat(scale, axis=3)
    tiles[:, :, :, -1] = 255  # separator on each tile's right edge
    tiles[:, :, -1, :] = 255
    b, k, s, _, _ = tiles.shape
    return tiles.transpose(0, 2, 1, 3, 4).reshape(b * s, k * s, 3)


def save_slot_grid(path: str | Path, model: SlotAutoencoder, frames: np.ndarray) -> Path:
    """Write :func:`slot_grid` of ``frames`` as a PNG at ``path`` (atomic)."""
    return write_image(path, slot_grid(model, frames))

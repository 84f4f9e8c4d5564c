"""Object-discovery scores of a slot autoencoder on a set of frames (optionally with Slot-TTA)."""

from __future__ import annotations

import numpy as np
import torch

from agents.encoders.metrics import ari, fg_ari, mean_best_overlap
from agents.encoders.slot_autoencoder import SlotAutoencoder
from agents.encoders.test_time_adaptation import adapted_forward


def upsample_segments(masks: torch.Tensor, size: int) -> np.ndarray:
    """Soft masks (B, K, R, R) -> hard segment ids (B, size, size) int64 (argmax, then nearest upsampling)."""
    segments = masks.argmax(dim=1).numpy()
    factor = size // segments.shape[-1]
    if factor > 1:
        segments = segments.repeat(factor, axis=1).repeat(factor, axis=2)
    return segments


def evaluate(model: SlotAutoencoder, images: np.ndarray, true_masks: np.ndarray, batch_size: int = 64,
             tta_steps: int = 0, tta_lr: float = 1e-4, num_slots: int | None = None) -> dict[str, float]:
    """Mean FG-ARI, ARI (all pixels) and mBO over ``images`` (N, H, W, 3) uint8 with ground-truth
    instance masks (N, H, W) (0 = background), plus the reconstruction MSE. ``num_slots``
    overrides K at test time (Gaussian slot initialisation only)."""
    was_training = model.training
    model.eval()
    scores: dict[str, list[np.ndarray]] = {"fg_ari": [], "ari": [], "mbo": [], "mse": []}
    for start in range(0, len(images), batch_size):
        frames = torch.from_numpy(images[start:start + batch_size])
        out = adapted_forward(model, frames, tta_steps, tta_lr, num_slots)
        segments = upsample_segments(out.masks, images.shape[1])
        truth = true_masks[start:start + batch_size]
        scores["fg_ari"].append(fg_ari(truth, segments))
        scores["ari"].append(ari(truth, segments))
        scores["mbo"].append(mean_best_overlap(truth, segments))
        scores["mse"].append(((out.reconstruction - out.target) ** 2).mean(dim=(1, 2, 3)).numpy())
    model.train(was_training)
    return {name: float(np.nanmean(np.concatenate(values))) for name, values in scores.items()}

"""Object-discovery scores of a slot autoencoder on a set of frames (optionally with Slot-TTA)."""

from __future__ import annotations

import numpy as np
import torch

from agents.encoders.frames import FrameSet
from agents.encoders.metrics import ari, fg_ari, mean_best_overlap
from agents.encoders.property_probes import ObjectSamples, fit_probe, matched_samples, score_probe
from agents.encoders.slot_autoencoder import SlotAutoencoder
from agents.encoders.test_time_adaptation import adapted_forward

PROBE_TRAIN_FRAMES = 2000  # training frames whose slots the property probe learns from


def upsample_segments(masks: torch.Tensor, size: int) -> np.ndarray:
    """Soft masks (B, K, R, R) -> hard segment ids (B, size, size) int64 (argmax, then nearest upsampling)."""
    segments = masks.argmax(dim=1).cpu().numpy()
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
        scores["mse"].append(((out.reconstruction - out.target) ** 2).mean(dim=(1, 2, 3)).cpu().numpy())
    model.train(was_training)
    return {name: float(np.nanmean(np.concatenate(values))) for name, values in scores.items()}


def slot_samples(model: SlotAutoencoder, frames: FrameSet, batch_size: int = 64,
                 num_slots: int | None = None) -> ObjectSamples:
    """Every object of ``frames`` (which must carry ``objects``) paired with the slot whose segment covers
    it best (``property_probes.match_slots``)."""
    if frames.objects is None:
        raise ValueError(f"frames of {frames.env_id} carry no object table; probes need ObjectWorld frames")
    was_training = model.training
    model.eval()
    slots, segments = [], []
    for start in range(0, len(frames), batch_size):
        out = adapted_forward(model, torch.from_numpy(frames.images[start:start + batch_size]), 0, num_slots=num_slots)
        slots.append(out.slots.cpu().numpy())
        segments.append(upsample_segments(out.masks, frames.image_size))
    model.train(was_training)
    return matched_samples(np.concatenate(slots), np.concatenate(segments), frames.masks, frames.objects)


def probe_scores(model: SlotAutoencoder, train: FrameSet, held_out: dict[str, FrameSet],
                 num_slots: dict[str, int] | None = None, seed: int = 0) -> dict[str, dict[str, float]]:
    """A property probe fitted on the slots of ``PROBE_TRAIN_FRAMES`` training frames, scored on each
    held-out split -> {split: {"colour_accuracy", "shape_accuracy", "position_r2", "matched"}}."""
    subset = FrameSet(train.images[:PROBE_TRAIN_FRAMES], train.masks[:PROBE_TRAIN_FRAMES], train.env_id,
                      train.variant, objects=train.objects[:PROBE_TRAIN_FRAMES] if train.objects is not None else None)
    samples = slot_samples(model, subset)
    probe = fit_probe(samples, seed)
    mean_position = samples.position.mean(0)
    return {name: score_probe(probe, slot_samples(model, frames, num_slots=(num_slots or {}).get(name)),
                              mean_position)
            for name, frames in held_out.items()}

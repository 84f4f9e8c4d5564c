"""Property probes: do the slots keep what a policy must read (each object's colour, shape and position)?

Slots are matched to ground-truth objects by their masks: per frame, the Hungarian assignment that
maximises the total IoU between each object's pixels and each slot's segment (argmax of the masks).
A matched (slot vector, object) pair is one sample. A small probe (one hidden layer) is trained on
samples of training frames and scored on held-out frames: accuracy of the colour (the palette
entry; the agent is its own class) and of the shape, and R^2 of the (x, y) position. Objects with no
overlapping slot count as misses for the classifiers and as a prediction of the mean position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import nn

from envs.observe_kernel import FEATURE_NAMES
from envs.sprites import PALETTE

_X, _Y = FEATURE_NAMES.index("x"), FEATURE_NAMES.index("y")
_RGB = slice(FEATURE_NAMES.index("r"), FEATURE_NAMES.index("b") + 1)
_SHAPES = slice(FEATURE_NAMES.index("b") + 1, len(FEATURE_NAMES))
AGENT_COLOUR = len(PALETTE)  # the class of the agent's white
N_COLOURS = len(PALETTE) + 1
N_SHAPES = len(FEATURE_NAMES) - _SHAPES.start
PROBE_STEPS = 400


@dataclass
class ObjectSamples:
    """Matched (slot, object) pairs: ``features`` (M, D) float32 slot vectors (rows of zeros for objects
    that no slot overlaps, flagged by ``matched`` False), ``colour`` (M,) and ``shape`` (M,) int64 classes,
    ``position`` (M, 2) float32."""

    features: np.ndarray
    colour: np.ndarray
    shape: np.ndarray
    position: np.ndarray
    matched: np.ndarray


def object_labels(rows: np.ndarray, mask_id: int) -> tuple[int, int, np.ndarray]:
    """(colour class, shape class, (x, y)) of the object rendered as ``mask_id`` in a frame whose
    ``objects`` rows are ``rows`` (R, F): ids 1..R-2 are object rows 0..R-3, id R-1 the agent."""
    row = rows[mask_id - 1] if mask_id <= rows.shape[0] - 2 else rows[rows.shape[0] - 2]
    is_agent = mask_id > rows.shape[0] - 2
    rgb = np.round(row[_RGB] * 255.0)
    colour = AGENT_COLOUR if is_agent else int(np.abs(PALETTE.astype(np.float64) - rgb).sum(axis=1).argmin())
    return colour, int(row[_SHAPES].argmax()), row[[_X, _Y]].astype(np.float32)


def match_slots(segments: np.ndarray, masks: np.ndarray, num_slots: int) -> list[list[tuple[int, int | None]]]:
    """Per frame, [(object mask id, slot or None)] for every object: the assignment of slots to objects
    (Hungarian, on IoU) with the largest total IoU; None where the object's assigned IoU is 0.

    segments: (N, H, W) int slot ids in [0, num_slots); masks: (N, H, W) int, 0 = background.
    """
    matches = []
    for segment, mask in zip(segments, masks, strict=True):
        ids = [int(i) for i in np.unique(mask) if i != 0]
        if not ids:
            matches.append([])
            continue
        objects = mask[None] == np.array(ids)[:, None, None]  # (O, H, W)
        slots = segment[None] == np.arange(num_slots)[:, None, None]  # (K, H, W)
        intersection = np.einsum("ohw,khw->ok", objects, slots, dtype=np.int64)
        union = objects.sum((1, 2))[:, None] + slots.sum((1, 2))[None] - intersection
        iou = intersection / np.maximum(union, 1)
        rows, cols = linear_sum_assignment(-iou)
        assigned = dict(zip(rows.tolist(), cols.tolist(), strict=True))
        matches.append([(object_id, assigned[o] if o in assigned and iou[o, assigned[o]] > 0 else None)
                        for o, object_id in enumerate(ids)])
    return matches


def matched_samples(slots: np.ndarray, segments: np.ndarray, masks: np.ndarray, objects: np.ndarray) -> ObjectSamples:
    """Samples of every object in N frames: slots (N, K, D) float32, segments (N, H, W), masks (N, H, W),
    objects (N, R, F) -> ObjectSamples."""
    features, colours, shapes, positions, matched = [], [], [], [], []
    for frame, pairs in enumerate(match_slots(segments, masks, slots.shape[1])):
        for object_id, slot in pairs:
            colour, shape, position = object_labels(objects[frame], object_id)
            features.append(slots[frame, slot] if slot is not None else np.zeros(slots.shape[2], np.float32))
            colours.append(colour)
            shapes.append(shape)
            positions.append(position)
            matched.append(slot is not None)
    dim = slots.shape[2]
    return ObjectSamples(features=np.array(features, np.float32).reshape(-1, dim),
                         colour=np.array(colours, np.int64), shape=np.array(shapes, np.int64),
                         position=np.array(positions, np.float32).reshape(-1, 2), matched=np.array(matched, bool))


class PropertyProbe(nn.Module):
    """Slot vectors (M, D) -> (colour logits (M, N_COLOURS), shape logits (M, N_SHAPES), position (M, 2)),
    with the features standardised by the training samples' mean and spread."""

    def __init__(self, mean: torch.Tensor, std: torch.Tensor, hidden: int = 64) -> None:
        super().__init__()
        self.register_buffer("mean", mean)
        self.register_buffer("std", std)
        self.body = nn.Sequential(nn.Linear(len(mean), hidden), nn.ReLU())
        self.colour = nn.Linear(hidden, N_COLOURS)
        self.shape = nn.Linear(hidden, N_SHAPES)
        self.position = nn.Linear(hidden, 2)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        hidden = self.body((features - self.mean) / self.std)
        return self.colour(hidden), self.shape(hidden), self.position(hidden)


def fit_probe(train: ObjectSamples, seed: int = 0, steps: int = PROBE_STEPS) -> PropertyProbe:
    """A probe fitted (full batch, Adam) on the matched training samples."""
    keep = train.matched
    if not keep.any():
        raise ValueError("no slot overlaps any object in the training frames: nothing to probe")
    torch.manual_seed(seed)
    features = torch.from_numpy(train.features[keep])
    colour, shape = torch.from_numpy(train.colour[keep]), torch.from_numpy(train.shape[keep])
    position = torch.from_numpy(train.position[keep])
    probe = PropertyProbe(features.mean(0), features.std(0).clamp(min=1e-6))
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-2)
    for _ in range(steps):
        colour_logits, shape_logits, predicted = probe(features)
        loss = (nn.functional.cross_entropy(colour_logits, colour) + nn.functional.cross_entropy(shape_logits, shape)
                + 10.0 * nn.functional.mse_loss(predicted, position))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return probe.eval()


def score_probe(probe: PropertyProbe, test: ObjectSamples, train_position_mean: np.ndarray | None = None
                ) -> dict[str, float]:
    """{"colour_accuracy", "shape_accuracy", "position_r2", "matched"} over every object of ``test``;
    an unmatched object is a wrong class and, for R^2, a prediction of ``train_position_mean`` (default:
    the test mean)."""
    if len(test.colour) == 0:
        return {"colour_accuracy": float("nan"), "shape_accuracy": float("nan"), "position_r2": float("nan"),
                "matched": float("nan")}
    with torch.no_grad():
        colour_logits, shape_logits, predicted = probe(torch.from_numpy(test.features))
    colour_ok = (colour_logits.argmax(1).numpy() == test.colour) & test.matched
    shape_ok = (shape_logits.argmax(1).numpy() == test.shape) & test.matched
    fallback = test.position.mean(0) if train_position_mean is None else train_position_mean
    positions = np.where(test.matched[:, None], predicted.numpy(), fallback)
    return {"colour_accuracy": float(colour_ok.mean()), "shape_accuracy": float(shape_ok.mean()),
            "position_r2": r_squared(test.position, positions), "matched": float(test.matched.mean())}


def r_squared(truth: np.ndarray, predicted: np.ndarray) -> float:
    """1 - SSE / SST over all coordinates of (M, C) arrays (SST about each column's mean).

    >>> r_squared(np.array([[0.0], [1.0]]), np.array([[0.0], [1.0]]))
    1.0
    >>> r_squared(np.array([[0.0], [1.0]]), np.array([[0.5], [0.5]]))
    0.0
    """
    sse = float(((truth - predicted) ** 2).sum())
    sst = float(((truth - truth.mean(0)) ** 2).sum())
    return 1.0 - sse / sst if sst > 0 else float("nan")

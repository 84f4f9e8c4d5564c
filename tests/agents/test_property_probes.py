"""Property probes: the slot-object matching and the scores on hand-built cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from agents.encoders.property_probes import (
    AGENT_COLOUR,
    fit_probe,
    match_slots,
    matched_samples,
    object_labels,
    r_squared,
    score_probe,
)
from envs.observe_kernel import N_FEATURES
from envs.sprites import COLOR_NAMES, COLORS


def _rows(n_objects: int, capacity: int = 3) -> np.ndarray:
    """Object rows (capacity + 2, F): object i has colour i, shape i % 3, x = 0.1 + 0.2 i; then the agent."""
    rows = np.zeros((capacity + 2, N_FEATURES), np.float32)
    for i in range(n_objects):
        rows[i, 0] = 1.0
        rows[i, 3:5] = (0.1 + 0.2 * i, 0.5)
        rows[i, 6:9] = np.array(COLORS[COLOR_NAMES[i]]) / 255.0
        rows[i, 9 + i % 3] = 1.0
    rows[capacity, [0, 1]] = 1.0
    rows[capacity, 3:5] = (0.9, 0.9)
    rows[capacity, 6:9] = 1.0
    rows[capacity, 9 + 1] = 1.0
    return rows


def test_labels_of_objects_and_the_agent() -> None:
    rows = _rows(2)
    assert object_labels(rows, 2) == (1, 1, pytest.approx(np.array([0.3, 0.5])))
    colour, shape, position = object_labels(rows, 4)  # capacity 3: id 4 is the agent
    assert (colour, shape) == (AGENT_COLOUR, 1) and position.tolist() == pytest.approx([0.9, 0.9])


def test_matching_maximises_the_total_overlap() -> None:
    # Object 1 fills the left half, object 2 the right half. Slot 0 covers both halves partly, slot 1
    # the left half exactly, slot 2 most of the right half: 1 -> slot 1, 2 -> slot 2, although slot 0
    # overlaps object 2 more than any other slot overlaps object 1 only in part.
    mask = np.zeros((1, 4, 4), np.uint8)
    mask[0, :, :2], mask[0, :, 2:] = 1, 2
    segments = np.zeros((1, 4, 4), np.int64)
    segments[0, :, :2] = 1
    segments[0, 1:, 2:] = 2
    assert match_slots(segments, mask, 3) == [[(1, 1), (2, 2)]]
    assert match_slots(np.full((1, 4, 4), 0), mask, 3) == [[(1, 0), (2, None)]]
    assert match_slots(segments, np.zeros((1, 4, 4), np.uint8), 3) == [[]]


def test_probe_reads_properties_written_into_the_slots() -> None:
    # Slots that are one-hot codes of (colour, shape) plus the position: a probe must read them
    # perfectly; slots of noise must score near chance and R^2 near 0.
    rng = np.random.default_rng(0)
    frames, capacity = 300, 3
    objects = np.stack([_rows(3, capacity) for _ in range(frames)])
    objects[:, :3, 3:5] = rng.uniform(0.1, 0.9, (frames, 3, 2))
    masks = np.zeros((frames, 2, 4), np.uint8)
    masks[:, 0, 0], masks[:, 0, 1], masks[:, 0, 2] = 1, 2, 3
    segments = np.tile(np.arange(4) % 3, (frames, 2, 1))  # pixel j -> slot j % 3
    slots = np.zeros((frames, 3, 16), np.float32)
    for j in range(3):
        slots[:, j, j] = 1.0
        slots[:, j, 3 + j % 3] = 1.0
        slots[:, j, 6:8] = objects[:, j, 3:5]
    samples = matched_samples(slots, segments, masks, objects)
    assert samples.matched.all() and len(samples.colour) == 3 * frames
    train, test = (slice(0, 600), slice(600, None))
    pick = lambda s, part: type(s)(s.features[part], s.colour[part], s.shape[part], s.position[part],  # noqa: E731
                                   s.matched[part])
    scores = score_probe(fit_probe(pick(samples, train)), pick(samples, test))
    assert scores["colour_accuracy"] == 1.0 and scores["shape_accuracy"] == 1.0 and scores["position_r2"] > 0.95
    noise = samples.__class__(rng.normal(size=samples.features.shape).astype(np.float32), samples.colour,
                              samples.shape, samples.position, samples.matched)
    chance = score_probe(fit_probe(pick(noise, train)), pick(noise, test))
    assert chance["colour_accuracy"] < 0.6 and chance["position_r2"] < 0.2


def test_r_squared_known_values() -> None:
    truth = np.array([[0.0, 1.0], [1.0, 3.0]])
    assert r_squared(truth, truth) == 1.0
    assert r_squared(truth, truth.mean(0, keepdims=True).repeat(2, 0)) == 0.0

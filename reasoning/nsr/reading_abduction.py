"""Abduction over perception: the likeliest reading of an expression's segments that gives its target.

The image reader (:mod:`reasoning.nsr.image_reading`) first learns from k-means clusters, whose
mistakes are systematic (a cluster of nines that look like threes is read as threes everywhere),
so a CNN trained on them learns the same mistakes. Deduction tells which readings are wrong: the
expression's value differs from its target. For such an expression, :func:`abduce_readings` tries
the readings one segment away, each segment changed to one of its ``top_k`` likeliest classes
under the CNN, likeliest reading first, and keeps the first whose value is the target. Readings
that were right as read, and those repaired, are the labels the CNN is trained on next; expressions
that no single change repairs are left out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np

Reading = tuple[int, ...]
# Classes (n,) of B expressions -> B values (None where undefined), computed in one batch.
Evaluate = Callable[[Sequence[Reading]], Sequence[Hashable | None]]


def _single_changes(log_probs: np.ndarray, top_k: int) -> list[tuple[float, Reading]]:
    """The readings one segment away from the likeliest, each with its log-probability, likeliest first.

    Args:
        log_probs: (n, C) log-probabilities of each segment's class.
        top_k: each segment may take one of its ``top_k`` likeliest classes (the first is the read one).
    """
    best = log_probs.argmax(axis=1)
    base = float(log_probs[np.arange(len(best)), best].sum())
    changes = []
    for position in range(len(best)):
        for cls in np.argsort(-log_probs[position])[:top_k]:
            if cls != best[position]:
                reading = best.copy()
                reading[position] = cls
                score = base - float(log_probs[position, best[position]]) + float(log_probs[position, cls])
                changes.append((score, tuple(int(c) for c in reading)))
    changes.sort(key=lambda change: -change[0])
    return changes


def abduce_readings(log_probs: Sequence[np.ndarray], targets: Sequence[Hashable], evaluate: Evaluate,
                    top_k: int = 3) -> list[Reading | None]:
    """For each of B expressions, the likeliest reading within one change whose value is its target.

    Args:
        log_probs: B arrays (n_b, C): the class log-probabilities of each expression's segments.
        targets: B target values.
        evaluate: the values of many readings at once (:data:`Evaluate`).
        top_k: the classes a segment may be changed to are its ``top_k`` likeliest.

    Returns:
        B readings (n_b,) of class ids, or None where neither the likeliest reading nor any single
        change gives the target.
    """
    if len(log_probs) != len(targets):
        raise ValueError(f"abduce_readings needs one target per expression, got {len(log_probs)} and {len(targets)}")
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    read = [tuple(int(c) for c in probs.argmax(axis=1)) for probs in log_probs]
    values = evaluate(read)
    found: list[Reading | None] = [reading if value == target else None
                                   for reading, value, target in zip(read, values, targets, strict=True)]
    wrong = [b for b, reading in enumerate(found) if reading is None]
    candidates = {b: [reading for _, reading in _single_changes(log_probs[b], top_k)] for b in wrong}
    flat = [(b, reading) for b in wrong for reading in candidates[b]]
    for (b, reading), value in zip(flat, evaluate([reading for _, reading in flat]) if flat else [], strict=True):
        if found[b] is None and value == targets[b]:  # candidates are likeliest first
            found[b] = reading
    return found

"""Metrics of predicted pointer sequences against the exact references (pure NumPy functions).

>>> float(sequence_accuracy(np.array([[2, 0, 1], [0, 1, 2]]), np.array([[2, 0, 1], [0, 2, 1]])))
0.5
>>> bool(same_cycle(np.array([3, 5, 1]), np.array([1, 3, 5])))
True
"""

from __future__ import annotations

import numpy as np

from reasoning.pointer.delaunay_reference import canonical_triangles
from reasoning.pointer.hull_reference import polygon_areas


def sequence_accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    """Share of rows of (B, L) ``predicted`` equal to (B, L) ``labels`` everywhere."""
    return float((np.asarray(predicted) == np.asarray(labels)).all(axis=1).mean())


def until_end(sequence: np.ndarray, end: int) -> np.ndarray:
    """(L,) pointer sequence -> the part before the first END (index ``end``)."""
    sequence = np.asarray(sequence)
    stops = np.flatnonzero(sequence == end)
    return sequence[:stops[0]] if len(stops) else sequence


def same_cycle(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether index sequences ``a`` and ``b`` are the same cycle up to rotation (same direction)."""
    a, b = np.asarray(a), np.asarray(b)
    if len(a) != len(b) or len(a) == 0:
        return len(a) == len(b)
    starts = np.flatnonzero(a == b[0])
    return bool(len(starts)) and bool((np.roll(a, -starts[0]) == b).all())


def _segments_cross(p: np.ndarray, q: np.ndarray, r: np.ndarray, s: np.ndarray) -> bool:
    """Whether segments pq and rs properly intersect."""
    def side(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
        """Twice the signed area of triangle abc (positive: c left of ab)."""
        return float((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]))

    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0


def is_simple_polygon(points: np.ndarray, polygon: np.ndarray) -> bool:
    """Whether ``polygon`` (k,) indices into (n, 2) ``points`` is a simple polygon: >= 3 distinct
    vertices and no two non-adjacent edges crossing."""
    polygon = np.asarray(polygon)
    k = len(polygon)
    if k < 3 or len(np.unique(polygon)) < k:
        return False
    corners = np.asarray(points)[polygon]
    for i in range(k):
        for j in range(i + 2, k):
            if i == 0 and j == k - 1:
                continue
            if _segments_cross(corners[i], corners[(i + 1) % k], corners[j], corners[(j + 1) % k]):
                return False
    return True


def hull_metrics(points: np.ndarray, predicted: np.ndarray, hulls: list[np.ndarray]) -> dict[str, float]:
    """Convex hull scores.

    Args:
        points: (B, n, 2); predicted: (B, L) sequences with END = n; hulls: the B true hulls.

    Returns:
        ``exact``: share of predictions that are the true cycle (any rotation); ``area coverage``:
        mean of predicted polygon area / true area, 0 for a polygon that is not simple.
    """
    n = points.shape[1]
    polygons = [until_end(row, n) for row in predicted]
    exact = np.mean([same_cycle(p, h) for p, h in zip(polygons, hulls, strict=True)])
    valid = np.array([is_simple_polygon(points[b], p) for b, p in enumerate(polygons)])
    ratio = np.abs(polygon_areas(points, polygons)) / polygon_areas(points, hulls)
    return {"exact": float(exact), "area coverage": float(np.where(valid, ratio, 0.0).mean())}


def triangle_metrics(predicted: np.ndarray, triangulations: list[np.ndarray], n: int) -> dict[str, float]:
    """Delaunay scores.

    Args:
        predicted: (B, L) sequences (triples, END = n); triangulations: B (T, 3) true triangles; n: inputs.

    Returns:
        ``exact``: share with exactly the true triangle set; ``triangle coverage``: mean share of
        true triangles predicted.
    """
    exact, coverage = [], []
    for row, truth in zip(predicted, triangulations, strict=True):
        flat = until_end(row, n)
        guess = {tuple(t) for t in canonical_triangles(flat[:len(flat) // 3 * 3])}
        true = {tuple(t) for t in truth}
        exact.append(guess == true)
        coverage.append(len(guess & true) / len(true))
    return {"exact": float(np.mean(exact)), "triangle coverage": float(np.mean(coverage))}


def optimality_gap(lengths: np.ndarray, optimal: np.ndarray) -> float:
    """Mean per-instance gap (length / optimal - 1) of (B,) ``lengths`` over (B,) ``optimal``."""
    return float(np.mean(np.asarray(lengths) / np.asarray(optimal) - 1.0))

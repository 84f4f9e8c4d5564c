"""Convex hull labels by Andrew's monotone chain (numba).

A label is the hull's vertex indices counter-clockwise, starting at the leftmost point (lowest x,
then lowest y): a start a model can see in the geometry, unlike Vinyals et al.'s lowest index
(scores accept any rotation, so this only changes what is easiest to learn). Points on a
hull edge (collinear with two hull vertices) are not vertices. Duplicate points, and point sets
whose hull has zero area (all collinear), are refused with :class:`DegeneratePointsError`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from reasoning.pointer.point_checks import DegeneratePointsError, as_point_batch, check_distinct


@njit(cache=True)
def _cross(o: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


@njit(cache=True)
def _monotone_chain(points: np.ndarray, order: np.ndarray) -> np.ndarray:
    """(n, 2) distinct points sorted by ``order`` (x, then y) -> hull vertex indices,
    counter-clockwise from the leftmost point."""
    n = points.shape[0]
    chain = np.zeros(2 * n, dtype=np.int64)
    size = 0
    for i in range(n):  # lower hull
        while size >= 2 and _cross(points[chain[size - 2]], points[chain[size - 1]], points[order[i]]) <= 0:
            size -= 1
        chain[size] = order[i]
        size += 1
    lower = size + 1
    for i in range(n - 2, -1, -1):  # upper hull
        while size >= lower and _cross(points[chain[size - 2]], points[chain[size - 1]], points[order[i]]) <= 0:
            size -= 1
        chain[size] = order[i]
        size += 1
    return chain[:size - 1].copy()  # the last point repeats the first


def convex_hulls(points: np.ndarray) -> list[np.ndarray]:
    """Hull labels of a batch.

    Args:
        points: (B, n, 2) or (n, 2) distinct coordinates, n >= 3.

    Returns:
        B int64 arrays of hull vertex indices (counter-clockwise, leftmost first).
    """
    batch = as_point_batch(points, min_points=3)
    check_distinct(batch)
    hulls = [_monotone_chain(instance, np.lexsort((instance[:, 1], instance[:, 0]))) for instance in batch]
    for b, hull in enumerate(hulls):
        if len(hull) < 3:
            raise DegeneratePointsError(f"instance {b}: all points are collinear, the hull has zero area")
    return hulls


def polygon_areas(points: np.ndarray, polygons: list[np.ndarray]) -> np.ndarray:
    """Shoelace areas.

    Args:
        points: (B, n, 2) coordinates.
        polygons: B vertex-index sequences.

    Returns:
        (B,) float64 signed areas (positive counter-clockwise).
    """
    areas = np.zeros(len(polygons))
    for b, polygon in enumerate(polygons):
        if len(polygon) >= 3:
            x, y = np.asarray(points[b], dtype=np.float64)[np.asarray(polygon)].T
            areas[b] = 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    return areas

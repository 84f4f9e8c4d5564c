"""Input checks for point sets, run before any numba kernel sees them, so bad input gives one clear
error instead of a crash (or a silent wrong answer) deep inside compiled code."""

from __future__ import annotations

import numpy as np


class DegeneratePointsError(ValueError):
    """A point set on which a reference (hull, Delaunay, TSP) is undefined or ambiguous."""


def as_point_batch(points: np.ndarray, min_points: int, dims: int = 2) -> np.ndarray:
    """Validate and convert a batch of point sets.

    Args:
        points: (B, n, dims) or (n, dims) coordinates.
        min_points: the smallest n the reference is defined for.
        dims: the coordinate dimension required.

    Returns:
        (B, n, dims) float64, C-contiguous.

    Raises:
        DegeneratePointsError: wrong shape, too few points, or non-finite coordinates.
    """
    array = np.asarray(points, dtype=np.float64)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[2] != dims:
        raise DegeneratePointsError(f"expected points of shape (B, n, {dims}) or (n, {dims}), got {np.shape(points)}")
    if array.shape[1] < min_points:
        raise DegeneratePointsError(f"need at least {min_points} points per instance, got n={array.shape[1]}")
    if not np.isfinite(array).all():
        raise DegeneratePointsError("points contain NaN or infinite coordinates")
    return np.ascontiguousarray(array)


def check_distinct(points: np.ndarray) -> None:
    """Raise :class:`DegeneratePointsError` when an instance of ``points`` (B, n, d) repeats a point."""
    for b, instance in enumerate(points):
        if len(np.unique(instance, axis=0)) < len(instance):
            raise DegeneratePointsError(f"instance {b} has duplicate points; the label would be ambiguous "
                                        "(jitter or deduplicate the points first)")

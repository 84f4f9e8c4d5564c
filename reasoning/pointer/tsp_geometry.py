"""Distances and tour lengths for Euclidean TSP instances (numba, used by every TSP module)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def distance_matrix(points: np.ndarray) -> np.ndarray:
    """(n, 2) float64 points -> (n, n) float64 Euclidean distances."""
    n = points.shape[0]
    dist = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d = np.sqrt((points[i, 0] - points[j, 0]) ** 2 + (points[i, 1] - points[j, 1]) ** 2)
            dist[i, j] = d
            dist[j, i] = d
    return dist


def tour_lengths(points: np.ndarray, tours: np.ndarray) -> np.ndarray:
    """Closed-tour lengths.

    Args:
        points: (B, n, 2) coordinates.
        tours: (B, n) node orders (any permutation of 0..n-1).

    Returns:
        (B,) float64 lengths, the return edge included.
    """
    ordered = np.take_along_axis(np.asarray(points, dtype=np.float64), np.asarray(tours)[..., None], axis=1)
    return np.linalg.norm(ordered - np.roll(ordered, -1, axis=1), axis=-1).sum(axis=1)


def is_permutation(tours: np.ndarray, n: int) -> np.ndarray:
    """(B, n) int tours -> (B,) bool: each row visits every node 0..n-1 exactly once."""
    tours = np.asarray(tours)
    return (tours.shape[-1] == n) & (np.sort(tours, axis=-1) == np.arange(n)).all(axis=-1)

"""Exact TSP tours by Held-Karp dynamic programming (numba), for evaluation sets with n <= 20.

Ties are broken towards the lowest index, so duplicate or collinear points give a valid optimal
tour (the documented result); n < 3 is refused.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from reasoning.pointer.point_checks import as_point_batch
from reasoning.pointer.tsp_geometry import distance_matrix, tour_lengths

MAX_EXACT_N = 20


@njit(cache=True)
def _held_karp(dist: np.ndarray) -> np.ndarray:
    """One optimal tour starting at node 0 for a (n, n) distance matrix; (n,) int64."""
    n = dist.shape[0]
    m = n - 1  # subsets are over nodes 1..n-1; bit j stands for node j + 1
    full = 1 << m
    best = np.full((full, m), np.inf)
    parent = np.full((full, m), -1, dtype=np.int8)
    for j in range(m):
        best[1 << j, j] = dist[0, j + 1]
    for mask in range(1, full):
        for j in range(m):
            if (mask >> j) & 1 == 0:
                continue
            here = best[mask, j]
            if here == np.inf:
                continue
            for k in range(m):
                if (mask >> k) & 1:
                    continue
                grown = mask | (1 << k)
                value = here + dist[j + 1, k + 1]
                if value < best[grown, k]:
                    best[grown, k] = value
                    parent[grown, k] = j
    last, closing = 0, np.inf
    for j in range(m):
        value = best[full - 1, j] + dist[j + 1, 0]
        if value < closing:
            closing, last = value, j
    tour = np.zeros(n, dtype=np.int64)
    mask = full - 1
    for position in range(n - 1, 0, -1):
        tour[position] = last + 1
        previous = parent[mask, last]
        mask ^= 1 << last
        last = previous
    return tour


@njit(cache=True)
def _held_karp_batch(points: np.ndarray) -> np.ndarray:
    tours = np.zeros((points.shape[0], points.shape[1]), dtype=np.int64)
    for b in range(points.shape[0]):
        tours[b] = _held_karp(distance_matrix(points[b]))
    return tours


def held_karp(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Optimal tours of a batch of Euclidean TSP instances.

    Args:
        points: (B, n, 2) or (n, 2) coordinates, 3 <= n <= 20.

    Returns:
        tours (B, n) int64, each starting at node 0, and their lengths (B,) float64.
    """
    batch = as_point_batch(points, min_points=3)
    if batch.shape[1] > MAX_EXACT_N:
        raise ValueError(f"Held-Karp is exact for n <= {MAX_EXACT_N} (memory 2^(n-1)·(n-1)); got n={batch.shape[1]}")
    tours = _held_karp_batch(batch)
    return tours, tour_lengths(batch, tours)

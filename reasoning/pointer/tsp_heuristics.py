"""Classical TSP baselines in numba: nearest neighbour, farthest insertion and 2-opt.

Each takes (B, n, 2) points and returns (B, n) int64 tours starting at node 0. Ties go to the
lowest index, so duplicate and collinear points are handled (the documented result).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from reasoning.pointer.point_checks import as_point_batch
from reasoning.pointer.tsp_geometry import distance_matrix


@njit(cache=True)
def _nearest_neighbour(dist: np.ndarray) -> np.ndarray:
    n = dist.shape[0]
    tour = np.zeros(n, dtype=np.int64)
    visited = np.zeros(n, dtype=np.bool_)
    visited[0] = True
    for position in range(1, n):
        here, pick, nearest = tour[position - 1], -1, np.inf
        for k in range(n):
            if not visited[k] and dist[here, k] < nearest:
                nearest, pick = dist[here, k], k
        tour[position] = pick
        visited[pick] = True
    return tour


@njit(cache=True)
def _farthest_insertion(dist: np.ndarray) -> np.ndarray:
    """Start at node 0; repeatedly take the node farthest from the tour and insert it where the tour
    grows least (Rosenkrantz, Stearns and Lewis 1977)."""
    n = dist.shape[0]
    tour = np.zeros(n, dtype=np.int64)
    size = 1
    in_tour = np.zeros(n, dtype=np.bool_)
    in_tour[0] = True
    to_tour = dist[0].copy()  # distance of each node to the nearest tour node
    for _ in range(n - 1):
        pick, farthest = -1, -1.0
        for k in range(n):
            if not in_tour[k] and to_tour[k] > farthest:
                farthest, pick = to_tour[k], k
        where, cheapest = 0, np.inf
        for i in range(size):
            a, b = tour[i], tour[(i + 1) % size]
            grow = dist[a, pick] + dist[pick, b] - dist[a, b]
            if grow < cheapest:
                cheapest, where = grow, i + 1
        for i in range(size, where, -1):
            tour[i] = tour[i - 1]
        tour[where] = pick
        size += 1
        in_tour[pick] = True
        for k in range(n):
            if dist[pick, k] < to_tour[k]:
                to_tour[k] = dist[pick, k]
    return tour


@njit(cache=True)
def _two_opt(dist: np.ndarray, tour: np.ndarray) -> np.ndarray:
    """Reverse segments while any reversal shortens the tour (first improvement); from ``tour``."""
    n = dist.shape[0]
    tour = tour.copy()
    improved = True
    while improved:
        improved = False
        for i in range(n - 1):
            for j in range(i + 2, n if i > 0 else n - 1):
                a, b, c, d = tour[i], tour[i + 1], tour[j], tour[(j + 1) % n]
                if dist[a, c] + dist[b, d] < dist[a, b] + dist[c, d] - 1e-12:
                    tour[i + 1:j + 1] = tour[i + 1:j + 1][::-1].copy()
                    improved = True
    return tour


@njit(cache=True)
def _batch(points: np.ndarray, method: int) -> np.ndarray:
    tours = np.zeros((points.shape[0], points.shape[1]), dtype=np.int64)
    for b in range(points.shape[0]):
        dist = distance_matrix(points[b])
        if method == 0:
            tours[b] = _nearest_neighbour(dist)
        elif method == 1:
            tours[b] = _farthest_insertion(dist)
        else:
            tours[b] = _two_opt(dist, _nearest_neighbour(dist))
    return tours


HEURISTICS: dict[str, int] = {"nearest neighbour": 0, "farthest insertion": 1, "2-opt": 2}


def heuristic_tours(points: np.ndarray, method: str) -> np.ndarray:
    """Tours by one classical baseline.

    Args:
        points: (B, n, 2) or (n, 2) coordinates, n >= 3.
        method: a key of :data:`HEURISTICS` (``2-opt`` starts from the nearest-neighbour tour).

    Returns:
        (B, n) int64 tours starting at node 0.
    """
    if method not in HEURISTICS:
        raise ValueError(f"unknown TSP heuristic {method!r}; choose from {', '.join(HEURISTICS)}")
    return _batch(as_point_batch(points, min_points=3), HEURISTICS[method])

"""Delaunay triangulation labels from :class:`scipy.spatial.Delaunay`.

A label is the triangle list with each triangle's indices ascending and the triangles in
lexicographic order. Duplicate points and all-collinear sets are refused; for co-circular points
(several valid triangulations) the label is scipy's choice.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import Delaunay, QhullError

from reasoning.pointer.point_checks import DegeneratePointsError, as_point_batch, check_distinct


def canonical_triangles(triangles: np.ndarray) -> np.ndarray:
    """(T, 3) vertex indices -> (T, 3) int64, each row ascending, rows in lexicographic order."""
    rows = np.sort(np.asarray(triangles, dtype=np.int64).reshape(-1, 3), axis=1)
    return rows[np.lexsort(rows.T[::-1])] if len(rows) else rows


def delaunay_triangles(points: np.ndarray) -> list[np.ndarray]:
    """Delaunay labels of a batch.

    Args:
        points: (B, n, 2) or (n, 2) distinct coordinates, n >= 3, not all collinear.

    Returns:
        B (T_b, 3) int64 triangle arrays in canonical order (:func:`canonical_triangles`).
    """
    batch = as_point_batch(points, min_points=3)
    check_distinct(batch)
    labels = []
    for b, instance in enumerate(batch):
        try:
            labels.append(canonical_triangles(Delaunay(instance).simplices))
        except QhullError as error:
            raise DegeneratePointsError(f"instance {b}: no triangulation (are all points collinear?)") from error
    return labels

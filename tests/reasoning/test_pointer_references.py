"""Exact references and classical baselines: Held-Karp vs brute force, baselines are tours, hull
and Delaunay labels vs scipy, degenerate inputs."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.spatial import ConvexHull, Delaunay

from reasoning.pointer.delaunay_reference import delaunay_triangles
from reasoning.pointer.hull_reference import convex_hulls, polygon_areas
from reasoning.pointer.point_checks import DegeneratePointsError
from reasoning.pointer.tsp_exact import held_karp
from reasoning.pointer.tsp_geometry import is_permutation, tour_lengths
from reasoning.pointer.tsp_heuristics import HEURISTICS, heuristic_tours


def brute_force_length(points: np.ndarray) -> float:
    """The shortest closed tour of (n, 2) points by trying every order."""
    n = len(points)
    orders = np.array([(0, *rest) for rest in itertools.permutations(range(1, n))])
    return float(tour_lengths(np.repeat(points[None], len(orders), axis=0), orders).min())


point_sets = st.integers(3, 7).flatmap(lambda n: st.lists(
    st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=n, max_size=n)).map(np.array)


@given(point_sets)
@settings(max_examples=40, deadline=None)
def test_held_karp_equals_brute_force(points: np.ndarray) -> None:
    tours, lengths = held_karp(points)
    assert is_permutation(tours, len(points)).all() and tours[0, 0] == 0
    assert lengths[0] == pytest.approx(brute_force_length(points), abs=1e-9)
    assert tour_lengths(points[None], tours)[0] == pytest.approx(lengths[0])


@given(point_sets)
@settings(max_examples=40, deadline=None)
def test_baselines_are_tours_no_shorter_than_optimal(points: np.ndarray) -> None:
    optimal = held_karp(points)[1][0]
    for method in HEURISTICS:
        tours = heuristic_tours(points, method)
        assert is_permutation(tours, len(points)).all(), method
        assert tour_lengths(points[None], tours)[0] >= optimal - 1e-9


def test_two_opt_is_never_worse_than_nearest_neighbour() -> None:
    points = np.random.default_rng(0).random((50, 15, 2))
    nn = tour_lengths(points, heuristic_tours(points, "nearest neighbour"))
    two_opt = tour_lengths(points, heuristic_tours(points, "2-opt"))
    assert (two_opt <= nn + 1e-12).all() and (two_opt < nn - 1e-6).any()


def test_held_karp_n20_is_under_two_seconds_and_beats_heuristics() -> None:
    points = np.random.default_rng(1).random((1, 20, 2))
    held_karp(points[:, :4])  # compiled (or loaded from the cache) outside the timing
    started = time.perf_counter()
    tours, lengths = held_karp(points)
    assert time.perf_counter() - started < 2.0  # the speed target (about 0.3-0.5 s here)
    assert is_permutation(tours, 20).all()
    for method in HEURISTICS:
        assert tour_lengths(points, heuristic_tours(points, method))[0] >= lengths[0] - 1e-9


def test_hull_labels_match_scipy() -> None:
    points = np.random.default_rng(2).random((30, 12, 2))
    for instance, hull in zip(points, convex_hulls(points), strict=True):
        vertices = ConvexHull(instance).vertices  # counter-clockwise in 2-D
        start = int(np.argmin(instance[vertices, 0]))  # the leftmost vertex
        assert list(hull) == list(np.roll(vertices, -start))
    areas = polygon_areas(points, convex_hulls(points))
    assert np.allclose(areas, [ConvexHull(p).volume for p in points])


def test_hull_skips_collinear_edge_points() -> None:
    square = np.array([[0, 0], [0.5, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]], dtype=float)
    assert list(convex_hulls(square)[0]) == [0, 2, 3, 4]
    assert list(convex_hulls(square[::-1])[0]) == [5, 3, 2, 1]


def test_delaunay_labels_match_scipy_and_have_empty_circumcircles() -> None:
    points = np.random.default_rng(3).random((10, 9, 2))
    for instance, triangles in zip(points, delaunay_triangles(points), strict=True):
        expected = {tuple(sorted(t)) for t in Delaunay(instance).simplices}
        assert {tuple(t) for t in triangles} == expected
        assert (np.diff(triangles, axis=1) > 0).all()
        for a, b, c in triangles:
            (ax, ay), (bx, by), (cx, cy) = instance[a], instance[b], instance[c]
            d = 2 * (ax * (by - cy) + bx * (cy - ay) + cx * (ay - by))
            ux = ((ax**2 + ay**2) * (by - cy) + (bx**2 + by**2) * (cy - ay) + (cx**2 + cy**2) * (ay - by)) / d
            uy = ((ax**2 + ay**2) * (cx - bx) + (bx**2 + by**2) * (ax - cx) + (cx**2 + cy**2) * (bx - ax)) / d
            radius = np.hypot(ax - ux, ay - uy)
            others = np.delete(instance, [a, b, c], axis=0)
            assert (np.hypot(others[:, 0] - ux, others[:, 1] - uy) > radius - 1e-9).all()


@pytest.mark.parametrize("reference", [convex_hulls, delaunay_triangles, held_karp,
                                       lambda p: heuristic_tours(p, "2-opt")])
def test_too_few_or_non_finite_points_are_refused(reference: object) -> None:
    with pytest.raises(DegeneratePointsError, match="at least 3"):
        reference(np.zeros((1, 2, 2)))  # type: ignore[operator]
    with pytest.raises(DegeneratePointsError, match="NaN"):
        reference(np.array([[0, 0], [1, np.nan], [0, 1]]))  # type: ignore[operator]
    with pytest.raises(DegeneratePointsError, match="shape"):
        reference(np.zeros((4, 3)))  # type: ignore[operator]


@pytest.mark.parametrize("reference", [convex_hulls, delaunay_triangles])
def test_duplicates_and_collinear_sets_are_refused_by_hull_and_delaunay(reference: object) -> None:
    with pytest.raises(DegeneratePointsError, match="duplicate"):
        reference(np.array([[0, 0], [1, 0], [0, 1], [1, 0]], dtype=float))  # type: ignore[operator]
    with pytest.raises(DegeneratePointsError, match="collinear"):
        reference(np.array([[0, 0], [1, 1], [2, 2], [3, 3]], dtype=float))  # type: ignore[operator]


def test_tsp_on_duplicates_and_collinear_points_is_documented_optimal() -> None:
    line = np.array([[0, 0], [3, 0], [1, 0], [2, 0], [2, 0]], dtype=float)
    tours, lengths = held_karp(line)
    assert lengths[0] == pytest.approx(6.0) and is_permutation(tours, 5).all()
    for method in HEURISTICS:
        assert is_permutation(heuristic_tours(line, method), 5).all()


def test_held_karp_refuses_large_n() -> None:
    with pytest.raises(ValueError, match="n <= 20"):
        held_karp(np.random.default_rng(0).random((1, 21, 2)))

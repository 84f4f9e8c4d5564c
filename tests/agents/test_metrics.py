"""FG-ARI, ARI and mBO: agreement with scikit-learn, invariances, known values, input forms."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import adjusted_rand_score

from agents.encoders import metrics
from agents.encoders.metrics import (
    ari,
    fg_ari,
    fixed_grid_segments,
    mean_best_overlap,
    reference_scores,
    vertical_stripes,
)


def _sklearn_fg_ari(true: np.ndarray, pred: np.ndarray) -> float:
    foreground = true > 0
    if foreground.sum() < 2:
        return float("nan")
    return adjusted_rand_score(true[foreground], pred[foreground])


def _sklearn_ari(true: np.ndarray, pred: np.ndarray) -> float:
    return adjusted_rand_score(true.ravel(), pred.ravel()) if true.size >= 2 else float("nan")


def _assert_same(ours: np.ndarray, reference: list[float]) -> None:
    reference_array = np.array(reference, dtype=np.float64)
    assert np.array_equal(np.isnan(ours), np.isnan(reference_array))
    finite = ~np.isnan(reference_array)
    assert np.allclose(ours[finite], reference_array[finite], rtol=0.0, atol=1e-10)


def test_doctests_pass() -> None:
    assert doctest.testmod(metrics).failed == 0


@pytest.mark.parametrize("seed", range(6))
def test_fg_ari_and_ari_match_sklearn_on_random_label_maps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    batch, height, width = 16, int(rng.integers(1, 12)), int(rng.integers(2, 12))
    n_true = rng.integers(1, 6, size=batch)
    n_pred = rng.integers(1, 7, size=batch)
    true = np.stack([rng.integers(0, n, size=(height, width)) for n in n_true]).astype(np.uint8)
    pred = np.stack([rng.integers(0, n, size=(height, width)) for n in n_pred])
    _assert_same(fg_ari(true, pred), [_sklearn_fg_ari(t, p) for t, p in zip(true, pred, strict=True)])
    _assert_same(ari(true, pred), [_sklearn_ari(t, p) for t, p in zip(true, pred, strict=True)])


def _edge_cases() -> tuple[np.ndarray, np.ndarray]:
    """Pairs of (8, 8) label maps covering the degenerate cases, stacked to (B, 8, 8)."""
    zeros = np.zeros((8, 8), dtype=np.int64)
    single = zeros.copy()
    single[2:5, 2:6] = 3
    two = single.copy()
    two[6:, :] = 1
    one_pixel = zeros.copy()
    one_pixel[0, 0] = 1
    all_object = np.full((8, 8), 2)
    stripes = np.broadcast_to(np.arange(8) // 2, (8, 8))
    singletons = np.arange(64).reshape(8, 8)
    cases = [
        (single, zeros),  # one object, one segment: identical trivial partitions -> 1.0
        (single, stripes),  # one object split into segments -> 0.0
        (two, zeros),  # two objects, one segment -> 0.0
        (two, two * 7 + 1),  # relabelled -> 1.0
        (zeros, stripes),  # empty foreground -> NaN
        (one_pixel, zeros),  # one foreground pixel -> NaN
        (all_object, singletons),  # one object, all singletons
        (singletons + 1, singletons),  # all singletons on both sides -> 1.0
        (singletons + 1, zeros),
        (stripes + 1, stripes[::-1]),
    ]
    return np.stack([t for t, _ in cases]), np.stack([p for _, p in cases])


def test_edge_cases_match_sklearn_and_nan_rule() -> None:
    true, pred = _edge_cases()
    ours = fg_ari(true, pred)
    _assert_same(ours, [_sklearn_fg_ari(t, p) for t, p in zip(true, pred, strict=True)])
    _assert_same(ari(true, pred), [_sklearn_ari(t, p) for t, p in zip(true, pred, strict=True)])
    assert ours[0] == 1.0 and ours[3] == 1.0 and ours[7] == 1.0
    assert ours[1] == 0.0 and ours[2] == 0.0
    assert np.isnan(ours[4]) and np.isnan(ours[5])


def test_soft_masks_equal_their_argmax_and_torch_inputs_work() -> None:
    rng = np.random.default_rng(3)
    true = rng.integers(0, 4, size=(5, 10, 10))
    soft = rng.random((5, 6, 10, 10)).astype(np.float32)
    hard = soft.argmax(axis=1)
    for metric in (fg_ari, ari, mean_best_overlap):
        expected = metric(true, hard)
        np.testing.assert_array_equal(metric(true, soft), expected)
        np.testing.assert_array_equal(metric(torch.from_numpy(true), torch.from_numpy(soft)), expected)
        assert metric(true, torch.from_numpy(soft).to(torch.bfloat16)).shape == (5,)  # NumPy has no bfloat16


def test_large_and_negative_ids_are_compacted() -> None:
    rng = np.random.default_rng(4)
    true = rng.integers(0, 4, size=(3, 6, 6))
    pred = rng.integers(0, 5, size=(3, 6, 6))
    codes = np.array([-7, 10**12, 3, 99_999, -1])
    np.testing.assert_array_equal(fg_ari(true, codes[pred]), fg_ari(true, pred))
    np.testing.assert_array_equal(mean_best_overlap(true, codes[pred]), mean_best_overlap(true, pred))
    true_codes = np.array([0, 10**9, 5, 77_777])
    np.testing.assert_array_equal(fg_ari(true_codes[true], pred), fg_ari(true, pred))


@pytest.mark.parametrize(
    ("true_shape", "pred_shape"),
    [((2, 4, 4), (2, 4, 5)), ((2, 4, 4), (3, 4, 4)), ((4, 4), (4, 4)), ((2, 4, 4), (2, 3, 4, 5))],
)
def test_shape_mismatch_raises(true_shape: tuple[int, ...], pred_shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="masks"):
        fg_ari(np.zeros(true_shape, dtype=int), np.zeros(pred_shape, dtype=int))


def test_non_integer_labels_raise() -> None:
    with pytest.raises(ValueError, match="integer"):
        fg_ari(np.zeros((1, 2, 2)), np.full((1, 2, 2), 0.5))


label_maps = st.integers(1, 6).flatmap(
    lambda n: arrays(np.int64, st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 6)),
                     elements=st.integers(0, n))
)


@settings(max_examples=60, deadline=None)
@given(true=label_maps, data=st.data())
def test_invariant_to_permuting_predicted_ids(true: np.ndarray, data: st.DataObject) -> None:
    pred = data.draw(arrays(np.int64, true.shape, elements=st.integers(0, 5)))
    permutation = np.array(data.draw(st.permutations(range(6))))
    for metric in (fg_ari, ari, mean_best_overlap):
        np.testing.assert_array_equal(metric(true, permutation[pred]), metric(true, pred))


@settings(max_examples=60, deadline=None)
@given(true=label_maps, data=st.data())
def test_range_and_symmetry(true: np.ndarray, data: st.DataObject) -> None:
    pred = data.draw(arrays(np.int64, true.shape, elements=st.integers(0, 5)))
    for scores in (fg_ari(true, pred), ari(true, pred)):
        finite = scores[~np.isnan(scores)]
        assert np.all((finite >= -1.0) & (finite <= 1.0))
    # ARI over all pixels is symmetric; FG-ARI equals ARI when there is no background.
    np.testing.assert_allclose(ari(true, pred), ari(pred, true), rtol=0, atol=1e-12)
    np.testing.assert_allclose(fg_ari(true + 1, pred), ari(true, pred), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(fg_ari(true, true)[(true > 0).sum(axis=(1, 2)) >= 2], 1.0)
    best = mean_best_overlap(true, pred)
    finite = best[~np.isnan(best)]
    assert np.all((finite >= 0.0) & (finite <= 1.0))


def test_mean_best_overlap_known_values() -> None:
    true = np.zeros((3, 4, 4), dtype=np.uint8)
    true[:, :2, :2] = 1  # object 1: 4 pixels
    true[:, 2:, :] = 2  # object 2: 8 pixels
    perfect = true.astype(np.int64) * 3
    # Segment 5 covers the left half of object 2 (4 of its 8 pixels) and nothing else; segment 0
    # covers the rest, including object 1 and the background.
    half = np.zeros((4, 4), dtype=np.int64)
    half[2:, :2] = 5
    # Object 1: best IoU is with segment 0 -> 4 / 12 (segment 0 has 12 pixels, all of object 1 in it).
    # Object 2: segment 5 -> 4 / 8; segment 0 -> 4 / (8 + 12 - 4) = 1 / 4. Best 1 / 2.
    expected_half = (4 / 12 + 1 / 2) / 2
    empty = np.zeros((4, 4), dtype=np.int64)
    true[2] = 0
    pred = np.stack([perfect[0], half, empty])
    scores = mean_best_overlap(true, pred)
    assert scores[0] == 1.0
    assert scores[1] == pytest.approx(expected_half, abs=1e-12)
    assert np.isnan(scores[2])


def test_reference_segmentations() -> None:
    np.testing.assert_array_equal(vertical_stripes(2, 3, 10, 5)[1, 2], [0, 0, 1, 1, 2, 2, 3, 3, 4, 4])
    grid = fixed_grid_segments(1, 6, 6, 3, 3)[0]
    assert grid.shape == (6, 6) and set(np.unique(grid)) == set(range(9))
    assert np.all(np.bincount(grid.ravel()) == 4)
    with pytest.raises(ValueError):
        fixed_grid_segments(1, 4, 4, 0, 2)
    # Masks that are the 2x2 grid (shifted to be foreground) score 1 against it and less elsewhere.
    true = fixed_grid_segments(4, 12, 12, 2, 2) + 1
    scores = reference_scores(true)
    assert set(scores) == {"vertical_stripes_5", "grid_2x2", "grid_3x3"}
    assert scores["grid_2x2"] == 1.0
    assert scores["grid_3x3"] < 1.0 and scores["vertical_stripes_5"] < 1.0
    assert np.isnan(reference_scores(np.zeros((2, 4, 4), dtype=np.uint8))["grid_2x2"])

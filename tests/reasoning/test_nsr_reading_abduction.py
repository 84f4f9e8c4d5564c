"""Abduction over perception: the likeliest reading within one change that gives the target."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.nsr.reading_abduction import abduce_readings


def _sums(readings: Sequence[tuple[int, ...]]) -> list[int]:
    return [sum(reading) for reading in readings]


def _log_probs(rows: list[list[float]]) -> np.ndarray:
    probs = np.array(rows, float)
    return np.log(probs / probs.sum(axis=1, keepdims=True))


def test_a_right_reading_is_kept_and_a_wrong_one_repaired_at_its_likeliest_change() -> None:
    right = _log_probs([[0.1, 0.8, 0.1], [0.7, 0.2, 0.1]])  # read (1, 0): sum 1
    # read (2, 0) = 2, target 1: changing segment 0 to class 1 (p 0.3) beats segment 1 to... nothing gives 1 there
    wrong = _log_probs([[0.1, 0.3, 0.6], [0.9, 0.05, 0.05]])
    assert abduce_readings([right, wrong], [1, 1], _sums) == [(1, 0), (1, 0)]


def test_the_likeliest_of_several_repairs_wins() -> None:
    # read (0, 0) = 0, target 1: (1, 0) has log-prob log .3 + log .6, (0, 1) has log .7 + log .4: the latter wins
    log_probs = _log_probs([[0.7, 0.3], [0.6, 0.4]])
    assert abduce_readings([log_probs], [1], _sums) == [(0, 1)]


def test_no_single_change_gives_none() -> None:
    log_probs = _log_probs([[0.9, 0.1], [0.9, 0.1]])
    assert abduce_readings([log_probs], [2], _sums) == [None]


def test_top_k_bounds_the_classes_tried() -> None:
    # target 2 needs class 2 at one segment, which is the third likeliest everywhere
    log_probs = _log_probs([[0.6, 0.3, 0.1], [0.6, 0.3, 0.1]])
    assert abduce_readings([log_probs], [2], _sums, top_k=2) == [None]
    assert abduce_readings([log_probs], [2], _sums, top_k=3) == [(2, 0)]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="one target per expression"):
        abduce_readings([_log_probs([[1.0, 1.0]])], [], _sums)
    with pytest.raises(ValueError, match="top_k"):
        abduce_readings([_log_probs([[1.0, 1.0]])], [0], _sums, top_k=0)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.floats(0.01, 1.0), min_size=3, max_size=3), min_size=1, max_size=5),
       st.integers(0, 10))
def test_a_found_reading_gives_the_target_and_is_at_most_one_change_away(rows: list[list[float]], target: int) -> None:
    log_probs = _log_probs(rows)
    (found,) = abduce_readings([log_probs], [target], _sums)
    if found is not None:
        assert sum(found) == target
        assert sum(a != b for a, b in zip(found, log_probs.argmax(axis=1), strict=True)) <= 1
    else:
        assert sum(log_probs.argmax(axis=1)) != target

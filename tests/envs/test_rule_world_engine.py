"""The numba production-rule engine against the plain-Python matcher, and the default rules' meaning."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from envs.production_rules import (
    ACTIONS,
    ANY,
    DEFAULT_RULES,
    RULE_FIELDS,
    apply_rules_reference,
    step_batch,
    to_rows,
)
from envs.sprites import CIRCLE, SQUARE, TRIANGLE, color_index

RED, GREEN, BLUE = (color_index(c) for c in ("red", "green", "blue"))


@st.composite
def worlds_and_rules(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    """Random batches (positions near walls and touching pairs included) and random rule tables."""
    n_worlds, n_objects, n_rules = draw(st.integers(1, 3)), draw(st.integers(1, 6)), draw(st.integers(0, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    radius = draw(st.sampled_from([0.03, 0.07, 0.15]))
    kin = np.concatenate([rng.uniform(0.0, 1.0, (n_worlds, n_objects, 2)),
                          rng.uniform(-0.1, 0.1, (n_worlds, n_objects, 2))], axis=-1)
    if n_objects > 1 and draw(st.booleans()):  # force a contact
        kin[:, 1, :2] = kin[:, 0, :2] + rng.uniform(-radius, radius, (n_worlds, 2))
    attrs = rng.integers(0, 3, (n_worlds, n_objects, 2)).astype(np.int64)
    lows = [1, ANY, ANY, ANY, ANY, ANY, ANY, 0, ANY]
    highs = [2, 2, 2, 1, 2, 2, 1, len(ACTIONS) - 1, 2]
    table = np.array([[rng.integers(lo, hi + 1) for lo, hi in zip(lows, highs, strict=True)] for _ in range(n_rules)],
                     dtype=np.int64).reshape(n_rules, len(RULE_FIELDS))
    params = rng.uniform(-0.1, 0.1, (n_rules, 2))
    return kin, attrs, table, params, radius


@settings(max_examples=150, deadline=None)
@given(worlds_and_rules())
def test_engine_matches_the_pure_python_matcher(case: tuple[np.ndarray, ...]) -> None:
    kin, attrs, table, params, radius = case
    fast = step_batch(kin, attrs, table, params, radius)
    slow = apply_rules_reference(kin, attrs, table, params, radius)
    np.testing.assert_allclose(fast[0], slow[0], rtol=0, atol=1e-12)
    for got, want in zip(fast[1:], slow[1:], strict=True):
        np.testing.assert_array_equal(got, want)
    assert fast[2].min() >= -1 and fast[2].max() < max(len(table), 1)


def _one_world(rows: list[tuple[float, float, float, float, int, int]]) -> tuple[np.ndarray, np.ndarray]:
    kin = np.array([[row[:4] for row in rows]], dtype=np.float64)
    attrs = np.array([[row[4:] for row in rows]], dtype=np.int64)
    return kin, attrs


def test_default_rules_do_what_their_names_say() -> None:
    table, params = to_rows(DEFAULT_RULES)
    kin, attrs = _one_world([
        (0.30, 0.30, 0.0, 0.0, BLUE, CIRCLE),      # touches the red one: turns red (rule 0), does not move
        (0.36, 0.30, 0.0, 0.0, RED, SQUARE),       # red square: drifts with zero velocity (rule 3)
        (0.80, 0.50, 0.0, 0.0, GREEN, CIRCLE),     # circle alone: moves right (rule 4)
        (0.92, 0.80, 0.05, 0.01, GREEN, SQUARE),   # square about to leave: reverses vx (rule 2)
        (0.50, 0.90, 0.0, 0.0, GREEN, TRIANGLE),   # triangle alone: nothing (null)
    ])
    out_kin, out_attrs, fired, partner = step_batch(kin, attrs, table, params, 0.07)
    assert fired[0].tolist() == [0, 3, 4, 2, -1]
    assert partner[0].tolist() == [1, -1, -1, -1, -1]
    assert out_attrs[0, 0, 0] == RED and out_attrs[0, 1:, 0].tolist() == attrs[0, 1:, 0].tolist()
    assert out_kin[0, 2, 0] == np.float64(0.80 + 0.03)
    assert out_kin[0, 3, 2] == -0.05 and out_kin[0, 3, 0] == np.float64(0.92 - 0.05)
    np.testing.assert_array_equal(out_kin[0, 4], kin[0, 4])


def test_triangles_step_away_from_the_nearest_contact() -> None:
    table, params = to_rows(DEFAULT_RULES)
    kin, attrs = _one_world([(0.5, 0.5, 0.0, 0.0, GREEN, TRIANGLE), (0.6, 0.5, 0.0, 0.0, GREEN, TRIANGLE)])
    out_kin, _, fired, partner = step_batch(kin, attrs, table, params, 0.07)
    assert fired[0].tolist() == [1, 1] and partner[0].tolist() == [1, 0]
    np.testing.assert_allclose(out_kin[0, :, 0], [0.46, 0.64])

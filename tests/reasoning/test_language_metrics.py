"""Known values of the language metrics (EGG's doctests and Chaabouni et al. 2020) and their edge cases."""

from __future__ import annotations

import doctest

import numpy as np
import pytest
import torch

from reasoning.language import messages as messages_module
from reasoning.language import metrics, objects, relative
from reasoning.language.metrics import (
    bag_of_symbols_disentanglement,
    entropy,
    message_entropy,
    pairwise_edit_distances,
    positional_disentanglement,
    topographic_similarity,
)
from reasoning.language.objects import all_objects


@pytest.mark.parametrize("module", [metrics, messages_module, objects, relative])
def test_doctests(module: object) -> None:
    failed, attempted = doctest.testmod(module).failed, doctest.testmod(module).attempted  # type: ignore[arg-type]
    assert attempted > 0 and failed == 0


def test_topsim_of_an_identity_language_is_one() -> None:
    grid = all_objects(2, 10)
    messages = np.concatenate([grid + 1, np.zeros((len(grid), 1), dtype=np.int64)], 1)
    assert topographic_similarity(grid, messages) == pytest.approx(1.0, abs=1e-12)


def test_topsim_of_a_random_language_is_near_zero() -> None:
    grid = all_objects(2, 10)
    rng = np.random.default_rng(0)
    messages = np.concatenate([rng.permutation(grid + 1), np.zeros((len(grid), 1), dtype=np.int64)], 1)
    assert abs(topographic_similarity(grid, messages)) < 0.1


def test_edit_distances_match_a_python_levenshtein() -> None:
    def levenshtein(a: list[int], b: list[int]) -> int:
        row = list(range(len(b) + 1))
        for i, x in enumerate(a, 1):
            previous, row[0] = row[0], i
            for j, y in enumerate(b, 1):
                previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
        return row[-1]

    rng = np.random.default_rng(1)
    messages = rng.integers(1, 4, size=(12, 5))
    n = rng.integers(0, 6, size=12)
    got = pairwise_edit_distances(messages, n)
    want = [levenshtein(list(messages[i, :n[i]]), list(messages[j, :n[j]])) / max((n[i] + n[j]) / 2, 1)
            for i in range(12) for j in range(i + 1, 12)]
    np.testing.assert_allclose(got, want)


def test_posdis_of_messages_equal_to_sampled_attributes_is_egg_value() -> None:
    # EGG's Disent doctest: 1,000 samples of 2 attributes x 10 values drawn with torch.manual_seed(0).
    # Independent attributes share a little empirical mutual information, so posdis is not exactly 1.
    torch.manual_seed(0)
    first = torch.randint(low=0, high=10, size=(1000, 1))
    second = torch.randint(low=0, high=10, size=(1000, 1))
    attributes = torch.cat([first, second], dim=1).numpy()
    assert round(positional_disentanglement(attributes, attributes), 6) == 0.978656
    padded = np.concatenate([attributes, np.zeros_like(attributes)], 1)  # constant positions are skipped
    assert round(positional_disentanglement(attributes, padded), 6) == 0.978656


def test_posdis_is_about_0979_for_any_sample_and_one_on_the_full_grid() -> None:
    values = [positional_disentanglement(sample, sample)
              for sample in (np.random.default_rng(seed).integers(0, 10, (1000, 2)) for seed in range(5))]
    assert all(0.97 < value < 0.99 for value in values)
    grid = all_objects(2, 10)
    assert positional_disentanglement(grid, grid) == pytest.approx(1.0)
    assert positional_disentanglement(grid, grid[:, ::-1]) == pytest.approx(1.0)  # any position order
    holistic = (grid[:, :1] * 10 + grid[:, 1:])  # one symbol for both attributes
    assert positional_disentanglement(grid, holistic) == pytest.approx(0.0, abs=1e-9)


def test_bosdis_is_one_on_a_permutation_invariant_language() -> None:
    # Symbol 1 + a * V + v says "attribute a has value v"; each message lists them in a random order.
    grid = all_objects(2, 4)
    rng = np.random.default_rng(0)
    words = grid + np.array([1, 5])
    messages = np.stack([rng.permutation(row) for row in words])
    messages = np.concatenate([messages, np.zeros((len(grid), 1), dtype=np.int64)], 1)
    assert bag_of_symbols_disentanglement(grid, messages, vocab_size=9) == pytest.approx(1.0)
    assert positional_disentanglement(grid, messages[:, :2]) < 0.5  # the order carries nothing


def test_bosdis_of_chaabouni_appendix_language_is_one() -> None:
    # Chaabouni et al. 2020, appendix 8.2 (EGG's doctest): counting symbols 1 and 2 only.
    attributes = all_objects(2, 4)
    messages = np.array([[0, 0, 4], [0, 0, 5], [0, 0, 6], [0, 0, 7], [1, 4, 1], [1, 5, 1], [1, 6, 1], [1, 7, 1],
                         [2, 4, 2], [2, 5, 2], [2, 6, 2], [2, 7, 2], [3, 4, 3], [3, 3, 5], [3, 3, 6], [3, 3, 7]])
    counts = np.stack([(messages == v).sum(1) for v in (1, 2)], 1)
    assert metrics.information_gap(attributes, counts) == pytest.approx(1.0)


def test_entropy_counts_whole_messages() -> None:
    assert message_entropy(np.array([[1, 0], [1, 0], [2, 0], [2, 0]])) == pytest.approx(1.0)
    assert message_entropy(np.array([[1, 0]] * 5)) == pytest.approx(0.0)
    assert entropy(np.arange(8)) == pytest.approx(3.0)

"""Metrics of the production-system benchmarks, as pure functions.

>>> segregation(np.array([0, 0, 1, 1]), np.array([2, 2, 0, 0]))
1.0
>>> segregation(np.array([0, 0, 0, 1]), np.array([1, 1, 2, 0]))
0.8333333333333333
>>> round(rule_ami(np.array([0, 0, 1, 1]), np.array([5, 5, 3, 3])), 6)
1.0
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import adjusted_mutual_info_score


def mse(prediction: torch.Tensor, target: torch.Tensor) -> float:
    """Mean squared error over every element of two tensors of one shape."""
    return float(((prediction - target) ** 2).mean())


def segregation(classes: np.ndarray, selected: np.ndarray) -> float:
    """Mean over the classes (e.g. operations) present of the fraction of their steps routed to the
    class's majority choice; classes, selected: (N,) ints. 1.0: each class always uses one rule."""
    fractions = []
    for value in np.unique(classes):
        counts = np.bincount(selected[classes == value])
        fractions.append(counts.max() / counts.sum())
    return float(np.mean(fractions))


def rule_ami(true_rules: np.ndarray, selected: np.ndarray) -> float:
    """Adjusted mutual information between the true rule and the selected rule; (N,) ints each
    (null included as its own label). 1: one-to-one up to renaming; ~0: unrelated."""
    return float(adjusted_mutual_info_score(true_rules.reshape(-1), selected.reshape(-1)))

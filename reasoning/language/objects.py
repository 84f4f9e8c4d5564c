"""Attribute-value objects: every combination of ``n_attributes`` attributes with ``n_values`` values,
split into training combinations and held-out combinations never seen in training."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch


def all_objects(n_attributes: int, n_values: int) -> np.ndarray:
    """Every attribute combination, in lexicographic order: (n_values ** n_attributes, n_attributes) int64.

    >>> all_objects(2, 2).tolist()
    [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    return np.array(list(itertools.product(range(n_values), repeat=n_attributes)), dtype=np.int64)


def one_hot(objects: np.ndarray | torch.Tensor, n_values: int) -> torch.Tensor:
    """Objects (..., A) int -> concatenated one-hot vectors (..., A * n_values) float32."""
    objects = torch.as_tensor(objects, dtype=torch.long)
    return torch.nn.functional.one_hot(objects, n_values).flatten(-2).float()


@dataclass(frozen=True)
class AttributeValueData:
    """The objects of one game and their split.

    Attributes:
        n_attributes, n_values: the object space (n_values ** n_attributes objects).
        train: (N_train, A) int64 combinations used in training (as targets and as distractors).
        held_out: (N_held, A) int64 combinations never seen in training.
    """

    n_attributes: int
    n_values: int
    train: np.ndarray
    held_out: np.ndarray

    @classmethod
    def split(cls, n_attributes: int, n_values: int, held_out_fraction: float = 0.1, seed: int = 0
              ) -> AttributeValueData:
        """Hold out ``held_out_fraction`` of all combinations at random, such that every value of every
        attribute still occurs in training (so held-out objects are new *combinations* of known values)."""
        if n_attributes < 1 or n_values < 2:
            raise ValueError(f"need at least 1 attribute and 2 values, got {n_attributes} x {n_values}")
        if not 0.0 <= held_out_fraction < 1.0:
            raise ValueError(f"held_out_fraction {held_out_fraction} must be in [0, 1)")
        objects = all_objects(n_attributes, n_values)
        n_held = round(held_out_fraction * len(objects))
        rng = np.random.default_rng(seed)
        for _ in range(1000):
            order = rng.permutation(len(objects))
            held, train = objects[np.sort(order[:n_held])], objects[np.sort(order[n_held:])]
            if all(len(np.unique(train[:, a])) == n_values for a in range(n_attributes)):
                return cls(n_attributes, n_values, train, held)
        raise ValueError(f"cannot hold out {n_held} of {len(objects)} objects and keep every value in training; "
                         "lower --held-out")

    @property
    def input_size(self) -> int:
        """Length of an object's one-hot encoding: A * V."""
        return self.n_attributes * self.n_values

    def candidates(self, targets: np.ndarray, n_distractors: int, rng: np.random.Generator,
                   pool: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Discrimination trials: for targets (B, A), candidates (B, 1 + n_distractors, A) holding the
        target at a random position and distinct distractors from ``pool`` (default: the training
        combinations), and that position (B,) int64."""
        pool = self.train if pool is None else pool
        batch = len(targets)
        codes = _codes(pool, self.n_values)
        out = np.empty((batch, n_distractors + 1, self.n_attributes), dtype=np.int64)
        labels = rng.integers(0, n_distractors + 1, size=batch)
        target_codes = _codes(targets, self.n_values)
        for b in range(batch):
            choices = np.flatnonzero(codes != target_codes[b])
            picked = pool[rng.choice(choices, size=n_distractors, replace=False)]
            out[b] = np.insert(picked, labels[b], targets[b], axis=0)
        return out, labels


def _codes(objects: np.ndarray, n_values: int) -> np.ndarray:
    """Objects (N, A) -> one integer per object (N,) (base-``n_values`` digits)."""
    weights = n_values ** np.arange(objects.shape[1] - 1, -1, -1)
    return objects @ weights

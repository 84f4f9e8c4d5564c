"""The arithmetic toy of NPS, as in the official code (``synthetic/data.py``, ``ArithmeticData``).

A sequence has ``length`` steps; step t draws a number in [0, 1] rounded to 2 decimals and one of
+, -, x uniformly; the running result starts at 0 and becomes ``result op number``. The model sees
(previous result, number, operation) and predicts the new result.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

OPERATION_NAMES: tuple[str, ...] = ("add", "subtract", "multiply")


@dataclass
class ArithmeticSequences:
    """numbers: (S, T) float32; operations: (S, T) int64 in {0, 1, 2}; results: (S, T) float32 (after step t)."""

    numbers: np.ndarray
    operations: np.ndarray
    results: np.ndarray

    @property
    def previous(self) -> np.ndarray:
        """The result before each step (0 at t = 0), (S, T) float32."""
        return np.concatenate([np.zeros_like(self.results[:, :1]), self.results[:, :-1]], axis=1)

    def flat_steps(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every step as a teacher-forced example: previous (N,), number (N,), one-hot op (N, 3),
        target (N,), with N = S * T."""
        operations = torch.nn.functional.one_hot(torch.from_numpy(self.operations.reshape(-1)), 3).float()
        return (torch.from_numpy(self.previous.reshape(-1)), torch.from_numpy(self.numbers.reshape(-1)),
                operations, torch.from_numpy(self.results.reshape(-1)))


def make_sequences(n_sequences: int, length: int = 20, seed: int = 0) -> ArithmeticSequences:
    """``n_sequences`` sequences of ``length`` steps from a seeded generator (see the module doc)."""
    if n_sequences < 1 or length < 1:
        raise ValueError(f"n_sequences={n_sequences} and length={length} must be >= 1")
    rng = np.random.default_rng(seed)
    numbers = np.round(rng.uniform(0.0, 1.0, (n_sequences, length)), 2)
    operations = rng.integers(0, 3, (n_sequences, length))
    results = np.empty((n_sequences, length))
    result = np.zeros(n_sequences)
    for t in range(length):
        number, op = numbers[:, t], operations[:, t]
        result = np.where(op == 0, result + number, np.where(op == 1, result - number, result * number))
        results[:, t] = result
    return ArithmeticSequences(numbers.astype(np.float32), operations.astype(np.int64), results.astype(np.float32))

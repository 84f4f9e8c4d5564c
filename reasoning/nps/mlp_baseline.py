"""The MLP baseline: one MLP over the concatenated state, zero-padded to a fixed number of object rows.

Trained with few objects, it sees the padded rows filled only when tested with more objects, which
is what the extrapolation columns of the bench measure.
"""

from __future__ import annotations

import torch
from torch import nn

from reasoning.nps.arithmetic_models import mlp


class MLPDynamics(nn.Module):
    """x_t (B, N, F) with N <= capacity -> (x_t+1 (B, N, F), None). Args: n_features F; capacity
    (rows of the padded input); hidden width."""

    def __init__(self, n_features: int, capacity: int = 9, hidden: int = 256) -> None:
        super().__init__()
        self.capacity, self.n_features = capacity, n_features
        self.net = mlp(capacity * n_features, hidden, capacity * n_features)

    def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, None]:
        """See the class doc."""
        batch, n, f = states.shape
        if n > self.capacity:
            raise ValueError(f"{n} objects exceed the MLP's capacity of {self.capacity} rows")
        padded = torch.nn.functional.pad(states, (0, 0, 0, self.capacity - n)).reshape(batch, -1)
        delta = self.net(padded).reshape(batch, self.capacity, f)[:, :n]
        return states + delta, None

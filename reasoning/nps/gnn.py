"""The GNN baseline: one round of message passing over all ordered pairs of objects (an interaction network).

m_ij = MLP_m([h_i; h_j]); h_i' = MLP_u([h_i; sum_{j != i} m_ij]); x_t+1 = x_t + MLP_o(h_i').
"""

from __future__ import annotations

import torch
from torch import nn

from reasoning.nps.arithmetic_models import mlp


class GNNDynamics(nn.Module):
    """x_t (B, N, F) -> (x_t+1 (B, N, F), None). Args: n_features F; hidden width."""

    def __init__(self, n_features: int, hidden: int = 64) -> None:
        super().__init__()
        self.encoder = mlp(n_features, hidden, hidden)
        self.message = mlp(2 * hidden, hidden, hidden)
        self.update = mlp(2 * hidden, hidden, hidden)
        self.readout = mlp(hidden, hidden, n_features)

    def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, None]:
        """See the class doc."""
        h = self.encoder(states)
        n = h.shape[1]
        pairs = torch.cat([h[:, :, None].expand(-1, -1, n, -1), h[:, None].expand(-1, n, -1, -1)], dim=-1)
        not_self = 1.0 - torch.eye(n, dtype=h.dtype)[None, :, :, None]
        messages = (self.message(pairs) * not_self).sum(2)
        return states + self.readout(self.update(torch.cat([h, messages], dim=-1))), None

"""Additive (Bahdanau) attention scores over input positions, the pointer of Ptr-Net."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class AdditiveAttention(nn.Module):
    """u_j = v^T tanh(W1 e_j + W2 d) (Vinyals et al. eq. 3), optionally C·tanh(u_j) (Bello et al.)."""

    def __init__(self, hidden: int, clip: float | None = None) -> None:
        """Args: hidden: width of memory and query; clip: C of the tanh clipping, None for none."""
        super().__init__()
        self.w_memory = nn.Linear(hidden, hidden, bias=False)
        self.w_query = nn.Linear(hidden, hidden)
        self.v = nn.Parameter(torch.empty(hidden).uniform_(-hidden ** -0.5, hidden ** -0.5))
        self.clip = clip

    def keys(self, memory: Tensor) -> Tensor:
        """(B, P, hidden) memory -> (B, P, hidden) W1 e_j, computed once per instance."""
        return self.w_memory(memory)

    def forward(self, query: Tensor, keys: Tensor, forbidden: Tensor) -> Tensor:
        """(B, hidden) query, (B, P, hidden) keys, (B, P) bool mask -> (B, P) scores, -inf where masked."""
        scores = torch.tanh(keys + self.w_query(query)[:, None]) @ self.v
        if self.clip is not None:
            scores = self.clip * torch.tanh(scores)
        return scores.masked_fill(forbidden, float("-inf"))

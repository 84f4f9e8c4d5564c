"""Luong "general" attention: decoder states score encoder states through one bilinear map."""

from __future__ import annotations

import torch
from torch import nn


class LuongAttention(nn.Module):
    """score(h_t, h_s) = h_t^T W h_s, softmax over the source positions that are not padding."""

    def __init__(self, query_size: int, key_size: int) -> None:
        """Args: query_size: decoder state size D_q; key_size: encoder output size D_k."""
        super().__init__()
        self.project = nn.Linear(key_size, query_size, bias=False)

    def forward(self, queries: torch.Tensor, keys: torch.Tensor, key_padding: torch.Tensor) -> torch.Tensor:
        """Attention-weighted sums of ``keys``.

        Args:
            queries: decoder states, shape (B, T, D_q).
            keys: encoder outputs, shape (B, S, D_k).
            key_padding: True at padded source positions, shape (B, S).

        Returns:
            Contexts, shape (B, T, D_k).
        """
        scores = queries @ self.project(keys).transpose(1, 2)  # (B, T, S)
        scores = scores.masked_fill(key_padding[:, None, :], float("-inf"))
        return torch.softmax(scores, dim=-1) @ keys

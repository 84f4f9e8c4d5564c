"""Pooling a set of vectors (slots, or ground-truth objects) into one vector: a small transformer
over the set with a learned CLS token, as the OCRL benchmark pools slots for its policies."""

from __future__ import annotations

import torch
from torch import nn


class CLSTransformerPooling(nn.Module):
    """(B, N, F) set, optional (B, N) bool ``present`` mask -> (B, d_model) read from a CLS token.

    Rows are projected to ``d_model``, a learned CLS token is prepended, and ``layers`` transformer
    encoder layers attend over the present rows only (absent rows are masked out).
    """

    def __init__(self, in_features: int, d_model: int = 64, heads: int = 4, layers: int = 1) -> None:
        super().__init__()
        self.project = nn.Linear(in_features, d_model)
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model))
        layer = nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=2 * d_model, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)

    def forward(self, rows: torch.Tensor, present: torch.Tensor | None = None) -> torch.Tensor:
        batch = rows.shape[0]
        tokens = torch.cat([self.cls.expand(batch, -1, -1), self.project(rows)], dim=1)
        padding = None
        if present is not None:
            padding = torch.cat([present.new_zeros(batch, 1, dtype=torch.bool), ~present.bool()], dim=1)
        return self.norm(self.transformer(tokens, src_key_padding_mask=padding)[:, 0])

"""A pre-norm Transformer decoder that also decodes one token at a time with cached keys and values.

Teacher forcing runs every target position at once under a causal mask; greedy decoding feeds
one position per step and keeps each layer's projected self-attention keys/values in a
:class:`KeyValueCache`, so a step costs O(t) instead of re-running the whole prefix (needed for
the long PCFG outputs).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional


class KeyValueCache:
    """Self-attention keys and values of the positions decoded so far, in buffers that grow by doubling.

    Appending writes in place (amortised O(1) per position) instead of concatenating the whole
    history at every step.
    """

    def __init__(self) -> None:
        self.keys: torch.Tensor | None = None
        self.values: torch.Tensor | None = None
        self.length = 0

    def extend(self, keys: torch.Tensor, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Append keys/values of n new positions, each (B, heads, n, d); return all so far, (B, heads, t + n, d)."""
        end = self.length + keys.shape[2]
        if self.keys is None or self.values is None or end > self.keys.shape[2]:
            capacity = max(16, 2 * end)
            grown_keys = keys.new_empty(*keys.shape[:2], capacity, keys.shape[3])
            grown_values = values.new_empty(*values.shape[:2], capacity, values.shape[3])
            if self.keys is not None and self.values is not None:
                grown_keys[:, :, : self.length] = self.keys[:, :, : self.length]
                grown_values[:, :, : self.length] = self.values[:, :, : self.length]
            self.keys, self.values = grown_keys, grown_values
        self.keys[:, :, self.length : end] = keys
        self.values[:, :, self.length : end] = values
        self.length = end
        return self.keys[:, :, :end], self.values[:, :, :end]

    def select_rows(self, rows: torch.Tensor) -> KeyValueCache:
        """A cache holding only batch rows ``rows`` (B',)."""
        selected = KeyValueCache()
        if self.keys is not None and self.values is not None:
            selected.keys, selected.values = self.keys[rows], self.values[rows]
            selected.length = self.length
        return selected


class MultiHeadAttention(nn.Module):
    """Scaled dot-product attention over ``heads`` heads with separate query and key/value projections."""

    def __init__(self, width: int, heads: int, dropout: float) -> None:
        """Args: width: model width D (divisible by ``heads``); heads: number of heads; dropout: on weights."""
        super().__init__()
        if width % heads:
            raise ValueError(f"the model width {width} is not divisible by {heads} heads")
        self.heads, self.dropout = heads, dropout
        self.query = nn.Linear(width, width)
        self.key_value = nn.Linear(width, 2 * width)
        self.output = nn.Linear(width, width)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, D) -> (B, heads, T, D / heads)."""
        return x.unflatten(-1, (self.heads, -1)).transpose(1, 2)

    def keys_values(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Projected keys and values of x (B, S, D), each (B, heads, S, D / heads)."""
        keys, values = self.key_value(x).chunk(2, dim=-1)
        return self._split(keys), self._split(values)

    def forward(self, x: torch.Tensor, keys: torch.Tensor, values: torch.Tensor, allowed: torch.Tensor | None = None,
                causal: bool = False) -> torch.Tensor:
        """Attend from queries x (B, T, D) to keys/values (B, heads, S, D / heads).

        Args:
            allowed: True where a query may attend, broadcastable to (B, heads, T, S); ``None``: everywhere.
            causal: mask future positions (T == S, teacher forcing).

        Returns:
            (B, T, D).
        """
        attended = functional.scaled_dot_product_attention(
            self._split(self.query(x)), keys, values, attn_mask=allowed,
            dropout_p=self.dropout if self.training else 0.0, is_causal=causal)
        return self.output(attended.transpose(1, 2).flatten(2))


class DecoderLayer(nn.Module):
    """Pre-norm block: causal self-attention, attention to the encoder memory, feed-forward."""

    def __init__(self, width: int, heads: int, feedforward: int, dropout: float) -> None:
        super().__init__()
        self.self_attention = MultiHeadAttention(width, heads, dropout)
        self.memory_attention = MultiHeadAttention(width, heads, dropout)
        self.feedforward = nn.Sequential(nn.Linear(width, feedforward), nn.ReLU(), nn.Dropout(dropout),
                                         nn.Linear(feedforward, width))
        self.norms = nn.ModuleList(nn.LayerNorm(width) for _ in range(3))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, memory: tuple[torch.Tensor, torch.Tensor], memory_allowed: torch.Tensor,
                cache: KeyValueCache | None = None) -> torch.Tensor:
        """One block over target positions.

        Args:
            x: target states, (B, T, D): the whole target (teacher forcing, ``cache=None``) or the
                newest position (T = 1) during incremental decoding.
            memory: this layer's keys and values of the encoder output, each (B, heads, S, D / heads).
            memory_allowed: True at real (non-padding) source positions, (B, 1, 1, S).
            cache: self-attention keys and values of the earlier positions; extended with x's.

        Returns:
            The new states, (B, T, D).
        """
        h = self.norms[0](x)
        keys, values = self.self_attention.keys_values(h)
        if cache is not None:
            keys, values = cache.extend(keys, values)
        x = x + self.dropout(self.self_attention(h, keys, values, causal=cache is None and x.shape[1] > 1))
        x = x + self.dropout(self.memory_attention(self.norms[1](x), *memory, allowed=memory_allowed))
        return x + self.dropout(self.feedforward(self.norms[2](x)))

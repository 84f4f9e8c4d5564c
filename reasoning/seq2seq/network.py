"""What a neural encoder-decoder must offer to be trained with teacher forcing and decoded greedily."""

from __future__ import annotations

from typing import Any, Protocol

import torch


class Seq2SeqNetwork(Protocol):
    """An ``nn.Module`` encoder-decoder over token ids (implemented by the GRU and Transformer networks)."""

    def __call__(self, source: torch.Tensor, source_padding: torch.Tensor, target_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits.

        Args:
            source: source ids, shape (B, S).
            source_padding: True at source padding, shape (B, S).
            target_in: ``<bos>`` + target ids, shape (B, T).

        Returns:
            Next-token logits, shape (B, T, V_target).
        """
        ...

    def start_decoding(self, source: torch.Tensor, source_padding: torch.Tensor) -> Any:
        """Encode a batch (shapes (B, S)) and return the decoder state before the first output token."""
        ...

    def decode_step(self, state: Any, tokens: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """Feed the previous output tokens, shape (B,); return next-token logits (B, V_target) and the new state."""
        ...

    def select_rows(self, state: Any, rows: torch.Tensor) -> Any:
        """The decoder state of the batch rows ``rows`` (shape (B',), indices into B), in that order."""
        ...

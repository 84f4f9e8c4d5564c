"""Messages as one-hot tensors: symbol 0 (EOS) ends a message, every position after it is blank."""

from __future__ import annotations

import numpy as np
import torch

EOS = 0


def alive_mask(message: torch.Tensor) -> torch.Tensor:
    """One-hot messages (B, L, V) -> (B, L): 1 where no EOS came before the position (the position itself
    may hold the EOS); differentiable, so the straight-through gradient reaches the EOS choice."""
    not_eos = 1.0 - message[..., EOS]
    ones = torch.ones_like(not_eos[:, :1])
    return torch.cumprod(torch.cat([ones, not_eos[:, :-1]], dim=1), dim=1)


def cut_at_eos(message: torch.Tensor) -> torch.Tensor:
    """One-hot messages (B, L, V) -> the same with all-zero rows after each message's first EOS."""
    return message * alive_mask(message).unsqueeze(-1)


def eos_weights(message: torch.Tensor) -> torch.Tensor:
    """(B, L, V) -> (B, L): 1 at each message's first EOS and 0 elsewhere (sums to 1 when an EOS exists)."""
    return alive_mask(message) * message[..., EOS]


def symbols(message: torch.Tensor) -> np.ndarray:
    """One-hot messages (B, L, V) -> symbols (B, L) int64 with every position after the first EOS set to 0."""
    ids = message.argmax(-1) * (alive_mask(message) > 0.5).long()
    return ids.detach().cpu().numpy().astype(np.int64)


def lengths(ids: np.ndarray) -> np.ndarray:
    """Symbols (B, L) -> message lengths (B,) counting the EOS (L where a message has none).

    >>> lengths(np.array([[3, 0, 0], [2, 5, 0], [1, 1, 1]])).tolist()
    [2, 3, 3]
    """
    is_eos = ids == EOS
    first = np.where(is_eos.any(1), is_eos.argmax(1) + 1, ids.shape[1])
    return first.astype(np.int64)

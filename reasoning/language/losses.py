"""Per-sample losses and accuracies of the two games (EGG's ``loss(sender_input, message, receiver_input,
receiver_output, labels)`` reduced to what these games use)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def discrimination_loss(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (B, K) over candidates, target positions (B,) -> cross-entropy (B,), correct (B,) float."""
    return F.cross_entropy(logits, labels, reduction="none"), (logits.argmax(-1) == labels).float()


def reconstruction_loss(logits: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (B, A, V), attributes (B, A) -> cross-entropy summed over attributes (B,), and 1.0 where
    every attribute is right (B,)."""
    loss = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none").sum(1)
    return loss, (logits.argmax(-1) == labels).all(1).float()


LOSSES = {"discrimination": discrimination_loss, "reconstruction": reconstruction_loss}

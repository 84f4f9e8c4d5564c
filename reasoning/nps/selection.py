"""Hard selection among options: straight-through Gumbel-softmax when training, argmax when evaluating."""

from __future__ import annotations

import torch

from reasoning.language.gumbel import gumbel_softmax_st

MASKED_LOGIT = -1e9


def select_one_hot(logits: torch.Tensor, temperature: float = 1.0, sample: bool = True,
                   allowed: torch.Tensor | None = None) -> torch.Tensor:
    """Logits (..., V) -> one-hot (..., V) float with straight-through gradients.

    ``sample``: a Gumbel-softmax sample (training); otherwise the argmax, still with the softmax's
    gradient. ``allowed`` (..., V) bool masks options out (at least one must stay allowed).
    """
    if allowed is not None:
        logits = logits.masked_fill(~allowed, MASKED_LOGIT)
    if sample:
        return gumbel_softmax_st(logits, temperature)
    soft = torch.softmax(logits / temperature, dim=-1)
    hard = torch.nn.functional.one_hot(soft.argmax(-1), logits.shape[-1]).to(soft.dtype)
    return hard - soft.detach() + soft

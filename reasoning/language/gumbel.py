"""Straight-through Gumbel-softmax: a hard one-hot sample forward, the relaxed sample's gradient backward."""

from __future__ import annotations

import torch


def gumbel_softmax_st(logits: torch.Tensor, temperature: float = 1.0, generator: torch.Generator | None = None
                      ) -> torch.Tensor:
    """Logits (..., V) -> one-hot samples (..., V) float, differentiable through the relaxation.

    y_soft = softmax((logits + g) / tau), g ~ Gumbel(0, 1); y = one_hot(argmax y_soft) - sg(y_soft) + y_soft
    (Jang et al. 2017, eq. 1 and section 2.2).
    """
    uniform = torch.rand(logits.shape, generator=generator, dtype=logits.dtype).clamp_(1e-9, 1.0 - 1e-9)
    soft = torch.softmax((logits - torch.log(-torch.log(uniform))) / temperature, dim=-1)
    hard = torch.nn.functional.one_hot(soft.argmax(-1), logits.shape[-1]).to(soft.dtype)
    return hard - soft.detach() + soft

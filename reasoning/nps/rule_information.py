"""The mutual information between slots and the rules they prefer, a regulariser against rule collapse.

I(slot; rule) = H(mean_i p_i) - mean_i H(p_i) over the slots i of a batch, with p_i (R,) the
softmax of slot i's rule scores: high when every slot is confident and different slots prefer
different rules. Without it, one rule MLP tends to learn every dynamic and the others go unused
(the official NPS code has a similar entropy option, ``--use_entropy``).
"""

from __future__ import annotations

import torch


def slot_rule_information(preferences: torch.Tensor) -> torch.Tensor:
    """preferences: (..., R) rule probabilities per slot -> scalar I(slot; rule) in nats (>= 0, <= log R)."""
    flat = preferences.reshape(-1, preferences.shape[-1])
    mean = flat.mean(0)
    marginal = -(mean * mean.clamp_min(1e-9).log()).sum()
    conditional = -(flat * flat.clamp_min(1e-9).log()).sum(-1).mean()
    return marginal - conditional

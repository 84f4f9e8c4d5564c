"""Cycle-consistency objectives on the slot <-> feature affinities (Didolkar, Goyal, Bengio, ICLR 2024).

With slots S (K x D) and encoder features F (N x D), both L2-normalised (cosine affinities, so a
temperature means the same at every scale):

    A_sf = softmax_rows(S F^T / tau)   (K x N)        A_fs = softmax_rows(F S^T / tau)   (N x K)

- slot -> feature -> slot: ``A_sf A_fs`` (K x K, rows sum to 1) pushed to the identity by
  cross-entropy, ``-mean_k log (A_sf A_fs)[k, k]``: every slot must be the one its features
  point back to.
- feature -> slot -> feature: ``A_fs A_sf`` (N x N) pushed by cross-entropy to the target
  ``softmax_rows(F F^T / tau_target)`` (no gradient through the target): features that look
  alike should route through the same slot. N is subsampled to ``max_features`` for speed.

A large slot->feature->slot weight has a trivial optimum (slots that ignore the image but stay
distinct), so its weight must stay small relative to reconstruction.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _affinities(slots: torch.Tensor, features: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(A_sf (B, K, N), A_fs (B, N, K)) from slots (B, K, D) and features (B, N, D)."""
    logits = torch.einsum("bkd,bnd->bkn", F.normalize(slots, dim=-1), F.normalize(features, dim=-1)) / temperature
    return logits.softmax(dim=-1), logits.transpose(1, 2).softmax(dim=-1)


def slot_feature_slot_loss(slots: torch.Tensor, features: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """Cross-entropy of ``A_sf A_fs`` (B, K, K) against the identity; a scalar, 0 at a perfect cycle."""
    a_sf, a_fs = _affinities(slots, features, temperature)
    cycle = torch.bmm(a_sf, a_fs)  # (B, K, K)
    return -torch.diagonal(cycle, dim1=1, dim2=2).clamp_min(1e-8).log().mean()


def feature_slot_feature_loss(slots: torch.Tensor, features: torch.Tensor, temperature: float = 0.1,
                              target_temperature: float = 0.1, max_features: int = 128,
                              generator: torch.Generator | None = None) -> torch.Tensor:
    """Cross-entropy of ``A_fs A_sf`` (B, N', N') against ``softmax_rows(F F^T / tau_target)``.

    N' = min(N, max_features) features are sampled (the same positions for the whole batch).
    """
    n = features.shape[1]
    if n > max_features:
        index = torch.randperm(n, generator=generator, device=features.device)[:max_features]
        features = features[:, index]
    a_sf, a_fs = _affinities(slots, features, temperature)
    cycle = torch.bmm(a_fs, a_sf)  # (B, N', N')
    with torch.no_grad():
        normed = F.normalize(features, dim=-1)
        target = (torch.bmm(normed, normed.transpose(1, 2)) / target_temperature).softmax(dim=-1)
    return -(target * cycle.clamp_min(1e-8).log()).sum(dim=-1).mean()


def ramp_weight(weight: float, step: int, start: int, ramp_steps: int) -> float:
    """``weight`` switched on at ``start`` and ramped linearly over ``ramp_steps`` steps."""
    if step < start:
        return 0.0
    if ramp_steps <= 0:
        return weight
    return weight * min(1.0, (step - start + 1) / ramp_steps)

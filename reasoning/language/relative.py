"""Relative representations (Moschella et al., ICLR 2023): a sample is represented by its cosine
similarity to a fixed set of anchor samples, which makes independently trained latent spaces comparable."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def relative(latents: torch.Tensor, anchor_latents: torch.Tensor) -> torch.Tensor:
    """Latents (..., D) and anchor latents (N_anchors, D) -> cosine similarities (..., N_anchors).

    r(x) = (cos(e_x, e_a1), ..., cos(e_x, e_aN))   (Moschella et al., eq. 1)

    >>> relative(torch.tensor([[2.0, 0.0]]), torch.tensor([[1.0, 0.0], [0.0, 3.0]])).tolist()
    [[1.0, 0.0]]
    """
    return F.normalize(latents, dim=-1) @ F.normalize(anchor_latents, dim=-1).T


def choose_anchors(train: np.ndarray, n_anchors: int, n_values: int, seed: int = 0) -> np.ndarray:
    """``n_anchors`` distinct training objects (n_anchors, A) in which every value of every attribute
    occurs when ``n_anchors >= n_values`` (random draws until one covers them all)."""
    if not 1 <= n_anchors <= len(train):
        raise ValueError(f"need between 1 and {len(train)} anchors, got {n_anchors}")
    rng = np.random.default_rng(seed)
    best = train[rng.choice(len(train), n_anchors, replace=False)]
    for _ in range(1000):
        if n_anchors < n_values or all(len(np.unique(best[:, a])) == n_values for a in range(train.shape[1])):
            break
        best = train[rng.choice(len(train), n_anchors, replace=False)]
    return best

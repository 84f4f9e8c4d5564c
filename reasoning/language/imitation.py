"""Iterated learning (Kirby et al. 2014; Ren et al., ICLR 2020): each generation starts from a fresh
sender that first imitates the previous sender's messages for only part of the objects, then plays.

A language whose messages are built from parts is easier to learn from some of its messages than one
that pairs objects and messages arbitrarily, so generation after generation the languages that survive
the imitation bottleneck are the more compositional ones. Both agents of the new generation are fresh
(the new receiver too: a listener that must learn the language anew also favours easy-to-learn
languages, Li & Bowling, NeurIPS 2019)."""

from __future__ import annotations

import numpy as np
import torch

from reasoning.language.sender import Sender


def imitate(sender: Sender, objects: torch.Tensor, messages: torch.Tensor, steps: int, lr: float,
            rng: np.random.Generator, batch_size: int = 64) -> float:
    """Train ``sender`` by maximum likelihood to emit ``messages`` (N, max_len + 1) int64 for ``objects``
    (N, D), ``steps`` Adam steps on random batches. Returns the last batch's mean negative log-likelihood
    per message (nats); 0.0 when ``steps`` is 0."""
    if len(objects) != len(messages) or len(objects) == 0:
        raise ValueError(f"need as many messages as objects (at least one), got {len(messages)} and {len(objects)}")
    optimizer = torch.optim.Adam(sender.parameters(), lr=lr)
    loss = torch.zeros(())
    for _ in range(steps):
        batch = rng.integers(0, len(objects), batch_size)
        loss = -sender.log_likelihood(objects[batch], messages[batch]).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return float(loss.detach())


def imitation_sample(n_objects: int, share: float, rng: np.random.Generator) -> np.ndarray:
    """Indices (round(share * n_objects),) of the objects whose messages the new sender is shown, at least one.

    >>> imitation_sample(10, 0.5, np.random.default_rng(0)).shape
    (5,)
    """
    count = min(n_objects, max(1, round(share * n_objects)))
    return np.sort(rng.choice(n_objects, count, replace=False))

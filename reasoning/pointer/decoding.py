"""Decoding for any pointer model: greedy, sampling (best of k), beam search, and teacher forcing.

A pointer model has ``encode(inputs) -> context``, ``initial_state(context) -> state`` and
``step(context, state, previous, forbidden) -> (log_probs (B, P), state)``; contexts and states are
dicts of tensors with the batch first. Sequences are (B, L) long in pointer space (END-padded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor

from reasoning.pointer.decode_rules import DecodeRule, take

Cost = Callable[[Tensor], Tensor]  # (B, L) sequences -> (B,) costs, lower is better


class PointerModel(Protocol):
    """What decoding needs from a model (both :class:`PtrNet` and :class:`AttentionModel`)."""

    def encode(self, inputs: Tensor) -> dict[str, Tensor]:
        """(B, n, d) inputs -> a context of tensors with the batch first."""

    def initial_state(self, context: dict[str, Tensor]) -> dict[str, Tensor]:
        """The decoder state before the first step (tensors with the batch first)."""

    def step(self, context: dict[str, Tensor], state: dict[str, Tensor], previous: Tensor | None,
             forbidden: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """(B,) last choice (None first) and (B, P) bool mask -> (B, P) log-probabilities, new state."""


def _safe(log_probs: Tensor) -> Tensor:
    """A row with every position masked (a dead beam) gives NaN; make it -inf instead."""
    return torch.nan_to_num(log_probs, nan=float("-inf"))


def rollout(model: PointerModel, inputs: Tensor, rule: DecodeRule, sample: bool,
            generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Decode every row by greedy choice or by sampling.

    Args:
        model: a pointer model; inputs: (B, n, d); rule: the task's decode rule;
        sample: draw from the model's distribution instead of taking the argmax;
        generator: the torch RNG for sampling (None: the global one).

    Returns:
        sequences (B, L) long and their summed log-probabilities (B,) (differentiable).
    """
    context = model.encode(inputs)
    state, constraint = model.initial_state(context), rule.initial(inputs.shape[0], inputs.device)
    previous: Tensor | None = None
    chosen, total = [], torch.zeros(inputs.shape[0], device=inputs.device)
    for _ in range(rule.max_length):
        log_probs, state = model.step(context, state, previous, rule.forbidden(constraint))
        if sample:
            previous = torch.multinomial(log_probs.exp(), 1, generator=generator)[:, 0]
        else:
            previous = log_probs.argmax(dim=-1)
        total = total + log_probs.gather(1, previous[:, None])[:, 0]
        constraint = rule.advance(constraint, previous)
        chosen.append(previous)
        if bool(rule.finished(constraint).all()):
            break
    return _pad(torch.stack(chosen, dim=1), rule), total


def _pad(sequences: Tensor, rule: DecodeRule) -> Tensor:
    """(B, l) -> (B, rule.max_length), filled with END (index n) past the decoded part."""
    missing = rule.max_length - sequences.shape[1]
    if missing <= 0:
        return sequences
    return torch.cat([sequences, sequences.new_full((sequences.shape[0], missing), rule.n)], dim=1)


def greedy(model: PointerModel, inputs: Tensor, rule: DecodeRule) -> Tensor:
    """(B, n, d) inputs -> (B, L) greedy sequences."""
    return rollout(model, inputs, rule, sample=False)[0]


def best_of_samples(model: PointerModel, inputs: Tensor, rule: DecodeRule, k: int, cost: Cost | None = None,
                    generator: torch.Generator | None = None) -> Tensor:
    """Sample k sequences per row and keep the cheapest.

    Args:
        inputs: (B, n, d); k: samples per row; cost: (B·k, L) sequences -> (B·k,) costs for the
        inputs repeated k times (row-major: row b's samples are rows b·k .. b·k + k - 1);
        None ranks by model log-probability.

    Returns:
        (B, L) sequences.
    """
    repeated = inputs.repeat_interleave(k, dim=0)
    sequences, log_probs = rollout(model, repeated, rule, sample=True, generator=generator)
    scores = -log_probs if cost is None else cost(sequences)
    best = scores.view(-1, k).argmin(dim=1)
    return sequences.view(inputs.shape[0], k, -1)[torch.arange(inputs.shape[0]), best]


def beam_search(model: PointerModel, inputs: Tensor, rule: DecodeRule, width: int,
                cost: Cost | None = None) -> Tensor:
    """Beam search over summed log-probabilities; of the final beams, keep the most probable (or
    the cheapest under ``cost``, called on the (B·width, L) beams as in :func:`best_of_samples`).

    Args:
        inputs: (B, n, d); width: beams per row.

    Returns:
        (B, L) sequences; width 1 gives exactly the greedy sequences.
    """
    batch, device = inputs.shape[0], inputs.device
    repeated = inputs.repeat_interleave(width, dim=0)
    context = model.encode(repeated)
    state, constraint = model.initial_state(context), rule.initial(batch * width, device)
    scores = torch.full((batch, width), float("-inf"), device=device)
    scores[:, 0] = 0.0  # all beams start equal; keep one so the first step does not repeat choices
    sequences = torch.zeros(batch * width, 0, dtype=torch.long, device=device)
    previous: Tensor | None = None
    offsets = (torch.arange(batch, device=device) * width)[:, None]
    for _ in range(rule.max_length):
        log_probs, state = model.step(context, state, previous, rule.forbidden(constraint))
        size = log_probs.shape[1]
        total = (scores[..., None] + _safe(log_probs).view(batch, width, size)).view(batch, -1)
        scores, flat = total.topk(width, dim=1)
        parents = (offsets + flat // size).view(-1)
        previous = (flat % size).view(-1)
        state, constraint = take(state, parents), take(constraint, parents)
        constraint = rule.advance(constraint, previous)
        sequences = torch.cat([sequences.index_select(0, parents), previous[:, None]], dim=1)
        if bool(rule.finished(constraint).all()):
            break
    sequences = _pad(sequences, rule)
    ranking = -scores if cost is None else cost(sequences).view(batch, width).masked_fill(
        scores == float("-inf"), float("inf"))
    best = ranking.argmin(dim=1)
    return sequences.view(batch, width, -1)[torch.arange(batch), best]


def teacher_forced_nll(model: PointerModel, inputs: Tensor, labels: Tensor, rule: DecodeRule) -> Tensor:
    """Mean negative log-likelihood per label token, feeding the labels back (teacher forcing).

    Args:
        inputs: (B, n, d); labels: (B, L) long in pointer space, -1 (PAD) where ignored.

    Returns:
        scalar loss.
    """
    context = model.encode(inputs)
    state, constraint = model.initial_state(context), rule.initial(inputs.shape[0], inputs.device)
    previous: Tensor | None = None
    losses, counted = [], labels >= 0
    for t in range(labels.shape[1]):
        if not bool(counted[:, t].any()):
            break
        log_probs, state = model.step(context, state, previous, rule.forbidden(constraint))
        target = labels[:, t].clamp(min=0)
        picked = log_probs.gather(1, target[:, None])[:, 0]
        losses.append(torch.where(counted[:, t], -picked, torch.zeros_like(picked)))
        previous = torch.where(counted[:, t], labels[:, t], torch.full_like(target, rule.n))
        constraint = rule.advance(constraint, previous)
    return torch.stack(losses, dim=1).sum() / counted.sum()

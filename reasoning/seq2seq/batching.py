"""Padded tensors and length-bucketed batch orders for token-id sequences."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch


def pad_sequences(sequences: Sequence[Sequence[int]], pad_id: int) -> torch.Tensor:
    """Right-pad id lists into one tensor.

    Args:
        sequences: B lists of ids, lengths n_1..n_B (at least one list; empty lists are allowed).
        pad_id: the id written after each list's end.

    Returns:
        A long tensor of shape (B, max(1, max n_i)).
    """
    width = max(1, max(len(sequence) for sequence in sequences))
    padded = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    for row, sequence in enumerate(sequences):
        padded[row, : len(sequence)] = torch.as_tensor(sequence, dtype=torch.long)
    return padded


@dataclass(frozen=True)
class Batch:
    """One teacher-forcing batch.

    Attributes:
        source: source ids, shape (B, S), padded with the pad id.
        source_padding: True at padding positions of ``source``, shape (B, S).
        target_in: ``<bos>`` + target ids, shape (B, T), padded.
        target_out: target ids + ``<eos>``, shape (B, T), padded (the pad id is ignored by the loss).
    """

    source: torch.Tensor
    source_padding: torch.Tensor
    target_in: torch.Tensor
    target_out: torch.Tensor


def make_batch(sources: Sequence[Sequence[int]], targets: Sequence[Sequence[int]], pad_id: int, bos_id: int,
               eos_id: int) -> Batch:
    """A :class:`Batch` from B source id lists and B target id lists (without ``<bos>``/``<eos>``)."""
    source = pad_sequences(sources, pad_id)
    return Batch(
        source=source,
        source_padding=source == pad_id,
        target_in=pad_sequences([[bos_id, *target] for target in targets], pad_id),
        target_out=pad_sequences([[*target, eos_id] for target in targets], pad_id),
    )


def bucketed_batches(lengths: Sequence[int], batch_size: int, rng: random.Random | None = None,
                     pool_batches: int = 50) -> list[list[int]]:
    """Group indices into batches of similar length (little padding), in random order when ``rng`` is given.

    Args:
        lengths: the length of each of N items.
        batch_size: items per batch (the last batch of a pool may be smaller).
        rng: shuffles items before pooling and batches afterwards; ``None`` gives one global
            sort by length (for prediction).
        pool_batches: with ``rng``, items are sorted by length within pools of
            ``pool_batches * batch_size`` shuffled items, so batches stay random across epochs.

    Returns:
        Lists of item indices covering ``range(N)`` exactly once.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = list(range(len(lengths)))
    if rng is None:
        order.sort(key=lambda index: lengths[index])
        return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]
    rng.shuffle(order)
    pool = pool_batches * batch_size
    batches: list[list[int]] = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda index: lengths[index])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches

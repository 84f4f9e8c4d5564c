"""Decode an evaluation set with a named decoding and score it against the exact references."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from reasoning.pointer.decode_rules import DecodeRule
from reasoning.pointer.decoding import PointerModel, beam_search, best_of_samples, greedy
from reasoning.pointer.metrics import hull_metrics, optimality_gap, sequence_accuracy, triangle_metrics
from reasoning.pointer.tasks import PointerTask

DECODINGS = ("greedy", "sample", "beam")


@dataclass
class References:
    """Exact answers for an evaluation set.

    Attributes:
        labels: (B, L) label sequences (TSP: optimal tours from node 0; may be empty when unknown).
        optimal: (B,) optimal tour lengths (TSP with n <= 20), else None.
        shapes: the B hulls (k,) or triangulations (T, 3) for hull / Delaunay.
    """

    labels: np.ndarray
    optimal: np.ndarray | None = None
    shapes: list[np.ndarray] = field(default_factory=list)


def make_references(task: PointerTask, inputs: np.ndarray, exact_tsp: bool = True) -> References:
    """Exact references of (B, n, d) ``inputs``; ``exact_tsp=False`` skips Held-Karp (n > 20)."""
    if task.name == "tsp":
        if not exact_tsp:
            return References(np.zeros((len(inputs), 0), dtype=np.int64))
        from reasoning.pointer.tsp_exact import held_karp

        tours, lengths = held_karp(inputs)
        return References(tours, optimal=lengths)
    if task.name == "hull":
        from reasoning.pointer.hull_reference import convex_hulls

        return References(task.labels(inputs), shapes=convex_hulls(inputs))
    if task.name == "delaunay":
        from reasoning.pointer.delaunay_reference import delaunay_triangles

        return References(task.labels(inputs), shapes=delaunay_triangles(inputs))
    return References(task.labels(inputs))


def tour_lengths_torch(points: Tensor, tours: Tensor) -> Tensor:
    """(B, n, 2) points, (B, n) tours -> (B,) closed tour lengths (differentiable in the points)."""
    ordered = points.gather(1, tours[..., None].expand(-1, -1, points.shape[-1]))
    return (ordered - ordered.roll(-1, dims=1)).norm(dim=-1).sum(dim=1)


@torch.no_grad()
def decode(model: PointerModel, task: PointerTask, rule: DecodeRule, inputs: np.ndarray, decoding: str,
           k: int = 16, batch_size: int = 256, seed: int = 0) -> np.ndarray:
    """Decode (B, n, d) ``inputs`` in chunks of ``batch_size``.

    Args:
        decoding: ``greedy``, ``sample`` (best of ``k`` samples) or ``beam`` (width ``k``). For the
            TSP, the best sample or beam is the shortest tour; otherwise the most probable.
        seed: the sampling RNG's seed.

    Returns:
        (B, L) int64 sequences in pointer space.
    """
    if decoding not in DECODINGS:
        raise ValueError(f"unknown decoding {decoding!r}; choose from {', '.join(DECODINGS)}")
    was_training = getattr(model, "training", False)
    model.eval()  # type: ignore[attr-defined]
    generator = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, len(inputs), batch_size):
        chunk = torch.as_tensor(inputs[start:start + batch_size], dtype=torch.float32)
        repeated = chunk.repeat_interleave(k, dim=0)
        cost = (lambda s, p=repeated: tour_lengths_torch(p, s)) if task.name == "tsp" else None
        if decoding == "greedy":
            out.append(greedy(model, chunk, rule))
        elif decoding == "sample":
            out.append(best_of_samples(model, chunk, rule, k, cost, generator))
        else:
            out.append(beam_search(model, chunk, rule, k, cost))
    model.train(was_training)  # type: ignore[attr-defined]
    return torch.cat(out).numpy()


def score(task: PointerTask, inputs: np.ndarray, predicted: np.ndarray, references: References) -> dict[str, float]:
    """Metrics of (B, L) ``predicted`` on (B, n, d) ``inputs``.

    Returns:
        sort: ``exact``; hull: ``exact``, ``area coverage``; delaunay: ``exact``, ``triangle
        coverage``; tsp: ``length`` (mean) and, with optimal lengths, ``gap``. Shares are in [0, 1].
    """
    if task.name == "sort":
        return {"exact": sequence_accuracy(predicted, references.labels)}
    if task.name == "hull":
        return hull_metrics(inputs, predicted, references.shapes)
    if task.name == "delaunay":
        return triangle_metrics(predicted, references.shapes, inputs.shape[1])
    from reasoning.pointer.tsp_geometry import is_permutation, tour_lengths

    if not is_permutation(predicted, inputs.shape[1]).all():
        raise AssertionError("a decoded TSP tour is not a permutation (the visited-node mask failed)")
    lengths = tour_lengths(inputs, predicted)
    result = {"length": float(lengths.mean())}
    if references.optimal is not None:
        result["gap"] = optimality_gap(lengths, references.optimal)
    return result


def primary_loss(task: PointerTask, metrics: dict[str, float]) -> float:
    """The number validation minimises: TSP mean length, else 1 - exact."""
    return metrics["length"] if task.name == "tsp" else 1.0 - metrics["exact"]

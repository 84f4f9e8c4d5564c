"""The four pointer tasks: seeded instance generators and their label sequences.

Points are uniform in the unit square (sorting: uniform numbers in [0, 1)). Labels are sequences in
*pointer space*: index i < n points at input i; for tasks with an end token, index n is END and
labels are padded with :data:`PAD` after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PAD = -1


@dataclass(frozen=True)
class PointerTask:
    """What a task feeds a model and what the model must point at.

    Attributes:
        name: ``sort``, ``hull``, ``delaunay`` or ``tsp``.
        input_dim: coordinates per input (1 for sorting, 2 otherwise).
        has_end: whether outputs have variable length, closed by an END pointer (index n).
        rule: the decoding constraint (see :mod:`reasoning.pointer.decode_rules`).
        min_n: the smallest input size the task is defined for.
    """

    name: str
    input_dim: int
    has_end: bool
    rule: str
    min_n: int

    def pointer_size(self, n: int) -> int:
        """Number of positions a decoder chooses from: n, or n + 1 with END."""
        return n + 1 if self.has_end else n

    def max_length(self, n: int) -> int:
        """Longest output sequence (END included) for n inputs."""
        if self.rule == "triangles":  # at most 2n - 5 triangles, then END
            return 3 * (2 * n - 5) + 1
        return n + 1 if self.has_end else n

    def sample(self, rng: np.random.Generator, batch: int, n: int) -> np.ndarray:
        """(batch, n, input_dim) float64 inputs, uniform in the unit cube."""
        if n < self.min_n:
            raise ValueError(f"task {self.name} needs n >= {self.min_n}, got {n}")
        return rng.random((batch, n, self.input_dim))

    def labels(self, inputs: np.ndarray) -> np.ndarray:
        """(B, n, d) inputs -> (B, max_length(n)) int64 label sequences in pointer space."""
        return LABELLERS[self.name](inputs)


def _sort_labels(inputs: np.ndarray) -> np.ndarray:
    return np.argsort(inputs[..., 0], axis=1, kind="stable").astype(np.int64)


def canonical_tours(tours: np.ndarray) -> np.ndarray:
    """(B, n) tours -> the same cycles starting at node 0, turned so the second node < the last."""
    tours = np.asarray(tours, dtype=np.int64)
    start = np.argmax(tours == 0, axis=1)
    rolled = np.stack([np.roll(tour, -s) for tour, s in zip(tours, start, strict=True)])
    flip = rolled[:, 1] > rolled[:, -1]
    rolled[flip, 1:] = rolled[flip, 1:][:, ::-1]
    return rolled


def _tsp_labels(inputs: np.ndarray) -> np.ndarray:
    from reasoning.pointer.tsp_exact import held_karp

    return canonical_tours(held_karp(inputs)[0])


def _padded(sequences: list[np.ndarray], n: int, length: int) -> np.ndarray:
    labels = np.full((len(sequences), length), PAD, dtype=np.int64)
    for b, sequence in enumerate(sequences):
        labels[b, :len(sequence)] = sequence
        labels[b, len(sequence)] = n
    return labels


def _hull_labels(inputs: np.ndarray) -> np.ndarray:
    from reasoning.pointer.hull_reference import convex_hulls

    n = inputs.shape[1]
    return _padded(convex_hulls(inputs), n, n + 1)


def _delaunay_labels(inputs: np.ndarray) -> np.ndarray:
    from reasoning.pointer.delaunay_reference import delaunay_triangles

    n = inputs.shape[1]
    return _padded([t.reshape(-1) for t in delaunay_triangles(inputs)], n, TASKS["delaunay"].max_length(n))


LABELLERS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sort": _sort_labels, "hull": _hull_labels, "delaunay": _delaunay_labels, "tsp": _tsp_labels}

TASKS: dict[str, PointerTask] = {
    "sort": PointerTask("sort", 1, False, "permutation", 2),
    "hull": PointerTask("hull", 2, True, "hull", 3),
    "delaunay": PointerTask("delaunay", 2, True, "triangles", 3),
    "tsp": PointerTask("tsp", 2, False, "permutation", 3),
}


def get_task(name: str) -> PointerTask:
    """The task called ``name``; a ValueError listing the choices otherwise."""
    if name not in TASKS:
        raise ValueError(f"unknown pointer task {name!r}; choose from {', '.join(TASKS)}")
    return TASKS[name]

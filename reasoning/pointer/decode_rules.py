"""Which positions a decoder may point at next: the masks that keep outputs well formed.

A rule state is a dict of tensors whose first dimension is the batch, so beam search can reorder
it with :func:`take`. ``forbidden(state)`` is (B, P) bool (True: masked out); ``advance`` records
one choice (B,). Finished rows may only point at END (index n), with probability one.

- ``permutation`` (sorting, TSP): every input exactly once, no END.
- ``hull``: inputs at most once, END allowed after three points.
- ``triangles`` (Delaunay): triples with ascending indices, triples' first indices non-decreasing,
  END allowed at a triple boundary after the first triple.
"""

from __future__ import annotations

import torch
from torch import Tensor

RuleState = dict[str, Tensor]


def take(tree: dict[str, Tensor], index: Tensor) -> dict[str, Tensor]:
    """Select rows ``index`` (K,) of every tensor in ``tree`` (first dimension = batch)."""
    return {key: value.index_select(0, index) for key, value in tree.items()}


class DecodeRule:
    """The decoding constraint of one task on instances of n inputs."""

    def __init__(self, kind: str, n: int, has_end: bool, max_length: int) -> None:
        """Args: kind: ``permutation``, ``hull`` or ``triangles``; n: inputs; has_end: END at index n;
        max_length: the longest output, END included."""
        if kind not in ("permutation", "hull", "triangles"):
            raise ValueError(f"unknown decode rule {kind!r}")
        self.kind, self.n, self.has_end, self.max_length = kind, n, has_end, max_length
        self.size = n + 1 if has_end else n

    def initial(self, batch: int, device: torch.device | str = "cpu") -> RuleState:
        """The state before the first choice, for ``batch`` rows."""
        zeros = torch.zeros(batch, dtype=torch.long, device=device)
        visited = torch.zeros(batch, self.size, dtype=torch.bool, device=device)
        return {"visited": visited, "steps": zeros, "last": zeros.clone(), "first": zeros.clone(),
                "done": torch.zeros(batch, dtype=torch.bool, device=device)}

    def forbidden(self, state: RuleState) -> Tensor:
        """(B, P) bool mask of positions that may not be chosen next."""
        visited, steps = state["visited"], state["steps"]
        if not self.has_end:
            return visited.clone()
        positions = torch.arange(self.size, device=visited.device)
        if self.kind == "hull":
            mask = visited.clone()
            mask[:, self.n] = steps < 3
        else:
            slot = steps % 3
            last, first = state["last"][:, None], state["first"][:, None]
            mask = torch.where((slot == 0)[:, None], (positions < first) | (positions > self.n - 3),
                               (positions <= last) | (positions > self.n - 3 + slot[:, None]))
            mask[:, self.n] = (slot != 0) | (steps < 3)
        end_only = state["done"] | (steps >= self.max_length - 1)
        mask = torch.where(end_only[:, None], positions != self.n, mask)
        return mask

    def advance(self, state: RuleState, choice: Tensor) -> RuleState:
        """The state after each row picked ``choice`` (B,) long."""
        rows = torch.arange(choice.shape[0], device=choice.device)
        visited = state["visited"].clone()
        visited[rows, choice] = True
        is_end = choice == self.n if self.has_end else torch.zeros_like(state["done"])
        starts_triple = state["steps"] % 3 == 0
        first = torch.where(starts_triple & ~is_end, choice, state["first"])
        return {"visited": visited, "steps": state["steps"] + (~state["done"]).long(), "last": choice,
                "first": first, "done": state["done"] | is_end}

    def finished(self, state: RuleState) -> Tensor:
        """(B,) bool: rows that need no more choices."""
        if self.has_end:
            return state["done"]
        return state["steps"] >= self.n

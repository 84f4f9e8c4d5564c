"""Slot Attention (Locatello et al. 2020), with BO-QSA's learned queries as an option."""

from __future__ import annotations

import torch
from torch import nn


class SlotAttention(nn.Module):
    """Inputs (B, N, D) -> slots (B, K, D) and the last attention (B, K, N).

    Faithful to the paper: LayerNorm on inputs and slots, bias-free q/k/v projections, softmax
    over slots then a weighted mean over inputs, a GRU update plus a residual MLP, and slots
    initialised from a learned Gaussian. With ``learned_queries`` (BO-QSA, Jia et al. 2023) the
    initial slots are learned vectors and the last iteration is straight-through: its gradient
    reaches the queries as if the refined slots were the initialisation.
    """

    def __init__(self, num_slots: int, dim: int, iterations: int = 3, hidden_dim: int = 128,
                 learned_queries: bool = False, epsilon: float = 1e-8) -> None:
        super().__init__()
        self.num_slots = num_slots
        self.dim = dim
        self.iterations = iterations
        self.learned_queries = learned_queries
        self.epsilon = epsilon
        self.scale = dim**-0.5
        if learned_queries:
            self.queries = nn.Parameter(torch.randn(1, num_slots, dim) * dim**-0.5)
        else:
            self.mu = nn.Parameter(torch.randn(1, 1, dim) * dim**-0.5)
            self.log_sigma = nn.Parameter(torch.zeros(1, 1, dim))
        self.norm_inputs = nn.LayerNorm(dim)
        self.norm_slots = nn.LayerNorm(dim)
        self.norm_mlp = nn.LayerNorm(dim)
        self.to_q = nn.Linear(dim, dim, bias=False)
        self.to_k = nn.Linear(dim, dim, bias=False)
        self.to_v = nn.Linear(dim, dim, bias=False)
        self.gru = nn.GRUCell(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden_dim), nn.ReLU(), nn.Linear(hidden_dim, dim))

    def initial_slots(self, batch: int, generator: torch.Generator | None = None,
                      num_slots: int | None = None) -> torch.Tensor:
        """(B, K, D) starting slots: the learned queries, or samples of the learned Gaussian (whose K
        may differ from training, e.g. more slots for scenes with more objects)."""
        if self.learned_queries:
            if num_slots not in (None, self.num_slots):
                raise ValueError(f"learned queries fix the number of slots at {self.num_slots}")
            return self.queries.expand(batch, -1, -1)
        count = self.num_slots if num_slots is None else num_slots
        noise = torch.randn(batch, count, self.dim, generator=generator, device=self.mu.device)
        return self.mu + self.log_sigma.exp() * noise

    def forward(self, inputs: torch.Tensor, slots: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        batch = inputs.shape[0]
        initial = self.initial_slots(batch) if slots is None else slots
        slots = initial
        inputs = self.norm_inputs(inputs)
        keys, values = self.to_k(inputs), self.to_v(inputs)  # (B, N, D)
        attention = inputs.new_zeros(batch, slots.shape[1], inputs.shape[1])
        for iteration in range(self.iterations):
            if self.learned_queries and iteration == self.iterations - 1:
                slots = slots.detach() + initial - initial.detach()  # BO-QSA straight-through
            previous = slots
            queries = self.to_q(self.norm_slots(slots))  # (B, K, D)
            logits = torch.einsum("bnd,bkd->bkn", keys, queries) * self.scale
            attention = logits.softmax(dim=1) + self.epsilon  # softmax over slots: slots compete (eq. 1)
            weights = attention / attention.sum(dim=-1, keepdim=True)  # weighted mean over inputs (eq. 2)
            updates = torch.einsum("bkn,bnd->bkd", weights, values)
            slots = self.gru(updates.reshape(-1, self.dim), previous.reshape(-1, self.dim)).view_as(previous)
            slots = slots + self.mlp(self.norm_mlp(slots))
        return slots, attention

"""Models of the arithmetic task: (previous result, number, operation) -> new result.

As in the official code, the previous result and the number are encoded by one MLP (with a 0/1
flag saying which is which) into two slots. For NPS the operation is encoded separately and only
the rule selection reads it (the slot queries), so a rule's MLP sees just the two numbers: an
operation reaches the result only through which rule is selected. The answer is decoded from the
updated primary slot. The MLP baseline reads the concatenation of both numbers and the operation.
"""

from __future__ import annotations

import torch
from torch import nn

from reasoning.nps.production_system import NeuralProductionSystem

N_OPERATIONS = 3


def mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    """Linear-ReLU-Linear-ReLU-Linear: (..., in_dim) -> (..., out_dim)."""
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                         nn.Linear(hidden, out_dim))


class ArithmeticNPS(nn.Module):
    """NPS with ``n_rules`` rules (no null rule) and one rule application per step."""

    def __init__(self, hidden: int = 64, n_rules: int = 3, mode: str = "sequential", temperature: float = 1.0
                 ) -> None:
        super().__init__()
        self.encoder = mlp(2, hidden, hidden)
        self.operation_encoder = mlp(N_OPERATIONS, hidden, hidden)
        self.nps = NeuralProductionSystem(hidden, n_rules, mode, null_rule=False, hidden=hidden,
                                          condition_dim=hidden, temperature=temperature)
        self.decoder = mlp(hidden, hidden, 1)

    def forward(self, previous: torch.Tensor, number: torch.Tensor, operation: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """previous, number: (B,) floats; operation: (B, 3) one-hot -> (result (B,), rule (B,) long)."""
        flags = torch.tensor([0.0, 1.0], dtype=previous.dtype)
        values = torch.stack([previous, number], dim=1)[..., None]
        slots = self.encoder(torch.cat([values, flags[None, :, None].expand(len(previous), -1, -1)], dim=-1))
        out = self.nps(slots, condition=self.operation_encoder(operation), steps=1)
        primary = out.primaries[:, -1]  # (B, 2) one-hot, straight-through
        result = self.decoder((primary[..., None] * out.slots).sum(1))[:, 0]
        return result, out.rules.max(-1).values


class ArithmeticMLP(nn.Module):
    """The baseline: an MLP on [previous, number, one-hot operation]."""

    def __init__(self, hidden: int = 64) -> None:
        super().__init__()
        self.net = mlp(2 + N_OPERATIONS, hidden, 1)

    def forward(self, previous: torch.Tensor, number: torch.Tensor, operation: torch.Tensor
                ) -> tuple[torch.Tensor, None]:
        """previous, number: (B,); operation: (B, 3) -> (result (B,), None)."""
        return self.net(torch.cat([previous[:, None], number[:, None], operation], dim=-1))[:, 0], None

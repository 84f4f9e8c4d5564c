"""NPS as a one-step dynamics model of object feature rows (RuleWorld).

Each object's row is encoded into a slot; the production system updates the slots; the change of
each slot is mapped linearly (no bias) to the change of its row, so the null rule predicts
"unchanged" exactly: x_t+1 = x_t + W (V' - V).
"""

from __future__ import annotations

import torch
from torch import nn

from reasoning.nps.arithmetic_models import mlp
from reasoning.nps.production_system import NeuralProductionSystem, ProductionOutput


class NPSDynamics(nn.Module):
    """x_t (B, N, F) -> (x_t+1 (B, N, F), applied rule per object (B, N) long).

    Args: n_features F; n_rules learned rules (plus the null rule); mode sequential/parallel;
    slot_dim and hidden widths; temperature of the Gumbel-softmax in training.
    """

    def __init__(self, n_features: int, n_rules: int = 5, mode: str = "parallel", slot_dim: int = 64,
                 hidden: int = 64, temperature: float = 1.0) -> None:
        super().__init__()
        self.encoder = mlp(n_features, hidden, slot_dim)
        self.nps = NeuralProductionSystem(slot_dim, n_rules, mode, null_rule=True, hidden=hidden,
                                          temperature=temperature)
        self.readout = nn.Linear(slot_dim, n_features, bias=False)

    def forward(self, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """See the class doc."""
        prediction, out = self.predict(states)
        return prediction, out.rules

    def predict(self, states: torch.Tensor) -> tuple[torch.Tensor, ProductionOutput]:
        """x_t (B, N, F) -> (x_t+1 (B, N, F), the production system's output, selections included)."""
        slots = self.encoder(states)
        out = self.nps(slots)
        return states + self.readout(out.slots - slots), out

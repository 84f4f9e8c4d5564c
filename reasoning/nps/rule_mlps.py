"""The rules of a production system: one embedding and one MLP per rule, evaluated for all rules at once."""

from __future__ import annotations

import math

import torch
from torch import nn


class RuleMLPs(nn.Module):
    """``n_rules`` learned rules (embedding + 2-layer MLP on (primary, contextual)), plus an optional
    null rule (last index) whose update is zero.

    Args: n_rules: learned rules; slot_dim: D; hidden: MLP width; rule_dim: embedding width;
    null_rule: append the rule that changes nothing.
    """

    def __init__(self, n_rules: int, slot_dim: int, hidden: int = 64, rule_dim: int = 32, null_rule: bool = True
                 ) -> None:
        super().__init__()
        if n_rules < 1:
            raise ValueError(f"n_rules={n_rules} must be >= 1")
        self.n_learned, self.null_rule = n_rules, null_rule
        self.n_total = n_rules + int(null_rule)
        self.embeddings = nn.Parameter(torch.randn(self.n_total, rule_dim))
        bound1, bound2 = 1.0 / math.sqrt(2 * slot_dim), 1.0 / math.sqrt(hidden)
        self.w1 = nn.Parameter(torch.empty(n_rules, 2 * slot_dim, hidden).uniform_(-bound1, bound1))
        self.b1 = nn.Parameter(torch.zeros(n_rules, hidden))
        self.w2 = nn.Parameter(torch.empty(n_rules, hidden, slot_dim).uniform_(-bound2, bound2))
        self.b2 = nn.Parameter(torch.zeros(n_rules, slot_dim))

    def forward(self, primary: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """primary, context: (..., D) -> every rule's update (..., n_total, D) (the null rule's is 0).

        update_r = MLP_r([primary; context])  (NPS, Algorithm 1, step 3)
        """
        pair = torch.cat([primary, context], dim=-1)
        hidden = torch.relu(torch.einsum("...i,rih->...rh", pair, self.w1) + self.b1)
        update = torch.einsum("...rh,rhd->...rd", hidden, self.w2) + self.b2
        if self.null_rule:
            update = torch.cat([update, update.new_zeros(*update.shape[:-2], 1, update.shape[-1])], dim=-2)
        return update

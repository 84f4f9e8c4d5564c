"""The neural production system (Goyal et al., NeurIPS 2021, Algorithm 1), sequential and parallel.

Each step: (1) the attention between slot queries and rule keys, sampled with a straight-through
Gumbel-softmax, selects a (primary slot, rule) pair; (2) the rule, with the primary slot, queries
the other slots and selects a contextual slot the same way; (3) the rule's MLP updates the primary
slot from (primary, contextual), residually. ``sequential`` repeats this ``steps`` times (default:
once per slot; a slot is primary at most once until every slot has been); ``parallel`` lets every
slot select its own rule and contextual slot in one step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from reasoning.nps.rule_mlps import RuleMLPs
from reasoning.nps.selection import select_one_hot

MODES: tuple[str, ...] = ("sequential", "parallel")


@dataclass
class ProductionOutput:
    """slots: (B, M, D) after the rule applications; rules: (B, M) long, the rule applied to each
    slot (last application; -1 never primary); primaries: (B, K, M) one-hot (straight-through) of
    the primary slot of each of the K applications (parallel: K = 1, all ones); preferences:
    (B, M, R) softmax over rules of each slot's rule scores on the input slots."""

    slots: torch.Tensor
    rules: torch.Tensor
    primaries: torch.Tensor
    preferences: torch.Tensor


class NeuralProductionSystem(nn.Module):
    """Rules applied to slots (B, M, D). Args: slot_dim D; n_rules learned rules; mode
    ``sequential``/``parallel``; null_rule: add the rule that changes nothing; hidden: rule-MLP
    width; rule_dim: rule-embedding width; key_dim: attention width; condition_dim: width of an
    optional per-example vector (B, C) that the slot queries of the rule selection also read;
    temperature: of the Gumbel-softmax samples (training)."""

    def __init__(self, slot_dim: int, n_rules: int, mode: str = "sequential", null_rule: bool = True,
                 hidden: int = 64, rule_dim: int = 32, key_dim: int = 32, condition_dim: int = 0,
                 temperature: float = 1.0) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"mode={mode!r} is unknown; choose from {', '.join(MODES)}")
        self.mode, self.key_dim, self.temperature = mode, key_dim, temperature
        self.rules = RuleMLPs(n_rules, slot_dim, hidden, rule_dim, null_rule)
        self.slot_query = nn.Linear(slot_dim + condition_dim, key_dim)
        self.rule_key = nn.Linear(rule_dim, key_dim)
        self.context_query = nn.Linear(slot_dim + rule_dim, key_dim)
        self.context_key = nn.Linear(slot_dim, key_dim)

    def rule_logits(self, slots: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        """(B, M, D) slots [and (B, C) condition] -> (B, M, R) scores of every (slot, rule) pair.

        s_ir = (W_q [V_i; c]) . (W_k R_r) / sqrt(d)  (Algorithm 1, step 1)
        """
        if condition is not None:
            slots = torch.cat([slots, condition[:, None, :].expand(-1, slots.shape[1], -1)], dim=-1)
        return self.slot_query(slots) @ self.rule_key(self.rules.embeddings).T / math.sqrt(self.key_dim)

    def context(self, slots: torch.Tensor, primary: torch.Tensor, rule_embedding: torch.Tensor,
                exclude: torch.Tensor, temperature: float, sample: bool) -> torch.Tensor:
        """The contextual slot of each (primary, rule): slots (B, M, D); primary (B, P, D) states;
        rule_embedding (B, P, E); exclude (B, P, M) one-hot of the primary itself -> (B, P, D).

        c = GumbelST((W_q' [V_p; R_r]) . (W_k' V_j) / sqrt(d)) over j != p  (Algorithm 1, step 2)
        """
        query = self.context_query(torch.cat([primary, rule_embedding], dim=-1))
        logits = query @ self.context_key(slots).transpose(1, 2) / math.sqrt(self.key_dim)
        allowed = exclude < 0.5 if slots.shape[1] > 1 else torch.ones_like(exclude, dtype=torch.bool)
        return select_one_hot(logits, temperature, sample, allowed) @ slots

    def forward(self, slots: torch.Tensor, condition: torch.Tensor | None = None, steps: int | None = None
                ) -> ProductionOutput:
        """Apply the rules to slots (B, M, D); see :class:`ProductionOutput`. Samples (Gumbel) in
        training mode and takes the argmax in eval mode."""
        logits = self.rule_logits(slots, condition)
        preferences = torch.softmax(logits, dim=-1)
        if self.mode == "parallel":
            return self._parallel(slots, logits, preferences)
        return self._sequential(slots, condition, slots.shape[1] if steps is None else steps, preferences)

    def _parallel(self, slots: torch.Tensor, logits: torch.Tensor, preferences: torch.Tensor) -> ProductionOutput:
        batch, n_slots, _ = slots.shape
        temperature = self.temperature
        chosen = select_one_hot(logits, temperature, self.training)  # (B, M, R)
        eye = torch.eye(n_slots, dtype=slots.dtype, device=slots.device).expand(batch, -1, -1)
        context = self.context(slots, slots, chosen @ self.rules.embeddings, eye, temperature, self.training)
        update = (chosen[..., None] * self.rules(slots, context)).sum(-2)
        return ProductionOutput(slots + update, chosen.argmax(-1), torch.ones_like(slots[:, None, :, 0]), preferences)

    def _sequential(self, slots: torch.Tensor, condition: torch.Tensor | None, steps: int, preferences: torch.Tensor
                    ) -> ProductionOutput:
        batch, n_slots, _ = slots.shape
        temperature = self.temperature
        n_rules = self.rules.n_total
        done = torch.zeros(batch, n_slots, dtype=torch.bool, device=slots.device)
        rules = torch.full((batch, n_slots), -1, dtype=torch.long, device=slots.device)
        primaries = []
        for _ in range(steps):
            done = done & ~done.all(-1, keepdim=True)  # every slot had its turn: start a new round
            allowed = (~done)[..., None].expand(-1, -1, n_rules).reshape(batch, -1)
            pair = select_one_hot(self.rule_logits(slots, condition).reshape(batch, -1), temperature, self.training,
                                  allowed).reshape(batch, n_slots, n_rules)
            primary, rule = pair.sum(-1), pair.sum(-2)  # (B, M), (B, R)
            state = (primary[..., None] * slots).sum(1, keepdim=True)  # (B, 1, D)
            context = self.context(slots, state, (rule @ self.rules.embeddings)[:, None], primary[:, None],
                                   temperature, self.training)
            update = (rule[..., None] * self.rules(state[:, 0], context[:, 0])).sum(-2)  # (B, D)
            slots = slots + primary[..., None] * update[:, None, :]
            hit = primary > 0.5
            done = done | hit
            rules = torch.where(hit, rule.argmax(-1, keepdim=True).expand(-1, n_slots), rules)
            primaries.append(primary)
        return ProductionOutput(slots, rules, torch.stack(primaries, dim=1), preferences)

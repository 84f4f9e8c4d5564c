"""The attention model of Kool, van Hoof and Welling (ICLR 2019): a transformer encoder over the
inputs and a pointer decoder whose context is (graph, first node, last node), masking what the
decode rule forbids."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class EncoderLayer(nn.Module):
    """h' = BN(h + MHA(h)); h'' = BN(h' + FF(h')) (Kool et al. eq. 2-3)."""

    def __init__(self, dim: int, heads: int, ff_dim: int) -> None:
        """Args: dim: embedding width; heads: attention heads; ff_dim: feed-forward hidden width."""
        super().__init__()
        self.attention = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.norm1, self.norm2 = nn.BatchNorm1d(dim), nn.BatchNorm1d(dim)
        self.ff = nn.Sequential(nn.Linear(dim, ff_dim), nn.ReLU(), nn.Linear(ff_dim, dim))

    @staticmethod
    def _norm(norm: nn.BatchNorm1d, x: Tensor) -> Tensor:
        return norm(x.reshape(-1, x.shape[-1])).reshape(x.shape)

    def forward(self, h: Tensor) -> Tensor:
        """(B, P, dim) -> (B, P, dim)."""
        h = self._norm(self.norm1, h + self.attention(h, h, h, need_weights=False)[0])
        return self._norm(self.norm2, h + self.ff(h))


class AttentionModel(nn.Module):
    """Kool et al.'s model over n inputs of ``input_dim`` numbers (END appended as a learned node when
    ``has_end``)."""

    def __init__(self, input_dim: int, has_end: bool, dim: int = 128, heads: int = 8, layers: int = 3,
                 ff_dim: int = 512, clip: float = 10.0) -> None:
        """Args: input_dim: numbers per input; has_end: add an END node; dim, heads, layers, ff_dim:
        encoder size; clip: C in the logits C·tanh(q·k / sqrt(dim)) (Kool eq. 6)."""
        super().__init__()
        self.has_end, self.dim, self.heads, self.clip = has_end, dim, heads, clip
        self.embed = nn.Linear(input_dim, dim)
        self.end_node = nn.Parameter(torch.empty(dim).uniform_(-1, 1))
        self.layers = nn.Sequential(*[EncoderLayer(dim, heads, ff_dim) for _ in range(layers)])
        self.project_nodes = nn.Linear(dim, 3 * dim, bias=False)  # glimpse keys, values, logit keys
        self.project_graph = nn.Linear(dim, dim, bias=False)
        self.project_step = nn.Linear(2 * dim, dim, bias=False)
        self.project_out = nn.Linear(dim, dim, bias=False)
        self.placeholder = nn.Parameter(torch.empty(2 * dim).uniform_(-1, 1))  # v^f, v^l at step 0

    def encode(self, inputs: Tensor) -> dict[str, Tensor]:
        """(B, n, input_dim) -> context: node embeddings (B, P, dim), their glimpse keys/values and
        logit keys, and the projected graph embedding (B, dim)."""
        h = self.embed(inputs)
        if self.has_end:
            h = torch.cat([h, self.end_node.expand(h.shape[0], 1, -1)], dim=1)
        h = self.layers(h)
        keys, values, logit_keys = self.project_nodes(h).chunk(3, dim=-1)
        return {"nodes": h, "keys": keys, "values": values, "logit_keys": logit_keys,
                "graph": self.project_graph(h.mean(dim=1))}

    def initial_state(self, context: dict[str, Tensor]) -> dict[str, Tensor]:
        """Before the first step: first/last node embeddings are the learned placeholders."""
        batch = context["nodes"].shape[0]
        return {"first_last": self.placeholder.expand(batch, -1), "started": torch.zeros(batch, dtype=torch.bool)}

    def _heads(self, x: Tensor) -> Tensor:
        """(B, P, dim) -> (B, heads, P, dim / heads)."""
        return x.reshape(x.shape[0], x.shape[1], self.heads, -1).transpose(1, 2)

    def step(self, context: dict[str, Tensor], state: dict[str, Tensor], previous: Tensor | None,
             forbidden: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """One step, as :meth:`PtrNet.step`: (B,) ``previous`` (None first), (B, P) bool ``forbidden``
        -> (B, P) log-probabilities (-inf where forbidden) and the new state."""
        nodes = context["nodes"]
        first_last = state["first_last"]
        started = state["started"]
        if previous is not None:
            last = nodes[torch.arange(nodes.shape[0], device=nodes.device), previous]
            first = torch.where(started[:, None], first_last[:, :self.dim], last)
            first_last, started = torch.cat([first, last], dim=-1), torch.ones_like(started)
        query = context["graph"] + self.project_step(first_last)  # W^Q h_(c), Kool eq. (4)
        q = query.reshape(query.shape[0], self.heads, 1, -1)
        compat = q @ self._heads(context["keys"]).transpose(-1, -2) / math.sqrt(q.shape[-1])
        compat = compat.masked_fill(forbidden[:, None, None], float("-inf"))
        glimpse = torch.softmax(compat, dim=-1) @ self._heads(context["values"])  # Kool eq. (5)
        glimpse = self.project_out(glimpse.reshape(query.shape[0], -1))
        logits = (context["logit_keys"] @ glimpse[:, :, None])[..., 0] / math.sqrt(self.dim)
        logits = (self.clip * torch.tanh(logits)).masked_fill(forbidden, float("-inf"))  # Kool eq. (6)
        return torch.log_softmax(logits, dim=-1), {"first_last": first_last, "started": started}

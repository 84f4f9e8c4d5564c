"""Ptr-Net (Vinyals, Fortunato and Jaitly 2015): an LSTM encoder-decoder whose attention points at
input positions, with one glimpse (Bello et al. 2017) before pointing."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from reasoning.pointer.pointer_attention import AdditiveAttention


class PtrNet(nn.Module):
    """Ptr-Net over n inputs of ``input_dim`` numbers; with ``has_end`` a learned END (index n) is
    appended to the positions it can point at.

    Decoder input at step i is the embedding of the input pointed at in step i - 1 (a learned start
    vector at step 0); the decoder's first state is the encoder's last.
    """

    def __init__(self, input_dim: int, has_end: bool, hidden: int = 128) -> None:
        """Args: input_dim: numbers per input; has_end: add an END position; hidden: LSTM width."""
        super().__init__()
        self.has_end, self.hidden = has_end, hidden
        self.embed = nn.Linear(input_dim, hidden)
        self.encoder = nn.LSTM(hidden, hidden, batch_first=True)
        self.decoder = nn.LSTMCell(hidden, hidden)
        self.start = nn.Parameter(torch.empty(hidden).uniform_(-0.1, 0.1))
        self.end_input = nn.Parameter(torch.empty(hidden).uniform_(-0.1, 0.1))
        self.end_memory = nn.Parameter(torch.empty(hidden).uniform_(-0.1, 0.1))
        self.glimpse = AdditiveAttention(hidden)
        self.pointer = AdditiveAttention(hidden, clip=10.0)

    def encode(self, inputs: Tensor) -> dict[str, Tensor]:
        """(B, n, input_dim) -> context: embedded inputs and encoder memory (B, P, hidden), the
        attentions' projected memories, and the encoder's final (h, c) (B, hidden)."""
        embedded = self.embed(inputs)
        memory, (h, c) = self.encoder(embedded)
        if self.has_end:
            batch = inputs.shape[0]
            embedded = torch.cat([embedded, self.end_input.expand(batch, 1, -1)], dim=1)
            memory = torch.cat([memory, self.end_memory.expand(batch, 1, -1)], dim=1)
        return {"embedded": embedded, "memory": memory, "glimpse_keys": self.glimpse.keys(memory),
                "pointer_keys": self.pointer.keys(memory), "h0": h[0], "c0": c[0]}

    def initial_state(self, context: dict[str, Tensor]) -> dict[str, Tensor]:
        """Decoder state before the first step: the encoder's final (h, c)."""
        return {"h": context["h0"], "c": context["c0"]}

    def step(self, context: dict[str, Tensor], state: dict[str, Tensor], previous: Tensor | None,
             forbidden: Tensor) -> tuple[Tensor, dict[str, Tensor]]:
        """One decoding step.

        Args:
            context: from :meth:`encode`; state: from :meth:`initial_state` or the last step;
            previous: (B,) position chosen last step, None at the first step;
            forbidden: (B, P) bool positions masked out.

        Returns:
            (B, P) log-probabilities (-inf where forbidden) and the new state.
        """
        embedded = context["embedded"]
        if previous is None:
            x = self.start.expand(embedded.shape[0], -1)
        else:
            x = embedded[torch.arange(embedded.shape[0], device=embedded.device), previous]
        h, c = self.decoder(x, (state["h"], state["c"]))
        weights = torch.softmax(self.glimpse(h, context["glimpse_keys"], forbidden), dim=-1)
        glimpse = torch.einsum("bp,bph->bh", weights, context["memory"])  # Bello eq. (7)
        logits = self.pointer(glimpse, context["pointer_keys"], forbidden)  # Vinyals eq. (3)
        return torch.log_softmax(logits, dim=-1), {"h": h, "c": c}

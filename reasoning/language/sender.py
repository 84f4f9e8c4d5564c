"""The Sender: an object (or its slots) -> a variable-length discrete message; symbol 0 ends it."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from reasoning.language.config import METHODS
from reasoning.language.gumbel import gumbel_softmax_st
from reasoning.language.messages import EOS, alive_mask, cut_at_eos
from reasoning.language.relative import relative
from reasoning.language.rnn_cell import RecurrentCell


@dataclass
class SenderOutput:
    """What a sender emits for a batch of B objects.

    Attributes:
        message: (B, max_len + 1, V) one-hot, blank after the first EOS (the last position is always EOS).
        log_prob: (B,) summed log-probability of the emitted symbols up to and including the EOS
            (REINFORCE; zeros for Gumbel).
        entropy: (B,) mean per-step policy entropy over those positions (nats).
        hidden: (B, H) the sender's representation of the object (absolute, before any relative step).
    """

    message: torch.Tensor
    log_prob: torch.Tensor
    entropy: torch.Tensor
    hidden: torch.Tensor


class Sender(nn.Module):
    """Object features (B, D) -> message, with a GRU/LSTM decoder over symbols.

    ``anchors`` (N, D) switches on relative representations: the decoder then starts from the object's
    cosine similarities to the anchors' hidden states instead of the hidden state itself.
    """

    def __init__(self, input_size: int, vocab_size: int, max_len: int, hidden: int = 128, embed: int = 32,
                 cell: str = "gru", anchors: torch.Tensor | None = None) -> None:
        super().__init__()
        if vocab_size < 2 or max_len < 1:
            raise ValueError(f"need a vocabulary of at least 2 symbols and max_len >= 1, got {vocab_size}, {max_len}")
        self.vocab_size, self.max_len = vocab_size, max_len
        self.encoder = nn.Linear(input_size, hidden)
        self.register_buffer("anchors", anchors.float() if anchors is not None else None)
        self.from_relative = nn.Linear(len(anchors), hidden) if anchors is not None else None
        self.cell = RecurrentCell(cell, embed, hidden)
        self.embedding = nn.Parameter(torch.randn(vocab_size, embed) * 0.1)
        self.start = nn.Parameter(torch.zeros(embed))
        self.to_logits = nn.Linear(hidden, vocab_size)
        # Large initial weights make the untrained sender's messages nearly deterministic and different
        # for different objects; with PyTorch's default (small) scale the first messages are noise, the
        # receiver learns nothing from them and the sender collapses onto a few symbols.
        nn.init.normal_(self.encoder.weight, std=1.0)
        if self.from_relative is not None:
            nn.init.normal_(self.from_relative.weight, std=2.0 / len(anchors) ** 0.5)
        # An EOS drawn early ends the message before anything is said, and nothing pulls it back, so an
        # untrained sender rarely stops (it can still learn to: the bias is a starting point, not a rule).
        with torch.no_grad():
            self.to_logits.weight.mul_(3.0)
            self.to_logits.bias[EOS] = -5.0

    @property
    def relative(self) -> bool:
        """True when the decoder starts from relative representations."""
        return self.anchors is not None

    def initial_hidden(self, objects: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Objects (B, D) -> (absolute hidden (B, H), the decoder's first hidden (B, H))."""
        hidden = self.encoder(objects)
        if self.anchors is None:
            return hidden, hidden
        return hidden, self.from_relative(relative(hidden, self.encoder(self.anchors)))

    def log_likelihood(self, objects: torch.Tensor, messages: torch.Tensor) -> torch.Tensor:
        """Objects (B, D) and symbols (B, max_len + 1) int64 (0 after the EOS) -> (B,) the log-probability
        of emitting those symbols, up to and including each message's first EOS (teacher forcing: each step
        is fed the given symbol, not the sender's own). The closing EOS after ``max_len`` symbols is forced,
        so it is not scored."""
        _, h0 = self.initial_hidden(objects)
        state = self.cell.initial(h0)
        x = self.start.expand(len(objects), -1)
        total = torch.zeros(len(objects))
        alive = torch.ones(len(objects))
        for t in range(self.max_len):
            state = self.cell.step(x, state)
            log_probs = torch.log_softmax(self.to_logits(self.cell.output(state)), dim=-1)
            symbol = messages[:, t]
            total = total + alive * log_probs.gather(1, symbol[:, None])[:, 0]
            alive = alive * (symbol != EOS).float()
            x = self.embedding[symbol]
        return total

    def forward(self, objects: torch.Tensor, method: str = "gumbel", temperature: float = 1.0,
                greedy: bool = False) -> SenderOutput:
        """Objects (B, D) -> :class:`SenderOutput`. ``method`` "gumbel" samples straight-through
        Gumbel-softmax symbols, "reinforce" samples from the policy; ``greedy`` takes the argmax."""
        if method not in METHODS:
            raise ValueError(f"method {method!r}: choose one of {', '.join(METHODS)}")
        hidden, h0 = self.initial_hidden(objects)
        state = self.cell.initial(h0)
        x = self.start.expand(len(objects), -1)
        steps, log_probs, entropies = [], [], []
        for _ in range(self.max_len):
            state = self.cell.step(x, state)
            logits = self.to_logits(self.cell.output(state))
            distribution = torch.distributions.Categorical(logits=logits)
            if greedy:
                symbol = nn.functional.one_hot(logits.argmax(-1), self.vocab_size).float()
            elif method == "gumbel":
                symbol = gumbel_softmax_st(logits, temperature)
            else:
                symbol = nn.functional.one_hot(distribution.sample(), self.vocab_size).float()
            log_probs.append(distribution.log_prob(symbol.argmax(-1)))
            entropies.append(distribution.entropy())
            steps.append(symbol)
            x = symbol @ self.embedding
        eos = torch.zeros_like(steps[0])
        eos[:, EOS] = 1.0
        message = torch.stack([*steps, eos], dim=1)
        alive = alive_mask(message)[:, :-1]  # positions actually emitted (the forced EOS has probability 1)
        length = alive.sum(1)
        log_prob = (torch.stack(log_probs, 1) * alive).sum(1)
        entropy = (torch.stack(entropies, 1) * alive).sum(1) / length
        if method == "gumbel":
            log_prob = torch.zeros_like(log_prob)
        return SenderOutput(cut_at_eos(message), log_prob, entropy, hidden)

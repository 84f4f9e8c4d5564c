"""The Receiver: a message -> a choice among candidates (discrimination) or every attribute (reconstruction)."""

from __future__ import annotations

import torch
from torch import nn

from reasoning.language.config import GAMES, READERS
from reasoning.language.messages import cut_at_eos, eos_weights
from reasoning.language.relative import relative
from reasoning.language.rnn_cell import RecurrentCell


def message_features(message: torch.Tensor) -> torch.Tensor:
    """One-hot messages (B, L, V) -> (B, L * V + V - 1): the symbol at each position beside the count of
    each symbol 1..V-1 (the bag of symbols), so that cosine similarity credits shared symbols at the same
    position and anywhere in the message. Parameter-free: any two languages are compared the same way."""
    message = cut_at_eos(message)
    return torch.cat([message.flatten(1), message[..., 1:].sum(1)], dim=1)


class Receiver(nn.Module):
    """Reads one-hot messages (B, L, V) with a GRU/LSTM or a linear map (absolute, ``reader``) or by their
    cosine similarity to the sender's messages for the anchor objects (relative), and scores candidates or
    attributes.

    Discrimination: candidates (B, K, D) -> logits (B, K), the dot product of the message's vector with
    each candidate's embedding (relative: the candidate is embedded from its similarities to the anchors).
    Reconstruction: logits (B, A, V) over each attribute's values.
    """

    def __init__(self, game: str, vocab_size: int, max_len: int, input_size: int, n_attributes: int,
                 n_values: int, hidden: int = 128, embed: int = 32, cell: str = "gru",
                 anchors: torch.Tensor | None = None, reader: str = "recurrent") -> None:
        super().__init__()
        if game not in GAMES:
            raise ValueError(f"game {game!r}: choose one of {', '.join(GAMES)}")
        if reader not in READERS:
            raise ValueError(f"reader {reader!r}: choose one of {', '.join(READERS)}")
        self.game, self.n_attributes, self.n_values = game, n_attributes, n_values
        self.register_buffer("anchors", anchors.float() if anchors is not None else None)
        self.read_linear = None
        self.read_relative = None
        if anchors is None and reader == "linear":
            self.read_linear = nn.Linear((max_len + 1) * vocab_size, hidden)
        elif anchors is None:
            self.embedding = nn.Linear(vocab_size, embed, bias=False)
            self.cell = RecurrentCell(cell, embed, hidden)
        else:
            self.read_relative = nn.Sequential(nn.Linear(len(anchors), hidden), nn.Tanh(), nn.Linear(hidden, hidden))
        out = hidden if game == "discrimination" else n_attributes * n_values
        self.head = nn.Linear(hidden, out)
        self.candidate_encoder = nn.Linear(input_size, hidden)
        self.candidate_relative = nn.Linear(len(anchors), hidden) if anchors is not None else None
        if anchors is not None:
            # as in the sender: start from distinct object latents (not bias-dominated ones whose cosine
            # similarities to the anchors would all be alike), so relative candidates differ from the start
            nn.init.normal_(self.candidate_encoder.weight, std=1.0)
            nn.init.zeros_(self.candidate_encoder.bias)

    @property
    def relative(self) -> bool:
        """True when the receiver reads messages through relative representations."""
        return self.anchors is not None

    def read(self, message: torch.Tensor, anchor_messages: torch.Tensor | None = None) -> torch.Tensor:
        """Messages (B, L, V) -> (B, H): the recurrent state at each message's EOS or a linear map of the
        one-hot symbols up to the EOS (absolute), or an MLP of the cosine similarities of the message's
        :func:`message_features` to those of ``anchor_messages`` (N, L, V) (relative)."""
        message = cut_at_eos(message)
        if self.read_linear is not None:
            return self.read_linear(message.flatten(1))
        if self.read_relative is not None:
            if anchor_messages is None:
                raise ValueError("a relative receiver needs the sender's messages for the anchors")
            return self.read_relative(relative(message_features(message), message_features(anchor_messages)))
        state = self.cell.initial(torch.zeros(len(message), self.head.in_features))
        outputs = []
        for t in range(message.shape[1]):
            state = self.cell.step(self.embedding(message[:, t]), state)
            outputs.append(self.cell.output(state))
        return (torch.stack(outputs, 1) * eos_weights(message).unsqueeze(-1)).sum(1)

    def embed_candidates(self, candidates: torch.Tensor) -> torch.Tensor:
        """Candidates (B, K, D) -> (B, K, H)."""
        latents = self.candidate_encoder(candidates)
        if self.candidate_relative is None:
            return latents
        return self.candidate_relative(relative(latents, self.candidate_encoder(self.anchors)))

    def forward(self, message: torch.Tensor, candidates: torch.Tensor | None = None,
                anchor_messages: torch.Tensor | None = None) -> torch.Tensor:
        """Message (B, L, V) [, candidates (B, K, D)] -> logits (B, K) or (B, A, V)."""
        vector = self.read(message, anchor_messages)
        if self.game == "reconstruction":
            return self.head(vector).view(-1, self.n_attributes, self.n_values)
        if candidates is None:
            raise ValueError("a discrimination receiver needs candidates")
        return torch.einsum("bh,bkh->bk", self.head(vector), self.embed_candidates(candidates))

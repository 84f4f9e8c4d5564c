"""GRU encoder-decoder with Luong attention (registered as ``gru``).

The encoder is a bidirectional GRU; its final states, through a tanh bridge, start the decoder
GRU. Each decoder state attends over the encoder outputs (:class:`LuongAttention`, no input
feeding, so teacher forcing runs the decoder GRU over the whole target in one call) and
``tanh(W [state; context])`` predicts the next token.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from reasoning.seq2seq.attention import LuongAttention
from reasoning.seq2seq.hyperparameters import TrainingConfig
from reasoning.seq2seq.registry import register_model
from reasoning.seq2seq.torch_model import TorchSeq2Seq


@dataclass(frozen=True)
class GRUConfig(TrainingConfig):
    """GRU sizes on top of :class:`TrainingConfig`.

    Attributes:
        embedding: token embedding size E (source and target).
        hidden: decoder state size H; the encoder has H/2 per direction.
        layers: stacked GRU layers in the encoder and the decoder.
    """

    embedding: int = 64
    hidden: int = 128
    layers: int = 1


class GRUNetwork(nn.Module):
    """The network of :class:`GRUSeq2Seq`; satisfies :class:`~reasoning.seq2seq.network.Seq2SeqNetwork`."""

    def __init__(self, n_source: int, n_target: int, config: GRUConfig, pad_id: int = 0) -> None:
        super().__init__()
        if config.hidden % 2:
            raise ValueError(f"GRU hidden size must be even (split over two directions), got {config.hidden}")
        inner_dropout = config.dropout if config.layers > 1 else 0.0
        self.layers = config.layers
        self.source_embedding = nn.Embedding(n_source, config.embedding, padding_idx=pad_id)
        self.target_embedding = nn.Embedding(n_target, config.embedding, padding_idx=pad_id)
        self.encoder = nn.GRU(config.embedding, config.hidden // 2, config.layers, batch_first=True,
                              bidirectional=True, dropout=inner_dropout)
        self.bridge = nn.Linear(config.hidden, config.hidden)
        self.decoder = nn.GRU(config.embedding, config.hidden, config.layers, batch_first=True, dropout=inner_dropout)
        self.attention = LuongAttention(config.hidden, config.hidden)
        self.combine = nn.Linear(2 * config.hidden, config.hidden)
        self.output = nn.Linear(config.hidden, n_target)
        self.dropout = nn.Dropout(config.dropout)

    def encode(self, source: torch.Tensor, source_padding: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Encoder outputs (B, S, H) and the decoder's initial state (layers, B, H) for source ids (B, S)."""
        lengths = (~source_padding).sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(self.dropout(self.source_embedding(source)), lengths,
                                                   batch_first=True, enforce_sorted=False)
        outputs, final = self.encoder(packed)
        outputs, _ = nn.utils.rnn.pad_packed_sequence(outputs, batch_first=True, total_length=source.shape[1])
        final = final.view(self.layers, 2, source.shape[0], -1)  # (layers, directions, B, H/2)
        state = torch.tanh(self.bridge(torch.cat([final[:, 0], final[:, 1]], dim=-1)))
        return outputs, state.contiguous()

    def _logits(self, states: torch.Tensor, memory: torch.Tensor, source_padding: torch.Tensor) -> torch.Tensor:
        """Next-token logits (B, T, V) from decoder states (B, T, H) attending over memory (B, S, H)."""
        context = self.attention(states, memory, source_padding)
        return self.output(self.dropout(torch.tanh(self.combine(torch.cat([states, context], dim=-1)))))

    def forward(self, source: torch.Tensor, source_padding: torch.Tensor, target_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) for source ids (B, S) and ``<bos>`` + target ids (B, T)."""
        memory, state = self.encode(source, source_padding)
        states, _ = self.decoder(self.dropout(self.target_embedding(target_in)), state)
        return self._logits(states, memory, source_padding)

    def start_decoding(self, source: torch.Tensor, source_padding: torch.Tensor) -> dict[str, torch.Tensor]:
        """The state before the first output: memory (B, S, H), source padding (B, S), GRU state (layers, B, H)."""
        memory, state = self.encode(source, source_padding)
        return {"memory": memory, "padding": source_padding, "state": state}

    def decode_step(self, state: dict[str, torch.Tensor], tokens: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """Logits (B, V) of the token after ``tokens`` (B,), and the advanced state."""
        states, hidden = self.decoder(self.target_embedding(tokens)[:, None], state["state"])
        logits = self._logits(states, state["memory"], state["padding"])[:, 0]
        return logits, {**state, "state": hidden}

    def select_rows(self, state: dict[str, torch.Tensor], rows: torch.Tensor) -> dict[str, torch.Tensor]:
        """The decoding state of batch rows ``rows`` (B',)."""
        return {"memory": state["memory"][rows], "padding": state["padding"][rows], "state": state["state"][:, rows]}


@register_model("gru")
class GRUSeq2Seq(TorchSeq2Seq):
    """GRU encoder-decoder with attention; hyperparameters: :class:`GRUConfig`."""

    Config = GRUConfig

    def build_network(self, n_source: int, n_target: int) -> nn.Module:
        """A fresh :class:`GRUNetwork`."""
        return GRUNetwork(n_source, n_target, self.settings)  # type: ignore[arg-type]


"""Transformer encoder-decoder (registered as ``transformer``).

Encoder: ``torch.nn.TransformerEncoder`` (pre-norm). Decoder: the cached pre-norm layers of
:mod:`reasoning.seq2seq.transformer_decoder`. Positions are sinusoidal (defined at every length,
which length generalisation needs), added to embeddings initialised with std D^-1/2 and
scaled by sqrt(D), so tokens and positions have the same scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from reasoning.seq2seq.hyperparameters import TrainingConfig
from reasoning.seq2seq.registry import register_model
from reasoning.seq2seq.torch_model import TorchSeq2Seq
from reasoning.seq2seq.transformer_decoder import DecoderLayer, KeyValueCache


@dataclass(frozen=True)
class TransformerConfig(TrainingConfig):
    """Transformer sizes on top of :class:`TrainingConfig`, with warm-up and no dropout by default.

    Dropout is off because on a CPU its random masks cost about a third of a training step and
    minute-long runs are far from overfitting; set ``dropout`` for long runs.

    Attributes:
        width: model width D.
        heads: attention heads (dividing D).
        encoder_layers, decoder_layers: stacked blocks.
        feedforward: hidden size of each block's feed-forward network.
    """

    warmup_steps: int = 100
    dropout: float = 0.0
    width: int = 128
    heads: int = 4
    encoder_layers: int = 2
    decoder_layers: int = 2
    feedforward: int = 256


def sinusoidal_positions(length: int, width: int, offset: int = 0) -> torch.Tensor:
    """Sinusoidal encodings of positions ``offset .. offset + length - 1``, shape (length, width)."""
    positions = torch.arange(offset, offset + length, dtype=torch.float32)[:, None]
    frequencies = torch.exp(torch.arange(0, width, 2, dtype=torch.float32) * (-math.log(10_000.0) / width))
    encoding = torch.zeros(length, width)
    encoding[:, 0::2] = torch.sin(positions * frequencies)
    encoding[:, 1::2] = torch.cos(positions * frequencies[: width // 2])
    return encoding


class TransformerNetwork(nn.Module):
    """The network of :class:`TransformerSeq2Seq`; satisfies :class:`~reasoning.seq2seq.network.Seq2SeqNetwork`."""

    def __init__(self, n_source: int, n_target: int, config: TransformerConfig, pad_id: int = 0) -> None:
        super().__init__()
        width = config.width
        self.scale = math.sqrt(width)
        self.source_embedding = nn.Embedding(n_source, width, padding_idx=pad_id)
        self.target_embedding = nn.Embedding(n_target, width, padding_idx=pad_id)
        for embedding in (self.source_embedding, self.target_embedding):  # unit scale after * sqrt(D)
            nn.init.normal_(embedding.weight, std=width**-0.5)
            embedding.weight.data[pad_id] = 0.0
        block = nn.TransformerEncoderLayer(width, config.heads, config.feedforward, config.dropout,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, config.encoder_layers, norm=nn.LayerNorm(width),
                                             enable_nested_tensor=False)
        self.decoder = nn.ModuleList(
            DecoderLayer(width, config.heads, config.feedforward, config.dropout) for _ in range(config.decoder_layers)
        )
        self.final_norm = nn.LayerNorm(width)
        self.output = nn.Linear(width, n_target)
        self.dropout = nn.Dropout(config.dropout)

    def _embed(self, embedding: nn.Embedding, ids: torch.Tensor, offset: int = 0) -> torch.Tensor:
        """Scaled embeddings plus positions for ids (B, T) starting at position ``offset``: (B, T, D)."""
        positions = sinusoidal_positions(ids.shape[1], embedding.embedding_dim, offset).to(ids.device)
        return self.dropout(embedding(ids) * self.scale + positions)

    def start_decoding(self, source: torch.Tensor, source_padding: torch.Tensor) -> dict:
        """Encode source ids (B, S): per-layer memory keys/values, the allowed mask (B, 1, 1, S), empty caches."""
        memory = self.encoder(self._embed(self.source_embedding, source), src_key_padding_mask=source_padding)
        return {"memory": [layer.memory_attention.keys_values(memory) for layer in self.decoder],
                "allowed": ~source_padding[:, None, None, :], "cache": [KeyValueCache() for _ in self.decoder],
                "position": 0}

    def _decode(self, state: dict, target_in: torch.Tensor, cached: bool) -> torch.Tensor:
        """Logits (B, T, V) for ids (B, T) following ``state["position"]`` earlier ones (extending the caches)."""
        x = self._embed(self.target_embedding, target_in, state["position"])
        for layer, memory, cache in zip(self.decoder, state["memory"], state["cache"], strict=True):
            x = layer(x, memory, state["allowed"], cache if cached else None)
        return self.output(self.final_norm(x))

    def forward(self, source: torch.Tensor, source_padding: torch.Tensor, target_in: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits (B, T, V) for source ids (B, S) and ``<bos>`` + target ids (B, T)."""
        return self._decode(self.start_decoding(source, source_padding), target_in, cached=False)

    def decode_step(self, state: dict, tokens: torch.Tensor) -> tuple[torch.Tensor, dict]:
        """Logits (B, V) of the token after ``tokens`` (B,), and the state one position on (caches extended)."""
        logits = self._decode(state, tokens[:, None], cached=True)
        return logits[:, 0], {**state, "position": state["position"] + 1}

    def select_rows(self, state: dict, rows: torch.Tensor) -> dict:
        """The decoding state of batch rows ``rows`` (B',): memory, mask and caches indexed on the batch axis."""
        return {"memory": [(keys[rows], values[rows]) for keys, values in state["memory"]],
                "allowed": state["allowed"][rows], "cache": [cache.select_rows(rows) for cache in state["cache"]],
                "position": state["position"]}


@register_model("transformer")
class TransformerSeq2Seq(TorchSeq2Seq):
    """Transformer encoder-decoder; hyperparameters: :class:`TransformerConfig`."""

    Config = TransformerConfig

    def build_network(self, n_source: int, n_target: int) -> nn.Module:
        """A fresh :class:`TransformerNetwork`."""
        return TransformerNetwork(n_source, n_target, self.settings)  # type: ignore[arg-type]

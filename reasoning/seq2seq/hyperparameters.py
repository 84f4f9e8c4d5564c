"""Hyperparameters shared by the neural models, and checked construction of a config from user values."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

Config = TypeVar("Config")


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation and decoding settings of a neural seq2seq model.

    Attributes:
        batch_size: training examples per optimiser step.
        learning_rate: Adam step size after warm-up.
        warmup_steps: linear learning-rate warm-up from 0 (0: none).
        clip_norm: gradient-norm clipping threshold.
        dropout: dropout probability inside the network.
        check_every: optimiser steps between validation checks (there is also one at each epoch end).
        predict_batch_size: sources decoded together.
        decode_factor, decode_margin, max_decode_length: greedy decoding emits at most
            ``min(max_decode_length, max(ceil(decode_factor * L), L + decode_margin))`` tokens,
            L the longest training target.
    """

    batch_size: int = 64
    learning_rate: float = 1e-3
    warmup_steps: int = 0
    clip_norm: float = 1.0
    dropout: float = 0.1
    check_every: int = 400
    predict_batch_size: int = 256
    decode_factor: float = 2.0
    decode_margin: int = 32
    max_decode_length: int = 512

    def decode_length(self, longest_target: int) -> int:
        """The most tokens greedy decoding emits (``<eos>`` included) when the longest training target is given."""
        by_rule = max(math.ceil(self.decode_factor * longest_target), longest_target + self.decode_margin)
        return min(self.max_decode_length, by_rule) + 1


def build_config(cls: type[Config], values: Mapping[str, Any]) -> Config:
    """An instance of the dataclass ``cls`` from user-given ``values`` (missing fields keep defaults).

    Ints are accepted for float fields; every other value must have its field's default type.

    Raises:
        ValueError: an unknown key (the message lists the known ones) or a value of the wrong type.
    """
    fields = {field.name: field for field in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown {cls.__name__} settings {unknown}; known: {', '.join(fields)}")
    checked: dict[str, Any] = {}
    for key, value in values.items():
        wanted = type(fields[key].default)
        if wanted is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not wanted:
            raise ValueError(f"{cls.__name__} setting {key}={value!r}: expected {wanted.__name__}")
        checked[key] = value
    return cls(**checked)

"""NSR perception: a distribution over abstract symbols for every input segment.

In the Neural-Symbolic Recursive Machine, perception grounds each segment of the input (a token
of SCAN, a handwritten symbol of HINT) in one of ``n_symbols`` abstract symbols. The symbols are
not the input tokens: which symbol a segment means is learned from the symbol labels that
abduction assigns (:mod:`reasoning.nsr.abduction`), so symbol ids are arbitrary and the mapping is
trained, not given.

* :class:`TokenPerception` for symbol input: a table of logits, one row per token id.
* :class:`ImagePerception` for image input: a small CNN over (S, S) grayscale images.

Both share :class:`Perception`'s ``log_probs`` / ``predict`` API, and :func:`fit_perception` trains
either on (segment, abduced symbol) pairs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional

Inputs = torch.Tensor | np.ndarray


class Perception(nn.Module, ABC):
    """Maps n input segments to log-probabilities over ``n_symbols`` symbols.

    Subclasses say how to check and convert their inputs (:meth:`as_inputs`) and how to score
    them (:meth:`forward`: logits).

    Args:
        n_symbols: the number of abstract symbols (at least 1).
    """

    def __init__(self, n_symbols: int) -> None:
        super().__init__()
        if n_symbols < 1:
            raise ValueError(f"perception needs at least one symbol, got n_symbols={n_symbols}")
        self.n_symbols = n_symbols

    @property
    def device(self) -> torch.device:
        """The device of the model's parameters (inputs are moved there)."""
        return next(self.parameters()).device

    @abstractmethod
    def as_inputs(self, inputs: Inputs) -> torch.Tensor:
        """``inputs`` (n segments) checked and converted to the tensor :meth:`forward` takes, on the model's device.

        Raises:
            ValueError: inputs of the wrong shape, type or range (the message says what is expected).
        """

    @abstractmethod
    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Symbol logits (n, n_symbols) of converted inputs (see :meth:`as_inputs`)."""

    def log_probs(self, inputs: Inputs) -> torch.Tensor:
        """Log-probabilities (n, n_symbols) of every segment's symbol, with gradients.

        ``log_probs(x).exp()`` rows sum to 1; ``.detach().cpu().numpy()`` gives the
        ``symbol_log_probs`` that :func:`reasoning.nsr.abduction.abduce` takes.
        """
        return self(self.as_inputs(inputs)).log_softmax(dim=-1)

    @torch.no_grad()
    def predict(self, inputs: Inputs) -> torch.Tensor:
        """The most likely symbol of every segment, LongTensor (n,)."""
        return self(self.as_inputs(inputs)).argmax(dim=-1)


class TokenPerception(Perception):
    """Symbol input: token id -> symbol, a learned (n_tokens, n_symbols) table of logits.

    The table starts at zero (every symbol equally likely) so the mapping comes from the labels alone.

    Args:
        n_tokens: the number of input token ids; inputs are ints in [0, n_tokens).
        n_symbols: the number of abstract symbols.
    """

    def __init__(self, n_tokens: int, n_symbols: int) -> None:
        super().__init__(n_symbols)
        if n_tokens < 1:
            raise ValueError(f"TokenPerception needs at least one token id, got n_tokens={n_tokens}")
        self.n_tokens = n_tokens
        self.logits = nn.Embedding(n_tokens, n_symbols)
        nn.init.zeros_(self.logits.weight)

    def as_inputs(self, inputs: Inputs) -> torch.Tensor:
        """Token ids (n,) as a LongTensor; ValueError unless 1-D integers in [0, n_tokens)."""
        return _ids(inputs, self.n_tokens, "token ids", self.device, fix="raise n_tokens or re-index the vocabulary")

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Logits (n, n_symbols) of token ids (n,)."""
        return self.logits(inputs)


class ImagePerception(Perception):
    """Image input: a small CNN from grayscale (S, S) images to symbol logits.

    Two 3x3 convolutions (each followed by ReLU and 2x2 max-pooling) and an MLP with one hidden layer.

    Args:
        n_symbols: the number of abstract symbols.
        image_size: S, the side of the input images (at least 4).
        channels: the output channels of the two convolutions.
        hidden: the width of the MLP's hidden layer.
    """

    def __init__(self, n_symbols: int, image_size: int = 16, channels: tuple[int, int] = (16, 32),
                 hidden: int = 64) -> None:
        super().__init__(n_symbols)
        if image_size < 4:
            raise ValueError(f"ImagePerception pools twice by 2, so image_size must be at least 4, got {image_size}")
        self.image_size = image_size
        pooled = image_size // 4
        self.features = nn.Sequential(
            nn.Conv2d(1, channels[0], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(channels[0], channels[1], 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(channels[1] * pooled * pooled, hidden), nn.ReLU(), nn.Linear(hidden, n_symbols),
        )

    def as_inputs(self, inputs: Inputs) -> torch.Tensor:
        """Images (n, S, S) as a float32 tensor; ValueError for another shape."""
        images = torch.as_tensor(inputs, dtype=torch.float32, device=self.device)
        if images.ndim != 3 or images.shape[1:] != (self.image_size, self.image_size):
            raise ValueError(f"images must have shape (n, {self.image_size}, {self.image_size}), got "
                             f"{tuple(images.shape)}; render at image_size={self.image_size} or rebuild the model")
        return images

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Logits (n, n_symbols) of images (n, S, S)."""
        return self.classifier(self.features(inputs[:, None]))


def _ids(values: Inputs | Sequence[int], bound: int, what: str, device: torch.device, length: int | None = None,
         fix: str = "") -> torch.Tensor:
    """``values`` as a LongTensor (n,) of ids in [0, bound) (``length`` of them when given).

    Raises:
        ValueError: not 1-D integers, the wrong count, or an id out of range (``what`` names the ids,
            ``fix`` says what to do).
    """
    ids = torch.as_tensor(values, device=device)
    if ids.ndim != 1 or ids.dtype.is_floating_point or ids.dtype == torch.bool or length not in (None, len(ids)):
        count = "" if length is None else f"{length} "
        raise ValueError(f"{what} must be {count}integers in a 1-D tensor, got dtype {ids.dtype} "
                         f"shape {tuple(ids.shape)}")
    if len(ids) and not (int(ids.min()) >= 0 and int(ids.max()) < bound):
        raise ValueError(f"{what} must lie in [0, {bound}), got values in [{int(ids.min())}, {int(ids.max())}]"
                         + (f"; {fix}" if fix else ""))
    return ids.long()


def fit_perception(model: Perception, inputs: Inputs, labels: torch.Tensor | np.ndarray | Sequence[int],
                   steps: int = 500, lr: float = 1e-2, batch_size: int = 64, seed: int = 0) -> float:
    """Train perception on (segment, abduced symbol) pairs with Adam and cross-entropy.

    Every step draws a minibatch uniformly with replacement, from a generator seeded with ``seed``
    (the model's initial weights come from whoever built it).

    Args:
        model: the perception to train, in place.
        inputs: N segments in the model's input format (token ids (N,) or images (N, S, S)).
        labels: the symbol of every segment, (N,) ints in [0, n_symbols).
        steps: optimiser steps.
        lr: Adam's learning rate.
        batch_size: segments per step.
        seed: seeds the minibatch draws.

    Returns:
        The final loss: the mean cross-entropy over all N pairs after training.

    Raises:
        ValueError: no inputs, mismatched or out-of-range labels, or a non-positive steps, lr or batch_size.
    """
    for name, value in (("steps", steps), ("lr", lr), ("batch_size", batch_size)):
        if not value > 0:
            raise ValueError(f"fit_perception needs {name} > 0, got {value}")
    inputs = model.as_inputs(inputs)
    if len(inputs) == 0:
        raise ValueError("fit_perception needs at least one (segment, symbol) pair, got none")
    labels = _ids(labels, model.n_symbols, "labels (symbol ids)", inputs.device, length=len(inputs),
                  fix="label with the model's symbols or raise n_symbols")
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    was_training = model.training
    model.train()
    for _ in range(steps):
        batch = torch.randint(len(inputs), (batch_size,), generator=generator).to(inputs.device)
        loss = functional.cross_entropy(model(inputs[batch]), labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.train(was_training)
    with torch.no_grad():
        # chunks bound the memory of one forward pass over a large training set
        total = sum(functional.cross_entropy(model(part), target, reduction="sum").item()
                    for part, target in zip(inputs.split(4096), labels.split(4096), strict=True))
    return total / len(inputs)

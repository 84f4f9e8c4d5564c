"""The common interface of sequence-to-sequence models: fit, predict, save, load.

Any class implementing :class:`Seq2SeqModel` and registered with
:func:`~reasoning.seq2seq.registry.register_model` can be trained, evaluated and benchmarked by
``slotmind reason train|eval|bench`` without changes to those commands.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from reasoning.tasks.example import Example


@dataclass(frozen=True)
class TrainBudget:
    """When training stops: whichever limit is reached first.

    Attributes:
        minutes: wall-clock training time, validation checks included (the final check runs after it).
        max_epochs: passes over the training examples.
        patience: validation checks without improvement before early stopping.
    """

    minutes: float = 2.0
    max_epochs: int = 100
    patience: int = 5

    def __post_init__(self) -> None:
        if self.minutes <= 0 or self.max_epochs < 1 or self.patience < 1:
            raise ValueError(f"a training budget needs minutes > 0, max_epochs >= 1 and patience >= 1, got {self}")


@dataclass(frozen=True)
class FitProgress:
    """A snapshot reported to the progress callback during :meth:`Seq2SeqModel.fit`.

    Attributes:
        epoch: the current epoch (1-based; fractional progress is in ``elapsed_s``).
        step: optimiser steps so far.
        elapsed_s: training seconds so far.
        loss: mean training loss per target token since the last report.
        valid_accuracy: exact-match accuracy of the last validation check (``None`` before the first).
        best_valid_accuracy: the best validation accuracy so far (``None`` before the first check).
    """

    epoch: int
    step: int
    elapsed_s: float
    loss: float
    valid_accuracy: float | None = None
    best_valid_accuracy: float | None = None


ProgressCallback = Callable[[FitProgress], None]


@dataclass
class FitReport:
    """What :meth:`Seq2SeqModel.fit` did.

    Attributes:
        epochs: completed passes over the training data (the last one may be partial).
        steps: optimiser steps.
        train_seconds: wall-clock seconds spent in ``fit``.
        best_valid_accuracy: exact-match validation accuracy of the returned weights.
        stop_reason: ``"early-stopping"``, ``"time-budget"``, ``"max-epochs"`` or ``"perfect-validation"``.
        history: one record per validation check (step, epoch, elapsed_s, loss, valid_accuracy).
    """

    epochs: int
    steps: int
    train_seconds: float
    best_valid_accuracy: float
    stop_reason: str
    history: list[dict[str, float]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict of every field."""
        return asdict(self)


class Seq2SeqModel(abc.ABC):
    """A model mapping source token tuples to target token tuples.

    Subclasses are constructed from keyword hyperparameters (``Model(**config)``) and expose them
    back as :attr:`config` (JSON/YAML-ready), so a run can be recreated from its config file.
    """

    name: ClassVar[str] = ""  # set by register_model
    reads_images: ClassVar[bool] = False  # whether the model reads Example.images (HINT's image split)

    @property
    @abc.abstractmethod
    def config(self) -> dict[str, Any]:
        """The hyperparameters this model was built with (plain JSON types)."""

    @abc.abstractmethod
    def fit(self, train: Sequence[Example], valid: Sequence[Example], budget: TrainBudget, seed: int = 0,
            progress: ProgressCallback | None = None) -> FitReport:
        """Train on ``train``, early-stopping on exact-match accuracy over ``valid``.

        Args:
            train: N training examples (source -> target).
            valid: held-out examples for early stopping (drawn from the training data, never test).
            budget: time, epoch and patience limits.
            seed: seed of initialisation and batch order.
            progress: called now and then with a :class:`FitProgress`.

        Returns:
            A :class:`FitReport`; the model keeps the weights of its best validation check.
        """

    @abc.abstractmethod
    def predict(self, sources: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
        """The predicted target tokens of each of N sources (list of N tuples)."""

    def predict_examples(self, examples: Sequence[Example]) -> list[tuple[str, ...]]:
        """The predicted target tokens of N examples; models that read images override it."""
        return self.predict([example.source for example in examples])

    def describe(self) -> str:
        """What the trained model learned, for people to read (NSR: each symbol's program); "" when nothing."""
        return ""

    @abc.abstractmethod
    def save(self, folder: Path) -> None:
        """Write everything :meth:`load` needs into the existing, empty ``folder``."""

    @classmethod
    @abc.abstractmethod
    def load(cls, folder: Path) -> Seq2SeqModel:
        """Read a model written by :meth:`save`; it predicts exactly as the saved one did."""

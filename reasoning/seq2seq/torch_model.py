"""The :class:`Seq2SeqModel` implementation shared by the neural networks (GRU, Transformer).

A subclass names its hyperparameter dataclass (``Config``, extending
:class:`~reasoning.seq2seq.hyperparameters.TrainingConfig`) and builds its network; vocabularies,
batching, the training loop, batched greedy prediction and saving are done here.
"""

from __future__ import annotations

import abc
import dataclasses
import json
import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from reasoning.seq2seq.batching import Batch, bucketed_batches, make_batch, pad_sequences
from reasoning.seq2seq.greedy import greedy_decode
from reasoning.seq2seq.hyperparameters import TrainingConfig, build_config
from reasoning.seq2seq.interface import FitReport, ProgressCallback, Seq2SeqModel, TrainBudget
from reasoning.seq2seq.scoring import exact_match
from reasoning.seq2seq.trainer import train_network
from reasoning.seq2seq.vocabulary import Vocabulary
from reasoning.tasks.example import Example

STATE_FILE = "network.json"
WEIGHTS_FILE = "weights.pt"


class TorchSeq2Seq(Seq2SeqModel):
    """A neural encoder-decoder trained with teacher forcing and decoded greedily."""

    Config: ClassVar[type[TrainingConfig]] = TrainingConfig

    def __init__(self, **config: Any) -> None:
        """Args: config: hyperparameters, the fields of ``Config`` (unknown keys are a ``ValueError``)."""
        self.settings = build_config(self.Config, config)
        self.source_vocab: Vocabulary | None = None
        self.target_vocab: Vocabulary | None = None
        self.network: nn.Module | None = None
        self.longest_target = 0

    @abc.abstractmethod
    def build_network(self, n_source: int, n_target: int) -> nn.Module:
        """A fresh network for source / target vocabularies of these sizes (see ``network.Seq2SeqNetwork``)."""

    @property
    def config(self) -> dict[str, Any]:
        """The hyperparameters as a plain dict."""
        return dataclasses.asdict(self.settings)

    @property
    def decode_length(self) -> int:
        """The most tokens emitted per prediction (``<eos>`` included)."""
        return self.settings.decode_length(self.longest_target)

    def fit(self, train: Sequence[Example], valid: Sequence[Example], budget: TrainBudget, seed: int = 0,
            progress: ProgressCallback | None = None) -> FitReport:
        """Build vocabularies and a fresh network, then train (see :meth:`Seq2SeqModel.fit`)."""
        if not train:
            raise ValueError("no training examples")
        torch.manual_seed(seed)
        everything = [*train, *valid]
        self.source_vocab = Vocabulary.build(example.source for example in everything)
        self.target_vocab = Vocabulary.build(example.target for example in everything)
        self.longest_target = max(len(example.target) for example in everything)
        self.network = self.build_network(len(self.source_vocab), len(self.target_vocab))
        sources = [self.source_vocab.encode(example.source) for example in train]
        targets = [self.target_vocab.encode(example.target) for example in train]
        lengths = [len(s) + len(t) for s, t in zip(sources, targets, strict=True)]
        order_rng = random.Random(seed)
        vocab = self.target_vocab

        def epoch_batches(_epoch: int) -> Iterator[Batch]:
            for indices in bucketed_batches(lengths, self.settings.batch_size, order_rng):
                yield make_batch([sources[i] for i in indices], [targets[i] for i in indices], vocab.pad_id,
                                 vocab.bos_id, vocab.eos_id)

        def validate() -> float:
            if not valid:
                return 0.0
            return exact_match(self.predict([e.source for e in valid]), [e.target for e in valid])

        return train_network(self.network, epoch_batches, validate, budget, self.settings, vocab.pad_id, progress)

    def predict(self, sources: Sequence[Sequence[str]]) -> list[tuple[str, ...]]:
        """Greedy predictions for N sources, decoded in batches of similar length (list of N tuples).

        Raises:
            RuntimeError: the model was neither fitted nor loaded.
        """
        if self.network is None or self.source_vocab is None or self.target_vocab is None:
            raise RuntimeError("fit or load the model before predicting")
        encoded = [self.source_vocab.encode(source) for source in sources]
        predictions: list[tuple[str, ...]] = [()] * len(sources)
        was_training = self.network.training
        self.network.eval()
        pad = self.source_vocab.pad_id
        for indices in bucketed_batches([len(ids) for ids in encoded], self.settings.predict_batch_size):
            source = pad_sequences([encoded[i] for i in indices], pad)
            outputs = greedy_decode(self.network, source, source == pad, self.target_vocab.bos_id,
                                    self.target_vocab.eos_id, self.target_vocab.pad_id, self.decode_length)
            for row, index in enumerate(indices):
                predictions[index] = self.target_vocab.decode(outputs[row].tolist())
        self.network.train(was_training)
        return predictions

    def save(self, folder: Path) -> None:
        """Write ``network.json`` (config, vocabularies, longest target) and ``weights.pt`` into ``folder``."""
        if self.network is None or self.source_vocab is None or self.target_vocab is None:
            raise RuntimeError("fit or load the model before saving it")
        state = {"config": self.config, "source_vocab": self.source_vocab.to_json(),
                 "target_vocab": self.target_vocab.to_json(), "longest_target": self.longest_target}
        (Path(folder) / STATE_FILE).write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
        torch.save(self.network.state_dict(), Path(folder) / WEIGHTS_FILE)

    @classmethod
    def load(cls, folder: Path) -> TorchSeq2Seq:
        """Rebuild a model written by :meth:`save`.

        Raises:
            ValueError: the files are malformed or do not fit this model class.
        """
        folder = Path(folder)
        try:
            state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
            model = cls(**state["config"])
            model.source_vocab = Vocabulary.from_json(state["source_vocab"])
            model.target_vocab = Vocabulary.from_json(state["target_vocab"])
            model.longest_target = int(state["longest_target"])
            network = model.build_network(len(model.source_vocab), len(model.target_vocab))
            network.load_state_dict(torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True))
        except (OSError, KeyError, TypeError, RuntimeError, json.JSONDecodeError) as error:
            raise ValueError(f"{folder}: cannot load a {cls.name or cls.__name__} model ({error})") from None
        network.eval()
        model.network = network
        return model

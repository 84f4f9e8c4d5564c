"""Exact-match accuracy of a model's predictions, overall and per evaluation subset."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from reasoning.seq2seq.interface import Seq2SeqModel
from reasoning.tasks.example import Example


def exact_match(predictions: Sequence[Sequence[str]], targets: Sequence[Sequence[str]]) -> float:
    """The share of the N predictions equal to their target token for token (0.0 when N = 0)."""
    if len(predictions) != len(targets):
        raise ValueError(f"{len(predictions)} predictions for {len(targets)} targets")
    hits = sum(tuple(p) == tuple(t) for p, t in zip(predictions, targets, strict=True))
    return hits / len(targets) if targets else 0.0


@dataclass(frozen=True)
class Score:
    """Exact-match accuracy over N examples, and per subset when the examples carry one.

    Attributes:
        accuracy: share of exact matches, in [0, 1].
        n: number of examples.
        subsets: subset name -> (accuracy, n), in first-appearance order (HINT: I, SS, LS, SL, LL).
    """

    accuracy: float
    n: int
    subsets: dict[str, tuple[float, int]] = field(default_factory=dict)

    def to_json(self) -> dict:
        """``{"accuracy", "n", "subsets": {name: {"accuracy", "n"}}}``."""
        return {"accuracy": self.accuracy, "n": self.n,
                "subsets": {name: {"accuracy": acc, "n": n} for name, (acc, n) in self.subsets.items()}}


def score_predictions(examples: Sequence[Example], predictions: Sequence[Sequence[str]]) -> Score:
    """Score N predictions against the targets of N examples."""
    targets = [example.target for example in examples]
    subsets: dict[str, tuple[float, int]] = {}
    for name in dict.fromkeys(e.subset for e in examples if e.subset is not None):
        chosen = [i for i, example in enumerate(examples) if example.subset == name]
        subsets[name] = (exact_match([predictions[i] for i in chosen], [targets[i] for i in chosen]), len(chosen))
    return Score(exact_match(predictions, targets), len(examples), subsets)


def score_model(model: Seq2SeqModel, examples: Sequence[Example]) -> Score:
    """Predict N examples with ``model`` (their sources, or images for a model that reads them) and score them."""
    return score_predictions(examples, model.predict_examples(examples))

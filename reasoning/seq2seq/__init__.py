"""Sequence-to-sequence baselines behind one interface: fit / predict / save / load.

>>> from reasoning.seq2seq import TrainBudget, create_model, hold_out
>>> model = create_model("gru", hidden=128)             # or "transformer"; see available_models()
>>> train, valid = hold_out(examples, fraction=0.05, seed=0)
>>> report = model.fit(train, valid, TrainBudget(minutes=1))
>>> model.predict([("jump", "twice")])
[('I_JUMP', 'I_JUMP')]
"""

from __future__ import annotations

from reasoning.seq2seq.holdout import hold_out
from reasoning.seq2seq.interface import FitProgress, FitReport, Seq2SeqModel, TrainBudget
from reasoning.seq2seq.registry import available_models, create_model, load_model, register_model, save_model
from reasoning.seq2seq.scoring import Score, exact_match, score_model
from reasoning.seq2seq.vocabulary import Vocabulary

__all__ = [
    "FitProgress",
    "FitReport",
    "Score",
    "Seq2SeqModel",
    "TrainBudget",
    "Vocabulary",
    "available_models",
    "create_model",
    "exact_match",
    "hold_out",
    "load_model",
    "register_model",
    "save_model",
    "score_model",
]

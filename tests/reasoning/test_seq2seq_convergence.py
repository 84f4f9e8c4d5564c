"""Long convergence check (``pytest -m slow``): the GRU baseline learns SCAN's simple split."""

from __future__ import annotations

import pytest
import torch

from reasoning.seq2seq import TrainBudget, create_model, hold_out, score_model
from reasoning.tasks import load_split


@pytest.mark.slow
def test_gru_learns_scan_simple_in_minutes() -> None:
    """About 2.5 minutes on one thread; the literature's GRU/LSTM + attention reaches ~99% with longer training."""
    torch.set_num_threads(1)
    data = load_split("scan", "simple")
    train, valid = hold_out(data["train"], fraction=0.05, seed=0)
    model = create_model("gru")
    report = model.fit(train, valid, TrainBudget(minutes=2.5, patience=10), seed=0)
    test = score_model(model, data["test"])
    assert report.best_valid_accuracy >= 0.75
    assert test.accuracy >= 0.75, f"test exact match {test.accuracy:.3f} after {report.steps} steps"

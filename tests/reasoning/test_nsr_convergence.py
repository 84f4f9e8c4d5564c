"""Slow: NSR learns SCAN's grammar and generalises systematically (run with -m slow; ~2-4 min each)."""

from __future__ import annotations

import pytest
import torch

from reasoning.seq2seq.interface import TrainBudget
from reasoning.seq2seq.registry import create_model
from reasoning.seq2seq.scoring import exact_match
from reasoning.tasks import load_split


@pytest.mark.slow
@pytest.mark.parametrize("split", ["add-jump", "around-right"])
def test_nsr_solves_a_scan_generalisation_split(split: str) -> None:
    torch.set_num_threads(1)
    data = load_split("scan", split)
    train = data["train"]
    model = create_model("nsr")
    report = model.fit(train, train[::20], TrainBudget(minutes=8, patience=5), seed=0)
    assert report.stop_reason == "perfect-validation"
    test = data["test"]
    assert exact_match(model.predict([e.source for e in test]), [e.target for e in test]) == 1.0

"""Slow: NSR learns SCAN, HINT arithmetic and PCFG SET functions and generalises (-m slow; 2-11 min each)."""

from __future__ import annotations

import pytest
import torch

from reasoning.seq2seq.interface import TrainBudget
from reasoning.seq2seq.registry import create_model
from reasoning.seq2seq.scoring import exact_match
from reasoning.tasks import load_split
from reasoning.tasks.hint import HINT_SUBSETS, generate_hint


@pytest.mark.slow
@pytest.mark.parametrize("split", ["add-jump", "around-right", "right"])
def test_nsr_solves_a_scan_generalisation_split(split: str) -> None:
    torch.set_num_threads(1)
    data = load_split("scan", split)
    train = data["train"]
    model = create_model("nsr")
    report = model.fit(train, train[::20], TrainBudget(minutes=8, patience=5), seed=0)
    assert report.stop_reason == "perfect-validation"
    test = data["test"]
    assert exact_match(model.predict([e.source for e in test]), [e.target for e in test]) == 1.0


@pytest.mark.slow
def test_nsr_learns_hint_arithmetic_and_extrapolates_to_long_expressions_and_large_values() -> None:
    torch.set_num_threads(1)
    data = generate_hint(train_per_op=300, test_per_op=30, seed=0)
    model = create_model("nsr")
    model.fit(data["train"], data["train"][::20], TrainBudget(minutes=8, patience=5), seed=0)
    test = data["test"]
    predictions = model.predict([e.source for e in test])
    for subset in HINT_SUBSETS:
        rows = [i for i, e in enumerate(test) if e.subset == subset]
        accuracy = exact_match([predictions[i] for i in rows], [test[i].target for i in rows])
        assert accuracy >= 0.9, f"subset {subset}: {accuracy:.3f}"


@pytest.mark.slow
def test_nsr_learns_pcfg_functions_and_recombines_them() -> None:
    torch.set_num_threads(1)
    data = load_split("pcfg", "systematicity")
    train = data["train"]
    model = create_model("nsr")
    model.fit(train, train[::20], TrainBudget(minutes=10, patience=5), seed=0)
    test = data["test"][::10]  # 1,000 of the official test programs
    assert exact_match(model.predict([e.source for e in test]), [e.target for e in test]) >= 0.95

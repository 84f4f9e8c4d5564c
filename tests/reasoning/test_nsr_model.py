from __future__ import annotations

from pathlib import Path

import pytest
import torch

from reasoning.seq2seq.interface import TrainBudget
from reasoning.seq2seq.registry import create_model, load_model, save_model
from reasoning.tasks.example import Example
from reasoning.tasks.scan import generate_scan


@pytest.fixture(scope="module")
def short_scan() -> list[Example]:
    return [example for example in generate_scan() if len(example.source) <= 2]


def test_nsr_learns_short_scan_and_generalises_to_an_unseen_combination(short_scan: list[Example],
                                                                        tmp_path: Path) -> None:
    torch.set_num_threads(1)
    held_out = [e for e in short_scan if e.source == ("jump", "twice")]
    train = [e for e in short_scan if e.source != ("jump", "twice")]
    model = create_model("nsr", validate_every=2)
    report = model.fit(train, train, TrainBudget(minutes=0.5, patience=3), seed=0)
    assert report.best_valid_accuracy == 1.0
    assert model.predict([e.source for e in held_out]) == [e.target for e in held_out]
    assert "concat(x, x)" in model.describe()
    saved = save_model(model, tmp_path / "nsr")
    assert (saved / "programs.txt").read_text().strip()
    again = load_model(saved)
    assert again.learner.analogy_lenders == model.learner.analogy_lenders
    assert again.learner.analogies.keys() == model.learner.analogies.keys()
    sources = [e.source for e in short_scan]
    assert again.predict(sources) == model.predict(sources)


def test_nsr_answers_unseen_tokens_with_an_empty_output(short_scan: list[Example]) -> None:
    model = create_model("nsr", stage_rounds=2)
    model.fit(short_scan[:8], short_scan[:8], TrainBudget(minutes=0.05), seed=0)
    assert model.predict([("teleport", "twice"), ()]) == [(), ()]


def test_nsr_rejects_unknown_hyperparameters() -> None:
    with pytest.raises(ValueError, match="unknown nsr hyperparameters"):
        create_model("nsr", temperature=3)

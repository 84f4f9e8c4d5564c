"""Training improves over the untrained model, on held-out data; the CLI writes a complete run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from envs.command_line import main
from reasoning.pointer.config import TrainConfig
from reasoning.pointer.scoring import decode, make_references, score
from reasoning.pointer.training import data_rng, load_checkpoint, train


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


def _test_score(config: TrainConfig, model: torch.nn.Module) -> dict[str, float]:
    task = config.pointer_task
    inputs = task.sample(data_rng(config.seed, 2), 256, config.n)
    predicted = decode(model, task, config.rule(), inputs, "greedy")
    return score(task, inputs, predicted, make_references(task, inputs))


def test_supervised_ptrnet_learns_to_sort_better_than_untrained() -> None:
    config = TrainConfig(task="sort", n=5, minutes=0, max_steps=150, hidden=32, batch_size=64, lr=3e-3,
                         valid_size=64, eval_seconds=1e9)
    torch.manual_seed(config.seed)
    before = _test_score(config, config.build_model())["exact"]
    after = _test_score(config, train(config).model)["exact"]
    assert after > before + 0.3, (before, after)


def test_reinforce_attention_shortens_tsp_tours() -> None:
    config = TrainConfig(task="tsp", n=8, model="attention", minutes=0, max_steps=40, hidden=32, layers=1,
                         batch_size=64, lr=1e-3, valid_size=64, eval_seconds=1e9)
    torch.manual_seed(config.seed)
    before = _test_score(config, config.build_model())
    result = train(config)
    after = _test_score(config, result.model)
    assert after["length"] < before["length"] - 0.2, (before, after)
    assert result.steps == 40 and result.instances == 40 * 64


def test_validation_history_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    import reasoning.pointer.training as training

    monkeypatch.setattr(training, "HISTORY_LIMIT", 3)
    config = TrainConfig(task="sort", n=4, minutes=0, max_steps=8, hidden=16, batch_size=8, valid_size=8,
                         eval_seconds=0.0)
    result = train(config)
    assert result.steps == 8 and len(result.history) == 3 and result.history[-1]["step"] == 8


def test_training_rejects_impossible_configs() -> None:
    with pytest.raises(ValueError, match="tsp only"):
        TrainConfig(task="hull", model="attention", reinforce=True).check()
    assert not TrainConfig(task="hull", model="attention").uses_reinforce
    with pytest.raises(ValueError, match="n >= 3"):
        TrainConfig(task="tsp", n=2).check()
    with pytest.raises(ValueError, match="n <= 20"):
        TrainConfig(task="tsp", n=30, model="ptrnet").check()


def test_train_command_writes_a_complete_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    code = main(["reason", "train", "pointer", "--task", "hull", "--n", "6", "--max-steps", "3", "--minutes", "0",
                 "--hidden", "16", "--valid-size", "8", "--eval-size", "8", "--decodings", "greedy,beam", "-k", "2",
                 "--run-dir", str(run)])
    out = capsys.readouterr().out
    assert code == 0 and out.strip().splitlines()[-1] == str(run)
    for name in ("model.pt", "history.csv", "metrics.json", "bench.json", "bench.csv", "examples.png"):
        assert (run / name).stat().st_size > 0, name
    rows = json.loads((run / "bench.json").read_text())["rows"]
    assert [row["decoding"] for row in rows] == ["greedy", "beam 2"] and rows[0]["steps"] == 3
    model, config, _ = load_checkpoint(run / "model.pt")
    assert config.task == "hull" and config.n == 6
    inputs = config.pointer_task.sample(np.random.default_rng(0), 4, 6)
    assert decode(model, config.pointer_task, config.rule(), inputs, "greedy").shape == (4, 7)


@pytest.mark.parametrize(("argv", "message"), [
    (["reason", "bench", "pointer", "tsp:10"], "TASK:N:MODEL:MINUTES"),
    (["reason", "bench", "pointer", "tsp:10:ptrnet:1:depth=3"], "keys hidden, layers"),
    (["reason", "train", "pointer", "--task", "sort", "--n", "1"], "n >= 2"),
    (["reason", "train", "pointer", "--decodings", "greedy,top"], "unknown top"),
])
def test_bad_requests_are_one_line_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    assert main([*argv, "--run-dir", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err


def test_bench_cell_overrides() -> None:
    from reasoning.pointer.bench import CellSpec

    cell = CellSpec.parse("tsp:20:attention:15:hidden=64,lr=2e-4")
    assert (cell.task, cell.n, cell.model, cell.minutes) == ("tsp", 20, "attention", 15.0)
    assert dict(cell.overrides) == {"hidden": 64, "lr": 2e-4}


@pytest.mark.slow
def test_ptrnet_sorts_ten_numbers_after_a_few_minutes() -> None:
    config = TrainConfig(task="sort", n=10, minutes=3)
    assert _test_score(config, train(config).model)["exact"] >= 0.95

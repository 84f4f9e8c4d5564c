"""`slotmind reason train|bench nps`: run folders, printed tables, one-line user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from envs.command_line import main

DATA = ["--train-sequences", "50", "--test-sequences", "20", "--length", "5", "--hidden", "16",
        "--train-episodes", "20", "--episode-steps", "5", "--test-episodes", "5", "--rollout", "3",
        "--test-objects", "3,5", "--batch-size", "32"]
TINY = ["--steps", "20", *DATA]


@pytest.fixture(autouse=True)
def runs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTMIND_RUNS", str(tmp_path / "runs"))
    torch.set_num_threads(1)


@pytest.mark.parametrize(("task", "model"), [("arithmetic", "nps-seq"), ("ruleworld", "nps-par"), ("ruleworld", "gnn")])
def test_train_writes_a_run_folder(task: str, model: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["reason", "train", "nps", "--task", task, "--model", model, *TINY, "--run-dir", str(run_dir)]) == 0
    printed = capsys.readouterr().out
    assert printed.strip().splitlines()[-1] == str(run_dir)
    for name in ("config.json", "model.pt", "metrics.json", "metrics.csv", "history.csv"):
        assert (run_dir / name).stat().st_size > 0, name
    metrics = json.loads((run_dir / "metrics.json").read_text())["metrics"]
    rules = {"ami_n3", "ami_n5"} if model != "gnn" else set()
    expected = {"mse", "rollout_mse", "rollout_mse_sum", "segregation"} if task == "arithmetic" else {
        "mse_1step_n3", "mse_3step_n3", "mse_1step_n5", "mse_3step_n5", *rules}
    assert set(metrics) == expected and all(value == value for value in metrics.values())
    assert "mse" in printed
    saved = torch.load(run_dir / "model.pt", weights_only=False)
    assert saved["config"]["model"] == model


def test_bench_prints_one_table_and_writes_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "bench"
    assert main(["reason", "bench", "nps", *DATA, "--seeds", "2", "--arithmetic-steps", "20", "--ruleworld-steps",
                 "20", "--ruleworld-models", "nps-seq,gnn", "--engine-worlds", "4", "--engine-objects", "3",
                 "--run-dir", str(run_dir)]) == 0
    printed = capsys.readouterr().out
    for text in ("NPS sequential", "GNN", "MLP", "segregation", "eval_mse", "1-step MSE", "3-step MSE",
                 "rule AMI", "speed vs pure Python", "n=5"):
        assert text in printed, text
    assert printed.strip().splitlines()[-1] == str(run_dir)
    payload = json.loads((run_dir / "bench.json").read_text())
    assert payload["finished"] and payload["engine"]["agree"] and payload["engine"]["ratio"] > 1
    assert [(row["task"], row["model"], row["seed"]) for row in payload["rows"]] == [
        ("arithmetic", "nps-seq", 0), ("arithmetic", "nps-seq", 1), ("arithmetic", "mlp", 0),
        ("ruleworld", "nps-seq", 0), ("ruleworld", "gnn", 0)]
    assert (run_dir / "bench.csv").read_text().count("\n") == 6
    assert (run_dir / "ruleworld-gnn-s0" / "model.pt").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["reason", "train", "nps", "--task", "arithmetic", "--model", "gnn"], "does not apply"),
    (["reason", "train", "nps", "--steps", "-1"], "steps=-1"),
    (["reason", "train", "nps", "--task", "ruleworld", "--test-objects", "3,12"], "object counts"),
    (["reason", "bench", "nps", "--ruleworld-models", "nps,gnn"], "unknown nps"),
])
def test_user_errors_are_one_line(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_help_explains_every_flag(capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("train", "bench"):
        with pytest.raises(SystemExit):
            main(["reason", action, "nps", "--help"])
        text = capsys.readouterr().out
        assert "--radius" in text and "--threads" in text and "(default:" in text

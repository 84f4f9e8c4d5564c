"""`slotmind reason train|bench language`: flags, run folders, printed tables, one-line user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from envs.command_line import main
from reasoning.language.run_folder import load_game
from reasoning.language.training import accuracy, evaluation_batches, make_data

TINY_FLAGS = ["--attributes", "2", "--values", "4", "--distractors", "2", "--held-out", "0.125", "--vocab", "6",
              "--hidden", "16", "--embed", "8", "--steps", "30", "--eval-every", "10", "--anchors", "6"]


@pytest.fixture(autouse=True)
def runs_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTMIND_RUNS", str(tmp_path / "runs"))
    torch.set_num_threads(1)


def test_train_writes_a_run_folder_that_reloads(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["reason", "train", "language", *TINY_FLAGS, "--method", "reinforce", "--run-dir", str(run_dir)]) == 0
    printed = capsys.readouterr().out
    assert "held-out accuracy" in printed and printed.strip().splitlines()[-1] == str(run_dir)
    for name in ("config.yaml", "game.pt", "metrics.json", "history.csv", "messages.csv", "topsim.png"):
        assert (run_dir / name).stat().st_size > 0, name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert [row["step"] for row in metrics["history"]] == [10, 20, 30]
    messages = (run_dir / "messages.csv").read_text().splitlines()
    assert messages[0] == "a0,a1,split,message,length" and len(messages) == 1 + 16
    assert sum(line.split(",")[2] == "held_out" for line in messages[1:]) == 2
    game, config = load_game(run_dir)
    assert config.method == "reinforce"
    batch = evaluation_batches(config, make_data(config))["train"]
    assert accuracy(game, batch) == pytest.approx(metrics["metrics"]["accuracy"])


def test_bench_prints_both_methods_and_the_stitching_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "bench"
    assert main(["reason", "bench", "language", *TINY_FLAGS, "--seeds", "2", "--iterated-steps", "40",
                 "--imitation-steps", "5", "--run-dir", str(run_dir)]) == 0
    printed = capsys.readouterr().out
    assert "iterated learning: 40" in printed  # the title names the iterated-learning runs' steps
    for text in ("gumbel", "reinforce", "held-out", "topsim", "posdis", "bosdis", "entropy", "stitching",
                 "absolute", "relative"):
        assert text in printed, text
    assert printed.strip().splitlines()[-1] == str(run_dir)
    payload = json.loads((run_dir / "bench.json").read_text())
    assert payload["iterated_steps"] == 40
    assert {row["reader"]: row["generations"] for row in payload["rows"]} == {"linear": 8, "recurrent": 1, "anchors": 8}
    assert {(row["method"], row["representation"], row["reader"]) for row in payload["rows"]} == {
        ("gumbel", "absolute", "recurrent"), ("gumbel", "absolute", "linear"), ("reinforce", "absolute", "recurrent"),
        ("reinforce", "absolute", "linear"), ("gumbel", "relative", "anchors")}
    assert "reader" in printed and (run_dir / "reinforce-linear-s1" / "game.pt").exists()
    assert [row["representation"] for row in payload["stitching"]] == ["absolute", "relative"]
    assert all(len(row["matrix"]) == 2 for row in payload["stitching"])
    assert (run_dir / "bench.csv").exists() and (run_dir / "stitching.csv").exists()
    assert (run_dir / "topsim.png").exists() and (run_dir / "gumbel-linear-relative-s1" / "game.pt").exists()
    relative = json.loads((run_dir / "gumbel-linear-relative-s1" / "metrics.json").read_text())
    assert relative["history"][-1]["step"] == 40 and relative["history"][-1]["generation"] == 7


def test_user_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reason", "train", "language", "--values", "3", "--distractors", "50"]) == 2
    assert "distractors" in capsys.readouterr().err
    assert main(["reason", "bench", "language", "--methods", "ppo"]) == 2
    assert "ppo" in capsys.readouterr().err
    assert main(["reason", "bench", "language", "--seeds", "1"]) == 2
    assert "--seeds" in capsys.readouterr().err
    assert main(["reason", "bench", "language", "--iterated-steps", "0"]) == 2
    assert "--iterated-steps" in capsys.readouterr().err
    assert main(["reason", "bench", "language", "--readers", "linear,cnn"]) == 2
    assert "--readers" in capsys.readouterr().err

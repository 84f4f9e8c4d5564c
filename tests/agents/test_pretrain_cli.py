from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from agents.encoders import pretrain as pretrain_module
from agents.encoders.checkpoint import load_checkpoint
from agents.encoders.pretrain import TrainingDiverged, pretrain
from agents.encoders.pretrain_config import PretrainConfig
from envs.command_line import main

TINY = ["--train-frames", "64", "--eval-frames", "16", "--ood-frames", "8", "--tta-steps", "1", "--slots", "3",
        "--threads", "1", "--quiet"]


def test_tiny_pretrain_writes_a_complete_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["pretrain", "--model", "sa-cycle", "--steps", "4", "--cycle-start", "1", "--cycle-ramp", "2",
                 "--run-dir", str(run_dir), *TINY]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == str(run_dir) and "FG-ARI" in out
    for name in ("config.yaml", "encoder.pt", "metrics.json", "slots.png"):
        assert (run_dir / name).is_file(), name
    assert any((run_dir / "tb").iterdir())
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["steps"] == 4
    assert set(metrics["final"]) == {"eval", "ood-more-objects", "ood-unseen-colors"}
    assert {"plain", "tta", "references"} <= set(metrics["final"]["eval"])
    model, extra = load_checkpoint(run_dir)
    assert model.config.num_slots == 3 and extra["step"] == 4


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_losses = pretrain_module._losses

    def poisoned(model, frames, config, step):
        losses = real_losses(model, frames, config, step)
        if step == 2:
            losses["total"] = losses["total"] * torch.tensor(float("nan"))
        return losses

    monkeypatch.setattr(pretrain_module, "_losses", poisoned)
    config = PretrainConfig(model="sa", minutes=None, steps=10, num_slots=3, train_frames=64, eval_frames=16,
                            ood_frames=8, eval_every_s=0.0, threads=1)
    with pytest.raises(TrainingDiverged, match="step 2"):
        pretrain(config, tmp_path)
    _, extra = load_checkpoint(tmp_path)
    assert extra["step"] == 2  # the weights after the last finite step
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["diverged_at_step"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pretrain", "--env", "MiniGrid-Empty-8x8-v0", "--steps", "1"], "ObjectWorld id"),
        (["pretrain", "--minutes", "0"], "--minutes must be > 0"),
        (["pretrain", "bench", "--models", "sa,transformer"], "--models"),
    ],
)
def test_bad_input(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_tiny_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "bench"
    extra = " ".join([*TINY[:-1], "--steps", "2"])
    code = main(["pretrain", "bench", "--models", "sa,sa-sfs", "--seeds", "1", "--minutes", "1", "--jobs", "2",
                 "--extra", extra, "--run-dir", str(run_dir)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.strip().splitlines()[-1] == str(run_dir)
    result = json.loads((run_dir / "bench.json").read_text())
    assert [row["model"] for row in result["rows"]] == ["sa", "sa-sfs"]
    assert result["encode_frames_per_s"]["1_threads"] > 0 and result["encode_frames_per_s"]["2_threads"] > 0
    assert "eval_fg_ari_plain" in (run_dir / "bench.csv").read_text().splitlines()[0]
    assert {"eval_colour_accuracy", "eval_shape_accuracy", "eval_position_r2"} <= set(result["rows"][0])
    assert 0.0 <= result["random_encoder"]["eval_colour_accuracy"] <= 1.0
    assert "random encoder (floor)" in out and "3x3 grid" in out and "paired by seed" in out

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from gymnasium import spaces

from agents.extractors import FinetuneSlotExtractor
from agents.relative_set_extractor import RelativeSetExtractor
from agents.training.episode_stats import mean_interval, wilson_interval
from agents.training.train_config import TrainConfig, parse_hyperparams
from envs.command_line import main

torch.set_num_threads(1)
FAST = ["--threads", "1", "--quiet", "--n-envs", "4", "--eval-episodes", "4", "--hyperparams", "n_steps=32",
        "batch_size=64", "n_epochs=2"]


@pytest.fixture(scope="module")
def tiny_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("encoder")
    assert main(["pretrain", "--model", "sa", "--steps", "3", "--train-frames", "64", "--eval-frames", "16",
                 "--ood-frames", "8", "--tta-steps", "0", "--slots", "4", "--threads", "1", "--quiet",
                 "--run-dir", str(run_dir)]) == 0
    return run_dir


def test_train_objects_writes_a_complete_run(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", "--encoder", "objects", "-n", "512", "--eval-freq", "256", "--save-freq", "256",
                 "--run-dir", str(run_dir), *FAST]) == 0
    for name in ("config.yaml", "model.zip", "eval.json", "monitor-0.monitor.csv", "checkpoints/latest.zip"):
        assert (run_dir / name).is_file(), name
    assert any((run_dir / "tb").rglob("events.out.tfevents.*"))
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["train"]["hyperparams"] == {"n_steps": 32, "batch_size": 64, "n_epochs": 2}
    resolved = config["train"]["resolved"]
    assert resolved["n_steps"] == 32 and resolved["n_envs"] == 4 and resolved["n_timesteps"] == 512
    assert resolved["learning_rate"] == 1e-3  # from the ObjectGoal entry of the hyperparameter file
    assert "slotmind/ObjectGoal-v0" in config["train"]["hyperparams_source"]
    assert "stable_baselines3" in config["versions"]
    evaluations = json.loads((run_dir / "eval.json").read_text())
    assert evaluations["num_timesteps"] == 512
    assert evaluations["env_steps_per_s"] > 0 and evaluations["wall_s"] >= evaluations["pretrain_s"] == 0
    assert len(evaluations["history"]) >= 1 and evaluations["final"][0]["episodes"] == 4
    assert '"env_id": "slotmind/ObjectGoal-v0"' in (run_dir / "monitor-0.monitor.csv").read_text().splitlines()[0]


@pytest.mark.parametrize("encoder", ["cnn", "slots"])
def test_train_with_pixels(encoder: str, tmp_path: Path, tiny_encoder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tiny_encoder.parent)
    extra = ["--pretrained", tiny_encoder.name] if encoder == "slots" else []  # relative to the working folder
    assert main(["train", "--encoder", encoder, "-n", "256", "--eval-freq", "0", "--save-freq", "10000",
                 "--run-dir", str(tmp_path / encoder), *extra, *FAST]) == 0
    assert (tmp_path / encoder / "model.zip").is_file()
    if encoder == "slots":  # recorded absolute, so the run can be evaluated from any folder
        config = yaml.safe_load((tmp_path / encoder / "config.yaml").read_text())
        assert config["train"]["pretrained"] == str(tiny_encoder.resolve())
        monkeypatch.chdir(tmp_path)
        assert main(["eval", str(tmp_path / encoder), "--split", "train", "--episodes", "2", "--quiet"]) == 0


def test_a_failed_start_leaves_no_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    damaged = tmp_path / "damaged-encoder"
    damaged.mkdir()
    (damaged / "encoder.pt").write_bytes(b"not a checkpoint")
    for pretrained, message in ((tmp_path / "missing", "no encoder checkpoint"), (damaged, "not a readable")):
        assert main(["train", "--encoder", "slots", "--pretrained", str(pretrained),
                     "--run-dir", str(tmp_path / "run"), *FAST]) == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "run").exists()


def test_train_on_minigrid_and_with_a2c(tmp_path: Path) -> None:
    assert main(["train", "--env", "MiniGrid-Empty-5x5-v0", "--encoder", "objects", "-n", "256", "--eval-freq", "0",
                 "--run-dir", str(tmp_path / "mg"), *FAST]) == 0
    assert main(["train", "--algo", "a2c", "--encoder", "objects", "-n", "256", "--eval-freq", "0",
                 "--run-dir", str(tmp_path / "a2c"), "--threads", "1", "--quiet", "--n-envs", "4",
                 "--eval-episodes", "2"]) == 0


def test_same_seed_same_policy(tmp_path: Path) -> None:
    def run(name: str) -> dict[str, torch.Tensor]:
        from stable_baselines3 import PPO

        assert main(["train", "--encoder", "objects", "-n", "256", "--eval-freq", "0", "--seed", "3",
                     "--run-dir", str(tmp_path / name), *FAST]) == 0
        return PPO.load(tmp_path / name / "model.zip", device="cpu").policy.state_dict()

    first, second = run("a"), run("b")
    assert all(torch.equal(first[key], second[key]) for key in first)


def _episode_ends(monitor: Path) -> list[float]:
    """The env_steps column of a monitor CSV (rows cut short by a kill skipped)."""
    if not monitor.is_file():
        return []
    rows = csv.DictReader(line for line in monitor.read_text().splitlines() if not line.startswith("#"))
    return [float(row["env_steps"]) for row in rows if row.get("env_steps")]


def test_resume_after_sigkill(tmp_path: Path) -> None:
    run_dir = tmp_path / "killed"
    command = [sys.executable, "-m", "envs.command_line", "train", "--encoder", "objects", "-n", "6144",
               "--eval-freq", "512", "--save-freq", "512", "--run-dir", str(run_dir), *FAST]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    progress = run_dir / "checkpoints" / "progress.json"

    def saved() -> int:
        try:
            return json.loads(progress.read_text())["num_timesteps"]
        except (OSError, ValueError):
            return 0

    # Kill once the run has logged episodes past its last checkpoint: those the resume must forget.
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None and not (
            saved() and any(end > saved() for end in _episode_ends(run_dir / "monitor-0.monitor.csv"))):
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    checkpoint = saved()
    assert 0 < checkpoint < 6144
    history_before = json.loads((run_dir / "eval.json").read_text())["history"]  # written after each evaluation
    assert [e["num_timesteps"] for e in history_before][: checkpoint // 512] == list(range(512, checkpoint + 1, 512))
    config_before = (run_dir / "config.yaml").read_text()
    assert main(["train", "--resume", str(run_dir), "--quiet"]) == 0
    assert (run_dir / "config.yaml").read_text() == config_before
    evaluations = json.loads((run_dir / "eval.json").read_text())
    assert evaluations["num_timesteps"] == 6144
    # The history and the monitors are those of an uninterrupted run: nothing from after the checkpoint twice.
    assert [e["num_timesteps"] for e in evaluations["history"]] == list(range(512, 6145, 512))
    assert sorted(p.name for p in run_dir.glob("monitor-*.csv")) == ["monitor-0.monitor.csv", "monitor-1.monitor.csv"]
    before, after = (_episode_ends(run_dir / f"monitor-{n}.monitor.csv") for n in (0, 1))
    assert before and max(before) <= checkpoint and after and min(after) > checkpoint and max(after) <= 6144
    assert before + after == sorted(before + after)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tb" / "run_1"))
    events.Reload()
    steps = [event.step for event in events.Scalars("time/fps")]
    assert steps == sorted(set(steps)), "TensorBoard steps repeat after the resume"
    assert steps[-1] >= 6144 - 128 and steps[0] < checkpoint


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--env", "slotmind/Nope-v0"], "unknown env id"),
        (["train", "--encoder", "objects", "--finetune"], "--finetune only applies"),
        (["train", "--hyperparams", "n_steps"], "key=value"),
        (["train", "--resume", "/nonexistent/run"], "is not a training run"),
        (["eval", "/nonexistent/run"], "is not a training run"),
        (["train", "--env", "MiniGrid-Empty-5x5-v0", "--encoder", "slots"], "--pretrained"),
        (["train", "--n-envs", "0"], "argument --n-envs: 0 is not >= 1"),
        (["train", "-n", "-5"], "argument -n/--timesteps: -5 is not >= 1"),
        (["train", "--eval-episodes", "0"], "argument --eval-episodes: 0 is not >= 1"),
        (["train", "--threads", "0"], "argument --threads: 0 is not >= 1"),
        (["train", "--seed", str(2**64)], "argument --seed: 18446744073709551616 is outside 0 .. 4294967295"),
        (["eval", "/nonexistent/run", "--episodes", "0"], "argument --episodes: 0 is not >= 1"),
    ],
)
def test_bad_input(argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([*argv, "--run-dir", str(tmp_path / "x")] if argv[0] == "train" and "--resume" not in argv
                else argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_resuming_a_finished_run_only_evaluates_it_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", "--encoder", "objects", "-n", "256", "--eval-freq", "0", "--eval-episodes", "3",
                 "--run-dir", str(run_dir), *FAST]) == 0
    first = json.loads((run_dir / "eval.json").read_text())
    for _ in range(2):
        assert main(["train", "--resume", str(run_dir), "--quiet"]) == 0
    again = json.loads((run_dir / "eval.json").read_text())
    assert again["num_timesteps"] == first["num_timesteps"] and len(again["final"]) == len(first["final"]) == 1
    assert sorted(p.name for p in run_dir.glob("*.monitor.csv")) == ["monitor-0.monitor.csv"]
    capsys.readouterr()


def test_finishing_a_finished_run_again_does_not_repeat_its_ood_results(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", "--encoder", "objects", "-n", "256", "--eval-freq", "0", "--eval-episodes", "3",
                 "--eval-splits", "unseen-colors", "--run-dir", str(run_dir), *FAST]) == 0
    assert main(["train", "--resume", str(run_dir), "--quiet"]) == 0
    evaluations = json.loads((run_dir / "eval.json").read_text())
    assert len(evaluations["final"]) == 2 and [e["split"] for e in evaluations["evaluations"]] == ["unseen-colors"]


def test_a_damaged_progress_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", "--encoder", "objects", "-n", "256", "--eval-freq", "0", "--run-dir", str(run_dir),
                 *FAST]) == 0
    progress = run_dir / "checkpoints" / "progress.json"
    progress.write_text('{"num_timesteps": 2')  # cut short
    assert main(["train", "--resume", str(run_dir), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{progress} is damaged" in err and "delete it" in err and len(err.strip().splitlines()) == 1


def test_a_new_run_never_overwrites_a_folder_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "model.zip").write_text("an earlier run")
    for argv, advice in ((["train", "--encoder", "objects"], "slotmind train --resume"),
                         (["pretrain", "--steps", "1"], "choose a new folder")):
        assert main([*argv, "--run-dir", str(used)]) == 2
        err = capsys.readouterr().err
        assert "is a folder that is not empty" in err and advice in err and len(err.strip().splitlines()) == 1
    assert [p.name for p in used.iterdir()] == ["model.zip"] and (used / "model.zip").read_text() == "an earlier run"


def test_eval_appends_splits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", "--encoder", "objects", "-n", "256", "--eval-freq", "0", "--run-dir", str(run_dir),
                 *FAST]) == 0
    assert main(["eval", str(run_dir), "--split", "train", "unseen-colors", "--episodes", "6", "--quiet"]) == 0
    assert "unseen-colors" in capsys.readouterr().out
    evaluations = json.loads((run_dir / "eval.json").read_text())["evaluations"]
    assert [e["split"] for e in evaluations] == ["train", "unseen-colors"]
    assert all(e["episodes"] == 6 and 0 <= e["success_rate"] <= 1 for e in evaluations)
    assert main(["eval", str(run_dir), "--episodes", "4", "--stochastic", "--quiet"]) == 0
    assert "sampled" in capsys.readouterr().out
    latest = json.loads((run_dir / "eval.json").read_text())["evaluations"][-1]
    assert latest["policy"] == "stochastic" and evaluations[0]["policy"] == "deterministic"


def test_extractor_shapes(tiny_encoder: Path) -> None:
    objects = RelativeSetExtractor(spaces.Box(0, 1, (7, 14), np.float32), features_dim=32)
    rows = torch.rand(5, 7, 14)
    rows[:, :3, 0] = 1.0  # three present rows in every sample
    assert objects(rows).shape == (5, 32)
    rows_absent = rows.clone()
    rows_absent[:, 3:, 0] = 0.0
    rows_changed = rows_absent.clone()
    rows_changed[:, 3:, 2:] = torch.rand(5, 4, 12)  # absent rows must not matter (column 1 flags the agent)
    assert torch.allclose(objects(rows_absent), objects(rows_changed), atol=1e-5)
    finetune = FinetuneSlotExtractor(spaces.Box(0, 255, (3, 64, 64), np.uint8), str(tiny_encoder), features_dim=16)
    assert finetune(torch.rand(2, 3, 64, 64)).shape == (2, 16)
    assert any(p.requires_grad for p in finetune.slot_model.parameters())


def test_config_and_stats_helpers() -> None:
    assert parse_hyperparams(["n_steps=64", "learning_rate=1e-3", "policy_kwargs={net_arch: [32]}"]) == {
        "n_steps": 64, "learning_rate": 0.001, "policy_kwargs": {"net_arch": [32]}}
    with pytest.raises(ValueError, match="--algo"):
        TrainConfig(algo="sac")
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    mean, low, high = mean_interval(np.array([0.0, 1.0, 0.0, 1.0]))
    assert mean == 0.5 and low < 0.5 < high


def test_fps_check_prints_both_rates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--encoder", "objects", "--fps-check", "256", *FAST]) == 0
    out = capsys.readouterr().out
    assert "constant VecEnv fps" in out and "ratio" in out


def test_fps_check_with_slots_wraps_both_envs_in_the_encoder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--encoder", "slots", "--fps-check", "128", *FAST]) == 0
    out = capsys.readouterr().out
    assert "same frozen slot encoder" in out

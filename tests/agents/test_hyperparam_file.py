"""The per-env hyperparameter file: lookup by env id, per-encoder blocks, overrides, and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.training.hyperparam_file import HyperparameterError, LinearSchedule, learning_rate_schedule, resolve
from agents.training.train_config import TrainConfig
from envs.command_line import main


def test_an_entry_is_found_by_env_id_and_a_variant_uses_its_task() -> None:
    goal, source = resolve("ppo", "slotmind/ObjectGoal-v0", "objects", {})
    variant, variant_source = resolve("ppo", "slotmind/ObjectGoal-MoreObjects-v0", "objects", {})
    default, _ = resolve("ppo", "MiniGrid-Empty-5x5-v0", "objects", {})
    assert goal == variant and goal["n_envs"] == 64 and "slotmind/ObjectGoal-v0" in variant_source
    assert default["n_envs"] != goal["n_envs"] and source.startswith("agents/hyperparams/ppo.yml")


def test_encoder_blocks_and_overrides() -> None:
    cnn, source = resolve("ppo", "slotmind/ObjectGoal-v0", "cnn", {"n_epochs": 7})
    objects, _ = resolve("ppo", "slotmind/ObjectGoal-v0", "objects", {})
    assert cnn["n_timesteps"] > objects["n_timesteps"] and cnn["n_epochs"] == 7
    assert source.endswith("encoders.cnn < --hyperparams")
    config = TrainConfig(encoder="objects", timesteps=1234, hyperparams={"n_envs": 8})
    assert config.timesteps == 1234 and config.n_envs == 8 and config.resolved["n_timesteps"] == 1234


def test_unknown_names_are_named() -> None:
    with pytest.raises(HyperparameterError, match="'n_stepz' \\(did you mean n_steps\\?\\)"):
        resolve("ppo", "slotmind/ObjectGoal-v0", "objects", {"n_stepz": 3})


def test_an_unknown_hyperparameter_fails_before_any_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["train", "--encoder", "objects", "--hyperparams", "n_stepz=64", "--run-dir", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert "n_stepz" in err and len(err.strip().splitlines()) == 1
    assert not run_dir.exists()


def test_learning_rate_schedules() -> None:
    schedule = learning_rate_schedule("lin_1e-3")
    assert isinstance(schedule, LinearSchedule) and schedule(1.0) == 1e-3 and schedule(0.25) == pytest.approx(2.5e-4)
    assert learning_rate_schedule(3e-4) == 3e-4
    with pytest.raises(HyperparameterError, match="lin_"):
        learning_rate_schedule("fast")

"""Agents must learn: a regression guard in the default run, and convergence checks marked slow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.training.reference_policies import evaluate_reference
from envs.command_line import main


def _train(run_dir: Path, *argv: str) -> dict:
    assert main(["train", *argv, "--eval-freq", "0", "--quiet", "--run-dir", str(run_dir)]) == 0
    return json.loads((run_dir / "eval.json").read_text())


def test_objects_ppo_learns_objectgoal(tmp_path: Path) -> None:
    # 200k steps of the hyperparameter file's ObjectGoal settings, seed 0: about a minute on 2 cores.
    evaluations = _train(tmp_path / "run", "--encoder", "objects", "-n", "200000", "--seed", "0",
                         "--eval-episodes", "100", "--threads", "2")
    assert evaluations["final"][0]["success_rate"] >= 0.8
    assert evaluations["env_steps_per_s"] > 0


@pytest.mark.slow
@pytest.mark.xfail(reason="issue 27 target missed: objects reach 0.868 ± 0.038 on ObjectGoal at 300k steps "
                          "(3 seeds, docs/agents.md); seed 1 gave 0.825", strict=False)
def test_objects_ppo_solves_objectgoal_within_its_budget(tmp_path: Path) -> None:
    evaluations = _train(tmp_path / "run", "--encoder", "objects", "--seed", "1", "--eval-episodes", "200")
    assert evaluations["final"][0]["success_rate"] >= 0.9


@pytest.mark.slow
@pytest.mark.xfail(reason="issue 27 target missed: slot agents stay near the random floor until the encoder "
                          "keeps shapes and binds every object (issue 28; docs/agents.md)", strict=False)
def test_slot_agent_beats_the_random_floor(tmp_path: Path) -> None:
    encoder = tmp_path / "encoder"
    assert main(["pretrain", "--minutes", "4", "--seed", "0", "--tta-steps", "0", "--quiet",
                 "--run-dir", str(encoder)]) == 0
    evaluations = _train(tmp_path / "run", "--encoder", "slots-cycle", "--pretrained", str(encoder), "-n", "400000",
                         "--eval-episodes", "200")
    floor = evaluate_reference("random", "slotmind/ObjectGoal-v0", "train", 200)["success_rate"]
    assert evaluations["final"][0]["success_rate"] >= floor + 0.3


@pytest.mark.slow
def test_cnn_ppo_solves_doorkey(tmp_path: Path) -> None:
    evaluations = _train(tmp_path / "run", "--env", "MiniGrid-DoorKey-5x5-v0", "--encoder", "cnn",
                         "--eval-episodes", "100")
    assert evaluations["final"][0]["success_rate"] >= 0.9

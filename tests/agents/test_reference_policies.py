"""The floor and ceiling rows: the random policy and the scripted planner, evaluated like a run."""

from __future__ import annotations

import pytest

from agents.training.reference_policies import RandomPolicy, evaluate_reference
from envs.command_line import main


@pytest.mark.parametrize("env_id", ["slotmind/ObjectGoal-v0", "slotmind/OddOneOut-v0", "slotmind/Collect-v0",
                                    "slotmind/Push-v0"])
def test_the_scripted_ceiling_is_real(env_id: str) -> None:
    result = evaluate_reference("scripted", env_id, "train", episodes=40)
    assert result["episodes"] == 40 and result["policy_name"] == "scripted"
    assert result["success_rate"] >= 0.85


def test_the_random_floor_is_low_and_the_same_on_the_same_seed() -> None:
    first = evaluate_reference("random", "slotmind/ObjectGoal-v0", "train", episodes=64)
    again = evaluate_reference("random", "slotmind/ObjectGoal-v0", "train", episodes=64)
    assert first["success_rate"] == again["success_rate"] < 0.5


def test_random_policy_actions() -> None:
    actions, state = RandomPolicy(4, seed=0).predict({"objects": [[0], [1], [2]]})
    assert state is None and actions.shape == (3,) and set(actions.tolist()) <= {0, 1, 2, 3}


def test_eval_policy_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--policy", "scripted", "--env", "slotmind/ObjectGoal-v0", "--split", "train",
                 "unseen-shapes", "--episodes", "8"]) == 0
    out = capsys.readouterr().out
    assert "scripted (ceiling)" in out and "unseen-shapes" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "--policy", "scripted", "--env", "MiniGrid-Empty-5x5-v0"], "no scripted policy"),
        (["eval"], "--policy random|scripted"),
        (["eval", "somewhere", "--policy", "random"], "not both"),
        (["eval", "--policy", "random", "--episodes", "0"], "argument --episodes: 0 is not >= 1"),
    ],
)
def test_eval_policy_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1

"""--device auto|cpu|cuda."""

from __future__ import annotations

import pytest
import torch

from envs.command_line import main
from envs.devices import resolve_device


def test_auto_is_cuda_only_where_torch_sees_a_gpu() -> None:
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ValueError, match="choose from auto, cpu, cuda"):
        resolve_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
@pytest.mark.parametrize("argv", [["train", "--encoder", "objects"], ["pretrain", "--steps", "1"]])
def test_cuda_without_a_gpu_is_one_line_before_any_file(argv: list[str], tmp_path, capsys) -> None:
    assert main([*argv, "--device", "cuda", "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "torch sees no CUDA device" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_a_run_made_on_a_gpu_can_be_read_anywhere() -> None:
    from agents.training.train_config import TrainConfig

    assert TrainConfig(env_id="slotmind/ObjectGoal-v0", encoder="objects", device="cuda").device == "cuda"

"""Slow: Slot Attention must bind objects, not just tile the image, within a 10-minute budget."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from envs.command_line import main


@pytest.mark.slow
def test_plain_slot_attention_beats_the_fixed_grid_reference(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert main(["pretrain", "--model", "sa", "--minutes", "10", "--seed", "0", "--tta-steps", "0", "--threads", "2",
                 "--quiet", "--run-dir", str(run_dir)]) == 0
    held_out = json.loads((run_dir / "metrics.json").read_text())["final"]["eval"]
    assert held_out["plain"]["fg_ari"] > held_out["references"]["grid_3x3"] + 0.05

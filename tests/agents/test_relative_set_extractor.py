"""The set extractor that reads objects and slots relative to the agent, the slot geometry it is fed,
and the progress reporter of long runs."""

from __future__ import annotations

import io

import numpy as np
import torch
from gymnasium import spaces
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from agents.relative_set_extractor import RelativeSetExtractor
from agents.run_reporter import RunReporter
from agents.slot_vec_env import slot_readout

torch.set_num_threads(1)


def _object_rows(batch: int, n: int = 7, features: int = 14, seed: int = 0) -> torch.Tensor:
    rows = torch.rand(batch, n, features, generator=torch.Generator().manual_seed(seed))
    rows[..., 0] = 1.0
    rows[..., 1] = 0.0
    rows[:, -2, 1] = 1.0  # the agent's row
    return rows


@given(st.permutations(list(range(7))))
def test_the_order_of_the_rows_does_not_matter(order: list[int]) -> None:
    torch.manual_seed(0)
    extractor = RelativeSetExtractor(spaces.Box(0, 1, (7, 14), np.float32), features_dim=16, difference_dim=4)
    rows = _object_rows(3)
    assert torch.allclose(extractor(rows), extractor(rows[:, order]), atol=1e-5)


def test_positions_count_relative_to_the_agent() -> None:
    torch.manual_seed(0)
    extractor = RelativeSetExtractor(spaces.Box(0, 1, (7, 14), np.float32), features_dim=16)
    rows = _object_rows(2)
    moved = rows.clone()
    moved[:, 0, 3] += 0.2  # one object moves: what the agent sees changes
    assert not torch.allclose(extractor(rows), extractor(moved))


def test_slot_rows_find_the_agent_by_learned_attention() -> None:
    torch.manual_seed(0)
    extractor = RelativeSetExtractor(spaces.Box(-np.inf, np.inf, (7, 70), np.float32), features_dim=16,
                                     position_columns=(64, 65), size_column=66, presence_column=None,
                                     self_column=None)
    out = extractor(torch.randn(4, 7, 70))
    assert out.shape == (4, 16)
    out.sum().backward()
    assert extractor.self_score.weight.grad is not None and extractor.self_score.weight.grad.abs().sum() > 0


def test_slot_readout_known_values() -> None:
    # A black 4 x 4 frame with one red cell (top left); slot 0 holds that cell and half of the cell right
    # of it, slot 1 the rest: only the red cell is foreground.
    images = torch.zeros(1, 3, 4, 4)
    images[0, 0, 0, 0] = 1.0
    attention = torch.zeros(1, 2, 16)
    attention[0, 0, 0], attention[0, 0, 1] = 1.0, 0.5
    attention[0, 1] = 1.0 - attention[0, 0]
    readout = slot_readout(attention, images)[0]
    assert torch.allclose(readout[0], torch.tensor([0.125, 0.125, 0.5 * 0.25, 1.0, 0.0, 0.0]), atol=1e-3)
    assert readout[1, 2] == 0.0  # no foreground: no extent
    assert torch.allclose(readout[1, :2], torch.tensor([0.5, 0.5]), atol=0.05)  # the plain mask centre


def test_the_reporter_writes_lines_to_a_log() -> None:
    log = io.StringIO()
    with RunReporter(Console(file=log, width=200), every_s=0.0) as reporter:
        reporter.phase("ppo + objects", 1000)
        reporter.update(500, "3,000 steps/s  success 0.50")
    text = log.getvalue()
    assert "ppo + objects: 500/1,000 steps  3,000 steps/s  success 0.50" in text
    quiet = io.StringIO()
    with RunReporter(Console(file=quiet), quiet=True, every_s=0.0) as reporter:
        reporter.phase("x", 1)
        reporter.update(1)
    assert quiet.getvalue() == ""

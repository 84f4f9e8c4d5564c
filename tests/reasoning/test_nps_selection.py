"""Straight-through selection and the production system's shapes, gradients and rule semantics."""

from __future__ import annotations

import pytest
import torch

from reasoning.nps.gnn import GNNDynamics
from reasoning.nps.mlp_baseline import MLPDynamics
from reasoning.nps.production_system import NeuralProductionSystem
from reasoning.nps.rule_mlps import RuleMLPs
from reasoning.nps.selection import select_one_hot


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)
    torch.manual_seed(0)


@pytest.mark.parametrize("sample", [True, False])
def test_selection_is_one_hot_forward_with_softmax_gradients(sample: bool) -> None:
    logits = torch.randn(4, 3, 7, requires_grad=True)
    chosen = select_one_hot(logits, temperature=0.5, sample=sample)
    assert chosen.shape == (4, 3, 7)
    assert torch.equal(chosen.detach().sum(-1), torch.ones(4, 3))
    assert set(chosen.detach().unique().tolist()) == {0.0, 1.0}
    weights = torch.arange(7.0)
    (chosen * weights).sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0
    soft = torch.softmax(logits.detach() / 0.5, -1)
    if not sample:  # gradient of sum_v y_v w_v through softmax(l / tau): p_v (w_v - p.w) / tau
        expected = soft * (weights - (soft * weights).sum(-1, keepdim=True)) / 0.5
        torch.testing.assert_close(logits.grad, expected)
        assert torch.equal(chosen.detach().argmax(-1), logits.detach().argmax(-1))


def test_selection_never_picks_a_masked_option() -> None:
    logits = torch.zeros(500, 4)
    allowed = torch.tensor([False, True, False, True]).expand(500, -1)
    picks = select_one_hot(logits, sample=True, allowed=allowed).argmax(-1)
    assert set(picks.tolist()) == {1, 3}


def test_null_rule_changes_nothing() -> None:
    rules = RuleMLPs(3, 8, null_rule=True)
    update = rules(torch.randn(5, 2, 8), torch.randn(5, 2, 8))
    assert update.shape == (5, 2, 4, 8)
    assert torch.equal(update[..., 3, :], torch.zeros(5, 2, 8)) and update[..., :3, :].abs().sum() > 0


@pytest.mark.parametrize("mode", ["sequential", "parallel"])
def test_production_system_shapes_and_gradients(mode: str) -> None:
    nps = NeuralProductionSystem(16, n_rules=4, mode=mode, hidden=32)
    slots = torch.randn(6, 5, 16, requires_grad=True)
    out = nps(slots)
    assert out.slots.shape == (6, 5, 16) and out.rules.shape == (6, 5)
    assert out.primaries.shape == ((6, 5, 5) if mode == "sequential" else (6, 1, 5))
    assert ((out.rules >= 0) & (out.rules < 5)).all()
    out.slots.sum().backward()
    for name, parameter in nps.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_sequential_updates_each_slot_once_per_round() -> None:
    nps = NeuralProductionSystem(8, n_rules=2, mode="sequential", null_rule=False)
    out = nps(torch.randn(32, 4, 8))
    torch.testing.assert_close(out.primaries.sum(1), torch.ones(32, 4))
    changed = out.slots - nps(torch.randn(32, 4, 8)).slots
    assert changed.abs().sum() > 0


def test_parallel_is_permutation_equivariant_in_eval() -> None:
    nps = NeuralProductionSystem(8, n_rules=3, mode="parallel").eval()
    slots = torch.randn(10, 5, 8)
    order = torch.tensor([3, 0, 4, 1, 2])
    with torch.no_grad():
        torch.testing.assert_close(nps(slots).slots[:, order], nps(slots[:, order]).slots)


def test_baselines_map_states_to_states() -> None:
    states = torch.rand(3, 6, 12)
    assert GNNDynamics(12, 16)(states)[0].shape == (3, 6, 12)
    assert MLPDynamics(12, capacity=9, hidden=32)(states)[0].shape == (3, 6, 12)
    with pytest.raises(ValueError, match="capacity"):
        MLPDynamics(12, capacity=4)(states)


def test_slot_rule_information_rewards_confident_distinct_rules() -> None:
    from reasoning.nps.rule_information import slot_rule_information

    distinct = torch.eye(4).repeat(8, 1)  # every slot sure, rules used equally
    collapsed = torch.zeros(32, 4)
    collapsed[:, 0] = 1.0
    torch.testing.assert_close(slot_rule_information(distinct), torch.log(torch.tensor(4.0)))
    assert abs(float(slot_rule_information(collapsed))) < 1e-6
    assert abs(float(slot_rule_information(torch.full((32, 4), 0.25)))) < 1e-6
    nps = NeuralProductionSystem(8, n_rules=3, mode="parallel")
    preferences = nps(torch.randn(5, 4, 8)).preferences
    assert preferences.shape == (5, 4, 4)
    torch.testing.assert_close(preferences.sum(-1), torch.ones(5, 4))

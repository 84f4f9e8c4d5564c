"""Decoding rules and decoders: masks never revisit, outputs are well formed, beam width 1 is
greedy, teacher forcing accepts every label, and metrics score known cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from reasoning.pointer.config import TrainConfig
from reasoning.pointer.decoding import beam_search, best_of_samples, greedy, rollout, teacher_forced_nll
from reasoning.pointer.metrics import hull_metrics, is_simple_polygon, triangle_metrics
from reasoning.pointer.scoring import decode, make_references, score, tour_lengths_torch
from reasoning.pointer.tasks import canonical_tours, get_task

CASES = [("sort", 6, "ptrnet"), ("tsp", 6, "ptrnet"), ("tsp", 6, "attention"), ("hull", 6, "ptrnet"),
         ("hull", 6, "attention"), ("delaunay", 6, "ptrnet")]


def _model_and_inputs(task: str, n: int, model: str, batch: int = 8) -> tuple[TrainConfig, torch.nn.Module, np.ndarray]:
    torch.manual_seed(0)
    config = TrainConfig(task=task, n=n, model=model, hidden=32, layers=1, reinforce=False)
    inputs = config.pointer_task.sample(np.random.default_rng(0), batch, n)
    return config, config.build_model().eval(), inputs


@pytest.mark.parametrize(("task", "n", "model"), CASES)
def test_sampled_sequences_respect_the_rule(task: str, n: int, model: str) -> None:
    config, net, inputs = _model_and_inputs(task, n, model, batch=64)
    with torch.no_grad():
        sequences, log_probs = rollout(net, torch.as_tensor(inputs, dtype=torch.float32), config.rule(), sample=True,
                                       generator=torch.Generator().manual_seed(1))
    assert torch.isfinite(log_probs).all()
    for row in sequences.numpy():
        if task in ("sort", "tsp"):
            assert sorted(row) == list(range(n))  # masking never revisits a node
            continue
        end = list(row).index(n)
        body = row[:end]
        assert (row[end:] == n).all()
        if task == "hull":
            assert len(body) >= 3 and len(set(body)) == len(body)
        else:
            triples = body.reshape(-1, 3)
            assert len(body) % 3 == 0 and len(triples) >= 1
            assert (np.diff(triples, axis=1) > 0).all() and (np.diff(triples[:, 0]) >= 0).all()


@pytest.mark.parametrize(("task", "n", "model"), CASES)
def test_beam_width_one_equals_greedy(task: str, n: int, model: str) -> None:
    config, net, inputs = _model_and_inputs(task, n, model)
    x = torch.as_tensor(inputs, dtype=torch.float32)
    with torch.no_grad():
        assert torch.equal(beam_search(net, x, config.rule(), width=1), greedy(net, x, config.rule()))


def test_wider_beam_is_at_least_as_probable_as_greedy() -> None:
    config, net, inputs = _model_and_inputs("tsp", 7, "attention", batch=16)
    rule, x = config.rule(), torch.as_tensor(inputs, dtype=torch.float32)

    def log_likelihood(sequences: torch.Tensor) -> torch.Tensor:
        context = net.encode(x)
        state, constraint, total, previous = net.initial_state(context), rule.initial(len(x)), 0.0, None
        for t in range(sequences.shape[1]):
            log_probs, state = net.step(context, state, previous, rule.forbidden(constraint))
            previous = sequences[:, t]
            total = total + log_probs.gather(1, previous[:, None])[:, 0]
            constraint = rule.advance(constraint, previous)
        return total

    with torch.no_grad():
        beam, plain = log_likelihood(beam_search(net, x, rule, width=6)), log_likelihood(greedy(net, x, rule))
    assert (beam >= plain - 1e-5).all() and (beam > plain + 1e-6).any()


def test_best_of_samples_picks_the_cheapest_tour() -> None:
    config, net, inputs = _model_and_inputs("tsp", 8, "ptrnet")
    x = torch.as_tensor(inputs, dtype=torch.float32)
    repeated = x.repeat_interleave(12, dim=0)
    with torch.no_grad():
        best = best_of_samples(net, x, config.rule(), 12, lambda s: tour_lengths_torch(repeated, s),
                               torch.Generator().manual_seed(0))
        single = greedy(net, x, config.rule())
    assert (tour_lengths_torch(x, best) <= tour_lengths_torch(x, single) + 1e-5).float().mean() > 0.5


@pytest.mark.parametrize("task", ["sort", "hull", "delaunay", "tsp"])
def test_teacher_forcing_accepts_every_label(task: str) -> None:
    config, net, inputs = _model_and_inputs(task, 7, "ptrnet")
    labels = torch.as_tensor(config.pointer_task.labels(inputs))
    loss = teacher_forced_nll(net, torch.as_tensor(inputs, dtype=torch.float32), labels, config.rule())
    assert torch.isfinite(loss) and loss > 0
    loss.backward()


def test_labels_scored_as_predictions_are_perfect() -> None:
    for task_name, n in (("sort", 8), ("hull", 10), ("delaunay", 8), ("tsp", 8)):
        task = get_task(task_name)
        inputs = task.sample(np.random.default_rng(5), 20, n)
        references = make_references(task, inputs)
        metrics = score(task, inputs, task.labels(inputs), references)
        assert metrics.get("exact", 1.0) == 1.0 and metrics.get("gap", 0.0) == pytest.approx(0.0, abs=1e-12)
        assert metrics.get("area coverage", 1.0) == pytest.approx(1.0)
        assert metrics.get("triangle coverage", 1.0) == 1.0


def test_random_model_is_scored_below_perfect_on_hull() -> None:
    config, net, inputs = _model_and_inputs("hull", 10, "ptrnet", batch=64)
    task = config.pointer_task
    metrics = score(task, inputs, decode(net, task, config.rule(), inputs, "greedy"), make_references(task, inputs))
    assert metrics["exact"] < 0.5 and metrics["area coverage"] < 0.99


def test_hull_metrics_known_values() -> None:
    square = np.array([[[0, 0], [1, 0], [1, 1], [0, 1], [0.5, 0.5]]], dtype=float)
    hull = [np.array([0, 1, 2, 3])]
    end = 5
    rotated = np.array([[2, 3, 0, 1, end, end]])
    assert hull_metrics(square, rotated, hull) == {"exact": 1.0, "area coverage": 1.0}
    half = np.array([[0, 1, 2, end, end, end]])
    assert hull_metrics(square, half, hull) == {"exact": 0.0, "area coverage": 0.5}
    bow_tie = np.array([[0, 2, 1, 3, end, end]])
    assert not is_simple_polygon(square[0], bow_tie[0, :4])
    assert hull_metrics(square, bow_tie, hull)["area coverage"] == 0.0


def test_triangle_metrics_known_values() -> None:
    truth = [np.array([[0, 1, 2], [1, 2, 3]])]
    assert triangle_metrics(np.array([[1, 2, 3, 0, 1, 2, 4]]), truth, 4) == {"exact": 1.0, "triangle coverage": 1.0}
    assert triangle_metrics(np.array([[0, 1, 2, 4, 4, 4, 4]]), truth, 4) == {"exact": 0.0, "triangle coverage": 0.5}


def test_canonical_tours_fix_start_and_direction() -> None:
    tours = np.array([[2, 0, 3, 1], [0, 1, 2, 3]])
    assert canonical_tours(tours).tolist() == [[0, 2, 1, 3], [0, 1, 2, 3]]

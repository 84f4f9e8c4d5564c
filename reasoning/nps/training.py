"""Training and held-out evaluation of the NPS family on both tasks (a loop you can read top to bottom)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from envs.rule_world import N_FEATURES
from reasoning.nps.arithmetic_data import ArithmeticSequences, make_sequences
from reasoning.nps.arithmetic_models import ArithmeticMLP, ArithmeticNPS
from reasoning.nps.config import TrainConfig
from reasoning.nps.dynamics_nps import NPSDynamics
from reasoning.nps.gnn import GNNDynamics
from reasoning.nps.metrics import mse, rule_ami, segregation
from reasoning.nps.mlp_baseline import MLPDynamics
from reasoning.nps.rule_information import slot_rule_information
from reasoning.nps.transitions import Episodes, make_episodes

EVAL_POINTS = 10  # training-loss snapshots kept in the history


@dataclass
class Snapshot:
    """What the progress callback sees: step, elapsed seconds, the mean training loss since the last one."""

    step: int
    elapsed_s: float
    loss: float


@dataclass
class RunResult:
    """A trained model, its held-out metrics (flat name -> value) and the training-loss history."""

    model: nn.Module
    metrics: dict[str, float]
    history: list[dict[str, float]] = field(default_factory=list)
    train_seconds: float = 0.0


def build_model(config: TrainConfig) -> nn.Module:
    """The network of ``config.model`` for ``config.task`` (seeded by the caller)."""
    mode = {"nps-seq": "sequential", "nps-par": "parallel"}.get(config.model)
    if config.task == "arithmetic":
        if mode is None:
            return ArithmeticMLP(config.hidden)
        return ArithmeticNPS(config.hidden, config.rules, mode, config.temperature)
    if config.model == "gnn":
        return GNNDynamics(N_FEATURES, config.hidden)
    if config.model == "mlp":
        return MLPDynamics(N_FEATURES, capacity=9, hidden=4 * config.hidden)
    return NPSDynamics(N_FEATURES, config.rules, mode, slot_dim=config.hidden, hidden=config.hidden,
                       temperature=config.temperature)


def fit(model: nn.Module, loss_of_batch: Callable[[torch.Generator], torch.Tensor], config: TrainConfig,
        progress: Callable[[Snapshot], None] | None = None) -> tuple[list[dict[str, float]], float]:
    """Adam with a cosine schedule for ``config.steps`` steps (or until ``config.minutes``);
    ``loss_of_batch(generator)`` samples a batch and returns its loss. Returns (history, seconds)."""
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, config.steps)
    history, running, count, started = [], 0.0, 0, time.perf_counter()
    every = max(1, config.steps // EVAL_POINTS)
    model.train()
    for step in range(1, config.steps + 1):
        loss = loss_of_batch(generator)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        running, count = running + float(loss.detach()), count + 1
        elapsed = time.perf_counter() - started
        out_of_time = config.minutes > 0 and elapsed > 60.0 * config.minutes
        if step % every == 0 or step == config.steps or out_of_time:
            history.append({"step": step, "seconds": round(elapsed, 2), "train_loss": running / count})
            if progress is not None:
                progress(Snapshot(step, elapsed, running / count))
            running, count = 0.0, 0
        if out_of_time:
            break
    model.eval()
    return history, time.perf_counter() - started


def _arithmetic_loss(model: nn.Module, steps: tuple[torch.Tensor, ...], batch_size: int
                     ) -> Callable[[torch.Generator], torch.Tensor]:
    previous, number, operation, target = steps

    def loss(generator: torch.Generator) -> torch.Tensor:
        """Teacher-forced MSE on a random batch of steps."""
        index = torch.randint(0, len(target), (batch_size,), generator=generator)
        return ((model(previous[index], number[index], operation[index])[0] - target[index]) ** 2).mean()

    return loss


@torch.no_grad()
def evaluate_arithmetic(model: nn.Module, sequences: ArithmeticSequences) -> dict[str, float]:
    """Held-out metrics: ``mse`` (teacher-forced, per step), ``rollout_mse`` (the model's own previous
    results fed back over the whole sequence, mean per step), ``rollout_mse_sum`` (the same summed
    over the steps: the official code's ``eval_mse``) and, for NPS, ``segregation``."""
    previous, number, operation, target = sequences.flat_steps()
    prediction, rules = model(previous, number, operation)
    metrics = {"mse": mse(prediction, target)}
    if rules is not None:
        metrics["segregation"] = segregation(sequences.operations.reshape(-1), rules.numpy())
    n_seq, length = sequences.numbers.shape
    numbers = torch.from_numpy(sequences.numbers)
    operations = torch.nn.functional.one_hot(torch.from_numpy(sequences.operations), 3).float()
    result, outputs = torch.zeros(n_seq), []
    for t in range(length):
        result = model(result, numbers[:, t], operations[:, t])[0]
        outputs.append(result)
    metrics["rollout_mse"] = mse(torch.stack(outputs, 1), torch.from_numpy(sequences.results))
    metrics["rollout_mse_sum"] = length * metrics["rollout_mse"]
    return metrics


def _ruleworld_loss(model: nn.Module, episodes: Episodes, batch_size: int, rule_mi: float
                    ) -> Callable[[torch.Generator], torch.Tensor]:
    """One-step MSE divided by the mean squared change of the training data (so that the loss is
    about 1 for a model that predicts "no change"), minus ``rule_mi`` x I(slot; rule) for NPS."""
    states, targets, _ = episodes.transitions()
    scale = float(((targets - states) ** 2).mean()) or 1.0

    def loss(generator: torch.Generator) -> torch.Tensor:
        """The objective on a random batch of transitions."""
        index = torch.randint(0, len(states), (batch_size,), generator=generator)
        if isinstance(model, NPSDynamics):
            prediction, out = model.predict(states[index])
            information = slot_rule_information(out.preferences)
        else:
            prediction, information = model(states[index])[0], torch.zeros(())
        return ((prediction - targets[index]) ** 2).mean() / scale - rule_mi * information

    return loss


@torch.no_grad()
def evaluate_ruleworld(model: nn.Module, tests: dict[int, Episodes], rollout: int) -> dict[str, float]:
    """Held-out metrics per object count n: ``mse_1step_n{n}`` (every transition), ``mse_{k}step_n{n}``
    (the state after ``rollout`` steps of feeding predictions back, from each episode's start) and,
    for NPS, ``ami_n{n}`` (selected vs true rule per object and step, null included)."""
    metrics: dict[str, float] = {}
    for n, episodes in tests.items():
        states, targets, fired = episodes.transitions()
        prediction, rules = model(states)
        metrics[f"mse_1step_n{n}"] = mse(prediction, targets)
        state = episodes.states[:, 0]
        for _ in range(rollout):
            state = model(state)[0]
        metrics[f"mse_{rollout}step_n{n}"] = mse(state, episodes.states[:, rollout])
        if rules is not None:
            metrics[f"ami_n{n}"] = rule_ami(fired.numpy(), rules.numpy())
    return metrics


def train_and_evaluate(config: TrainConfig, progress: Callable[[Snapshot], None] | None = None) -> RunResult:
    """Make the seeded data, train ``config.model`` on ``config.task``, and score it on held-out data."""
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    model = build_model(config)
    if config.task == "arithmetic":
        train = make_sequences(config.train_sequences, config.length, seed=2 * config.seed)
        test = make_sequences(config.test_sequences, config.length, seed=2 * config.seed + 1)
        history, seconds = fit(model, _arithmetic_loss(model, train.flat_steps(), config.batch_size), config, progress)
        metrics = evaluate_arithmetic(model, test)
    else:
        train_episodes = make_episodes(config.train_episodes, config.episode_steps, config.train_objects, config.seed,
                                       "train", config.radius)
        tests = {n: make_episodes(config.test_episodes, config.rollout, n, config.seed, "test", config.radius)
                 for n in config.test_objects}
        objective = _ruleworld_loss(model, train_episodes, config.batch_size, config.rule_mi)
        history, seconds = fit(model, objective, config, progress)
        metrics = evaluate_ruleworld(model, tests, config.rollout)
    return RunResult(model, metrics, history, seconds)


def summary(result: RunResult) -> dict[str, Any]:
    """Metrics plus the training time, rounded for tables."""
    return {**{key: float(f"{value:.4g}") for key, value in result.metrics.items()},
            "train_seconds": round(result.train_seconds, 1)}

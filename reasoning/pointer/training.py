"""Training loops: supervised teacher forcing on exact labels (Ptr-Net, Vinyals et al.) and
REINFORCE with a greedy-rollout baseline (Kool et al. alg. 1), both under a time budget.

Data is generated on the fly from a seeded stream, so memory does not grow with training time;
the validation history is a bounded deque. Checkpoints are written atomically.
"""

from __future__ import annotations

import copy
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.stats import ttest_rel
from torch import nn

from envs.run_files import atomic_path, write_csv_atomic
from reasoning.pointer.config import TrainConfig
from reasoning.pointer.decoding import rollout, teacher_forced_nll
from reasoning.pointer.scoring import decode, make_references, primary_loss, score, tour_lengths_torch

CHECKPOINT = "model.pt"
HISTORY_LIMIT = 10_000  # validation records kept (one per eval_seconds)
BASELINE_CHECK_SIZE = 1024  # instances of the greedy-rollout baseline's paired t-test


@dataclass
class Progress:
    """A snapshot for a progress display: elapsed seconds, step, recent mean loss, last validation."""

    elapsed_s: float
    step: int
    loss: float
    valid: dict[str, float] = field(default_factory=dict)


@dataclass
class TrainResult:
    """What training produced: the best-validation model, its scores and the run's statistics."""

    model: nn.Module
    best_valid: dict[str, float]
    steps: int
    train_s: float
    instances: int
    baseline_updates: int
    history: list[dict[str, Any]]


def data_rng(seed: int, stream: int) -> np.random.Generator:
    """The seeded generator of one data stream (0 training, 1 validation, 2 bench test, 3 baseline checks)."""
    return np.random.default_rng([seed, stream])


def save_checkpoint(path: Path, model: nn.Module, config: TrainConfig, extra: dict[str, Any]) -> None:
    """Write ``{"config", "state_dict", **extra}`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        torch.save({"config": config.as_dict(), "state_dict": model.state_dict(), **extra}, tmp)


def load_checkpoint(path: Path) -> tuple[nn.Module, TrainConfig, dict[str, Any]]:
    """(model in eval mode, its config, the whole checkpoint dict) from a :func:`save_checkpoint` file."""
    payload = torch.load(path, map_location="cpu", weights_only=True)
    config = TrainConfig(**payload["config"])
    model = config.build_model()
    model.load_state_dict(payload["state_dict"])
    return model.eval(), config, payload


def _tsp_costs(model: nn.Module, config: TrainConfig, inputs: torch.Tensor) -> torch.Tensor:
    """(B,) greedy tour lengths of ``model`` on (B, n, 2) inputs, without gradients."""
    with torch.no_grad():
        was = model.training
        model.eval()
        tours = rollout(model, inputs, config.rule(), sample=False)[0]
        model.train(was)
    return tour_lengths_torch(inputs, tours)


class _Baseline:
    """The greedy-rollout baseline: a frozen copy of the policy, replaced when the policy is
    significantly better (one-sided paired t-test, p < 0.05) on fresh instances."""

    def __init__(self, policy: nn.Module, config: TrainConfig) -> None:
        self.config, self.rng = config, data_rng(config.seed, 3)
        self.updates = 0
        self.model = self._frozen(policy)

    @staticmethod
    def _frozen(policy: nn.Module) -> nn.Module:
        model = copy.deepcopy(policy).eval()
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        return model

    def __call__(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, n, 2) instances -> (B,) the baseline's greedy tour lengths."""
        return _tsp_costs(self.model, self.config, inputs)

    def maybe_update(self, policy: nn.Module) -> None:
        """Replace the baseline by ``policy`` if its greedy tours are significantly shorter on fresh instances."""
        inputs = torch.as_tensor(self.config.pointer_task.sample(self.rng, BASELINE_CHECK_SIZE, self.config.n),
                                 dtype=torch.float32)
        ours, theirs = _tsp_costs(policy, self.config, inputs).numpy(), self(inputs).numpy()
        if ours.mean() < theirs.mean() and ttest_rel(ours, theirs, alternative="less").pvalue < 0.05:
            self.model = self._frozen(policy)
            self.updates += 1


def train(config: TrainConfig, run_dir: Path | None = None,
          on_progress: Callable[[Progress], None] | None = None) -> TrainResult:
    """Train one model under ``config``'s budget; validate every ``eval_seconds`` on a held-out set.

    Args:
        config: the run; run_dir: where ``model.pt`` (best validation) and ``history.csv`` go
            (None: nothing is written); on_progress: called after each step with a snapshot.

    Returns:
        the best-validation model (eval mode) and the run's statistics.
    """
    config.check()
    torch.manual_seed(config.seed)
    task, rule = config.pointer_task, config.rule()
    model = config.build_model()
    optimiser = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    train_rng = data_rng(config.seed, 0)
    valid_inputs = task.sample(data_rng(config.seed, 1), config.valid_size, config.n)
    valid_refs = make_references(task, valid_inputs, exact_tsp=False)
    baseline = _Baseline(model, config) if config.uses_reinforce else None
    history: deque[dict[str, Any]] = deque(maxlen=HISTORY_LIMIT)
    losses: deque[float] = deque(maxlen=50)
    best_loss, best_valid, best_state = float("inf"), {}, copy.deepcopy(model.state_dict())
    budget = 60.0 * config.minutes if config.minutes > 0 else float("inf")
    started = time.perf_counter()
    next_eval, step, last = config.eval_seconds, 0, {}

    def validate() -> None:
        """Score the greedy policy on the validation set; keep and save the best; check the baseline."""
        nonlocal best_loss, best_valid, best_state, last
        last = score(task, valid_inputs, decode(model, task, rule, valid_inputs, "greedy"), valid_refs)
        history.append({"step": step, "elapsed_s": round(time.perf_counter() - started, 2),
                        "train_loss": float(np.mean(losses)) if losses else float("nan"), **last})
        if primary_loss(task, last) < best_loss:
            best_loss, best_valid = primary_loss(task, last), dict(last)
            best_state = copy.deepcopy(model.state_dict())
            if run_dir is not None:
                save_checkpoint(run_dir / CHECKPOINT, model, config, {"step": step, "valid": best_valid})
        if run_dir is not None:
            write_csv_atomic(run_dir / "history.csv", list(history))
        if baseline is not None:
            baseline.maybe_update(model)

    model.train()
    while True:
        elapsed = time.perf_counter() - started
        if elapsed >= budget or (config.max_steps and step >= config.max_steps):
            break
        inputs_np = task.sample(train_rng, config.batch_size, config.n)
        inputs = torch.as_tensor(inputs_np, dtype=torch.float32)
        if baseline is None:
            labels = torch.as_tensor(task.labels(inputs_np))
            loss = teacher_forced_nll(model, inputs, labels, rule)
        else:
            tours, log_likelihood = rollout(model, inputs, rule, sample=True)
            advantage = tour_lengths_torch(inputs, tours) - baseline(inputs)
            loss = (advantage * log_likelihood).mean()  # Kool et al. eq. (9)
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        step += 1
        losses.append(float(loss.detach()))
        if elapsed >= next_eval:
            validate()
            next_eval = elapsed + config.eval_seconds
        if on_progress is not None:
            on_progress(Progress(time.perf_counter() - started, step, float(np.mean(losses)), last))
    train_s = time.perf_counter() - started
    validate()
    model.load_state_dict(best_state)
    return TrainResult(model.eval(), best_valid, step, train_s, step * config.batch_size,
                       baseline.updates if baseline else 0, list(history))

"""Teacher-forcing training loop with validation checks, early stopping and a wall-clock budget."""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import nn

from reasoning.seq2seq.batching import Batch
from reasoning.seq2seq.hyperparameters import TrainingConfig
from reasoning.seq2seq.interface import FitProgress, FitReport, ProgressCallback, TrainBudget

REPORT_EVERY_STEPS = 25


def teacher_forcing_loss(network: nn.Module, batch: Batch, pad_id: int) -> tuple[torch.Tensor, int]:
    """Summed cross-entropy of the next-token predictions over the non-padding target positions.

    Args:
        network: maps (source (B, S), source_padding (B, S), target_in (B, T)) to logits (B, T, V).
        batch: the batch.
        pad_id: target padding id (ignored).

    Returns:
        The summed loss (scalar tensor) and the number of target tokens it covers.
    """
    logits = network(batch.source, batch.source_padding, batch.target_in)
    loss = nn.functional.cross_entropy(logits.flatten(0, 1), batch.target_out.flatten(), ignore_index=pad_id,
                                       reduction="sum")
    return loss, int((batch.target_out != pad_id).sum())


class _Run:
    """The mutable state of one :func:`train_network` call."""

    def __init__(self, network: nn.Module, validate: Callable[[], float], budget: TrainBudget,
                 progress: ProgressCallback | None) -> None:
        self.network, self.validate, self.budget, self.progress = network, validate, budget, progress
        self.started = time.perf_counter()
        self.deadline = self.started + 60.0 * budget.minutes
        self.epoch = self.step = self.stale = 0
        self.checked_at = -1
        self.best = -1.0
        self.best_state: dict[str, Any] | None = None
        self.loss_sum, self.token_sum = 0.0, 0
        self.history: list[dict[str, float]] = []

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def out_of_time(self) -> bool:
        return time.perf_counter() > self.deadline

    def report(self, valid: float | None = None) -> None:
        if self.progress is not None:
            self.progress(FitProgress(self.epoch, self.step, self.elapsed(), self.loss_sum / max(1, self.token_sum),
                                      valid, None if self.best < 0 else self.best))

    def check(self) -> bool:
        """Validate the current weights (once per step); True when patience is exhausted."""
        if self.checked_at == self.step:
            return False
        self.checked_at = self.step
        self.network.eval()
        accuracy = self.validate()
        self.network.train()
        if accuracy >= self.best:
            self.best_state = copy.deepcopy(self.network.state_dict())
        self.stale = 0 if accuracy > self.best else self.stale + 1
        self.best = max(self.best, accuracy)
        self.history.append({"step": self.step, "epoch": self.epoch, "elapsed_s": round(self.elapsed(), 3),
                             "loss": self.loss_sum / max(1, self.token_sum), "valid_accuracy": accuracy})
        self.report(accuracy)
        self.loss_sum, self.token_sum = 0.0, 0
        return self.stale >= self.budget.patience


def train_network(network: nn.Module, epoch_batches: Callable[[int], Iterable[Batch]],
                  validate: Callable[[], float], budget: TrainBudget, config: TrainingConfig, pad_id: int,
                  progress: ProgressCallback | None = None) -> FitReport:
    """Train ``network`` in place with Adam until a budget limit or early stopping.

    Validation runs every ``config.check_every`` steps, at each epoch end and when time runs out;
    the weights of the best check (ties: the later one) are restored at the end.

    Args:
        network: the model, in any mode (left in eval mode).
        epoch_batches: the batches of epoch ``e`` (1-based), e.g. a fresh shuffled order each call.
        validate: exact-match accuracy on the validation examples (called in eval mode).
        budget: time / epoch / patience limits.
        config: learning rate, warm-up, clipping, check interval.
        pad_id: target padding id.
        progress: called every few steps and after each check.

    Returns:
        The :class:`FitReport`.
    """
    run = _Run(network, validate, budget, progress)
    optimizer = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    warmup = max(1, config.warmup_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))

    def train_epoch() -> str | None:
        for batch in epoch_batches(run.epoch):
            loss, n_tokens = teacher_forcing_loss(network, batch, pad_id)
            optimizer.zero_grad(set_to_none=True)
            (loss / max(1, n_tokens)).backward()
            nn.utils.clip_grad_norm_(network.parameters(), config.clip_norm)
            optimizer.step()
            schedule.step()
            run.step += 1
            run.loss_sum, run.token_sum = run.loss_sum + loss.item(), run.token_sum + n_tokens
            if run.step % REPORT_EVERY_STEPS == 0:
                run.report()
            if run.step % config.check_every == 0 and run.check():
                return "early-stopping"
            if run.out_of_time():
                return "time-budget"
        return None

    network.train()
    stop_reason = "max-epochs"
    for epoch in range(1, budget.max_epochs + 1):
        run.epoch = epoch
        reason = train_epoch()
        if reason != "early-stopping" and run.check():  # the epoch-end (or out-of-time) check
            reason = "early-stopping"
        if reason is None and run.out_of_time():
            reason = "time-budget"
        if reason is not None:
            stop_reason = reason
            break
    if run.best_state is not None:
        network.load_state_dict(run.best_state)
    network.eval()
    return FitReport(epochs=run.epoch, steps=run.step, train_seconds=round(run.elapsed(), 3),
                     best_valid_accuracy=max(run.best, 0.0), stop_reason=stop_reason, history=run.history)

"""The game wrapper (EGG style): Sender + Receiver + loss in one module, optimised with straight-through
Gumbel-softmax or with REINFORCE (entropy bonus, running-mean baseline)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from reasoning.language.config import METHODS
from reasoning.language.losses import LOSSES
from reasoning.language.receiver import Receiver
from reasoning.language.sender import Sender


@dataclass
class GameBatch:
    """One batch of B games.

    Attributes:
        sender_input: (B, D) the target objects' features.
        labels: (B,) target positions among the candidates (discrimination) or (B, A) attributes.
        candidates: (B, K, D) the receiver's candidates (discrimination only).
        candidate_mask: (B, K) bool, False where a candidate is padding (scenes with fewer objects).
    """

    sender_input: torch.Tensor
    labels: torch.Tensor
    candidates: torch.Tensor | None = None
    candidate_mask: torch.Tensor | None = None


@dataclass
class Interaction:
    """What one pass of the game produced: the optimised scalar ``loss``, per-sample ``task_loss`` (B,),
    ``accuracy`` (B,), the one-hot ``message`` (B, L, V) and the sender's ``hidden`` state (B, H)."""

    loss: torch.Tensor
    task_loss: torch.Tensor
    accuracy: torch.Tensor
    message: torch.Tensor
    hidden: torch.Tensor


class RunningMean:
    """The REINFORCE baseline: a running mean of the batch losses (a float; 0 before the first update).

    ``decay`` 0 averages every loss seen so far; ``decay`` d in (0, 1) is the mean of the first 1 / (1 - d)
    losses and from then on an exponential moving average that gives the newest loss weight 1 - d, so the
    baseline follows a loss that falls during training instead of staying above it (a stale baseline makes
    every advantage negative and the score-function estimate noisier, Williams 1992 section 8)."""

    def __init__(self, decay: float = 0.0) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"baseline decay {decay} must be in [0, 1)")
        self.mean, self.count, self.decay = 0.0, 0, decay

    def update(self, value: float) -> None:
        """Fold one batch's mean loss into the running mean."""
        self.count += 1
        rate = 1.0 / self.count if self.decay == 0.0 else max(1.0 / self.count, 1.0 - self.decay)
        self.mean += (value - self.mean) * rate


class Game(nn.Module):
    """Sender + Receiver + the game's loss.

    ``method`` "gumbel": the loss is backpropagated through straight-through Gumbel-softmax symbols.
    "reinforce": the receiver gets the loss's gradient; the sender the score-function estimator
    E[(L - b) grad log pi(m|x)] - entropy_coeff * grad H(pi) with b a running mean of L (Williams 1992;
    :class:`RunningMean`).

    ``listener`` (optional) is a second, absolute receiver that plays every training game on the same
    messages; ``listener_weight`` times its loss is added. Beside a relative receiver it gives the sender
    a gradient for every symbol: the relative receiver compares a message with the anchors' messages only,
    so it cannot reward a symbol that none of them uses yet. Evaluation uses ``receiver`` alone.
    """

    def __init__(self, sender: Sender, receiver: Receiver, method: str = "gumbel", temperature: float = 1.0,
                 entropy_coeff: float = 0.1, baseline_decay: float = 0.0, listener: Receiver | None = None,
                 listener_weight: float = 1.0) -> None:
        super().__init__()
        if method not in METHODS:
            raise ValueError(f"method {method!r}: choose one of {', '.join(METHODS)}")
        self.sender, self.receiver, self.listener = sender, receiver, listener
        self.listener_weight = listener_weight
        self.method, self.temperature, self.entropy_coeff = method, temperature, entropy_coeff
        self.loss_fn = LOSSES[receiver.game]
        self.baseline = RunningMean(baseline_decay)

    def anchor_messages(self) -> torch.Tensor | None:
        """The sender's greedy messages for the receiver's anchor objects (N, L, V), or None (absolute
        receiver). They are the fixed dictionary the receiver compares a message with: no gradient."""
        if not self.receiver.relative:
            return None
        with torch.no_grad():
            return self.sender(self.receiver.anchors, self.method, self.temperature, greedy=True).message

    def _listen(self, receiver: Receiver, message: torch.Tensor, batch: GameBatch,
                anchor_messages: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``receiver``'s per-sample (loss (B,), accuracy (B,)) on ``message`` (B, L, V), padding candidates masked."""
        logits = receiver(message, batch.candidates, anchor_messages)
        if batch.candidate_mask is not None:
            logits = logits.masked_fill(~batch.candidate_mask, -1e9)
        return self.loss_fn(logits, batch.labels)

    def forward(self, batch: GameBatch, greedy: bool = False) -> Interaction:
        """Play one batch; ``greedy`` (evaluation) takes the sender's most likely symbols."""
        sent = self.sender(batch.sender_input, self.method, self.temperature, greedy)
        task_loss, accuracy = self._listen(self.receiver, sent.message, batch, self.anchor_messages())
        loss = task_loss.mean()
        if self.listener is not None and not greedy:
            loss = loss + self.listener_weight * self._listen(self.listener, sent.message, batch)[0].mean()
        if self.method == "reinforce" and not greedy:
            advantage = task_loss.detach() - self.baseline.mean
            loss = loss + (advantage * sent.log_prob).mean() - self.entropy_coeff * sent.entropy.mean()
            if self.training:
                self.baseline.update(task_loss.mean().item())
        return Interaction(loss, task_loss.detach(), accuracy, sent.message.detach(), sent.hidden.detach())

"""What defines a pointer-network training run, and the model it builds."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from torch import nn

from reasoning.pointer.decode_rules import DecodeRule
from reasoning.pointer.tasks import PointerTask, get_task

MODELS = ("ptrnet", "attention")
DEFAULT_LR = {"ptrnet": 1e-3, "attention": 1e-4}


@dataclass(frozen=True)
class TrainConfig:
    """A training run (saved in every checkpoint).

    Attributes:
        task, n: the task and instance size; model: ``ptrnet`` or ``attention``.
        minutes: training time budget; max_steps: optional step cap (0: none).
        seed: model initialisation and data streams (training, validation) are derived from it.
        batch_size: optimiser batch; lr: Adam learning rate, None: the model's default
            (:data:`DEFAULT_LR`).
        hidden: Ptr-Net LSTM width / attention-model embedding width.
        layers: attention-model encoder layers.
        reinforce: train with REINFORCE and a greedy-rollout baseline (TSP only) instead of labels;
            None: REINFORCE for the attention model on the TSP, labels otherwise.
        valid_size: held-out validation instances; eval_seconds: seconds between validations.
    """

    task: str = "tsp"
    n: int = 10
    model: str = "ptrnet"
    minutes: float = 2.0
    max_steps: int = 0
    seed: int = 0
    batch_size: int = 128
    lr: float | None = None
    hidden: int = 128
    layers: int = 3
    reinforce: bool | None = None
    valid_size: int = 512
    eval_seconds: float = 20.0

    @property
    def pointer_task(self) -> PointerTask:
        """The :class:`PointerTask` named by ``task``."""
        return get_task(self.task)

    @property
    def learning_rate(self) -> float:
        """``lr``, or the model's default."""
        return DEFAULT_LR.get(self.model, 1e-3) if self.lr is None else self.lr

    @property
    def uses_reinforce(self) -> bool:
        """Whether training is REINFORCE (resolved default)."""
        if self.reinforce is None:
            return self.model == "attention" and self.task == "tsp"
        return self.reinforce

    def check(self) -> None:
        """Raise ValueError with what to change when the configuration cannot run."""
        task = self.pointer_task
        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}; choose from {', '.join(MODELS)}")
        if self.n < task.min_n:
            raise ValueError(f"task {self.task} needs --n >= {task.min_n}, got {self.n}")
        if self.uses_reinforce and self.task != "tsp":
            raise ValueError("REINFORCE training needs a cost: it is for --task tsp only")
        if self.task == "tsp" and not self.uses_reinforce and self.n > 20:
            raise ValueError("supervised TSP uses exact Held-Karp labels, n <= 20; use --model attention for larger n")
        if self.minutes <= 0 and self.max_steps <= 0:
            raise ValueError("give a positive --minutes or --max-steps")
        if self.batch_size < 1 or self.valid_size < 1 or self.hidden < 8:
            raise ValueError("--batch-size and --valid-size must be >= 1 and --hidden >= 8")
        if self.model == "attention" and self.hidden % 8:
            raise ValueError("the attention model has 8 heads: --hidden must be a multiple of 8")

    def rule(self) -> DecodeRule:
        """The decode rule of ``task`` for n inputs."""
        task = self.pointer_task
        return DecodeRule(task.rule, self.n, task.has_end, task.max_length(self.n))

    def build_model(self) -> nn.Module:
        """A freshly initialised model for this configuration."""
        from reasoning.pointer.attention_model import AttentionModel
        from reasoning.pointer.ptrnet import PtrNet

        task = self.pointer_task
        if self.model == "ptrnet":
            return PtrNet(task.input_dim, task.has_end, hidden=self.hidden)
        return AttentionModel(task.input_dim, task.has_end, dim=self.hidden, layers=self.layers, ff_dim=4 * self.hidden)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for JSON and checkpoints)."""
        return asdict(self)

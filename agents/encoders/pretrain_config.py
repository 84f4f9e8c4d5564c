"""``PretrainConfig``: every setting a slot-encoder pretraining run depends on (no torch import,
so the command line can build its parser quickly)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.encoders.slot_autoencoder import ModelConfig

PRECISIONS: tuple[str, ...] = ("float32", "bfloat16")
# Which cycle losses each model name switches on: (slot->feature->slot, feature->slot->feature).
MODEL_LOSSES: dict[str, tuple[bool, bool]] = {
    "sa": (False, False),
    "sa-sfs": (True, False),
    "sa-cycle": (True, True),
}


@dataclass
class PretrainConfig:
    """Everything a pretraining run depends on (saved as ``config.yaml``)."""

    env_id: str = "slotmind/ObjectGoal-v0"
    model: str = "sa-cycle"
    minutes: float | None = 10.0
    steps: int | None = None
    seed: int = 0
    num_slots: int = 7
    iterations: int = 3
    image_size: int = 64
    resolution: int = 32
    learned_queries: bool = False
    background: bool = False
    foreground_weight: float = 0.0
    batch_size: int = 32
    lr: float = 4e-4
    warmup_steps: int = 300
    grad_clip: float = 1.0
    sfs_weight: float = 0.01
    fsf_weight: float = 0.01
    cycle_temperature: float = 0.1
    target_temperature: float = 0.1
    cycle_start: int = 1000
    cycle_ramp: int = 1000
    train_frames: int = 20_000
    eval_frames: int = 512
    ood_frames: int = 256
    eval_every_s: float = 60.0
    tta_steps: int = 5
    tta_lr: float = 1e-4
    threads: int = 2
    precision: str = "float32"
    device: str = "auto"
    loss_weights: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.model not in MODEL_LOSSES:
            raise ValueError(f"--model {self.model!r} is unknown; choose from {', '.join(MODEL_LOSSES)}")
        if (self.minutes is None) == (self.steps is None):
            raise ValueError("give exactly one of --minutes and --steps")
        if (self.minutes is not None and self.minutes <= 0) or (self.steps is not None and self.steps < 1):
            raise ValueError("--minutes must be > 0 and --steps >= 1")
        if self.num_slots < 1 or self.batch_size < 1:
            raise ValueError("--slots and --batch-size must be >= 1")
        if self.precision not in PRECISIONS:
            raise ValueError(f"--precision {self.precision!r} is unknown; choose from {', '.join(PRECISIONS)}")
        use_sfs, use_fsf = MODEL_LOSSES[self.model]
        self.loss_weights = {"sfs": self.sfs_weight if use_sfs else 0.0, "fsf": self.fsf_weight if use_fsf else 0.0}

    def model_config(self) -> ModelConfig:
        """The architecture part of the config."""
        from agents.encoders.slot_autoencoder import ModelConfig

        return ModelConfig(image_size=self.image_size, resolution=self.resolution, num_slots=self.num_slots,
                           iterations=self.iterations, learned_queries=self.learned_queries,
                           background=self.background)

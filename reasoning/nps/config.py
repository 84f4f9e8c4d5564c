"""What one NPS-family training run is: task, model, sizes, optimiser and data — validated once."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

TASKS: tuple[str, ...] = ("arithmetic", "ruleworld")
MODELS: tuple[str, ...] = ("nps-seq", "nps-par", "gnn", "mlp")
MODEL_LABELS: dict[str, str] = {"nps-seq": "NPS sequential", "nps-par": "NPS parallel", "gnn": "GNN", "mlp": "MLP"}
TASK_MODELS: dict[str, tuple[str, ...]] = {"arithmetic": ("nps-seq", "nps-par", "mlp"), "ruleworld": MODELS}
DEFAULT_RULES: dict[str, int] = {"arithmetic": 3, "ruleworld": 5}
DEFAULT_STEPS: dict[str, int] = {"arithmetic": 8000, "ruleworld": 4000}
DEFAULT_LR: dict[str, float] = {"arithmetic": 2e-3, "ruleworld": 1e-3}


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of a run. ``n_rules`` 0 means the task's default (3 arithmetic, 5 RuleWorld:
    the number of true rules; RuleWorld models also get the null rule). ``steps`` and ``lr`` 0
    mean the task's defaults (DEFAULT_STEPS, DEFAULT_LR), filled in on creation. ``minutes`` caps the
    training time (0: only ``steps``). ``rule_mi``: weight of the slot-rule mutual information
    added to the RuleWorld NPS objective (:mod:`reasoning.nps.rule_information`; 0: none)."""

    task: str = "arithmetic"
    model: str = "nps-seq"
    seed: int = 0
    steps: int = 0
    minutes: float = 0.0
    batch_size: int = 256
    lr: float = 0.0
    hidden: int = 64
    n_rules: int = 0
    temperature: float = 1.0
    rule_mi: float = 0.1
    # arithmetic
    train_sequences: int = 10000
    test_sequences: int = 2000
    length: int = 20
    # ruleworld
    train_episodes: int = 1000
    episode_steps: int = 20
    test_episodes: int = 200
    train_objects: int = 3
    test_objects: tuple[int, ...] = field(default=(3, 6, 9))
    rollout: int = 10
    radius: float = 0.1

    def __post_init__(self) -> None:
        object.__setattr__(self, "test_objects", tuple(self.test_objects))
        if self.task in TASKS:
            object.__setattr__(self, "steps", self.steps or DEFAULT_STEPS[self.task])
            object.__setattr__(self, "lr", self.lr or DEFAULT_LR[self.task])
        self.check()

    @property
    def rules(self) -> int:
        """The number of learned rules actually used."""
        return self.n_rules or DEFAULT_RULES[self.task]

    def check(self) -> None:
        """Raise ValueError naming the first setting outside its allowed range."""
        if self.task not in TASKS:
            raise ValueError(f"task={self.task!r} is unknown; choose from {', '.join(TASKS)}")
        if self.model not in TASK_MODELS[self.task]:
            raise ValueError(f"model {self.model!r} does not apply to task {self.task!r}; choose from "
                             f"{', '.join(TASK_MODELS[self.task])}")
        positive = ("steps", "batch_size", "hidden", "train_sequences", "test_sequences", "length", "train_episodes",
                    "test_episodes", "train_objects", "rollout")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', '-')}={getattr(self, name)} must be >= 1")
        if self.lr <= 0 or self.temperature <= 0 or self.minutes < 0 or self.n_rules < 0 or self.rule_mi < 0:
            raise ValueError("lr and temperature must be > 0, minutes, n-rules and rule-mi >= 0")
        if self.episode_steps < self.rollout:
            raise ValueError(f"episode-steps={self.episode_steps} must be >= rollout={self.rollout}")
        if not self.test_objects or not all(1 <= n <= 9 for n in (*self.test_objects, self.train_objects)):
            raise ValueError(f"object counts must lie in [1, 9] (the MLP baseline pads to 9 rows); got "
                             f"train {self.train_objects}, test {self.test_objects}")
        if not 0.0 < self.radius <= 0.12:
            raise ValueError(f"radius={self.radius} must be in (0, 0.12] so that 9 objects fit the arena")

    def to_dict(self) -> dict[str, Any]:
        """The config as JSON-ready values."""
        data = asdict(self)
        data["test_objects"] = list(self.test_objects)
        return data

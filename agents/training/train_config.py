"""``TrainConfig``: everything an RL run depends on, saved as the run's ``config.yaml``."""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ALGOS: tuple[str, ...] = ("ppo", "a2c", "dqn")
ENCODERS: tuple[str, ...] = ("cnn", "slots", "slots-cycle", "objects")
# Default hyperparameters per algorithm, sized for a 2-core CPU; --hyperparams overrides them.
DEFAULT_HYPERPARAMS: dict[str, dict[str, Any]] = {
    "ppo": {"n_steps": 128, "batch_size": 256, "n_epochs": 4, "learning_rate": 3e-4, "gamma": 0.99,
            "gae_lambda": 0.95, "ent_coef": 0.01, "clip_range": 0.2},
    "a2c": {"n_steps": 16, "learning_rate": 7e-4, "gamma": 0.99, "ent_coef": 0.01},
    "dqn": {"learning_rate": 1e-4, "buffer_size": 50_000, "learning_starts": 1_000, "batch_size": 64,
            "train_freq": 4, "target_update_interval": 1_000, "exploration_fraction": 0.2},
}
CONFIG_NAME = "config.yaml"


@dataclass
class TrainConfig:
    """An RL run: env, algorithm, encoder, budget and hyperparameters."""

    env_id: str = "slotmind/ObjectGoal-v0"
    algo: str = "ppo"
    encoder: str = "slots-cycle"
    timesteps: int = 150_000
    seed: int = 0
    n_envs: int = 16
    eval_freq: int = 25_000
    eval_episodes: int = 50
    save_freq: int = 25_000
    pretrained: str | None = None
    finetune: bool = False
    features_dim: int = 128
    threads: int = 2
    hyperparams: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"--algo {self.algo!r} is unknown; choose from {', '.join(ALGOS)}")
        if self.encoder not in ENCODERS:
            raise ValueError(f"--encoder {self.encoder!r} is unknown; choose from {', '.join(ENCODERS)}")
        if self.timesteps < 1 or self.n_envs < 1 or self.seed < 0:
            raise ValueError("--timesteps and --n-envs must be >= 1 and --seed >= 0")
        if self.finetune and not self.uses_slots:
            raise ValueError("--finetune only applies to the slot encoders (slots, slots-cycle)")

    @property
    def uses_slots(self) -> bool:
        return self.encoder.startswith("slots")

    def algo_kwargs(self) -> dict[str, Any]:
        """The algorithm's keyword arguments: defaults overridden by ``hyperparams``."""
        return {**DEFAULT_HYPERPARAMS[self.algo], **self.hyperparams}

    def save(self, run_dir: Path, versions: dict[str, str]) -> None:
        from envs.run_files import write_text_atomic

        write_text_atomic(run_dir / CONFIG_NAME,
                          yaml.safe_dump({"train": asdict(self), "versions": versions}, sort_keys=False))

    @classmethod
    def load(cls, run_dir: Path) -> TrainConfig:
        """The config of an existing run folder; ValueError when the folder is not a run."""
        path = Path(run_dir) / CONFIG_NAME
        if not path.is_file():
            raise ValueError(f"{run_dir} is not a training run (no {CONFIG_NAME}); pass a folder made by "
                             f"`slotmind train`")
        data = yaml.safe_load(path.read_text()) or {}
        if "train" not in data:
            raise ValueError(f"{path} is not a `slotmind train` config")
        return cls(**data["train"])


def parse_hyperparams(pairs: list[str]) -> dict[str, Any]:
    """``["n_steps=256", "learning_rate=1e-3"]`` -> ``{"n_steps": 256, "learning_rate": 0.001}`` (YAML values)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise ValueError(f"--hyperparams {pair!r}: write key=value, e.g. n_steps=256")
        key, text = pair.split("=", 1)
        value = yaml.safe_load(text)
        if isinstance(value, str):
            with contextlib.suppress(ValueError):
                value = float(value)  # YAML 1.1 reads "1e-3" as a string
        out[key.strip()] = value
    return out

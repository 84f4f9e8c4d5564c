"""``TrainConfig``: everything an RL run depends on, saved as the run's ``config.yaml``."""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

ALGOS: tuple[str, ...] = ("ppo", "a2c", "dqn")
ENCODERS: tuple[str, ...] = ("cnn", "slots", "slots-cycle", "objects")
CONFIG_NAME = "config.yaml"


@dataclass
class TrainConfig:
    """An RL run: env, algorithm, encoder, budget and hyperparameters.

    ``hyperparams`` are the ``--hyperparams`` overrides; ``resolved`` is what the run uses: the entry of
    ``agents/hyperparams/<algo>.yml`` for the env and encoder with the overrides on top
    (``hyperparams_source`` says which entries). ``timesteps`` and ``n_envs`` left at None come from
    there too. A saved config keeps ``resolved``, so a run resumes with its own settings even after the
    file changes.
    """

    env_id: str = "slotmind/ObjectGoal-v0"
    algo: str = "ppo"
    encoder: str = "slots-cycle"
    timesteps: int | None = None
    seed: int = 0
    n_envs: int | None = None
    eval_freq: int = 25_000
    eval_episodes: int = 50
    eval_splits: list[str] = field(default_factory=lambda: ["train"])
    save_freq: int = 25_000
    pretrained: str | None = None
    finetune: bool = False
    threads: int = 2
    device: str = "auto"  # auto | cpu | cuda (envs.devices.resolve_device)
    hyperparams: dict[str, Any] = field(default_factory=dict)
    resolved: dict[str, Any] = field(default_factory=dict)
    hyperparams_source: str = ""

    def __post_init__(self) -> None:
        if self.algo not in ALGOS:
            raise ValueError(f"--algo {self.algo!r} is unknown; choose from {', '.join(ALGOS)}")
        if self.encoder not in ENCODERS:
            raise ValueError(f"--encoder {self.encoder!r} is unknown; choose from {', '.join(ENCODERS)}")
        if not self.resolved:
            self._resolve()
        if self.timesteps < 1 or self.n_envs < 1 or self.seed < 0:
            raise ValueError("--timesteps and --n-envs must be >= 1 and --seed >= 0")
        from envs.registry import VARIANTS

        unknown = [split for split in self.eval_splits if split not in VARIANTS]
        if unknown:
            raise ValueError(f"--eval-splits: unknown {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
        if self.finetune and not self.uses_slots:
            raise ValueError("--finetune only applies to the slot encoders (slots, slots-cycle)")

    @property
    def uses_slots(self) -> bool:
        return self.encoder.startswith("slots")

    def _resolve(self) -> None:
        from agents.training.hyperparam_file import resolve

        self.resolved, self.hyperparams_source = resolve(self.algo, self.env_id, self.encoder, self.hyperparams)
        # Flags given on the command line win over the file; the resolved values record what the run used.
        if self.timesteps is None:
            self.timesteps = int(self.resolved["n_timesteps"])
        if self.n_envs is None:
            self.n_envs = int(self.resolved["n_envs"])
        self.resolved["n_timesteps"], self.resolved["n_envs"] = self.timesteps, self.n_envs

    def algo_kwargs(self) -> dict[str, Any]:
        """The algorithm's keyword arguments (the resolved hyperparameters without the run's own keys)."""
        from agents.training.hyperparam_file import RUN_KEYS, learning_rate_schedule

        kwargs = {k: v for k, v in self.resolved.items() if k not in RUN_KEYS and k != "policy_kwargs"}
        if "learning_rate" in kwargs:
            kwargs["learning_rate"] = learning_rate_schedule(kwargs["learning_rate"])
        return kwargs

    def policy_kwargs(self) -> dict[str, Any]:
        """The resolved ``policy_kwargs`` (net_arch, features_dim, extractor settings)."""
        return dict(self.resolved.get("policy_kwargs") or {})

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
        fields = dict(data["train"])
        fields.pop("features_dim", None)  # runs made before the hyperparameter file kept it here
        return cls(**fields)


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

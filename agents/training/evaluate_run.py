"""Evaluating a finished run folder on named splits and appending the results to its eval.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents.training.train_config import TrainConfig


def load_run(run_dir: Path) -> tuple[TrainConfig, Any, Any]:
    """(config, model, encoder) of a run folder; ValueError with what to do when something is missing."""
    from agents.encoders.api import SlotEncoder
    from agents.training.callbacks import CHECKPOINT_DIR, LATEST
    from agents.training.policy_factory import algorithm_class

    config = TrainConfig.load(run_dir)
    path = run_dir / "model.zip"
    if not path.is_file():
        path = run_dir / CHECKPOINT_DIR / LATEST
    if not path.is_file():
        raise ValueError(f"{run_dir} has no model.zip or checkpoint yet; train it (or resume it) first")
    try:
        model = algorithm_class(config).load(path, device="cpu")
    except Exception as error:
        raise ValueError(f"{path} could not be loaded ({type(error).__name__}: {error}); "
                         f"resume the run to write a new one") from error
    encoder = SlotEncoder.load(config.pretrained) if config.uses_slots and not config.finetune else None
    return config, model, encoder


def evaluate_run_dir(run_dir: Path, splits: list[str], episodes: int, progress: bool = True,
                     deterministic: bool = True) -> list[dict]:
    """Evaluate the run on each split; results are appended to ``eval.json`` under "evaluations"."""
    from agents.training.env_factory import split_overrides
    from agents.training.trainer import EVAL_NAME, evaluate_model
    from envs.run_files import write_json_atomic

    if episodes < 1:
        raise ValueError(f"--episodes {episodes}: evaluate at least 1 episode")
    config, model, encoder = load_run(run_dir)
    for split in splits:
        split_overrides(config.env_id, split)  # fail before any work on an unknown split
    results = [evaluate_model(model, config, encoder, split, episodes, deterministic) for split in splits]
    path = run_dir / EVAL_NAME
    data = json.loads(path.read_text()) if path.is_file() else {}
    data.setdefault("evaluations", []).extend(results)
    write_json_atomic(path, data)
    return results

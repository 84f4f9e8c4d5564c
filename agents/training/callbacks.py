"""Callbacks of ``slotmind train``: progress bar, atomic checkpoints, periodic evaluation, NaN stop."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback

from envs.run_files import atomic_path

CHECKPOINT_DIR = "checkpoints"
LATEST = "latest.zip"


def save_model_atomic(model: Any, path: Path) -> Path:
    """``model.save`` to a temporary file beside ``path``, then rename: a kill never leaves half a zip."""
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


class CheckpointCallback(BaseCallback):
    """Every ``save_freq`` env steps: ``checkpoints/latest.zip`` (atomic) and ``progress.json``.

    Saves happen when a rollout starts, i.e. after the previous update: the saved step count is
    then a whole number of rollouts and every counted step has been trained on, so a resumed run
    ends at exactly the same total.
    """

    def __init__(self, run_dir: Path, save_freq: int) -> None:
        super().__init__()
        self.run_dir = run_dir
        self.save_freq = save_freq
        self._last_saved = 0

    def _on_training_start(self) -> None:
        self._last_saved = self.model.num_timesteps

    def _on_rollout_start(self) -> None:
        if self.model.num_timesteps - self._last_saved >= self.save_freq:
            self.save()

    def _on_step(self) -> bool:
        return True

    def save(self) -> None:
        from envs.run_files import write_json_atomic

        save_model_atomic(self.model, self.run_dir / CHECKPOINT_DIR / LATEST)
        write_json_atomic(self.run_dir / CHECKPOINT_DIR / "progress.json", {"num_timesteps": self.model.num_timesteps})
        self._last_saved = self.model.num_timesteps


class NanGuardCallback(BaseCallback):
    """Stops training when a policy parameter turns NaN/inf (checked after every rollout)."""

    def __init__(self) -> None:
        super().__init__()
        self.diverged_at: int | None = None

    def _on_step(self) -> bool:
        return self.diverged_at is None

    def _on_rollout_end(self) -> None:
        if any(not torch.isfinite(p).all() for p in self.model.policy.parameters()):
            self.diverged_at = self.model.num_timesteps


class PeriodicEvalCallback(BaseCallback):
    """Every ``eval_freq`` env steps, ``evaluate()`` -> a dict logged to TensorBoard and appended to
    ``history``; then ``on_result()`` (the trainer writes eval.json there)."""

    def __init__(self, eval_freq: int, evaluate: Callable[[], dict[str, Any]], history: list[dict],
                 on_result: Callable[[], None] | None = None) -> None:
        super().__init__()
        self.eval_freq = eval_freq
        self.evaluate = evaluate
        self.history = history
        self.on_result = on_result
        self._last = 0

    def _on_training_start(self) -> None:
        # Evaluate on the grid of eval_freq multiples, so a resumed run evaluates where an uninterrupted one does.
        steps = self.model.num_timesteps
        self._last = steps - steps % self.eval_freq if self.eval_freq > 0 else steps

    def _on_step(self) -> bool:
        if self.eval_freq > 0 and self.model.num_timesteps - self._last >= self.eval_freq:
            self._last = self.model.num_timesteps
            result = self.evaluate()
            result["num_timesteps"] = self.model.num_timesteps
            self.history.append(result)
            if self.on_result is not None:
                self.on_result()  # e.g. write eval.json now, so a kill does not lose the evaluation
            self.logger.record("eval/success_rate", result["success_rate"])
            self.logger.record("eval/mean_return", result["mean_return"])
        return True


class ProgressCallback(BaseCallback):
    """Reports (steps, fps, mean return, success rate) to ``on_update`` every ``every`` seconds."""

    def __init__(self, on_update: Callable[[dict[str, float]], None], every: float = 0.5) -> None:
        super().__init__()
        self.on_update = on_update
        self.every = every
        self._last = 0.0
        self._start = 0.0
        self._start_steps = 0

    def _on_training_start(self) -> None:
        self._start = time.perf_counter()
        self._start_steps = self.model.num_timesteps

    def _on_step(self) -> bool:
        now = time.perf_counter()
        if now - self._last >= self.every:
            self._last = now
            self.on_update(self.snapshot(now))
        return True

    def snapshot(self, now: float | None = None) -> dict[str, float]:
        now = now or time.perf_counter()
        episodes = self.model.ep_info_buffer
        successes = self.model.ep_success_buffer
        return {
            "num_timesteps": self.model.num_timesteps,
            "fps": (self.model.num_timesteps - self._start_steps) / max(now - self._start, 1e-9),
            "mean_return": float(np.mean([e["r"] for e in episodes])) if episodes else float("nan"),
            "success_rate": float(np.mean(successes)) if successes else float("nan"),
            "episodes": len(successes) if successes else len(episodes),
        }


def read_progress(run_dir: Path) -> int:
    """Env steps of the run's last checkpoint (0 when it has none).

    Raises:
        ValueError: ``progress.json`` is damaged (named, with what to do).
    """
    path = run_dir / CHECKPOINT_DIR / "progress.json"
    if not path.is_file():
        return 0
    try:
        return int(json.loads(path.read_text())["num_timesteps"])
    except (ValueError, KeyError, TypeError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ValueError(f"{path} is damaged ({type(error).__name__}: {error}); it is rewritten with every "
                         f"checkpoint: delete it to resume from step 0, or start a new run") from None

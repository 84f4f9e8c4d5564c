"""``train`` and ``resume``: one RL run, written to its run folder.

The folder holds ``config.yaml`` (with library versions), ``tb/`` (TensorBoard), ``monitor-*.csv``
(one per training segment), ``checkpoints/latest.zip`` (atomic, every ``save_freq`` steps),
``model.zip`` (final), ``eval.json`` (periodic and final evaluations) and, for slot encoders
pretrained on the fly, ``encoder/``. A killed run resumes from its last checkpoint.
"""

from __future__ import annotations

import platform
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from agents.encoders.api import SlotEncoder
from agents.training.callbacks import (
    CHECKPOINT_DIR,
    LATEST,
    CheckpointCallback,
    NanGuardCallback,
    PeriodicEvalCallback,
    ProgressCallback,
    read_progress,
    save_model_atomic,
)
from agents.training.env_factory import build_vec_env
from agents.training.policy_evaluation import EVAL_SEED_OFFSET, run_episodes, summarize
from agents.training.policy_factory import ALGO_CLASSES, make_model
from agents.training.train_config import TrainConfig
from envs.run_files import write_json_atomic

TB_NAME = "run"
EVAL_NAME = "eval.json"
ENCODER_PRETRAIN_MINUTES = 6.0


class TrainingDivergedError(RuntimeError):
    """A policy parameter became NaN/inf; the last good checkpoint is kept."""


def library_versions() -> dict[str, str]:
    import gymnasium
    import numba
    import numpy
    import stable_baselines3

    return {"python": platform.python_version(), "torch": str(torch.__version__), "numpy": numpy.__version__,
            "stable_baselines3": stable_baselines3.__version__, "gymnasium": gymnasium.__version__,
            "numba": numba.__version__}


def resolve_encoder(config: TrainConfig, run_dir: Path,
                    say: Callable[[str], None]) -> tuple[SlotEncoder | None, str | None]:
    """The frozen/finetuned slot encoder of a slot run: ``--pretrained``, or one pretrained now into
    ``run_dir/encoder`` (recorded in the config so that a resume reuses it)."""
    if not config.uses_slots:
        return None, None
    if config.pretrained is None:
        from agents.encoders.pretrain import pretrain
        from agents.encoders.pretrain_config import PretrainConfig
        from envs.registry import SPEC_KWARGS

        if config.env_id not in SPEC_KWARGS:
            raise ValueError(f"no --pretrained encoder given and {config.env_id} has no ground-truth frames to "
                             f"pretrain one on; pass --pretrained RUN_DIR from `slotmind pretrain`")
        model = "sa-cycle" if config.encoder == "slots-cycle" else "sa"
        say(f"no --pretrained encoder: pretraining a {model} encoder for {ENCODER_PRETRAIN_MINUTES:g} min first "
            f"(same code as `slotmind pretrain`) -> {run_dir / 'encoder'}")
        pretrain(PretrainConfig(env_id=config.env_id, model=model, minutes=ENCODER_PRETRAIN_MINUTES,
                                seed=config.seed, tta_steps=0, threads=config.threads), run_dir / "encoder")
        config.pretrained = str((run_dir / "encoder").resolve())
    from envs.registry import make_env

    probe = make_env(config.env_id, obs_mode="rgb")
    image_size = probe.observation_space.shape[0]
    probe.close()
    return SlotEncoder.load(config.pretrained, image_size=image_size), config.pretrained


def evaluate_model(model: Any, config: TrainConfig, encoder: SlotEncoder | None, split: str,
                   episodes: int, deterministic: bool = True) -> dict[str, Any]:
    """Success rate and mean return of ``model`` on ``split`` over ``episodes`` episodes (greedy actions
    unless ``deterministic`` is False, then sampled from the policy)."""
    env = build_vec_env(config, encoder, min(episodes, 16), config.seed + EVAL_SEED_OFFSET, split)
    try:
        returns, successes = run_episodes(model, env, episodes, deterministic)
    finally:
        env.close()
    return summarize(split, returns, successes, deterministic)


def _monitor_file(run_dir: Path) -> Path:
    segment = len(list(run_dir.glob("monitor-*.csv")))
    return run_dir / f"monitor-{segment}.monitor.csv"


def _read_eval(run_dir: Path) -> dict[str, Any]:
    import json

    path = run_dir / EVAL_NAME
    return json.loads(path.read_text()) if path.is_file() else {"history": [], "final": []}


def train(config: TrainConfig, run_dir: Path, resume: bool = False,
          on_progress: Callable[[dict[str, float]], None] | None = None,
          say: Callable[[str], None] = print) -> dict[str, Any]:
    """Train (or continue) the run in ``run_dir`` up to ``config.timesteps`` env steps; returns eval.json."""
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    encoder, encoder_path = resolve_encoder(config, run_dir, say)
    if not resume:
        config.save(run_dir, library_versions())
    env = build_vec_env(config, encoder, config.n_envs, config.seed + read_progress(run_dir),
                        monitor_file=_monitor_file(run_dir))
    tb_dir = str(run_dir / "tb")
    if resume:
        model = ALGO_CLASSES[config.algo].load(run_dir / CHECKPOINT_DIR / LATEST, env=env, device="cpu",
                                               tensorboard_log=tb_dir)
        _purge_tensorboard_after(run_dir / "tb" / f"{TB_NAME}_1", model.num_timesteps)
    else:
        model = make_model(config, env, encoder_path, tb_dir)
    evaluations = _read_eval(run_dir)
    checkpoints = CheckpointCallback(run_dir, config.save_freq)
    nan_guard = NanGuardCallback()
    callbacks = [checkpoints, nan_guard,
                 PeriodicEvalCallback(config.eval_freq,
                                      lambda: evaluate_model(model, config, encoder, "train", config.eval_episodes),
                                      evaluations["history"])]
    if on_progress is not None:
        callbacks.append(ProgressCallback(on_progress))
    remaining = config.timesteps - model.num_timesteps
    try:
        if remaining > 0:
            model.learn(total_timesteps=remaining, callback=callbacks, tb_log_name=TB_NAME,
                        reset_num_timesteps=not resume)
        if nan_guard.diverged_at is not None:
            raise TrainingDivergedError(
                f"a policy parameter became NaN at step {nan_guard.diverged_at}; "
                f"{run_dir / CHECKPOINT_DIR / LATEST} keeps the last good weights (try a lower learning_rate)")
        checkpoints.save()
        save_model_atomic(model, run_dir / "model.zip")
        evaluations["final"] = [evaluate_model(model, config, encoder, "train", config.eval_episodes)]
        evaluations["num_timesteps"] = model.num_timesteps
        return evaluations
    finally:
        env.close()
        write_json_atomic(run_dir / EVAL_NAME, evaluations)


def _purge_tensorboard_after(log_dir: Path, step: int) -> None:
    """Mark events with step >= ``step`` as superseded (TensorBoard's purge_step), so the steps a killed
    run logged after its last checkpoint are not shown twice after the resume."""
    from torch.utils.tensorboard import SummaryWriter

    if log_dir.is_dir():
        # Event files are read in name order, and names start with the second they were created in
        # (then host and pid): the purge marker must sort after the killed run's files, and the
        # resumed run's file after the marker, so each must start in a later second.
        _wait_for_a_later_second(log_dir)
        SummaryWriter(str(log_dir), purge_step=step).close()
        _wait_for_a_later_second(log_dir)


def _wait_for_a_later_second(log_dir: Path) -> None:
    """Sleep until the clock is past the creation second of every event file in ``log_dir``."""
    import time

    seconds = [int(part) for path in log_dir.glob("events.out.tfevents.*")
               if (part := path.name.split(".")[3]).isdigit()]
    if seconds:
        time.sleep(max(0.0, max(seconds) + 1 - time.time()))

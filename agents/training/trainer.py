"""``train`` and ``resume``: one RL run, written to its run folder.

The folder holds ``config.yaml`` (with library versions), ``tb/`` (TensorBoard), ``monitor-*.csv``
(one per training segment), ``checkpoints/latest.zip`` (atomic, every ``save_freq`` steps),
``model.zip`` (final), ``eval.json`` (periodic and final evaluations) and, for slot encoders
pretrained on the fly, ``encoder/``. A killed run resumes from its last checkpoint.
"""

from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any

import torch

from agents.encoders.api import SlotEncoder
from agents.run_reporter import RunReporter
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
from agents.training.monitor_steps import trim_monitor
from agents.training.policy_evaluation import EVAL_ENVS, EVAL_SEED_OFFSET, run_episodes, summarize
from agents.training.policy_factory import algorithm_class, make_model
from agents.training.train_config import TrainConfig
from envs.devices import resolve_device
from envs.run_files import remove_stale_temporaries, write_json_atomic

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
                    reporter: RunReporter) -> tuple[SlotEncoder | None, str | None]:
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
        reporter.say(f"no --pretrained encoder: pretraining a {model} encoder for {ENCODER_PRETRAIN_MINUTES:g} min "
                     f"first (same code as `slotmind pretrain`) -> {run_dir / 'encoder'}")
        reporter.phase(f"pretrain {model}", 1.0, unit="")

        def show(state: Any) -> None:
            fg_ari = f"  FG-ARI {state.fg_ari:.3f}" if state.fg_ari is not None else ""
            reporter.update(state.fraction, f"step {state.step}  loss {state.loss:.4f}  "
                                            f"{state.images_per_s:.0f} img/s{fg_ari}")

        pretrain(PretrainConfig(env_id=config.env_id, model=model, minutes=ENCODER_PRETRAIN_MINUTES,
                                seed=config.seed, tta_steps=0, threads=config.threads, device=config.device),
                 run_dir / "encoder",
                 on_progress=show)
        config.pretrained = str((run_dir / "encoder").resolve())
    from envs.registry import make_env

    probe = make_env(config.env_id, obs_mode="rgb")
    image_size = probe.observation_space.shape[0]
    probe.close()
    return (SlotEncoder.load(config.pretrained, image_size=image_size, device=resolve_device(config.device)),
            config.pretrained)


def evaluate_model(model: Any, config: TrainConfig, encoder: SlotEncoder | None, split: str,
                   episodes: int, deterministic: bool = True) -> dict[str, Any]:
    """Success rate and mean return of ``model`` on ``split`` over ``episodes`` episodes (greedy actions
    unless ``deterministic`` is False, then sampled from the policy)."""
    env = build_vec_env(config, encoder, min(episodes, EVAL_ENVS), config.seed + EVAL_SEED_OFFSET, split)
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
          reporter: RunReporter | None = None) -> dict[str, Any]:
    """Train (or continue) the run in ``run_dir`` up to ``config.timesteps`` env steps; returns eval.json.

    eval.json records the wall time of this call (``wall_s``; ``pretrain_s`` of it pretraining an encoder)
    and ``env_steps_per_s``: the env steps of this call over its wall time after pretraining, periodic and
    final evaluations included.
    """
    from rich.console import Console

    reporter = reporter or RunReporter(Console(quiet=True), quiet=True)
    started = time.perf_counter()
    run_dir.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(config.threads)
    pretrains = config.uses_slots and config.pretrained is None
    encoder, encoder_path = resolve_encoder(config, run_dir, reporter)
    rl_started = time.perf_counter()
    if not resume:
        config.save(run_dir, library_versions())
    checkpointed = read_progress(run_dir)
    evaluations = _read_eval(run_dir)
    if resume:  # forget what the killed run did after its last checkpoint: it is done again
        remove_stale_temporaries(run_dir)
        for monitor in run_dir.glob("monitor-*.monitor.csv"):
            trim_monitor(monitor, checkpointed)
        evaluations["history"] = [e for e in evaluations["history"] if e.get("num_timesteps", 0) <= checkpointed]
    # A resumed run whose training is complete only needs its final evaluation: no new monitor file.
    trained = resume and checkpointed >= config.timesteps
    env = build_vec_env(config, encoder, config.n_envs, config.seed + checkpointed,
                        monitor_file=None if trained else _monitor_file(run_dir), training=True,
                        start_step=checkpointed)
    tb_dir = str(run_dir / "tb")
    if resume:
        model = algorithm_class(config).load(run_dir / CHECKPOINT_DIR / LATEST, env=env,
                                               device=resolve_device(config.device),
                                               tensorboard_log=tb_dir)
        _purge_tensorboard_after(run_dir / "tb" / f"{TB_NAME}_1", model.num_timesteps)
    else:
        model = make_model(config, env, encoder_path, tb_dir)
    checkpoints = CheckpointCallback(run_dir, config.save_freq)
    nan_guard = NanGuardCallback()
    callbacks = [checkpoints, nan_guard,
                 PeriodicEvalCallback(config.eval_freq,
                                      lambda: evaluate_model(model, config, encoder, "train", config.eval_episodes),
                                      evaluations["history"],
                                      on_result=lambda: write_json_atomic(run_dir / EVAL_NAME, evaluations))]
    callbacks.append(ProgressCallback(lambda snapshot: _report(reporter, snapshot)))
    first_step = model.num_timesteps
    remaining = config.timesteps - first_step
    try:
        reporter.phase(f"{config.algo} + {config.encoder}", config.timesteps)
        reporter.update(first_step)
        if remaining > 0:
            model.learn(total_timesteps=remaining, callback=callbacks, tb_log_name=TB_NAME,
                        reset_num_timesteps=not resume)
        else:
            checkpoints.init_callback(model)  # learn() does this; the checkpoint below needs the model
        if nan_guard.diverged_at is not None:
            raise TrainingDivergedError(
                f"a policy parameter became NaN at step {nan_guard.diverged_at}; "
                f"{run_dir / CHECKPOINT_DIR / LATEST} keeps the last good weights (try a lower learning_rate)")
        checkpoints.save()
        save_model_atomic(model, run_dir / "model.zip")
        splits = list(dict.fromkeys(["train", *config.eval_splits]))
        reporter.phase("final evaluation", len(splits) * config.eval_episodes, unit="episodes")
        results = []
        for split in splits:
            results.append(evaluate_model(model, config, encoder, split, config.eval_episodes))
            reporter.update(len(results) * config.eval_episodes,
                            "  ".join(f"{r['split']} {r['success_rate']:.3f}" for r in results))
        # Out-of-distribution results also go where `slotmind eval` puts them, so `compare` shows their columns;
        # those of an earlier final evaluation (a finished run resumed) are replaced, not repeated.
        earlier = evaluations.get("final") or []
        evaluations["evaluations"] = [e for e in evaluations.get("evaluations", []) if e not in earlier] + results[1:]
        evaluations["final"] = results
        evaluations["num_timesteps"] = model.num_timesteps
        now = time.perf_counter()
        evaluations["wall_s"] = now - started
        evaluations["pretrain_s"] = rl_started - started if pretrains else 0.0
        evaluations["env_steps_per_s"] = (model.num_timesteps - first_step) / max(now - rl_started, 1e-9)
        return evaluations
    finally:
        env.close()
        write_json_atomic(run_dir / EVAL_NAME, evaluations)


def _report(reporter: RunReporter, snapshot: dict[str, float]) -> None:
    status = f"{snapshot['fps']:,.0f} steps/s"
    if snapshot["success_rate"] == snapshot["success_rate"]:  # not NaN
        status += f"  success {snapshot['success_rate']:.2f} (last {snapshot['episodes']} episodes)"
    elif snapshot["mean_return"] == snapshot["mean_return"]:
        status += f"  return {snapshot['mean_return']:.2f}"
    reporter.update(snapshot["num_timesteps"], status)


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

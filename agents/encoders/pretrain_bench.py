"""``slotmind pretrain bench``: every model x seed trained with one wall-clock budget, one table.

Runs are separate ``slotmind pretrain`` processes (``--jobs`` at a time, one torch thread each),
so a crash or NaN in one run is reported without losing the others.
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from agents.encoders.api import SlotEncoder
from agents.encoders.pretrain_config import MODEL_LOSSES
from agents.run_reporter import wide_console
from envs.command_line import UserError
from envs.logged_progress import LoggedProgress
from envs.run_files import new_run_dir, write_csv_atomic, write_json_atomic

SPLITS = ("eval", "ood-more-objects", "ood-unseen-colors")
ENCODE_BATCH = 64


def _run_commands(args: argparse.Namespace, run_dir: Path, models: list[str]) -> list[dict]:
    runs = []
    # Seed-major order, so the runs that share the machine at any moment are of different models.
    for seed in range(args.seeds):
        for model in models:
            out = run_dir / f"{model}-seed{seed}"
            extra = shlex.split(args.extra)
            budget = [] if "--steps" in extra else ["--minutes", str(args.minutes)]  # --steps in --extra wins
            command = [sys.executable, "-m", "envs.command_line", "pretrain", "--model", model, "--seed", str(seed),
                       *budget, "--env", args.env, "--threads", "1", "--quiet", "--run-dir", str(out), *extra]
            runs.append({"model": model, "seed": seed, "dir": out, "command": command})
    return runs


def _log_path(run: dict) -> Path:
    """The run's console output, beside its folder (``pretrain`` writes into an empty or new folder only)."""
    return run["dir"].with_name(run["dir"].name + ".log")


def _execute(runs: list[dict], jobs: int, console: Console) -> None:
    """Run the commands, ``jobs`` at a time, with a progress bar; sets each run's ``returncode``."""
    pending = list(runs)
    active: list[tuple[dict, subprocess.Popen]] = []
    with LoggedProgress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} runs"),
                  TimeElapsedColumn(), console=console) as progress:
        bar = progress.add_task("pretraining", total=len(runs))
        while pending or active:
            while pending and len(active) < jobs:
                run = pending.pop(0)
                run["dir"].parent.mkdir(parents=True, exist_ok=True)
                log = open(_log_path(run), "w")  # noqa: SIM115 (closed when the process ends)
                active.append((run, subprocess.Popen(run["command"], stdout=log, stderr=subprocess.STDOUT)))
                run["log"] = log
            time.sleep(1.0)
            for run, process in list(active):
                if process.poll() is not None:
                    run["returncode"] = process.returncode
                    run["log"].close()
                    active.remove((run, process))
                    progress.advance(bar)
            names = ", ".join(f"{r['model']}/{r['seed']}" for r, _ in active)
            progress.update(bar, description=f"pretraining [{names}]" if names else "pretraining")


def _mean_std(values: list[float]) -> str:
    if not values:
        return "failed"
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"


def encoding_speed(checkpoint_dir: Path, threads: int = 2, repeats: int = 20) -> float:
    """Frames/s of ``SlotEncoder.encode`` (slots only) on random 64x64 frames in batches of 64."""
    torch.set_num_threads(threads)
    encoder = SlotEncoder.load(checkpoint_dir)
    size = encoder.config.image_size
    frames = np.random.default_rng(0).integers(0, 256, (ENCODE_BATCH, size, size, 3), dtype=np.uint8)
    encoder.encode(frames, with_masks=False)
    start = time.perf_counter()
    for _ in range(repeats):
        encoder.encode(frames, batch_size=ENCODE_BATCH, with_masks=False)
    return repeats * ENCODE_BATCH / (time.perf_counter() - start)


METRICS = ("fg_ari", "ari", "mbo")
PROBES = ("colour_accuracy", "shape_accuracy", "position_r2")
HEADERS = {"fg_ari": "FG-ARI", "ari": "ARI\n(all px)", "mbo": "mBO", "colour_accuracy": "colour\nprobe",
           "shape_accuracy": "shape\nprobe", "position_r2": "position\nprobe R²"}


def _result_row(run: dict, console: Console) -> dict | None:
    """One flat row of a finished run's final scores (None, with a message, for a failed run)."""
    metrics_path = run["dir"] / "metrics.json"
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
    run["metrics"] = metrics if run.get("returncode") == 0 and "final" in metrics else None
    if run["metrics"] is None:
        console.print(f"[red]run {run['model']} seed {run['seed']} failed[/red]; see {_log_path(run)}")
        return None
    row = {"model": run["model"], "seed": run["seed"], "steps": metrics["steps"],
           "images_per_s": metrics["images_per_s"]}
    for split in SPLITS:
        row.update(_split_scores(metrics["final"][split], split))
    return row


def _split_scores(entry: dict, split: str) -> dict[str, float]:
    """``{split}_{metric}_plain`` / ``_tta``, ``{split}_{probe}`` and ``{split}_grid3x3_fg_ari`` of one
    split's entry of metrics.json."""
    row: dict[str, float] = {}
    for kind in ("plain", "tta"):
        for metric in METRICS:
            if kind in entry:
                row[f"{split}_{metric}_{kind}"] = entry[kind][metric]
    for probe in PROBES:
        if "probes" in entry:
            row[f"{split}_{probe}"] = entry["probes"][probe]
    if "references" in entry:
        row[f"{split}_grid3x3_fg_ari"] = entry["references"]["grid_3x3"]
    return row


def random_encoder_row(env_id: str, seed: int = 0) -> dict[str, float]:
    """The floor: the scores of an untrained encoder of the default architecture on seed ``seed``'s frames."""
    from agents.encoders.evaluation import PROBE_TRAIN_FRAMES
    from agents.encoders.frames import standard_splits
    from agents.encoders.pretrain import final_scores
    from agents.encoders.pretrain_config import PretrainConfig
    from agents.encoders.slot_autoencoder import SlotAutoencoder

    config = PretrainConfig(env_id=env_id, seed=seed, tta_steps=0)
    torch.manual_seed(seed)
    # The same frames as a run of this seed (a shorter collection is a prefix of a longer one).
    splits = standard_splits(env_id, PROBE_TRAIN_FRAMES, config.eval_frames, config.ood_frames, seed,
                             config.image_size)
    scores = final_scores(SlotAutoencoder(config.model_config()), splits, config)
    return {key: value for split in SPLITS for key, value in _split_scores(scores[split], split).items()}


def split_table(split: str, models: list[str], rows: list[dict], floor: dict[str, float],
                args: argparse.Namespace) -> Table:
    """Scores on one split: a row per model (mean ± std over seeds), the random encoder and the 3x3 grid."""
    table = Table(title=f"{split}: mean ± std over {args.seeds} seeds, {args.minutes:g} min per run "
                        f"({args.jobs} parallel, 1 thread each)")
    table.add_column("model")
    for name in (*METRICS, *PROBES):
        table.add_column(HEADERS[name], justify="right")
    table.add_column("train\nimg/s", justify="right")
    for model in models:
        mine = [r for r in rows if r["model"] == model]
        table.add_row(model, *(_mean_std([r[f"{split}_{m}_plain"] for r in mine]) for m in METRICS),
                      *(_mean_std([r[f"{split}_{p}"] for r in mine if f"{split}_{p}" in r]) for p in PROBES),
                      f"{np.mean([r['images_per_s'] for r in mine]):.0f}" if mine else "-")
    table.add_row("random encoder (floor)", *(_value(floor.get(f"{split}_{m}_plain")) for m in METRICS),
                  *(_value(floor.get(f"{split}_{p}")) for p in PROBES), "-")
    grid = [r[f"{split}_grid3x3_fg_ari"] for r in rows] or [floor.get(f"{split}_grid3x3_fg_ari", float("nan"))]
    table.add_row("3x3 grid (no learning)", _value(float(np.mean(grid))), "-", "-", "-", "-", "-", "-")
    return table


def tta_table(models: list[str], rows: list[dict]) -> Table:
    """FG-ARI and mBO with test-time adaptation, per split (mean ± std over seeds)."""
    table = Table(title="With test-time adaptation (Slot-TTA, per batch, weights restored)")
    table.add_column("model")
    for split in SPLITS:
        table.add_column(f"{split}\nFG-ARI +TTA", justify="right")
        table.add_column(f"{split}\nmBO +TTA", justify="right")
    for model in models:
        mine = [r for r in rows if r["model"] == model]
        table.add_row(model, *(_mean_std([r[f"{split}_{metric}_tta"] for r in mine if f"{split}_{metric}_tta" in r])
                               for split in SPLITS for metric in ("fg_ari", "mbo")))
    return table


def paired_table(models: list[str], rows: list[dict]) -> Table:
    """Each model minus ``sa`` on the same seed: mean difference and its 95% t-interval (eval split)."""
    table = Table(title="Difference to plain Slot Attention (sa), paired by seed, eval split: mean [95% CI]")
    table.add_column("model")
    names = [*(f"{m}_plain" for m in METRICS), *PROBES]
    for name in names:
        table.add_column(HEADERS[name.removesuffix("_plain")], justify="right")
    base = {r["seed"]: r for r in rows if r["model"] == "sa"}
    for model in models:
        if model == "sa":
            continue
        pairs = [(r, base[r["seed"]]) for r in rows if r["model"] == model and r["seed"] in base]
        table.add_row(model, *(paired_interval([a.get(f"eval_{n}", np.nan) - b.get(f"eval_{n}", np.nan)
                                                for a, b in pairs]) for n in names))
    return table


def paired_interval(differences: list[float]) -> str:
    """"mean [low, high]": the 95% t-interval of the mean of paired differences ("-" under two pairs).

    >>> paired_interval([0.1, 0.1, 0.1])
    '+0.100 [+0.100, +0.100]'
    """
    from scipy.stats import t

    values = np.array([d for d in differences if np.isfinite(d)])
    if len(values) < 2:
        return "-"
    mean = values.mean()
    half = t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return f"{mean:+.3f} [{mean - half:+.3f}, {mean + half:+.3f}]"


def _value(value: float | None) -> str:
    return "-" if value is None or not np.isfinite(value) else f"{value:.3f}"


def run_bench(args: argparse.Namespace) -> int:
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODEL_LOSSES]
    if unknown or not models:
        raise UserError(f"--models {args.models!r}: choose from {', '.join(MODEL_LOSSES)}")
    if args.seeds < 1 or args.minutes <= 0 or args.jobs < 1:
        raise UserError("--seeds and --jobs must be >= 1 and --minutes > 0")
    console = wide_console()
    run_dir = Path(args.run_dir) if args.run_dir else new_run_dir("pretrain-bench")
    runs = _run_commands(args, run_dir, models)
    console.print(f"{len(runs)} runs of {args.minutes:g} min, {args.jobs} at a time -> {run_dir}")
    started = time.perf_counter()
    _execute(runs, args.jobs, console)
    wall = time.perf_counter() - started

    rows = [row for run in runs if (row := _result_row(run, console)) is not None]
    floor = random_encoder_row(args.env)
    for split in SPLITS:
        console.print(split_table(split, models, rows, floor, args))
    console.print(tta_table(models, rows))
    if "sa" in models and len(models) > 1:
        console.print(paired_table(models, rows))
    speed: dict[str, float] = {}
    finished = [run for run in runs if run["metrics"] is not None]
    if finished:
        # Both thread counts: two threads lose badly when anything else occupies a core.
        speed = {f"{threads}_threads": encoding_speed(finished[0]["dir"], threads) for threads in (1, 2)}
        console.print(f"encoding speed (slots of 64x64 frames, batches of {ENCODE_BATCH}): "
                      f"{speed['1_threads']:,.0f} frames/s on 1 thread, {speed['2_threads']:,.0f} on 2 threads")
    console.print(f"wall time {wall / 60:.1f} min")
    write_json_atomic(run_dir / "bench.json", {"env": args.env, "minutes": args.minutes, "seeds": args.seeds,
                                               "jobs": args.jobs, "rows": rows, "random_encoder": floor,
                                               "encode_frames_per_s": speed, "wall_s": wall})
    write_csv_atomic(run_dir / "bench.csv", rows)
    print(run_dir)
    return 0 if len(rows) == len(runs) else 1

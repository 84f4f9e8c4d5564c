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
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from agents.encoders.api import SlotEncoder
from agents.encoders.pretrain_config import MODEL_LOSSES
from envs.command_line import UserError
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


def _execute(runs: list[dict], jobs: int, console: Console) -> None:
    """Run the commands, ``jobs`` at a time, with a progress bar; sets each run's ``returncode``."""
    pending = list(runs)
    active: list[tuple[dict, subprocess.Popen]] = []
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} runs"),
                  TimeElapsedColumn(), console=console) as progress:
        bar = progress.add_task("pretraining", total=len(runs))
        while pending or active:
            while pending and len(active) < jobs:
                run = pending.pop(0)
                run["dir"].mkdir(parents=True, exist_ok=True)
                log = open(run["dir"] / "run.log", "w")  # noqa: SIM115 (closed when the process ends)
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


def run_bench(args: argparse.Namespace) -> int:
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODEL_LOSSES]
    if unknown or not models:
        raise UserError(f"--models {args.models!r}: choose from {', '.join(MODEL_LOSSES)}")
    if args.seeds < 1 or args.minutes <= 0 or args.jobs < 1:
        raise UserError("--seeds and --jobs must be >= 1 and --minutes > 0")
    console = Console()
    run_dir = Path(args.run_dir) if args.run_dir else new_run_dir("pretrain-bench")
    runs = _run_commands(args, run_dir, models)
    console.print(f"{len(runs)} runs of {args.minutes:g} min, {args.jobs} at a time -> {run_dir}")
    started = time.perf_counter()
    _execute(runs, args.jobs, console)
    wall = time.perf_counter() - started

    rows = []
    for run in runs:
        metrics_path = run["dir"] / "metrics.json"
        metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else {}
        run["metrics"] = metrics if run.get("returncode") == 0 and "final" in metrics else None
        if run["metrics"] is None:
            console.print(f"[red]run {run['model']} seed {run['seed']} failed[/red]; see {run['dir'] / 'run.log'}")
            continue
        row = {"model": run["model"], "seed": run["seed"], "steps": metrics["steps"],
               "images_per_s": metrics["images_per_s"]}
        for split in SPLITS:
            entry = metrics["final"][split]
            for kind in ("plain", "tta"):
                if kind in entry:
                    row[f"{split}_fg_ari_{kind}"] = entry[kind]["fg_ari"]
                    row[f"{split}_mbo_{kind}"] = entry[kind]["mbo"]
            row[f"{split}_grid3x3_fg_ari"] = entry["references"]["grid_3x3"]
        rows.append(row)

    table = Table(title=f"Object discovery on {args.env}: mean ± std over {args.seeds} seeds, "
                        f"{args.minutes:g} min per run ({args.jobs} parallel, 1 thread each)")
    table.add_column("model")
    for split in SPLITS:
        table.add_column(f"{split}\nFG-ARI", justify="right")
        table.add_column(f"{split}\nmBO", justify="right")
    table.add_column("img/s", justify="right")
    tta_table = Table(title="With test-time adaptation (Slot-TTA, per batch, weights restored)")
    tta_table.add_column("model")
    for split in SPLITS:
        tta_table.add_column(f"{split}\nFG-ARI +TTA", justify="right")
        tta_table.add_column(f"{split}\nmBO +TTA", justify="right")
    for model in models:
        mine = [r for r in rows if r["model"] == model]
        cells = []
        tta_cells = []
        for split in SPLITS:
            for metric in ("fg_ari", "mbo"):
                cells.append(_mean_std([r[f"{split}_{metric}_plain"] for r in mine]))
                tta_cells.append(_mean_std([r[f"{split}_{metric}_tta"] for r in mine if f"{split}_{metric}_tta" in r]))
        cells.append(f"{np.mean([r['images_per_s'] for r in mine]):.0f}" if mine else "-")
        table.add_row(model, *cells)
        tta_table.add_row(model, *tta_cells)
    console.print(table)
    console.print(tta_table)
    if rows:
        refs = ", ".join(f"{split} {np.mean([r[f'{split}_grid3x3_fg_ari'] for r in rows]):.3f}" for split in SPLITS)
        console.print(f"reference (no learning): a fixed 3x3 grid of segments scores FG-ARI {refs}")
    speed: dict[str, float] = {}
    finished = [run for run in runs if run["metrics"] is not None]
    if finished:
        # Both thread counts: two threads lose badly when anything else occupies a core.
        speed = {f"{threads}_threads": encoding_speed(finished[0]["dir"], threads) for threads in (1, 2)}
        console.print(f"encoding speed (slots of 64x64 frames, batches of {ENCODE_BATCH}): "
                      f"{speed['1_threads']:,.0f} frames/s on 1 thread, {speed['2_threads']:,.0f} on 2 threads")
    console.print(f"wall time {wall / 60:.1f} min")
    write_json_atomic(run_dir / "bench.json", {"env": args.env, "minutes": args.minutes, "seeds": args.seeds,
                                               "jobs": args.jobs, "rows": rows, "encode_frames_per_s": speed,
                                               "wall_s": wall})
    write_csv_atomic(run_dir / "bench.csv", rows)
    print(run_dir)
    return 0 if len(rows) == len(runs) else 1

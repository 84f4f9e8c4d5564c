"""``slotmind pretrain``: flags -> PretrainConfig, a rich progress bar, and the final summary table."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.table import Table

from agents.encoders.pretrain import ProgressState, TrainingDiverged, pretrain
from agents.encoders.pretrain_config import PretrainConfig
from agents.run_reporter import RunReporter, wide_console
from envs.command_line import UserError
from envs.devices import resolve_device
from envs.registry import SPEC_KWARGS
from envs.run_files import check_new_run_dir, new_run_dir


def config_from_args(args: argparse.Namespace) -> PretrainConfig:
    """The run's config from parsed flags (ValueError for impossible values)."""
    if args.env not in SPEC_KWARGS:
        raise UserError(f"--env {args.env!r}: pretraining needs an ObjectWorld id (ground-truth masks); "
                        f"choose from `slotmind envs list`, e.g. slotmind/ObjectGoal-v0")
    resolve_device(args.device)  # --device cuda without a GPU: one line before any file is written
    minutes = args.minutes if args.steps is None else None
    if minutes is None and args.steps is None:
        minutes = PretrainConfig.minutes
    return PretrainConfig(
        env_id=args.env, model=args.model, minutes=minutes, steps=args.steps, seed=args.seed,
        num_slots=args.slots, iterations=args.iterations, learned_queries=args.learned_queries,
        batch_size=args.batch_size, lr=args.lr, sfs_weight=args.sfs_weight, fsf_weight=args.fsf_weight,
        cycle_temperature=args.cycle_temperature, cycle_start=args.cycle_start, cycle_ramp=args.cycle_ramp,
        tta_steps=args.tta_steps, train_frames=args.train_frames, eval_frames=args.eval_frames,
        ood_frames=args.ood_frames, eval_every_s=args.eval_every,
        threads=args.threads, precision=args.precision, device=args.device, background=args.background,
        foreground_weight=args.foreground_weight,
    )


def summary_table(metrics: dict, title: str) -> Table:
    """Final FG-ARI / ARI / mBO per held-out split, with TTA, the property probes and the best fixed-grid
    reference."""
    table = Table(title=title)
    for column in ("split", "FG-ARI", "ARI (all px)", "mBO", "FG-ARI +TTA", "mBO +TTA", "colour probe",
                   "shape probe", "position R²", "grid 3x3 FG-ARI"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for split, entry in metrics["final"].items():
        tta = entry.get("tta")
        probes = entry.get("probes") or {}
        table.add_row(split, f"{entry['plain']['fg_ari']:.3f}", f"{entry['plain']['ari']:.3f}",
                      f"{entry['plain']['mbo']:.3f}", f"{tta['fg_ari']:.3f}" if tta else "-",
                      f"{tta['mbo']:.3f}" if tta else "-",
                      *(f"{probes[name]:.3f}" if name in probes else "-"
                        for name in ("colour_accuracy", "shape_accuracy", "position_r2")),
                      f"{entry['references']['grid_3x3']:.3f}")
    return table


def run_pretrain(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.run_dir:
        check_new_run_dir(Path(args.run_dir))
    run_dir = Path(args.run_dir) if args.run_dir else new_run_dir(f"pretrain-{config.model}")
    console = wide_console()
    budget = f"{config.minutes:g} min" if config.minutes is not None else f"{config.steps} steps"
    console.print(f"pretraining {config.model} on {config.env_id} for {budget} (seed {config.seed}) -> {run_dir}")
    try:
        with RunReporter(console, quiet=args.quiet) as reporter:
            reporter.phase("training", 1.0, unit="")
            reporter.update(0.0, "collecting frames")

            def show(state: ProgressState) -> None:
                fg = f"{state.fg_ari:.3f}" if state.fg_ari is not None else "-"
                reporter.update(state.fraction, f"step {state.step}  loss {state.loss:.4f}  "
                                                f"{state.images_per_s:.0f} img/s  FG-ARI {fg}")

            metrics = pretrain(config, run_dir, on_progress=show)
    except TrainingDiverged as error:
        raise UserError(str(error)) from error
    console.print(summary_table(metrics, f"{config.model}, {metrics['steps']} steps in {metrics['train_s']:.0f} s "
                                         f"({metrics['images_per_s']:.0f} img/s)"))
    print(run_dir)
    return 0

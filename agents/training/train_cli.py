"""``slotmind train`` and ``slotmind eval``: flags -> runs, rich progress, summary tables."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from agents.training.train_config import TrainConfig, parse_hyperparams
from envs.command_line import UserError
from envs.registry import check_env_id
from envs.run_files import new_run_dir


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    check_env_id(args.env)
    return TrainConfig(env_id=args.env, algo=args.algo, encoder=args.encoder, timesteps=args.timesteps,
                       seed=args.seed, n_envs=args.n_envs, eval_freq=args.eval_freq, save_freq=args.save_freq,
                       eval_episodes=args.eval_episodes, pretrained=args.pretrained, finetune=args.finetune,
                       threads=args.threads, hyperparams=parse_hyperparams(args.hyperparams or []))


def results_table(title: str, results: list[dict]) -> Table:
    """One row per evaluated split: success rate and mean return with 95% intervals."""
    table = Table(title=title)
    for column in ("split", "episodes", "success rate [95% CI]", "mean return [95% CI]"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for r in results:
        table.add_row(r["split"], str(r["episodes"]),
                      f"{r['success_rate']:.3f} [{r['success_ci95'][0]:.3f}, {r['success_ci95'][1]:.3f}]",
                      f"{r['mean_return']:.3f} [{r['return_ci95'][0]:.3f}, {r['return_ci95'][1]:.3f}]")
    return table


def run_train(args: argparse.Namespace) -> int:
    from agents.encoders.checkpoint import CheckpointError
    from agents.training.trainer import TrainingDivergedError, train

    console = Console()
    if args.fps_check is not None:
        return _fps_check(args, console)
    if args.resume:
        run_dir = Path(args.resume)
        config = TrainConfig.load(run_dir)
        from agents.training.callbacks import CHECKPOINT_DIR, LATEST, read_progress

        if not (run_dir / CHECKPOINT_DIR / LATEST).is_file():
            raise UserError(f"{run_dir} has no checkpoint to resume from yet; start it again with `slotmind train`")
        console.print(f"resuming {run_dir} from step {read_progress(run_dir)} of {config.timesteps}")
    else:
        config = config_from_args(args)
        run_dir = Path(args.run_dir) if args.run_dir else new_run_dir(
            f"train-{config.env_id.split('/')[-1]}-{config.encoder}-s{config.seed}")
        console.print(f"training {config.algo} + {config.encoder} on {config.env_id} for {config.timesteps:,} steps "
                      f"(seed {config.seed}) -> {run_dir}")
    columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
               TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[status]}")]
    try:
        with Progress(*columns, console=console, disable=args.quiet) as progress:
            bar = progress.add_task("steps", total=config.timesteps, status="")

            def show(snapshot: dict[str, float]) -> None:
                ret, success = snapshot["mean_return"], snapshot["success_rate"]
                status = (f"{snapshot['fps']:.0f} fps  return {ret:.2f}" if not math.isnan(ret) else
                          f"{snapshot['fps']:.0f} fps")
                if not math.isnan(success):
                    status += f"  success {success:.2f}"
                progress.update(bar, completed=snapshot["num_timesteps"], status=status)

            evaluations = train(config, run_dir, resume=bool(args.resume), on_progress=show, say=console.print)
    except (TrainingDivergedError, CheckpointError) as error:
        raise UserError(str(error)) from error
    console.print(results_table(f"{config.encoder} on {config.env_id}, {evaluations['num_timesteps']:,} steps",
                                evaluations["final"]))
    print(run_dir)
    return 0


def _fps_check(args: argparse.Namespace, console: Console) -> int:
    import torch

    from agents.encoders.api import SlotEncoder
    from agents.encoders.slot_autoencoder import ModelConfig, SlotAutoencoder
    from agents.training.fps_check import fps_ratio

    config = config_from_args(args)
    if args.fps_check < 1:
        raise UserError("--fps-check needs a positive number of steps")
    torch.set_num_threads(config.threads)
    encoder = None
    if config.uses_slots and not config.finetune:
        # Speed does not depend on the weights: an untrained encoder of the default size stands in.
        untrained = SlotAutoencoder(ModelConfig())
        encoder = SlotEncoder.load(config.pretrained) if config.pretrained else SlotEncoder(untrained)
    result = fps_ratio(config, encoder, config.pretrained, args.fps_check)
    table = Table(title=f"SB3 {config.algo} fps on {config.env_id} with --encoder {config.encoder}, "
                        f"{config.n_envs} envs, {config.threads} threads")
    for column in ("real VecEnv fps", "constant VecEnv fps", "ratio", "target"):
        table.add_column(column, justify="right")
    table.add_row(f"{result['real_fps']:,.0f}", f"{result['constant_fps']:,.0f}", f"{result['ratio']:.3f}",
                  ">= 0.9 " + ("met" if result["ratio"] >= 0.9 else "NOT met"))
    if encoder is not None:
        table.caption = ("both VecEnvs feed the same frozen slot encoder (constant frames on the right), so the "
                         "ratio measures the environment alone")
    console.print(table)
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from agents.training.evaluate_run import evaluate_run_dir

    console = Console()
    results = evaluate_run_dir(Path(args.run_dir), args.split, args.episodes, progress=not args.quiet,
                               deterministic=not args.stochastic)
    policy = "sampled" if args.stochastic else "greedy"
    console.print(results_table(f"evaluation of {args.run_dir} ({policy} actions)", results))
    return 0

"""The handlers of ``slotmind reason train nps`` and ``slotmind reason bench nps``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from envs.command_line import UserError, choice_list
from envs.run_files import atomic_path, new_run_dir, write_csv_atomic, write_json_atomic
from reasoning.nps.config import MODEL_LABELS, MODELS, TrainConfig
from reasoning.nps.training import RunResult, Snapshot, summary, train_and_evaluate


def _console() -> Any:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 160)
    return console


def _config(args: argparse.Namespace, task: str, model: str, seed: int, steps: int) -> TrainConfig:
    """A checked TrainConfig from the shared flags; bad values become one-line UserErrors."""
    try:
        return TrainConfig(task=task, model=model, seed=seed, steps=steps, minutes=args.minutes,
                           batch_size=args.batch_size, lr=args.lr, hidden=args.hidden, n_rules=args.n_rules,
                           temperature=args.temperature, rule_mi=args.rule_mi, train_sequences=args.train_sequences,
                           test_sequences=args.test_sequences, length=args.length,
                           train_episodes=args.train_episodes, episode_steps=args.episode_steps,
                           test_episodes=args.test_episodes, train_objects=args.train_objects,
                           test_objects=args.test_objects, rollout=args.rollout, radius=args.radius)
    except ValueError as error:
        raise UserError(str(error)) from None


def save_run(folder: Path, config: TrainConfig, result: RunResult) -> dict[str, Any]:
    """Write config.json, model.pt, metrics.json/.csv and history.csv into ``folder`` (atomically);
    returns the result row (task, model, seed, metrics, train seconds)."""
    import torch

    folder.mkdir(parents=True, exist_ok=True)
    row = {"task": config.task, "model": config.model, "seed": config.seed, **summary(result)}
    write_json_atomic(folder / "config.json", config.to_dict())
    with atomic_path(folder / "model.pt") as tmp:
        torch.save({"config": config.to_dict(), "state_dict": result.model.state_dict()}, tmp)
    write_json_atomic(folder / "metrics.json", {"config": config.to_dict(), "metrics": result.metrics,
                                                "train_seconds": result.train_seconds, "history": result.history})
    write_csv_atomic(folder / "metrics.csv", [row])
    write_csv_atomic(folder / "history.csv", result.history)
    return row


def _train_cell(progress: Any, config: TrainConfig, folder: Path) -> dict[str, Any]:
    """Train and score one model under a progress bar; save it to ``folder``; return its row."""
    label = f"{config.task} {MODEL_LABELS[config.model]} seed {config.seed}"
    task = progress.add_task(label, total=config.steps)

    def update(snapshot: Snapshot) -> None:
        """Show one training snapshot."""
        progress.update(task, completed=snapshot.step,
                        description=f"{label} step {snapshot.step} loss {snapshot.loss:.2e}")

    result = train_and_evaluate(config, update)
    progress.remove_task(task)
    return save_run(folder, config, result)


def _with_progress(args: argparse.Namespace, work: Callable[[Any], Any]) -> Any:
    import torch

    from reasoning.seq2seq.progress_bar import new_progress

    if args.threads < 1:
        raise UserError("--threads must be >= 1")
    torch.set_num_threads(args.threads)
    with new_progress(_console()) as progress:
        return work(progress)


def run_train(args: argparse.Namespace) -> int:
    """``reason train nps``: one model; prints its held-out metrics and the run folder last. Returns 0."""
    config = _config(args, args.task, args.model, args.seed, args.steps)
    folder = Path(args.run_dir) if args.run_dir else new_run_dir(f"nps-{args.task}-{args.model}-s{args.seed}")
    started = time.perf_counter()
    row = _with_progress(args, lambda progress: _train_cell(progress, config, folder))
    from rich.table import Table

    table = Table(title=f"{args.task} {MODEL_LABELS[args.model]} seed {args.seed}, held-out",
                  caption=f"{config.steps} steps, wall {time.perf_counter() - started:.0f} s")
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, value in row.items():
        if key not in ("task", "model", "seed"):
            table.add_row(key, f"{value:.4g}")
    _console().print(table)
    print(folder)
    return 0



def run_bench(args: argparse.Namespace) -> int:
    """``reason bench nps``: every cell, the engine timing, one table, the folder last. Returns 0."""
    from reasoning.nps.bench import print_table, table_rows, write_results
    from reasoning.nps.engine_speed import compare_engines

    if args.seeds < 1 or args.ruleworld_seeds < 1 or args.engine_worlds < 1 or not 1 <= args.engine_objects <= 32:
        raise UserError("--seeds, --ruleworld-seeds and --engine-worlds must be >= 1, --engine-objects in 1..32")
    configs = [_config(args, "arithmetic", "nps-seq", seed, args.arithmetic_steps) for seed in range(args.seeds)]
    configs.append(_config(args, "arithmetic", "mlp", 0, args.arithmetic_steps))
    models = choice_list(args.ruleworld_models, MODELS, "--ruleworld-models")
    configs += [_config(args, "ruleworld", model, seed, args.ruleworld_steps)
                for model in models for seed in range(args.ruleworld_seeds)]
    folder = Path(args.run_dir) if args.run_dir else new_run_dir("nps-bench")
    folder.mkdir(parents=True, exist_ok=True)
    started, rows = time.perf_counter(), []

    def work(progress: Any) -> None:
        for config in configs:
            cell = folder / f"{config.task}-{config.model}-s{config.seed}"
            rows.append(_train_cell(progress, config, cell))
            write_results(folder, {"rows": rows, "finished": False})

    _with_progress(args, work)
    engine = compare_engines(args.engine_worlds, args.engine_objects)
    wall = time.perf_counter() - started
    test_objects = list(args.test_objects)
    write_results(folder, {"rows": rows, "engine": engine, "wall_s": wall, "threads": args.threads,
                           "finished": True, "config": configs[0].to_dict()})
    print_table(_console(), table_rows(rows, engine, test_objects, args.rollout), test_objects,
                f"neural production systems: held-out data, {args.threads} torch thread(s); RuleWorld trained with "
                f"{args.train_objects} objects; total wall {wall / 60:.1f} min")
    print(folder)
    return 0

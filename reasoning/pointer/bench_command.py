"""The handlers of ``slotmind reason train pointer`` and ``slotmind reason bench pointer``."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from envs.command_line import UserError, choice_list
from envs.run_files import new_run_dir
from reasoning.pointer.bench import CellSpec, print_table, run_cell, time_held_karp, write_results
from reasoning.pointer.commands import DECODING_CHOICES
from reasoning.pointer.config import TrainConfig
from reasoning.pointer.training import Progress


def _console() -> Any:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, 240)
    return console



def _config(args: argparse.Namespace, cell: CellSpec) -> TrainConfig:
    config = TrainConfig(task=cell.task, n=cell.n, model=cell.model, minutes=cell.minutes, max_steps=args.max_steps,
                         seed=args.seed, batch_size=args.batch_size, lr=args.lr, hidden=args.hidden,
                         layers=args.layers, valid_size=args.valid_size, eval_seconds=args.eval_seconds)
    config = replace(config, **dict(cell.overrides))
    try:
        config.check()
    except ValueError as error:
        raise UserError(str(error)) from None
    if args.eval_size < 1 or args.k < 1:
        raise UserError("--eval-size and -k must be >= 1")
    return config


def _bar(progress: Any, config: TrainConfig) -> Callable[[Progress], None]:
    """A progress task following one cell's training time against its budget."""
    label = f"{config.task} n={config.n} {config.model}"
    total = 60.0 * config.minutes if config.minutes > 0 else 1.0
    task = progress.add_task(label, total=total)

    def update(snapshot: Progress) -> None:
        """Show one training snapshot."""
        valid = ", ".join(f"{key} {value:.3f}" for key, value in snapshot.valid.items())
        progress.update(task, completed=min(snapshot.elapsed_s, total),
                        description=f"{label} step {snapshot.step} loss {snapshot.loss:.3f} {valid}")

    return update


def _run(args: argparse.Namespace, cells: list[CellSpec], prefix: str) -> tuple[Path, list[dict[str, Any]], float]:
    """Train and evaluate every cell; returns the folder, the rows and the wall time."""
    import torch

    from reasoning.seq2seq.progress_bar import new_progress

    torch.set_num_threads(max(1, args.threads))
    decodings = choice_list(args.decodings, DECODING_CHOICES, "--decodings")
    configs = [_config(args, cell) for cell in cells]
    folder = Path(args.run_dir) if args.run_dir else new_run_dir(prefix)
    folder.mkdir(parents=True, exist_ok=True)
    console, rows, started = _console(), [], time.perf_counter()
    with new_progress(console) as progress:
        for config in configs:
            cell_dir = folder / f"{config.task}-n{config.n}-{config.model}" if len(configs) > 1 else folder
            cell_dir.mkdir(parents=True, exist_ok=True)
            rows += run_cell(config, cell_dir, args.eval_size, decodings, args.k, _bar(progress, config))
            write_results(folder, {"rows": rows, "wall_s": time.perf_counter() - started, "finished": False})
    return folder, rows, time.perf_counter() - started


def run_train(args: argparse.Namespace) -> int:
    """``reason train pointer``: one cell; prints its table and the run folder. Returns 0."""
    cell = CellSpec(args.task, args.n, args.model, args.minutes)
    folder, rows, wall = _run(args, [cell], f"pointer-{args.task}-n{args.n}-{args.model}")
    write_results(folder, {"rows": rows, "wall_s": wall, "finished": True, "threads": args.threads})
    print_table(_console(), rows, f"pointer {args.task} n={args.n} {args.model}: {args.eval_size} held-out "
                                  f"instances, seed {args.seed}; wall {wall / 60:.1f} min")
    print(folder)
    return 0


def run_bench(args: argparse.Namespace) -> int:
    """``reason bench pointer``: every cell, the Held-Karp n=20 timing, one table, the folder last. Returns 0."""
    try:
        cells = [CellSpec.parse(text) for text in args.cells]
    except ValueError as error:
        raise UserError(str(error)) from None
    if args.held_karp_instances < 1:
        raise UserError("--held-karp-instances must be >= 1")
    folder, rows, wall = _run(args, cells, "pointer-bench")
    held_karp_s = time_held_karp(20, args.held_karp_instances, args.seed)
    payload = {"rows": rows, "wall_s": wall, "finished": True, "threads": args.threads,
               "held_karp_n20_s_per_instance": held_karp_s, "held_karp_instances": args.held_karp_instances}
    write_results(folder, payload)
    console = _console()
    print_table(console, rows, f"pointer networks: {args.eval_size} held-out test instances per cell, seed "
                               f"{args.seed}, {args.threads} torch thread(s); total wall {wall / 60:.1f} min")
    console.print(f"Held-Karp n=20: {held_karp_s:.3f} s per instance (mean of {args.held_karp_instances}, numba, "
                  f"1 thread)")
    print(folder)
    return 0

"""``slotmind sweep SPEC.yaml``: check every cell, run them as Ray Tune trials, print one aggregate table.

Order of work: the spec and every cell are checked (nothing starts on bad input), the sweep folder is made
(or found again with ``--resume``), Ray starts or is joined, the unfinished cells run, and the summary is
printed with the sweep folder's path last.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from agents.sweeps.families import headline
from agents.sweeps.layout import COMPARE_DIR, Cell, SweepLayout, is_sweep_dir
from agents.sweeps.spec import expand_cells, load_spec
from envs.command_line import UserError
from envs.run_files import new_run_dir, runs_root, write_json_atomic

SUMMARY_FILE = "summary.json"


def find_sweep_dir(args: argparse.Namespace, name: str) -> Path:
    """The folder to continue with ``--resume``: ``--sweep-dir``, the SPEC argument when it is a sweep folder,
    else the newest ``runs/sweep-<name>-*``."""
    if args.sweep_dir:
        return Path(args.sweep_dir)
    if is_sweep_dir(Path(args.spec)):
        return Path(args.spec)
    found = sorted(p for p in runs_root().glob(f"sweep-{name}-*") if is_sweep_dir(p))
    if not found:
        raise UserError(f"--resume: no sweep of {name!r} under {runs_root()}; give its folder with --sweep-dir")
    return found[-1]


def prepare(args: argparse.Namespace) -> tuple[SweepLayout, list[Cell], int]:
    """Checked cells, the sweep folder (written) and the retry count; UserError before anything starts."""
    if args.max_concurrent < 0 or (args.cpus is not None and args.cpus < 1):
        raise UserError("--max-concurrent must be >= 0 (0: as many as the CPUs allow) and --cpus >= 1")
    if args.resume and is_sweep_dir(Path(args.spec)):
        layout = SweepLayout(Path(args.spec))
        sweep = layout.read_sweep()
        return layout, sweep["cells"], int(sweep["spec"].get("retries", 2))
    spec = load_spec(Path(args.spec))
    cells = expand_cells(spec)
    if args.resume:
        layout = SweepLayout(find_sweep_dir(args, spec.name))
        saved = layout.read_sweep()
        if [(c.name, c.argv) for c in saved["cells"]] != [(c.name, c.argv) for c in cells]:
            raise UserError(f"{args.spec} no longer describes the cells of {layout.root}; start a new sweep "
                            f"(leave out --resume) or resume with the spec it was made from")
        return layout, cells, spec.retries
    if args.sweep_dir:
        root = Path(args.sweep_dir)
        if root.exists() and any(root.iterdir()):
            raise UserError(f"--sweep-dir {root} exists and is not empty; give a new folder, or add --resume")
    else:
        root = new_run_dir(f"sweep-{spec.name}")
    layout = SweepLayout(root)
    layout.write_sweep(spec.raw, cells, Path.cwd())
    return layout, cells, spec.retries


def run_sweep(args: argparse.Namespace) -> int:
    """The ``slotmind sweep`` handler: exit 0 when every cell finished, 1 otherwise."""
    from agents.sweeps.ray_runner import import_ray, ray_session, run_trials

    import_ray()
    layout, cells, retries = prepare(args)
    console = Console() if sys.stdout.isatty() else Console(width=200)
    todo = [cell for cell in cells if layout.read_record(cell.name).status != "finished"]
    console.print(f"sweep of {len(cells)} cells ({cells[0].command}), {len(cells) - len(todo)} already finished, "
                  f"{args.max_concurrent or 'as many as the CPUs allow'} at a time -> {layout.root}")
    started = time.perf_counter()
    if todo:
        from agents.sweeps.progress import SweepProgress

        with ray_session(args.address, args.cpus, layout), SweepProgress(layout, len(todo), console) as progress:
            run_trials(layout, todo, args.max_concurrent, retries, [progress])
    wall = time.perf_counter() - started
    return summarize(layout, cells, wall, console)


def summarize(layout: SweepLayout, cells: list[Cell], wall: float, console: Console) -> int:
    """Print the per-cell table and the aggregate (train: `slotmind compare`'s table and curves.png), write
    ``summary.json``, print the sweep folder last; 0 when every cell finished."""
    records = {cell.name: layout.read_record(cell.name) for cell in cells}
    table = Table(title=f"sweep {layout.root.name}: {len(cells)} cells")
    for column in ("cell", "status", "attempts", "seconds", "result"):
        table.add_column(column, justify="left" if column in ("cell", "status", "result") else "right")
    for cell in cells:
        record = records[cell.name]
        seconds = record.result.get("seconds")
        table.add_row(cell.name, record.status, str(len(record.attempts)), f"{seconds:.0f}" if seconds else "-",
                      headline(record.result) or str(record.result.get("results", "-")))
    console.print(table)
    finished = [cell for cell in cells if records[cell.name].status == "finished"]
    if finished and cells[0].command == "train":
        from agents.training.compare import load_summary, print_comparison

        runs = [load_summary(layout.cell_dir(cell.name)) for cell in finished]
        print_comparison(runs, layout.root / COMPARE_DIR, 0, console)
    elif finished:
        console.print(group_table({cell.name: cell.labels for cell in finished},
                                  {cell.name: records[cell.name].result for cell in finished}))
    console.print(f"wall time {wall:.1f} s for {len(cells)} cells ({len(finished)} finished)")
    write_json_atomic(layout.root / SUMMARY_FILE, {
        "wall_seconds": round(wall, 2), "cells": {name: {"status": r.status, "attempts": len(r.attempts), **r.result}
                                                  for name, r in records.items()}})
    if len(finished) < len(cells):
        console.print(f"{len(cells) - len(finished)} cells did not finish; continue with: slotmind sweep "
                      f"{layout.root} --resume")
    print(layout.root)
    return 0 if len(finished) == len(cells) else 1


def group_table(labels: dict[str, dict[str, str]], results: dict[str, dict[str, Any]]) -> Table:
    """Cells grouped by every grid axis but ``seed``: mean ± std over the group of each numeric score."""
    from agents.training.compare import format_mean_std, mean_std

    groups: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for name, axes in labels.items():
        groups.setdefault(tuple((k, v) for k, v in axes.items() if k != "seed"), []).append(name)
    scores = [key for key in ("success_rate", "mean_return", "fg_ari", "mbo")
              if any(isinstance(r.get(key), float) for r in results.values())]
    table = Table(title="cells grouped (mean ± std over seeds)")
    for column in ("group", "cells", *scores):
        table.add_column(column, justify="left" if column == "group" else "right")
    for key, names in groups.items():
        values = [mean_std([float(results[n][score]) for n in names if isinstance(results[n].get(score), float)])
                  for score in scores]
        table.add_row(" ".join(f"{k}={v}" for k, v in key) or "all", str(len(names)),
                      *(format_mean_std(*value) for value in values))
    return table

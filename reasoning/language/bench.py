"""``slotmind reason bench language``: both training methods over seeds, the language metrics
(mean ± std) and the zero-shot stitching table (absolute vs relative representations)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from reasoning.language.config import LanguageConfig
from reasoning.language.figures import plot_topsim
from reasoning.language.run_folder import write_run
from reasoning.language.stitching import StitchingResult, stitching_matrix
from reasoning.language.training import Progress, TrainResult, evaluation_batches, make_data, train

METRICS = ("accuracy", "held_out_accuracy", "topsim", "posdis", "bosdis", "entropy")


@dataclass(frozen=True)
class BenchCell:
    """One training run of the bench: a method, a seed, the receiver's reader, absolute or relative
    representations."""

    method: str
    seed: int
    relative: bool = False
    reader: str = "recurrent"

    @property
    def name(self) -> str:
        """The run's folder name, e.g. ``gumbel-relative-s1`` or ``reinforce-linear-s0``."""
        reader = "" if self.reader == "recurrent" else f"-{self.reader}"
        return f"{self.method}{reader}{'-relative' if self.relative else ''}-s{self.seed}"


def bench_cells(methods: Sequence[str], seeds: int, stitch_method: str | None,
                readers: Sequence[str] = ("recurrent",)) -> list[BenchCell]:
    """Every (method, reader, seed) run, then the relative runs of ``stitch_method`` that stitching needs
    (their receivers read relative representations; they keep the first reader for the absolute listener)."""
    cells = [BenchCell(method, seed, reader=reader) for method in methods for reader in readers
             for seed in range(seeds)]
    if stitch_method is not None:
        cells += [BenchCell(stitch_method, seed, relative=True, reader=readers[0]) for seed in range(seeds)]
    return cells


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """(mean, population std) of ``values``."""
    array = np.asarray(values, dtype=float)
    return float(array.mean()), float(array.std())


def metric_rows(results: dict[BenchCell, TrainResult]) -> list[dict[str, Any]]:
    """One row per (method, representation, reader): every metric's mean and std over the seeds run."""
    groups: dict[tuple[str, bool, str], list[TrainResult]] = {}
    for cell, result in results.items():
        groups.setdefault((cell.method, cell.relative, cell.reader), []).append(result)
    rows = []
    for (method, is_relative, reader), runs in groups.items():
        row: dict[str, Any] = {"method": method, "representation": "relative" if is_relative else "absolute",
                               "reader": "anchors" if is_relative else reader, "seeds": len(runs),
                               "generations": 1 + max(point["generation"] for point in runs[0].history)}
        for metric in (*METRICS, "train_s"):
            row[f"{metric}_mean"], row[f"{metric}_std"] = mean_std([run.metrics[metric] for run in runs])
        rows.append(row)
    return rows


def stitching_row(representation: str, result: StitchingResult) -> dict[str, Any]:
    """The stitching table's row for one kind of representation."""
    same, stitched = mean_std(result.same_seed), mean_std(result.stitched)
    return {"representation": representation, "same_seed_mean": same[0], "same_seed_std": same[1],
            "stitched_mean": stitched[0], "stitched_std": stitched[1], "ratio": result.ratio,
            "chance": result.chance, "pairs": int(result.stitched.size), "matrix": result.matrix.tolist()}


def cell_steps(config: LanguageConfig, iterated_steps: int | None) -> int:
    """Training steps of one bench run: ``iterated_steps`` (when given) for a run that learns by iterated
    learning (more than one generation), ``config.steps`` otherwise."""
    return iterated_steps if iterated_steps and config.n_generations > 1 else config.steps


def run_bench(base: LanguageConfig, cells: Sequence[BenchCell], bench_dir: Callable[[], Path],
              iterated_steps: int | None = None,
              on_start: Callable[[BenchCell, int], Callable[[Progress], None]] | None = None,
              on_done: Callable[[BenchCell, TrainResult], None] | None = None) -> dict[str, Any]:
    """Train every cell (``base`` with the cell's method, seed, reader and representation; cells that learn
    by iterated learning for ``iterated_steps`` steps when given), write each run to
    ``bench_dir()/<cell name>``, then stitch the seeds of each representation. Returns the payload."""
    started = time.perf_counter()
    data = make_data(base)
    results: dict[BenchCell, TrainResult] = {}
    for cell in cells:
        config = replace(base, method=cell.method, seed=cell.seed, relative=cell.relative, reader=cell.reader,
                         encoder="")
        config = replace(config, steps=cell_steps(config, iterated_steps))
        progress = on_start(cell, config.steps) if on_start else None
        result = train(config, progress, data)
        write_run(bench_dir() / cell.name, result, config)
        results[cell] = result
        if on_done:
            on_done(cell, result)
    stitching = []
    relative_cells = [cell for cell in cells if cell.relative]
    if relative_cells and base.game == "discrimination":
        method, reader = relative_cells[0].method, relative_cells[0].reader
        batch = evaluation_batches(base, data)["train"]
        for representation, is_relative in (("absolute", False), ("relative", True)):
            games = [results[cell].game for cell in cells
                     if cell.method == method and cell.relative == is_relative and cell.reader == reader]
            if len(games) >= 2:
                stitching.append(stitching_row(representation, stitching_matrix(games, batch, base.distractors + 1)))
    plot_topsim({cell.name: result.history for cell, result in results.items()}, bench_dir() / "topsim.png",
                f"{base.game}, {base.attributes} x {base.values}, {base.distractors} distractors")
    stitch_method = relative_cells[0].method if relative_cells else None
    runs = [{"run": cell.name, **results[cell].metrics} for cell in cells]
    return {"config": base.to_dict(), "iterated_steps": iterated_steps, "stitch_method": stitch_method, "runs": runs,
            "rows": metric_rows(results), "stitching": stitching, "wall_s": time.perf_counter() - started}


def load_scenes(config: LanguageConfig) -> tuple[Any, Any]:
    """The grounded game's (training scenes, held-out scenes), encoded with ``config.encoder``."""
    from agents.encoders.api import SlotEncoder
    from reasoning.language.grounded import collect_scenes

    scenes = collect_scenes(SlotEncoder.load(config.encoder), config.scenes, seed=1_000_000 * (1 + config.data_seed))
    n_held = max(1, round(config.held_out * len(scenes)))
    train, held_out = scenes.subset(np.arange(n_held, len(scenes))), scenes.subset(np.arange(n_held))
    return train.standardised(train), held_out.standardised(train)


def run_grounded(base: LanguageConfig, seeds: Sequence[int], method: str, bench_dir: Callable[[], Path],
                 on_start: Callable[[str], Callable[[Progress], None]] | None = None) -> dict[str, Any]:
    """The grounded game for each seed (``method``); each run's folder (config, checkpoint, metrics, learning
    curve, messages, topsim.png) goes to ``bench_dir()/grounded-<method>-s<seed>``. Returns the row (mean,
    std over seeds) and the runs."""
    from reasoning.language.grounded import train_grounded
    from reasoning.language.run_folder import write_grounded_run

    train_scenes, held_out_scenes = load_scenes(base)
    runs = []
    for seed in seeds:
        config = replace(base, method=method, seed=seed)
        name = f"grounded-{method}-s{seed}"
        result = train_grounded(config, train_scenes, held_out_scenes, on_start(name) if on_start else None)
        write_grounded_run(bench_dir() / name, result, config, {"train": train_scenes, "held_out": held_out_scenes})
        runs.append({"run": name, **result.metrics})
    row: dict[str, Any] = {"method": method, "seeds": len(runs), "train_scenes": len(train_scenes),
                           "held_out_scenes": len(held_out_scenes), "chance": runs[0]["chance"],
                           "reader": base.reader, "generations": 1}  # grounded games train in one generation
    for metric in (*METRICS, "train_s"):
        row[f"{metric}_mean"], row[f"{metric}_std"] = mean_std([run[metric] for run in runs])
    return {"row": row, "runs": runs}

"""The reasoning bench: train + evaluate every (model, split, seed) cell and summarise beside published numbers.

Models come from the seq2seq registry, so any registered model can be benchmarked by name.
Each cell is a complete run folder (``<bench>/runs/<model>-<split>-seed<n>``) that
``slotmind reason eval`` can score on other files afterwards.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reasoning.published import published_for, same_kind
from reasoning.seq2seq.interface import ProgressCallback, TrainBudget
from reasoning.seq2seq.registry import model_class
from reasoning.seq2seq.run_folder import RunResult, TrainSpec, train_run
from reasoning.tasks import TASK_SPLITS
from reasoning.tasks.hint import HINT_SUBSETS

# The splits of the results table, benchmarked when --splits is not given.
DEFAULT_SPLITS: dict[str, tuple[str, ...]] = {
    "scan": ("simple", "length", "add-jump", "around-right"),
    "pcfg": TASK_SPLITS["pcfg"],
    "hint": ("symbol",),
}
AVERAGE = "avg"  # the row of HINT's mean over its subsets


@dataclass(frozen=True)
class BenchCell:
    """One run of the bench."""

    model: str
    split: str
    seed: int


@dataclass
class CellResult:
    """The outcome of one cell.

    Attributes:
        accuracy: exact match on the whole test part, in [0, 1].
        subsets: test subset -> accuracy in [0, 1] (HINT), empty otherwise.
        wall_s: seconds for the whole cell (training, test decoding, writing the run).
    """

    model: str
    split: str
    seed: int
    run_dir: str
    accuracy: float
    n_test: int
    wall_s: float
    fit_s: float
    test_s: float
    steps: int
    epochs: int
    stop_reason: str
    best_valid_accuracy: float
    subsets: dict[str, float] = field(default_factory=dict)

    @classmethod
    def of(cls, cell: BenchCell, result: RunResult, wall_s: float) -> CellResult:
        """The record of ``cell`` from its run."""
        return cls(cell.model, cell.split, cell.seed, str(result.run_dir), result.test.accuracy, result.test.n,
                   round(wall_s, 3), result.seconds["fit"], result.seconds["test"], result.fit.steps,
                   result.fit.epochs, result.fit.stop_reason, result.fit.best_valid_accuracy,
                   {name: accuracy for name, (accuracy, _) in result.test.subsets.items()})


def check_bench(task: str, models: Sequence[str], splits: Sequence[str], seeds: int) -> None:
    """Raise ``ValueError`` for an unknown task, model or split, or fewer than one seed."""
    if task not in TASK_SPLITS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASK_SPLITS)}")
    if not models or not splits:
        raise ValueError("give at least one model and one split")
    for model in models:
        model_class(model)
    unknown = [split for split in splits if split not in TASK_SPLITS[task]]
    if unknown:
        raise ValueError(f"unknown {task} split(s) {', '.join(unknown)}; choose from {', '.join(TASK_SPLITS[task])}")
    if seeds < 1:
        raise ValueError(f"--seeds {seeds}: give at least 1 seed")
    for split in splits:
        for model in models:
            TrainSpec(model=model, task=task, split=split).check()  # e.g. a token model on HINT's image split


def model_settings(models: Sequence[str], settings: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Hyperparameter overrides per model from ``{"KEY": v}`` (every model) and ``{"MODEL.KEY": v}`` (one model).

    Raises:
        ValueError: a ``MODEL.`` prefix naming a model not benchmarked, or a setting some model does
            not have (checked by building each model).
    """
    configs: dict[str, dict[str, Any]] = {model: {} for model in models}
    for key, value in settings.items():
        model, dot, name = key.rpartition(".")
        if dot and model not in configs:
            raise ValueError(f"--set {key}: {model!r} is not one of the benchmarked models {', '.join(models)}")
        for target in [model] if dot else models:
            configs[target][name] = value
    for model, config in configs.items():
        model_class(model)(**config)
    return configs


def bench_cells(models: Sequence[str], splits: Sequence[str], seeds: int) -> list[BenchCell]:
    """Every cell, split-major (each split's data is loaded once), then model, then seed 0..seeds-1."""
    return [BenchCell(model, split, seed) for split in splits for model in models for seed in range(seeds)]


def run_bench(task: str, cells: Sequence[BenchCell], run_dir_of: Callable[[BenchCell], Path], budget: TrainBudget,
              spec_options: dict[str, Any] | None = None, model_configs: dict[str, dict[str, Any]] | None = None,
              on_start: Callable[[BenchCell], ProgressCallback | None] | None = None,
              on_done: Callable[[CellResult], None] | None = None) -> list[CellResult]:
    """Train and test every cell, each into its own run folder.

    Args:
        task: the task of every cell.
        cells: from :func:`bench_cells`.
        run_dir_of: the (new) run folder of a cell, asked after ``on_start``, e.g.
            ``<bench>/runs/<model>-<split>-seed<n>`` (see :func:`cell_run_dir`).
        budget: the training budget of each cell.
        spec_options: further :class:`TrainSpec` fields shared by all cells (``data_dir``,
            ``data_seed``, ``task_options``, ``valid_fraction``).
        model_configs: hyperparameter overrides by model name.
        on_start: called before each cell, after its split's data has loaded; may return the
            progress callback of its training.
        on_done: called with each cell's result (e.g. to save partial results).

    Returns:
        One :class:`CellResult` per cell, in order.
    """
    results: list[CellResult] = []
    data: dict[str, Any] | None = None
    loaded_split = None
    for cell in cells:
        started = time.perf_counter()
        spec = TrainSpec(model=cell.model, task=task, split=cell.split, seed=cell.seed, budget=budget,
                         model_config=dict((model_configs or {}).get(cell.model, {})), **(spec_options or {}))
        if loaded_split != cell.split:
            data, loaded_split = spec.load_data(), cell.split
        progress = on_start(cell) if on_start is not None else None
        result = train_run(spec, run_dir_of(cell), data, progress)
        results.append(CellResult.of(cell, result, time.perf_counter() - started))
        if on_done is not None:
            on_done(results[-1])
    return results


def cell_run_dir(bench_dir: Path, cell: BenchCell) -> Path:
    """The run folder of a cell inside a bench folder: ``<bench_dir>/runs/<model>-<split>-seed<n>``."""
    return bench_dir / "runs" / f"{cell.model}-{cell.split}-seed{cell.seed}"


def _row_subsets(task: str, results: Sequence[CellResult]) -> list[str | None]:
    if task == "hint" and any(result.subsets for result in results):
        present = {name for result in results for name in result.subsets}
        return [name for name in HINT_SUBSETS if name in present] + [AVERAGE]
    return [None]


def _accuracy(result: CellResult, subset: str | None) -> float:
    if subset is None:
        return result.accuracy
    if subset == AVERAGE:
        return statistics.fmean(result.subsets.values())
    return result.subsets[subset]


def summarise(task: str, results: Sequence[CellResult]) -> list[dict[str, Any]]:
    """One row per (split, subset, model): accuracy mean ± std over seeds (percent), wall time, published numbers.

    HINT rows are its test subsets plus ``avg`` (the mean over subsets, as published); other tasks
    have one row per split and model with ``subset`` empty. The standard deviation is the sample
    one (0 with a single seed). ``published_same_kind`` is the number of the published model most
    like ours (see :func:`reasoning.published.same_kind`), ``published_best`` the best published.
    """
    rows = []
    for split in dict.fromkeys(result.split for result in results):
        in_split = [result for result in results if result.split == split]
        for subset in _row_subsets(task, in_split):
            for model in dict.fromkeys(result.model for result in in_split):
                runs = [result for result in in_split if result.model == model]
                values = [100.0 * _accuracy(result, subset) for result in runs]
                kind = same_kind(model, task, split, subset)
                best = next(iter(published_for(task, split, subset)), None)
                rows.append({
                    "task": task, "split": split, "subset": subset or "", "model": model, "seeds": len(runs),
                    "accuracy_mean": round(statistics.fmean(values), 2),
                    "accuracy_std": round(statistics.stdev(values), 2) if len(values) > 1 else 0.0,
                    "wall_s_per_run": round(statistics.fmean(result.wall_s for result in runs), 1),
                    "published_same_kind": kind.text() if kind else "",
                    "published_same_kind_model": kind.model if kind else "",
                    "published_best": best.text() if best else "",
                    "published_best_model": best.model if best else "",
                })
    return rows


def published_sources(task: str, rows: Sequence[dict[str, Any]]) -> dict[str, str]:
    """Published model name -> source, for the published numbers shown in ``rows``."""
    shown = {(row["split"], row["subset"] or None) for row in rows}
    models = {row[key] for row in rows for key in ("published_same_kind_model", "published_best_model") if row[key]}
    sources: dict[str, str] = {}
    for split, subset in shown:
        for published in published_for(task, split, subset):
            if published.model in models:
                sources[published.model] = published.source
    return dict(sorted(sources.items()))


def bench_payload(task: str, cells: Sequence[BenchCell], budget: TrainBudget, results: Sequence[CellResult],
                  spec_options: dict[str, Any], model_configs: dict[str, dict[str, Any]],
                  wall_s: float) -> dict[str, Any]:
    """The ``bench.json`` contents: settings, every cell, the summary rows and published sources."""
    rows = summarise(task, results) if results else []
    return {
        "task": task, "cells_planned": [asdict(cell) for cell in cells], "budget": asdict(budget),
        "options": spec_options, "model_settings": model_configs, "complete": len(results) == len(cells),
        "wall_s": round(wall_s, 1), "rows": rows, "published_sources": published_sources(task, rows),
        "cells": [asdict(result) for result in results],
    }

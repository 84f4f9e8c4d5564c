"""Train-and-evaluate cells for ``slotmind reason train|bench pointer``: one cell trains a model,
decodes a held-out seeded test set with each decoding, and scores it against the exact reference
and (TSP) the classical baselines on the same instances."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from envs.run_files import write_csv_atomic, write_json_atomic
from reasoning.pointer.config import TrainConfig
from reasoning.pointer.figures import draw_examples
from reasoning.pointer.metrics import optimality_gap
from reasoning.pointer.scoring import decode, make_references, score
from reasoning.pointer.training import Progress, TrainResult, data_rng, train
from reasoning.pointer.tsp_exact import MAX_EXACT_N, held_karp
from reasoning.pointer.tsp_geometry import tour_lengths
from reasoning.pointer.tsp_heuristics import HEURISTICS, heuristic_tours

# Section 7 of BENCHMARKS.md (points uniform in the unit square), shown beside our numbers.
PUBLISHED: dict[tuple[str, int], str] = {
    ("hull", 50): "Ptr-Net 72.6% / 99.9% area",
    ("tsp", 5): "Ptr-Net 2.12 (opt 2.12)",
    ("tsp", 10): "Ptr-Net 2.87 (opt 2.87)",
    ("tsp", 20): "AM greedy 3.85 (0.34%), FI 3.93 (2.36%)",
    ("tsp", 50): "AM greedy 5.80 (1.76%), FI 6.01",
    ("tsp", 100): "AM greedy 8.12, FI 8.35",
}


CELL_OVERRIDES: dict[str, type] = {"hidden": int, "layers": int, "lr": float, "batch_size": int}


@dataclass(frozen=True)
class CellSpec:
    """One bench cell: ``task:n:model:minutes[:key=value,...]`` on the command line; the optional
    part overrides :data:`CELL_OVERRIDES` settings for this cell only (e.g. ``hidden=64,lr=2e-4``)."""

    task: str
    n: int
    model: str
    minutes: float
    overrides: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def parse(cls, text: str) -> CellSpec:
        """``"tsp:20:attention:15:hidden=64"`` -> CellSpec; ValueError saying the format otherwise."""
        parts = text.split(":")
        try:
            task, n, model, minutes = parts[:4]
            if len(parts) > 5:
                raise ValueError
            pairs = [pair.split("=") for pair in parts[4].split(",")] if len(parts) == 5 else []
            overrides = tuple((key, CELL_OVERRIDES[key](value)) for key, value in pairs)
            return cls(task, int(n), model, float(minutes), overrides)
        except (ValueError, KeyError):
            raise ValueError(f"bench cell {text!r}: expected TASK:N:MODEL:MINUTES[:KEY=VALUE,...] with keys "
                             f"{', '.join(CELL_OVERRIDES)}, e.g. tsp:20:attention:15:hidden=64,lr=2e-4") from None


def tsp_baselines(inputs: np.ndarray, optimal: np.ndarray | None) -> dict[str, float]:
    """Mean lengths (and gaps to ``optimal``, and its mean) of each classical baseline on (B, n, 2) ``inputs``."""
    result: dict[str, float] = {} if optimal is None else {"optimal length": float(np.mean(optimal))}
    for name in HEURISTICS:
        lengths = tour_lengths(inputs, heuristic_tours(inputs, name))
        result[f"{name} length"] = float(lengths.mean())
        if optimal is not None:
            result[f"{name} gap"] = optimality_gap(lengths, optimal)
    return result


def time_held_karp(n: int, instances: int, seed: int) -> float:
    """Mean seconds per instance of Held-Karp on ``instances`` random n-point instances (after a warm-up)."""
    points = np.random.default_rng([seed, 4]).random((instances, n, 2))
    held_karp(points[:1, :4])  # compile outside the timing
    started = time.perf_counter()
    held_karp(points)
    return (time.perf_counter() - started) / instances


def run_cell(config: TrainConfig, cell_dir: Path, eval_size: int, decodings: Sequence[str], k: int,
             on_progress: Callable[[Progress], None] | None = None) -> list[dict[str, Any]]:
    """Train ``config`` into ``cell_dir`` and evaluate it on a held-out test set (data stream 2).

    Args:
        eval_size: test instances; decodings: names from :data:`reasoning.pointer.scoring.DECODINGS`;
        k: samples of ``sample`` and width of ``beam``.

    Returns:
        one result row (dict) per decoding; also written to ``cell_dir/metrics.json`` with the
        training history, and ``examples.png`` shows greedy predictions beside the references.
    """
    result = train(config, cell_dir, on_progress)
    task = config.pointer_task
    test_inputs = task.sample(data_rng(config.seed, 2), eval_size, config.n)
    started = time.perf_counter()
    exact = task.name != "tsp" or config.n <= MAX_EXACT_N
    references = make_references(task, test_inputs, exact_tsp=exact)
    reference_s = (time.perf_counter() - started) / eval_size
    baselines = tsp_baselines(test_inputs, references.optimal) if task.name == "tsp" else {}
    rows = []
    for decoding in decodings:
        started = time.perf_counter()
        predicted = decode(result.model, task, config.rule(), test_inputs, decoding, k=k, seed=config.seed)
        decode_s = time.perf_counter() - started
        rows.append(_row(config, result, decoding, k, score(task, test_inputs, predicted, references), baselines,
                         eval_size, reference_s, decode_s))
        if decoding == decodings[0]:
            draw_examples(cell_dir / "examples.png", task, test_inputs, predicted, references,
                          title=f"{config.task} n={config.n} {config.model} {decoding} (top) vs exact (bottom)")
    write_json_atomic(cell_dir / "metrics.json", {"config": config.as_dict(), "rows": rows, "history": result.history})
    return rows


def _row(config: TrainConfig, result: TrainResult, decoding: str, k: int, metrics: dict[str, float],
         baselines: dict[str, float], eval_size: int, reference_s: float, decode_s: float) -> dict[str, Any]:
    """One flat result row (JSON/CSV-ready)."""
    label = decoding if decoding == "greedy" else f"{decoding} {k}"
    row: dict[str, Any] = {"task": config.task, "n": config.n, "model": config.model, "hidden": config.hidden,
                           "layers": config.layers if config.model == "attention" else 1,
                           "lr": config.learning_rate, "batch_size": config.batch_size, "decoding": label,
                           "eval_instances": eval_size, "seed": config.seed, "train_s": round(result.train_s, 1),
                           "steps": result.steps, "train_instances": result.instances,
                           "baseline_updates": result.baseline_updates, "decode_s": round(decode_s, 2),
                           "reference_s_per_instance": reference_s}
    row.update({key.replace(" ", "_"): value for key, value in {**metrics, **baselines}.items()})
    return row


def _percent(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{100 * value:.{digits}f}%"


def describe(row: dict[str, Any]) -> tuple[str, str, str]:
    """(metric, gap to the exact reference, classical baselines) as table text for one row."""
    if row["task"] == "tsp":
        gap = row.get("gap")
        metric = f"length {row['length']:.3f}"
        if "optimal_length" in row:
            metric += f" / opt {row['optimal_length']:.3f}"
        parts = []
        for name, short in (("nearest_neighbour", "NN"), ("farthest_insertion", "FI"), ("2-opt", "2-opt")):
            value = row[f"{name}_length"] if gap is None else row[f"{name}_gap"]
            parts.append(f"{short} {value:.3f}" if gap is None else f"{short} {_percent(value)}")
        return metric, "" if gap is None else f"gap {_percent(gap)}", " · ".join(parts)
    metric = f"exact {_percent(row['exact'], 1)}"
    if row["task"] == "hull":
        return metric + f" · area {_percent(row['area_coverage'])}", f"area {_percent(1 - row['area_coverage'])}", ""
    if row["task"] == "delaunay":
        return (metric + f" · triangles {_percent(row['triangle_coverage'], 1)}",
                f"triangles {_percent(1 - row['triangle_coverage'], 1)}", "")
    return metric, f"wrong {_percent(1 - row['exact'], 1)}", ""


def print_table(console: Any, rows: list[dict[str, Any]], title: str) -> None:
    """One rich table of result rows (task, n, model, decoding, metric, gap, baselines, times)."""
    from rich.table import Table

    table = Table(title=title)
    for column in ("task", "n", "model (width, lr)", "decoding", "metric", "gap to exact", "baselines (same instances)",
                   "train", "steps", "decode s", "published"):
        table.add_column(column, justify="right" if column in ("n", "train", "steps", "decode s") else "left")
    previous = None
    for row in rows:
        if previous is not None and (row["task"], row["n"], row["model"]) != previous:
            table.add_section()
        previous = (row["task"], row["n"], row["model"])
        metric, gap, baselines = describe(row)
        size = f"{row['model']} {row['hidden']}" + (f"x{row['layers']}" if row["model"] == "attention" else "")
        table.add_row(row["task"], str(row["n"]), f"{size} lr {row['lr']:g}", row["decoding"], metric, gap, baselines,
                      f"{row['train_s'] / 60:.1f} min", str(row["steps"]), f"{row['decode_s']:.1f}",
                      PUBLISHED.get((row["task"], row["n"]), ""))
    console.print(table)


def write_results(folder: Path, payload: dict[str, Any]) -> None:
    """``bench.json`` (payload) and ``bench.csv`` (its rows, blank where a task lacks a metric) in
    ``folder``, atomically."""
    write_json_atomic(folder / "bench.json", payload)
    columns = list(dict.fromkeys(key for row in payload["rows"] for key in row))
    write_csv_atomic(folder / "bench.csv", [{key: row.get(key, "") for key in columns} for row in payload["rows"]])


def load_rows(folder: Path) -> list[dict[str, Any]]:
    """The rows of a finished ``bench.json`` in ``folder``."""
    return json.loads((folder / "bench.json").read_text())["rows"]

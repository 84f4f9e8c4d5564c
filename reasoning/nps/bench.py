"""``slotmind reason bench nps``: the cells to train, their aggregation, the table and the result files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from envs.run_files import write_csv_atomic, write_json_atomic
from reasoning.nps.config import MODEL_LABELS, MODELS

MSE_TARGET = 5e-4
SEGREGATION_TARGET = 0.99
SPEED_TARGET = 100.0


def _values(rows: Sequence[dict[str, Any]], task: str, model: str, key: str) -> list[float]:
    return [row[key] for row in rows if row["task"] == task and row["model"] == model and key in row]


def _fmt(values: Sequence[float], percent: bool = False) -> str:
    """Mean (± sd over seeds when there are several), in % or in 3 significant digits."""
    if not values:
        return "—"
    mean, sd = float(np.mean(values)), float(np.std(values))
    if percent:
        return f"{100 * mean:.2f}%" + (f" ± {100 * sd:.2f}" if len(values) > 1 else "")
    return f"{mean:.3g}" + (f" ± {sd:.2g}" if len(values) > 1 else "")


def _mark(met: bool | None) -> str:
    return "" if met is None else ("yes" if met else "no")


def table_rows(rows: Sequence[dict[str, Any]], engine: dict[str, Any], test_objects: Sequence[int], rollout: int
               ) -> list[list[str]]:
    """The printed table as strings: task, model, seeds, metric, one value per object count (the
    first also holds arithmetic values), target, met."""
    out: list[list[str]] = []
    width = len(test_objects)
    models = [model for model in MODELS if any(row["model"] == model for row in rows)]
    for model in models:
        mses, segs = _values(rows, "arithmetic", model, "mse"), _values(rows, "arithmetic", model, "segregation")
        if not mses:
            continue
        label, seeds = MODEL_LABELS[model], str(len(mses))
        is_nps = model.startswith("nps")
        met = all(v <= MSE_TARGET for v in mses) if is_nps else None
        out.append(["arithmetic", label, seeds, "step MSE (held-out)", _fmt(mses), *[""] * (width - 1),
                    f"<= {MSE_TARGET:g} each seed" if is_nps else "", _mark(met)])
        out.append(["arithmetic", label, seeds, "rollout MSE per step (own results fed back)",
                    _fmt(_values(rows, "arithmetic", model, "rollout_mse")), *[""] * (width - 1), "", ""])
        sums = _values(rows, "arithmetic", model, "rollout_mse_sum")
        out.append(["arithmetic", label, seeds, "rollout MSE summed over steps (official eval_mse)", _fmt(sums),
                    *[""] * (width - 1), f"<= {MSE_TARGET:g} each seed" if is_nps else "",
                    _mark(all(v <= MSE_TARGET for v in sums) if is_nps else None)])
        if segs:
            met = all(v >= SEGREGATION_TARGET for v in segs)
            out.append(["arithmetic", label, seeds, "segregation", _fmt(segs, percent=True), *[""] * (width - 1),
                        f">= {100 * SEGREGATION_TARGET:g}% each seed", _mark(met)])
    gnn = {key: np.mean(_values(rows, "ruleworld", "gnn", key)) for key in
           [f"mse_{k}step_n{n}" for k in (1, rollout) for n in test_objects] if _values(rows, "ruleworld", "gnn", key)}
    beyond = [n for n in test_objects if n > min(test_objects)]
    for model in models:
        if not _values(rows, "ruleworld", model, f"mse_1step_n{test_objects[0]}"):
            continue
        label = MODEL_LABELS[model]
        seeds = str(len(_values(rows, "ruleworld", model, f"mse_1step_n{test_objects[0]}")))
        for k in (1, rollout):
            keys = [f"mse_{k}step_n{n}" for n in test_objects]
            cells = [_fmt(_values(rows, "ruleworld", model, key)) for key in keys]
            target, met = "", None
            if model.startswith("nps") and gnn and beyond:
                target = f"< GNN at n={','.join(map(str, beyond))}"
                met = all(np.mean(_values(rows, "ruleworld", model, f"mse_{k}step_n{n}")) < gnn[f"mse_{k}step_n{n}"]
                          for n in beyond)
            out.append(["ruleworld", label, seeds, f"{k}-step MSE", *cells, target, _mark(met)])
        if _values(rows, "ruleworld", model, f"ami_n{test_objects[0]}"):
            cells = [_fmt(_values(rows, "ruleworld", model, f"ami_n{n}")) for n in test_objects]
            out.append(["ruleworld", label, seeds, "rule AMI (selected vs true)", *cells, "", ""])
    detail = [f"numba {1e3 * engine['numba_s']:.3f} ms/step", f"python {1e3 * engine['python_s']:.0f} ms/step"]
    out.append(["rule engine", f"{engine['worlds']} worlds x {engine['objects']} objects", "",
                "speed vs pure Python" + ("" if engine["agree"] else " (OUTPUTS DIFFER)"), f"{engine['ratio']:.0f}x",
                *(detail + [""] * width)[: width - 1], f">= {SPEED_TARGET:g}x",
                _mark(engine["ratio"] >= SPEED_TARGET and engine["agree"])])
    return out


def print_table(console: Any, lines: list[list[str]], test_objects: Sequence[int], title: str) -> None:
    """Print ``lines`` (from :func:`table_rows`) as one rich table."""
    from rich.table import Table

    table = Table(title=title)
    columns = ["task", "model", "seeds", "metric", f"value / n={test_objects[0]}",
               *[f"n={n}" for n in test_objects[1:]], "target", "met"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("task", "model", "metric", "target") else "right")
    previous = None
    for line in lines:
        if previous is not None and line[:2] != previous:
            table.add_section()
        previous = line[:2]
        table.add_row(*line)
    console.print(table)


def write_results(folder: Path, payload: dict[str, Any]) -> None:
    """``bench.json`` (payload) and ``bench.csv`` (one row per trained model, blank where a task
    lacks a metric) in ``folder``, atomically."""
    write_json_atomic(folder / "bench.json", payload)
    columns = list(dict.fromkeys(key for row in payload["rows"] for key in row))
    write_csv_atomic(folder / "bench.csv", [{key: row.get(key, "") for key in columns} for row in payload["rows"]])

"""``slotmind compare``: runs grouped by (env, encoder, algo) -> a mean ± std table over seeds and learning curves.

Each run folder contributes its config (``config.yaml``), its final and per-split evaluations
(``eval.json``) and its training episodes (``monitor-<segment>.monitor.csv``, concatenated over
resumed segments). Standard deviations are over seeds (sample std, ``ddof=1``; 0 for one seed).
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agents.training.monitor_steps import STEP_KEY
from agents.training.train_config import CONFIG_NAME, TrainConfig

EVAL_NAME = "eval.json"  # the trainer's name for it (kept here so that compare does not import SB3)
MONITOR_PATTERN = re.compile(r"monitor-(\d+)\.monitor\.csv$")
CURVE_POINTS = 200


@dataclass
class RunSummary:
    """What ``compare`` reads from one run folder.

    ``steps``, ``returns`` and ``successes`` are per training episode, in completion order: (E,)
    arrays of cumulative env steps at the episode's end, its return, and 1/0 success (NaN if unknown).
    """

    run_dir: Path
    env_id: str
    encoder: str
    algo: str
    seed: int
    timesteps: int
    success_rate: float
    mean_return: float
    split_success: dict[str, float] = field(default_factory=dict)
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0))
    returns: np.ndarray = field(default_factory=lambda: np.zeros(0))
    successes: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def key(self) -> tuple[str, str, str]:
        return self.env_id, self.encoder, self.algo


def expand_run_dirs(patterns: list[str]) -> list[Path]:
    """Run folders named by ``patterns`` (paths or glob patterns, each expanded and sorted; a sweep folder
    gives its cells' run folders), in order, without repeats; ValueError when nothing matches."""
    from agents.sweeps.layout import is_sweep_dir, sweep_cell_dirs

    found: list[Path] = []
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        # A sweep folder (`slotmind sweep`) stands for the run folders of its cells.
        paths = [cell for m in matches for cell in (sweep_cell_dirs(Path(m)) if is_sweep_dir(Path(m)) else [Path(m)])]
        found.extend(p for p in paths if p not in found)
    if not found:
        raise ValueError(f"no runs matched {' '.join(patterns)}; pass run folders made by `slotmind train` "
                         f"(or a quoted glob such as 'runs/train-*')")
    return found


def _as_success(value: str) -> float:
    text = value.strip().lower()
    if text in ("true", "1", "1.0"):
        return 1.0
    if text in ("false", "0", "0.0"):
        return 0.0
    return math.nan


def read_monitor(run_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The run's training episodes from ``monitor-0``, ``monitor-1``, ... (segments of a resumed run)
    -> (env step at each episode's end (E,), returns (E,), successes (E,) in {0, 1, NaN})."""
    segments = sorted((int(m.group(1)), path) for path in run_dir.glob("monitor-*.monitor.csv")
                      if (m := MONITOR_PATTERN.search(path.name)))
    lengths: list[float] = []
    ends: list[float] = []
    returns: list[float] = []
    successes: list[float] = []
    for _, path in segments:
        with path.open(newline="") as file:
            rows = csv.DictReader(line for line in file if not line.startswith("#"))
            for row in rows:
                try:
                    episode_return, length = float(row["r"]), float(row["l"])
                except (KeyError, TypeError, ValueError):
                    continue  # a line cut short by a kill
                returns.append(episode_return)
                lengths.append(length)
                ends.append(_as_float(row.get(STEP_KEY)))
                successes.append(_as_success(row.get("is_success") or ""))
    # The env step at which each episode ended, where the monitors record it (runs of older versions do not).
    steps = np.array(ends) if ends and not np.isnan(ends).any() else np.cumsum(lengths)
    return steps, np.array(returns), np.array(successes)


def _as_float(text: str | None) -> float:
    try:
        return float(text) if text else float("nan")
    except ValueError:
        return float("nan")


def _train_result(evaluations: dict[str, Any]) -> dict[str, Any] | None:
    """The final in-distribution evaluation, else the latest ``slotmind eval`` / periodic one."""
    for entry in reversed(evaluations.get("final") or []):
        if entry.get("split", "train") == "train":
            return entry
    for entry in reversed(evaluations.get("evaluations") or []):
        if entry.get("split") == "train" and entry.get("policy", "deterministic") == "deterministic":
            return entry
    history = evaluations.get("history") or []
    return history[-1] if history else None


def _checkpointed_steps(run_dir: Path) -> int:
    path = run_dir / "checkpoints" / "progress.json"
    try:
        return int(json.loads(path.read_text())["num_timesteps"])
    except (OSError, ValueError, KeyError):
        return 0


def load_summary(run_dir: Path) -> RunSummary:
    """Read one run folder; ValueError naming the folder and what to do when it is not a training run.
    A run without eval.json (still training) gets NaN scores and its last checkpoint's step count."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ValueError(f"{run_dir} is not a folder; pass run folders made by `slotmind train`")
    if not (run_dir / CONFIG_NAME).is_file():
        raise ValueError(f"{run_dir} is not a training run (no {CONFIG_NAME}); pass folders made by `slotmind train`")
    try:
        config = TrainConfig.load(run_dir)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{run_dir} is not a training run ({error}); pass folders made by `slotmind train`") from error
    eval_path = run_dir / EVAL_NAME
    try:
        # A run still training has no eval.json yet: it shows its curve, no scores, and its checkpointed steps.
        evaluations = json.loads(eval_path.read_text()) if eval_path.is_file() else {
            "num_timesteps": _checkpointed_steps(run_dir)}
    except json.JSONDecodeError as error:
        raise ValueError(f"{eval_path} is not valid JSON ({error}); re-run `slotmind eval {run_dir}`") from error
    result = _train_result(evaluations) or {}
    split_success: dict[str, float] = {}
    for entry in evaluations.get("evaluations") or []:  # in order, so the latest of each split wins
        if entry.get("policy", "deterministic") != "deterministic":
            continue
        split_success[entry["split"]] = float(entry["success_rate"])
    steps, returns, successes = read_monitor(run_dir)
    return RunSummary(run_dir=run_dir, env_id=config.env_id, encoder=config.encoder, algo=config.algo,
                      seed=config.seed, timesteps=int(evaluations.get("num_timesteps", config.timesteps)),
                      success_rate=float(result.get("success_rate", math.nan)),
                      mean_return=float(result.get("mean_return", math.nan)),
                      split_success=split_success, steps=steps, returns=returns, successes=successes)


def mean_std(values: list[float]) -> tuple[float, float]:
    """(mean, sample std) of the finite ``values`` (n,); std 0 for one value, (NaN, NaN) for none.

    >>> mean_std([1.0, 3.0])
    (2.0, 1.4142135623730951)
    """
    finite = np.array([v for v in values if math.isfinite(v)], dtype=np.float64)
    if len(finite) == 0:
        return math.nan, math.nan
    return float(finite.mean()), float(finite.std(ddof=1)) if len(finite) > 1 else 0.0


def group_runs(runs: list[RunSummary]) -> dict[tuple[str, str, str], list[RunSummary]]:
    """Runs keyed by (env id, encoder, algo), in first-seen order; each group sorted by seed."""
    groups: dict[tuple[str, str, str], list[RunSummary]] = {}
    for run in runs:
        groups.setdefault(run.key, []).append(run)
    return {key: sorted(members, key=lambda r: r.seed) for key, members in groups.items()}


def split_names(runs: list[RunSummary]) -> list[str]:
    """Every split evaluated in any run's "evaluations": the registry's order (train first), then others."""
    from envs.registry import VARIANTS

    order = list(VARIANTS)
    names = {s for run in runs for s in run.split_success}
    return sorted(names, key=lambda s: (order.index(s) if s in order else len(order), s))


def group_rows(runs: list[RunSummary]) -> list[dict[str, Any]]:
    """One flat dict per group: env, encoder, algo, seeds, ``*_mean``/``*_std`` of the final success rate and
    mean return (over the ``scored_n`` runs that have them) and of each split's success rate (over ``<split>_n``
    runs; NaN where none has it), timesteps."""
    splits = split_names(runs)
    rows = []
    for (env_id, encoder, algo), members in group_runs(runs).items():
        success = mean_std([r.success_rate for r in members])
        ret = mean_std([r.mean_return for r in members])
        row: dict[str, Any] = {"env": env_id, "encoder": encoder, "algo": algo, "reference": False,
                               "n_seeds": len(members),
                               "seeds": " ".join(str(r.seed) for r in members),
                               "success_mean": success[0], "success_std": success[1],
                               "return_mean": ret[0], "return_std": ret[1],
                               "scored_n": sum(math.isfinite(r.success_rate) for r in members)}
        for split in splits:
            values = [r.split_success[split] for r in members if split in r.split_success]
            row[f"{split}_success_mean"], row[f"{split}_success_std"] = mean_std(values)
            row[f"{split}_n"] = len(values)
        timesteps = sorted({r.timesteps for r in members})
        row["timesteps"] = timesteps[0] if len(timesteps) == 1 else f"{timesteps[0]}-{timesteps[-1]}"
        rows.append(row)
    return rows


REFERENCE_EPISODES = 200


def reference_rows(runs: list[RunSummary], splits: list[str], episodes: int = REFERENCE_EPISODES
                   ) -> list[dict[str, Any]]:
    """For every env of ``runs``: a row of the random policy and (ObjectWorld ids) one of the scripted planner,
    shaped like ``group_rows`` rows (``reference`` True, std NaN), on the train split and ``splits``, played
    on the evaluation episodes of seed 0."""
    from agents.training.reference_policies import REFERENCE_LABELS, evaluate_reference
    from envs.registry import is_minigrid

    rows = []
    for env_id in dict.fromkeys(run.env_id for run in runs):
        for name in ("random", "scripted"):
            if name == "scripted" and is_minigrid(env_id):
                continue
            train = evaluate_reference(name, env_id, "train", episodes)
            row: dict[str, Any] = {"env": env_id, "encoder": REFERENCE_LABELS[name], "algo": "-", "reference": True,
                                   "n_seeds": 1, "seeds": "0", "success_mean": train["success_rate"],
                                   "success_std": math.nan, "return_mean": train["mean_return"],
                                   "return_std": math.nan, "scored_n": 1}
            for split in splits:
                result = train if split == "train" else evaluate_reference(name, env_id, split, episodes)
                row[f"{split}_success_mean"], row[f"{split}_success_std"] = result["success_rate"], math.nan
                row[f"{split}_n"] = 1
            row["timesteps"] = 0
            rows.append(row)
    return rows


def format_mean_std(mean: float, std: float, n: int | None = None, of: int | None = None) -> str:
    """"mean ± std", with "(n=...)" when only ``n`` of the group's ``of`` seeds have the value; the mean
    alone when std is NaN (a single reference evaluation)."""
    if not math.isfinite(mean):
        return "-"
    if not math.isfinite(std):
        return f"{mean:.3f}"
    return f"{mean:.3f} ± {std:.3f}" + (f" (n={n})" if n is not None and n != of else "")


def comparison_table(rows: list[dict[str, Any]], splits: list[str]) -> Any:
    """A rich Table of ``group_rows`` output: one row per (env, encoder, algo)."""
    from rich.table import Table

    table = Table(title="runs compared (mean ± std over seeds)")
    columns = ["env", "encoder", "algo", "seeds (n)", "success", "mean return",
               *(f"success {s}" for s in splits), "timesteps"]
    for column in columns:
        text = column in ("env", "encoder", "algo")
        table.add_column(column, justify="left" if text else "right", no_wrap=text)
    for row in rows:
        timesteps = row["timesteps"]
        table.add_row(row["env"].removeprefix("slotmind/"), row["encoder"], row["algo"],
                      "-" if row.get("reference") else f"{row['seeds']} ({row['n_seeds']})",
                      format_mean_std(row["success_mean"], row["success_std"], row["scored_n"], row["n_seeds"]),
                      format_mean_std(row["return_mean"], row["return_std"], row["scored_n"], row["n_seeds"]),
                      *(format_mean_std(row[f"{s}_success_mean"], row[f"{s}_success_std"], row[f"{s}_n"],
                                        row["n_seeds"]) for s in splits),
                      "-" if row.get("reference") else f"{timesteps:,}" if isinstance(timesteps, int) else timesteps)
    return table


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` episodes (shorter at the start), NaNs ignored: (E,) -> (E,)."""
    finite = np.isfinite(values)
    sums = np.concatenate([[0.0], np.cumsum(np.where(finite, values, 0.0))])
    counts = np.concatenate([[0], np.cumsum(finite)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(0, ends - window)
    n = counts[ends] - counts[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (sums[ends] - sums[starts]) / np.maximum(n, 1), np.nan)


def group_curve(members: list[RunSummary], metric: str, window: int = 0
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Smoothed ``metric`` ("returns" or "successes") of every seed, interpolated on a common grid of env
    steps (P,) where all seeds have episodes -> (steps, mean, min, max), each (P,); None without data.
    ``window`` 0 picks 5% of the shortest run's episodes (at least 1)."""
    series = []
    for run in members:
        values = getattr(run, metric)
        keep = np.isfinite(values)
        if keep.sum() >= 1:
            series.append((run.steps[keep], values[keep]))
    if not series:
        return None
    width = window or max(1, min(len(v) for _, v in series) // 20)
    start = max(s[0] for s, _ in series)
    stop = min(s[-1] for s, _ in series)
    grid = np.linspace(start, stop, CURVE_POINTS) if stop > start else np.array([stop])
    curves = np.stack([np.interp(grid, steps, smooth(values, width)) for steps, values in series])
    return grid, curves.mean(axis=0), curves.min(axis=0), curves.max(axis=0)


def plot_curves(runs: list[RunSummary], path: Path, window: int = 0) -> Path:
    """Learning curves to a PNG at ``path``: episode return (and success rate when the monitors have it)
    vs env steps, one line per (env, encoder, algo): mean over seeds with a shaded min-max band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from envs.recording import write_image

    groups = group_runs(runs)
    has_success = any(np.isfinite(r.successes).any() for r in runs)
    metrics = [("returns", "episode return")] + ([("successes", "success rate")] if has_success else [])
    several_algos = len({r.algo for r in runs}) > 1
    figure, axes = plt.subplots(1, len(metrics), figsize=(6.5 * len(metrics), 4.2), squeeze=False)
    for axis, (metric, label) in zip(axes[0], metrics, strict=True):
        drawn = 0
        for (env_id, encoder, algo), members in groups.items():
            curve = group_curve(members, metric, window)
            if curve is None:
                continue
            steps, mean, low, high = curve
            name = f"{env_id.removeprefix('slotmind/')} {encoder}" + (f" {algo}" if several_algos else "")
            marker = "o" if len(steps) == 1 else None  # a run too short for a line still shows up
            line = axis.plot(steps, mean, marker=marker, label=f"{name} (n={len(members)})")[0]
            axis.fill_between(steps, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
            drawn += 1
        if drawn == 0:
            axis.text(0.5, 0.5, "no finished episodes in the monitor CSVs", ha="center", va="center",
                      transform=axis.transAxes)
        else:
            axis.legend(fontsize=8)
        axis.set_xlabel("env steps")
        axis.set_ylabel(label)
        axis.grid(alpha=0.3)
    figure.suptitle("training curves (smoothed; mean over seeds, band: min-max)")
    figure.tight_layout()
    figure.canvas.draw()
    image = np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()
    plt.close(figure)
    return write_image(path, image)


def _json_safe(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


def write_comparison(runs: list[RunSummary], out_dir: Path, window: int = 0,
                     references: bool = True) -> list[dict[str, Any]]:
    """Write ``curves.png``, ``compare.json`` (splits, groups, references, runs) and ``compare.csv`` (one row
    per group, then the reference rows) to ``out_dir``; returns the rows of the table: each env's groups
    followed by its reference rows."""
    from envs.run_files import write_csv_atomic, write_json_atomic

    groups = group_rows(runs)
    extra = reference_rows(runs, split_names(runs)) if references else []
    out_dir.mkdir(parents=True, exist_ok=True)
    plot_curves(runs, out_dir / "curves.png", window)
    per_run = [{"run_dir": str(r.run_dir), "env": r.env_id, "encoder": r.encoder, "algo": r.algo, "seed": r.seed,
                "timesteps": r.timesteps, "success_rate": _json_safe(r.success_rate),
                "mean_return": _json_safe(r.mean_return),
                "split_success": {k: _json_safe(v) for k, v in r.split_success.items()},
                "episodes": len(r.returns)} for r in runs]
    write_json_atomic(out_dir / "compare.json", {
        "splits": split_names(runs),
        "groups": [{k: _json_safe(v) for k, v in row.items()} for row in groups],
        "references": [{k: _json_safe(v) for k, v in row.items()} for row in extra],
        "runs": per_run})
    write_csv_atomic(out_dir / "compare.csv", groups + extra)
    return [row for env_id in dict.fromkeys(r["env"] for r in groups)
            for row in [*(r for r in groups if r["env"] == env_id), *(r for r in extra if r["env"] == env_id)]]


def run_compare(args: argparse.Namespace) -> int:
    """``slotmind compare``: every run is read before anything is written, so a bad folder leaves no output."""
    from rich.console import Console

    from envs.run_files import new_run_dir

    if args.smooth < 0:
        raise ValueError(f"--smooth {args.smooth}: give a window of >= 1 episodes, or 0 for automatic")
    from agents.sweeps.layout import COMPARE_DIR, is_sweep_dir

    runs = [load_summary(path) for path in expand_run_dirs(args.run_dirs)]
    only_sweep = len(args.run_dirs) == 1 and is_sweep_dir(Path(args.run_dirs[0]))
    out_dir = Path(args.out) if args.out else Path(args.run_dirs[0]) / COMPARE_DIR if only_sweep else new_run_dir(
        "compare")
    print_comparison(runs, out_dir, args.smooth, Console() if sys.stdout.isatty() else Console(width=200),
                     references=not args.no_references)
    print(out_dir)
    return 0


def print_comparison(runs: list[RunSummary], out_dir: Path, window: int, console: Any,
                     references: bool = True) -> list[dict[str, Any]]:
    """Write the comparison of ``runs`` to ``out_dir`` (``write_comparison``) and print its table on ``console``
    (give a wide one for logs and pipes, so each group stays on one line); returns the rows."""
    rows = write_comparison(runs, out_dir, window, references)
    console.print(comparison_table(rows, split_names(runs)))
    return rows

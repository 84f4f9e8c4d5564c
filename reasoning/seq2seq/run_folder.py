"""Training runs as folders: ``config.yaml``, ``checkpoint/`` (the saved model) and ``metrics.json``.

A run folder is built in a hidden staging folder beside its final place and renamed into place
when complete, so an interrupted run leaves nothing that looks like a run. ``metrics.json`` holds
the fit report, the score on the split's test part and, appended by :func:`evaluate_run`, one
record per evaluation of other data files.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from envs.run_files import new_run_dir, write_json_atomic, write_text_atomic
from reasoning.seq2seq.holdout import hold_out
from reasoning.seq2seq.interface import FitReport, ProgressCallback, Seq2SeqModel, TrainBudget
from reasoning.seq2seq.registry import MODEL_FILE, available_models, create_model, load_model, model_class, save_model
from reasoning.seq2seq.scoring import Score, score_model
from reasoning.seq2seq.staging import staged_folder
from reasoning.seq2seq.task_files import read_task_file
from reasoning.tasks import IMAGE_SPLITS, TASK_SPLITS, data_source, load_split
from reasoning.tasks.example import Example

CONFIG_FILE = "config.yaml"
CHECKPOINT_DIR = "checkpoint"
METRICS_FILE = "metrics.json"


class NotARunError(ValueError):
    """A folder given as a run is not one written by :func:`train_run`."""


@dataclass(frozen=True)
class TrainSpec:
    """Everything that defines a training run (written to ``config.yaml``).

    Attributes:
        model: a registered model name.
        task, split: the benchmark split (``TASK_SPLITS``).
        seed: seed of the model (initialisation, batch order) and of the validation hold-out.
        data_seed: seed of generated data (PCFG training programs, HINT, SCAN simple when built).
        budget: training limits.
        valid_fraction: share of the training examples held out for early stopping.
        model_config: hyperparameter overrides (defaults for the rest).
        task_options: size options of :func:`reasoning.tasks.load_split` (e.g. ``n_train``).
        data_dir: the shipped data folder; ``None``: found as :func:`resolve_data_dir` does.
    """

    model: str
    task: str
    split: str
    seed: int = 0
    data_seed: int = 0
    budget: TrainBudget = field(default_factory=TrainBudget)
    valid_fraction: float = 0.05
    model_config: dict[str, Any] = field(default_factory=dict)
    task_options: dict[str, Any] = field(default_factory=dict)
    data_dir: str | None = None

    def check(self) -> None:
        """Raise ``ValueError`` for an unknown task or split, a model that cannot read the split's
        input (HINT's image split hides the tokens), or a validation fraction outside (0, 1)."""
        if self.task not in TASK_SPLITS:
            raise ValueError(f"unknown task {self.task!r}; choose one of {', '.join(TASK_SPLITS)}")
        if self.split not in TASK_SPLITS[self.task]:
            raise ValueError(f"unknown {self.task} split {self.split!r}; choose one of "
                             f"{', '.join(TASK_SPLITS[self.task])}")
        if not 0 < self.valid_fraction < 1:
            raise ValueError(f"the validation fraction must be in (0, 1), got {self.valid_fraction}")
        if self.model and self.split in IMAGE_SPLITS.get(self.task, ()) and not model_class(self.model).reads_images:
            readers = ", ".join(name for name in available_models() if model_class(name).reads_images)
            raise ValueError(f"{self.task}'s {self.split} split hides the source tokens behind images, which "
                             f"{self.model} does not read; use a model that does ({readers})")

    def load_data(self) -> dict[str, list[Example]]:
        """The split's parts (``train``, ``test``, PCFG also ``dev``) via :func:`reasoning.tasks.load_split`."""
        self.check()
        return load_split(self.task, self.split, data_dir=self.data_dir, seed=self.data_seed, **self.task_options)

    def data_source(self) -> str:
        """Where the split comes from, in words (official files or a generator): see :func:`data_source`."""
        return data_source(self.task, self.split, data_dir=self.data_dir, **self.task_options)


@dataclass
class RunResult:
    """What :func:`train_run` produced.

    Attributes:
        run_dir: the run folder.
        fit: the model's fit report.
        test: the score on the split's test part.
        seconds: wall-clock seconds by phase (``data``, ``fit``, ``test``, ``total``).
        description: what the model learned in readable form (:meth:`Seq2SeqModel.describe`), maybe "".
    """

    run_dir: Path
    fit: FitReport
    test: Score
    seconds: dict[str, float]
    description: str = ""


def _final_dir(spec: TrainSpec, run_dir: str | os.PathLike[str] | None) -> Path:
    if run_dir is None:
        return new_run_dir(f"reason-{spec.model}-{spec.task}-{spec.split}")
    path = Path(run_dir)
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise ValueError(f"--run-dir {path} exists and is not an empty folder; give a new one")
    return path


def train_run(spec: TrainSpec, run_dir: str | os.PathLike[str] | None = None,
              data: dict[str, list[Example]] | None = None, progress: ProgressCallback | None = None,
              data_seconds: float = 0.0) -> RunResult:
    """Train ``spec.model`` on the split, score it on the test part and write the run folder.

    Args:
        spec: the run definition.
        run_dir: the folder to create (new or empty); default ``runs/reason-<model>-<task>-<split>-<time>``.
        data: the split's parts when already loaded (the bench loads each split once).
        progress: passed to :meth:`Seq2SeqModel.fit`.
        data_seconds: how long loading the given ``data`` took (added to the ``data`` time).

    Returns:
        The :class:`RunResult`.

    Raises:
        ValueError: unknown model, setting, task or split; a non-empty ``run_dir``.
        DataNotFoundError: the task's data is missing.
    """
    started = time.perf_counter()
    spec.check()
    model = create_model(spec.model, **spec.model_config)
    if run_dir is not None:
        _final_dir(spec, run_dir)  # fail before training, not after
    if data is None:
        data = spec.load_data()
    loaded = time.perf_counter()
    train, valid = hold_out(data["train"], spec.valid_fraction, spec.seed)
    report = model.fit(train, valid, spec.budget, seed=spec.seed, progress=progress)
    fitted = time.perf_counter()
    test = score_model(model, data["test"])
    seconds = {"data": data_seconds + loaded - started, "fit": fitted - loaded, "test": time.perf_counter() - fitted}
    seconds["total"] = data_seconds + time.perf_counter() - started
    seconds = {key: round(value, 3) for key, value in seconds.items()}
    config = {"model": spec.model, "model_config": model.config, "task": spec.task, "split": spec.split,
              "seed": spec.seed, "data_seed": spec.data_seed, "budget": asdict(spec.budget),
              "valid_fraction": spec.valid_fraction, "task_options": dict(spec.task_options),
              "data_dir": spec.data_dir, "data_source": spec.data_source(),
              "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    metrics = {"fit": report.to_json(), "sizes": {"train": len(train), "valid": len(valid), "test": len(data["test"])},
               "test": test.to_json(), "seconds": seconds, "evaluations": []}
    final = _final_dir(spec, run_dir)
    _write_run(final, model, config, metrics)
    return RunResult(final, report, test, seconds, model.describe())


def _write_run(final: Path, model: Seq2SeqModel, config: dict[str, Any], metrics: dict[str, Any]) -> None:
    """Write the run into a staging folder beside ``final``, then rename it onto ``final`` (new or empty)."""
    with staged_folder(final) as staging:
        save_model(model, staging / CHECKPOINT_DIR)
        write_text_atomic(staging / CONFIG_FILE, yaml.safe_dump(config, sort_keys=False))
        write_json_atomic(staging / METRICS_FILE, metrics)


def read_run_config(run_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``config.yaml`` of a run folder.

    Raises:
        NotARunError: the folder is missing, or lacks ``config.yaml`` or a saved model, or the config is malformed.
    """
    path = Path(run_dir)
    needed = [path / CONFIG_FILE, path / CHECKPOINT_DIR / MODEL_FILE, path / METRICS_FILE]
    missing = [str(file.relative_to(path)) for file in needed if not file.is_file()]
    if not path.is_dir() or missing:
        raise NotARunError(f"{path} is not a run folder of `slotmind reason train` "
                           f"({'no such folder' if not path.is_dir() else 'missing ' + ', '.join(missing)})")
    try:
        config = yaml.safe_load((path / CONFIG_FILE).read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise NotARunError(f"{path / CONFIG_FILE}: not valid YAML ({' '.join(str(error).split())})") from None
    if not isinstance(config, dict) or config.get("task") not in TASK_SPLITS:
        raise NotARunError(f"{path / CONFIG_FILE}: no known 'task' in the run config")
    return config


@dataclass(frozen=True)
class FileScore:
    """The score of a run's model on one data file."""

    path: str
    score: Score
    seconds: float


def evaluate_run(run_dir: str | os.PathLike[str], files: Sequence[str | os.PathLike[str]]) -> list[FileScore]:
    """Score a run's model on data files in its task's format and append the results to ``metrics.json``.

    Args:
        run_dir: a run folder written by :func:`train_run`.
        files: data files (SCAN lines, PCFG ``.src`` with ``.tgt`` beside, HINT JSON Lines), any path.

    Returns:
        One :class:`FileScore` per file, in order.

    Raises:
        NotARunError: ``run_dir`` is not a run.
        FileNotFoundError, DataFormatError: a missing or malformed file (checked before any scoring).
    """
    config = read_run_config(run_dir)
    examples = [(path, read_task_file(config["task"], path)) for path in files]
    model = load_model(Path(run_dir) / CHECKPOINT_DIR)
    results = []
    for path, file_examples in examples:
        started = time.perf_counter()
        score = score_model(model, file_examples)
        results.append(FileScore(str(Path(path).resolve()), score, round(time.perf_counter() - started, 3)))
    metrics_path = Path(run_dir) / METRICS_FILE
    try:
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise NotARunError(f"{metrics_path}: not valid JSON ({error})") from None
    metrics.setdefault("evaluations", []).extend(
        {"path": result.path, **result.score.to_json(), "seconds": result.seconds,
         "time": time.strftime("%Y-%m-%d %H:%M:%S")} for result in results)
    write_json_atomic(metrics_path, metrics)
    return results

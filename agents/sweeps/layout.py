"""The sweep folder: what lives where, and the per-cell records the driver and the trials share.

```
runs/sweep-<name>-<time>/
    sweep.json          the spec, every cell's command line and the working directory
    cells/<cell>/       each cell's run folder, exactly what the single-machine command writes
    trials/<cell>.json  the cell's record: status (pending/running/finished/failed) and its attempts
    trials/<cell>.log   stdout and stderr of every attempt
    ray/                Ray Tune's experiment state and results (and Ray's session logs when they fit)
    compare/            the aggregate table (JSON, CSV) and curves.png of a train sweep
```
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SWEEP_FILE = "sweep.json"
CELLS_DIR = "cells"
TRIALS_DIR = "trials"
RAY_DIR = "ray"
COMPARE_DIR = "compare"


@dataclass
class Cell:
    """One grid point: ``argv`` is the single-machine command line without ``--run-dir`` (e.g.
    ``["train", "--encoder", "cnn", "--seed", "0", ...]``); ``labels`` maps each grid axis to its value's name."""

    name: str
    command: str
    argv: list[str]
    labels: dict[str, str]
    cpus: int = 1


@dataclass
class Attempt:
    """One process run for a cell: its pid, whether it continued a checkpoint, its exit code (None while running)."""

    pid: int
    resumed: bool
    started: float
    returncode: int | None = None
    seconds: float | None = None


@dataclass
class CellRecord:
    """What the sweep knows about a cell's runs; ``result`` holds the headline numbers of a finished one."""

    status: str = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


def is_sweep_dir(path: Path) -> bool:
    """True for a folder written by ``slotmind sweep``."""
    return (Path(path) / SWEEP_FILE).is_file()


class SweepLayout:
    """Paths and records of the sweep folder at ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def cell_dir(self, name: str) -> Path:
        return self.root / CELLS_DIR / name

    def log_path(self, name: str) -> Path:
        return self.root / TRIALS_DIR / f"{name}.log"

    def record_path(self, name: str) -> Path:
        return self.root / TRIALS_DIR / f"{name}.json"

    def write_sweep(self, spec: dict[str, Any], cells: list[Cell], cwd: Path) -> None:
        from envs.run_files import write_json_atomic

        (self.root / TRIALS_DIR).mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.root / SWEEP_FILE, {"spec": spec, "cwd": str(Path(cwd).resolve()),
                                                   "cells": [asdict(cell) for cell in cells]})

    def read_sweep(self) -> dict[str, Any]:
        """``{"spec", "cwd", "cells": [Cell, ...]}``; ValueError when the folder is not a sweep."""
        path = self.root / SWEEP_FILE
        if not path.is_file():
            raise ValueError(f"{self.root} is not a sweep folder (no {SWEEP_FILE}); pass one made by `slotmind sweep`")
        data = json.loads(path.read_text())
        data["cells"] = [Cell(**cell) for cell in data["cells"]]
        return data

    def cells(self) -> list[Cell]:
        return self.read_sweep()["cells"]

    def read_record(self, name: str) -> CellRecord:
        path = self.record_path(name)
        if not path.is_file():
            return CellRecord()
        data = json.loads(path.read_text())
        return CellRecord(status=data["status"], attempts=[Attempt(**a) for a in data["attempts"]],
                          result=data.get("result", {}))

    def write_record(self, name: str, record: CellRecord) -> None:
        from envs.run_files import write_json_atomic

        write_json_atomic(self.record_path(name), asdict(record))


def sweep_cell_dirs(sweep_dir: Path) -> list[Path]:
    """The run folders of a sweep's cells that have started writing (in grid order)."""
    layout = SweepLayout(sweep_dir)
    folders = [layout.cell_dir(cell.name) for cell in layout.cells()]
    return [folder for folder in folders if folder.is_dir() and any(folder.iterdir())]

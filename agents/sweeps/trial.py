"""One sweep cell as a Ray Tune trial: the single-machine command in a subprocess, continued from its
checkpoint when an earlier attempt died, recorded in ``trials/<cell>.json``.

The subprocess gets ``OMP_NUM_THREADS`` (and the ``--threads`` flag) equal to the cell's CPUs, and dies with
the trial's worker process (``PR_SET_PDEATHSIG``), so a lost worker leaves no orphan training behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from agents.sweeps.families import FAMILIES
from agents.sweeps.layout import Attempt, Cell, SweepLayout

PR_SET_PDEATHSIG = 1


class CellFailedError(RuntimeError):
    """The cell's command exited with an error (Tune retries the trial up to the spec's ``retries``)."""


def _die_with_parent() -> None:
    """In the child, before exec: receive SIGKILL when the parent (the trial's worker) dies (Linux)."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def cell_environment(cpus: int) -> dict[str, str]:
    """The trial process' environment with BLAS/OpenMP pools of ``cpus`` threads."""
    threads = str(cpus)
    return {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads}


def run_cell(layout: SweepLayout, cell: Cell, cwd: Path) -> dict[str, Any]:
    """Run (or continue) ``cell`` to the end; returns its record's result. A cell already finished is not rerun.

    Raises:
        CellFailedError: the command exited non-zero or was killed (the record keeps the attempt).
    """
    record = layout.read_record(cell.name)
    if record.status == "finished":
        return {**record.result, "skipped": True}
    family = FAMILIES[cell.command]
    run_dir = layout.cell_dir(cell.name)
    argv = family.resume_argv(run_dir)
    resumed = argv is not None
    if argv is None:
        if run_dir.exists():  # a partial run that cannot be continued starts over in an empty folder
            shutil.rmtree(run_dir)
        argv = [*cell.argv, "--run-dir", str(run_dir)]
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with open(layout.log_path(cell.name), "a") as log:
        log.write(f"\n=== attempt {len(record.attempts) + 1}: slotmind {' '.join(argv)}\n")
        log.flush()
        process = subprocess.Popen([sys.executable, "-m", "envs.command_line", *argv], cwd=cwd, stdout=log,
                                   stderr=subprocess.STDOUT, env=cell_environment(cell.cpus),
                                   preexec_fn=_die_with_parent)
        attempt = Attempt(pid=process.pid, resumed=resumed, started=started)
        record.status = "running"
        record.attempts.append(attempt)
        layout.write_record(cell.name, record)
        returncode = process.wait()
    attempt.returncode, attempt.seconds = returncode, round(time.time() - started, 2)
    if returncode != 0:
        record.status = "failed"
        layout.write_record(cell.name, record)
        raise CellFailedError(f"cell {cell.name}: `slotmind {' '.join(argv)}` exited with {returncode}; "
                              f"see {layout.log_path(cell.name)}")
    record.status = "finished"
    record.result = {**family.result(run_dir), "seconds": round(sum(a.seconds or 0 for a in record.attempts), 2),
                     "attempts": len(record.attempts)}
    layout.write_record(cell.name, record)
    return record.result


def tune_trainable(config: dict[str, Any], sweep_dir: str) -> None:
    """Ray Tune function trainable: ``config["cell"]`` names the cell of the sweep in ``sweep_dir``."""
    from ray import tune

    layout = SweepLayout(Path(sweep_dir))
    sweep = layout.read_sweep()
    cell = next(c for c in sweep["cells"] if c.name == config["cell"])
    result = run_cell(layout, cell, Path(sweep["cwd"]))
    tune.report({key: value for key, value in result.items() if value is not None})

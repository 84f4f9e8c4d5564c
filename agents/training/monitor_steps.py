"""The env step at which each training episode ended, in the monitor CSVs, and trimming them on resume.

A run killed after its last checkpoint has logged episodes that the resumed run plays again; with
the step count of every episode's end in its monitor row (column ``env_steps``), a resume drops those
rows, so the monitors of a resumed run hold the same episodes an uninterrupted run would.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from envs.run_files import write_text_atomic

STEP_KEY = "env_steps"


class StepStampVecEnv(VecEnvWrapper):
    """Adds ``info["env_steps"]``, the run's env steps so far (counting from ``start``), to every step's infos.

    Wrapped by a ``VecMonitor(info_keywords=(..., "env_steps"))``, each episode's row records the step
    at which it ended.
    """

    def __init__(self, venv: VecEnv, start: int = 0) -> None:
        super().__init__(venv)
        self.env_steps = start

    def reset(self) -> np.ndarray:
        return self.venv.reset()

    def step_wait(self) -> VecEnvStepReturn:
        observations, rewards, dones, infos = self.venv.step_wait()
        self.env_steps += self.num_envs
        for info in infos:
            info[STEP_KEY] = self.env_steps
        return observations, rewards, dones, infos


def trim_monitor(path: Path, last_step: int) -> int:
    """Drop the rows of monitor CSV ``path`` whose episode ended after env step ``last_step``.

    Rows without an ``env_steps`` value (files of older runs, a line cut short by a kill) are kept
    only when they can be read whole. Returns the number of rows dropped.
    """
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comments = [line for line in lines if line.startswith("#")]
    body = [line for line in lines if not line.startswith("#")]
    if not body:
        return 0
    rows = list(csv.DictReader(body))
    fields = next(csv.reader(body[:1]))
    kept = [row for row in rows if None not in row.values() and _ended_by(row, last_step)]
    if len(kept) == len(rows):
        return 0
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(kept)
    write_text_atomic(path, "".join(comments) + out.getvalue())
    return len(rows) - len(kept)


def _ended_by(row: dict[str, str], last_step: int) -> bool:
    value = row.get(STEP_KEY)
    if not value:
        return True
    try:
        return float(value) <= last_step
    except ValueError:
        return False

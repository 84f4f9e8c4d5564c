"""Sweep progress on the driver: one line per trial state change and a live finished/running/failed summary."""

from __future__ import annotations

import time
from typing import Any

from ray.tune import Callback
from rich.console import Console
from rich.progress import BarColumn, TextColumn, TimeElapsedColumn

from agents.sweeps.families import headline
from agents.sweeps.layout import SweepLayout
from envs.logged_progress import LoggedProgress

STATES = {"TERMINATED": "finished", "RUNNING": "running", "ERROR": "failed", "PENDING": "pending",
          "PAUSED": "pending"}


class SweepProgress(Callback):
    """A Tune callback that prints ``HH:MM:SS cell <name> <event>`` lines above a summary bar."""

    def __init__(self, layout: SweepLayout, total: int, console: Console) -> None:
        self.layout = layout
        self.progress = LoggedProgress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.completed}/{task.total} cells"), TimeElapsedColumn(),
                                 console=console)
        self.bar = self.progress.add_task("sweep", total=total)
        self.counts: dict[str, int] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Tune pickles its run config next to the experiment; the live display stays on the driver."""
        return {}

    def __enter__(self) -> SweepProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def _say(self, trial: Any, event: str) -> None:
        self.progress.console.print(f"{time.strftime('%H:%M:%S')} cell {trial.config['cell']} {event}")

    def _attempt(self, trial: Any) -> str:
        record = self.layout.read_record(trial.config["cell"])
        last = record.attempts[-1] if record.attempts else None
        if last is None or last.returncode is None:
            return "its worker was lost"
        return f"exit {last.returncode}" + (" (killed)" if last.returncode < 0 else "")

    def on_trial_start(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        attempts = len(self.layout.read_record(trial.config["cell"]).attempts)
        self._say(trial, "started" if attempts == 0 else f"started (attempt {attempts + 1})")

    def on_trial_recover(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._say(trial, f"died ({self._attempt(trial)}); retrying from its last checkpoint where it has one")

    def on_trial_error(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        self._say(trial, f"FAILED ({self._attempt(trial)}); see {self.layout.log_path(trial.config['cell'])}")

    def on_trial_complete(self, iteration: int, trials: list, trial: Any, **info: Any) -> None:
        result = trial.last_result or {}
        if result.get("skipped"):
            self._say(trial, "already finished; not rerun")
            return
        scores = headline(result)
        self._say(trial, f"finished in {result.get('seconds', 0):.0f} s" + (f"  {scores}" if scores else ""))

    def on_step_end(self, iteration: int, trials: list, **info: Any) -> None:
        counts = {state: 0 for state in ("finished", "running", "failed", "pending")}
        for trial in trials:
            counts[STATES.get(trial.status, "pending")] += 1
        if counts != self.counts:
            self.counts = counts
            self.progress.update(self.bar, completed=counts["finished"] + counts["failed"],
                                 description="  ".join(f"{n} {state}" for state, n in counts.items()))

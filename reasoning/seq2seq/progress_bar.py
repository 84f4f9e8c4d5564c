"""A rich progress bar that follows a model's training time against its budget, and prints plain lines in logs."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from envs.logged_progress import LOG_EVERY_S, LoggedProgress
from reasoning.seq2seq.interface import FitProgress


def new_progress(console: Console | None = None, every_s: float = LOG_EVERY_S) -> Progress:
    """A progress display (description, bar, elapsed and remaining time), cleared when done; in a log,
    a plain line per task every ``every_s`` seconds (see :class:`LoggedProgress`)."""
    return LoggedProgress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
                          console=console, transient=True, every_s=every_s)


class TrainingBar:
    """A task on a :class:`rich.progress.Progress` fed by :meth:`Seq2SeqModel.fit`'s progress callback.

    The bar measures seconds against the time budget (training can stop earlier); its text shows
    epoch, step, loss and the latest and best validation exact-match accuracy.
    """

    def __init__(self, progress: Progress, label: str, minutes: float) -> None:
        """Args: progress: the display; label: what is trained (e.g. ``gru scan/simple``); minutes: the budget."""
        self.progress, self.label = progress, label
        self.total = 60.0 * minutes
        self.task = progress.add_task(label, total=self.total)
        self.valid = ""

    def __call__(self, update: FitProgress) -> None:
        """Show one :class:`FitProgress` snapshot."""
        if update.valid_accuracy is not None:
            best = 100 * (update.best_valid_accuracy or 0.0)
            self.valid = f" valid {100 * update.valid_accuracy:.1f}% (best {best:.1f}%)"
        self.progress.update(self.task, completed=min(update.elapsed_s, self.total),
                             description=f"{self.label} epoch {update.epoch} step {update.step} "
                                         f"loss {update.loss:.3f}{self.valid}")

    def close(self) -> None:
        """Remove the bar (training is over)."""
        self.progress.remove_task(self.task)

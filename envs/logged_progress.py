"""A rich progress display that also works in a log: plain lines every few seconds when not on a terminal."""

from __future__ import annotations

import threading
from typing import Any

from rich.progress import Progress, Task

LOG_EVERY_S = 20.0


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def plain_line(task: Task) -> str:
    """One log line for a task: its description, percentage, elapsed time and ETA."""
    percent = f"{task.percentage:.0f}%" if task.total else ""
    return f"{task.description}  {percent} elapsed {_clock(task.elapsed)} ETA {_clock(task.time_remaining)}"


class LoggedProgress(Progress):
    """A rich :class:`Progress`; when its console is not a terminal (a log file, a pipe), where a bar
    shows nothing, a background thread prints :func:`plain_line` of every unfinished task each
    ``every_s`` seconds instead."""

    def __init__(self, *columns: Any, every_s: float = LOG_EVERY_S, **kwargs: Any) -> None:
        super().__init__(*columns, **kwargs)
        self.every_s = every_s
        self._stop_lines = threading.Event()
        self._lines: threading.Thread | None = None

    def start(self) -> None:
        super().start()
        if not self.console.is_terminal and self._lines is None:
            self._stop_lines.clear()
            self._lines = threading.Thread(target=self._print_lines, name="progress-lines", daemon=True)
            self._lines.start()

    def stop(self) -> None:
        if self._lines is not None:
            self._stop_lines.set()
            self._lines.join()
            self._lines = None
        super().stop()

    def _print_lines(self) -> None:
        while not self._stop_lines.wait(self.every_s):
            for task in self.tasks:
                if not task.finished:
                    self.console.print(plain_line(task), highlight=False, soft_wrap=True)

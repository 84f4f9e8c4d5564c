"""Progress of a long run, for a person at a terminal and for a log file alike.

On a terminal it is a rich progress bar per phase; when output goes to a file or a pipe (where a bar
would print nothing until the end) it is one plain line every ``every_s`` seconds and one at the end
of each phase, so that ``tail -f`` of a log always shows where a run is.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from envs.logged_progress import LOG_EVERY_S

LOG_WIDTH = 160


def wide_console() -> Console:
    """A rich console; when output is not a terminal (a log file, a pipe), LOG_WIDTH columns wide so that
    tables keep one line per row."""
    console = Console()
    if not console.is_terminal:
        console.width = max(console.width, LOG_WIDTH)
    return console


class RunReporter:
    """``phase(name, total)`` starts a phase; ``update(completed, status)`` reports within it."""

    def __init__(self, console: Console, quiet: bool = False, every_s: float = LOG_EVERY_S) -> None:
        self.console = console
        self.quiet = quiet
        self.every_s = every_s
        self.live = console.is_terminal and not quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase = ""
        self._total = 0.0
        self._start = time.perf_counter()
        self._last_line = -float("inf")
        self._last_status = ""
        self._last_completed = 0.0

    def __enter__(self) -> RunReporter:
        if self.live:
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                      TextColumn("{task.fields[amount]}"), TimeElapsedColumn(),
                                      TimeRemainingColumn(), TextColumn("{task.fields[status]}"),
                                      console=self.console)
            self._progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._end_phase()
        if self._progress is not None:
            self._progress.stop()

    def phase(self, name: str, total: float, unit: str = "steps") -> None:
        """Start phase ``name`` that is done at ``total`` (in ``unit``; "" for a fraction)."""
        self._end_phase()
        self._phase, self._total, self._unit = name, total, unit
        self._last_status, self._last_completed = "", 0.0
        self._last_line = time.perf_counter()
        if self._progress is not None:
            self._task = self._progress.add_task(name, total=total, amount="", status="")

    def update(self, completed: float, status: str = "") -> None:
        """Report progress within the current phase (cheap: call it as often as you like)."""
        self._last_status, self._last_completed = status, completed
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=completed, amount=self._amount(completed), status=status)
        elif not self.quiet and time.perf_counter() - self._last_line >= self.every_s:
            self._line()

    def say(self, text: str) -> None:
        """A message above the bar (or a line of the log)."""
        if not self.quiet:
            self.console.print(text)

    def _amount(self, completed: float) -> str:
        if not self._unit:
            return f"{100 * completed / max(self._total, 1e-9):.0f}%"
        return f"{completed:,.0f}/{self._total:,.0f} {self._unit}"

    def _line(self) -> None:
        self._last_line = time.perf_counter()
        elapsed = self._last_line - self._start
        status = f"  {self._last_status}" if self._last_status else ""
        self.console.print(f"[{elapsed:6.0f} s] {self._phase}: {self._amount(self._last_completed)}{status}",
                           highlight=False, soft_wrap=True)

    def _end_phase(self) -> None:
        if self._phase and not self.live and not self.quiet:
            self._line()
        self._phase = ""

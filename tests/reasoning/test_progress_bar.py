"""Progress of long reasoning commands: plain lines in a log, a bar on a terminal."""

from __future__ import annotations

import io
import time

from rich.console import Console

from reasoning.seq2seq.interface import FitProgress
from reasoning.seq2seq.progress_bar import TrainingBar, new_progress


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=120), out


def test_a_log_gets_a_plain_line_every_period_even_while_training_is_silent() -> None:
    console, out = _console(terminal=False)
    with new_progress(console, every_s=0.05) as progress:
        bar = TrainingBar(progress, "gru scan/simple", minutes=1.0)
        bar(FitProgress(1, 10, 3.0, 0.5))
        time.sleep(0.3)  # no callback: the lines must come anyway
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    assert len(lines) >= 3
    assert all("gru scan/simple epoch 1 step 10 loss 0.500" in line and "ETA" in line for line in lines)
    assert "5%" in lines[0]  # 3 s of a 60 s budget


def test_a_terminal_gets_no_plain_lines() -> None:
    console, out = _console(terminal=True)
    with new_progress(console, every_s=0.05) as progress:
        TrainingBar(progress, "gru scan/simple", minutes=1.0)(FitProgress(1, 10, 3.0, 0.5))
        time.sleep(0.2)
    assert "ETA" not in out.getvalue()

"""kill -9 at seeded points of a run, then resume or rerun: the result is that of an uninterrupted run.

The default test run kills `slotmind train` at two points; `-m slow` adds a seeded schedule of 20 kill
points over train, pretrain and `reason train`.
"""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envs.command_line import main

TRAIN_STEPS, SAVE_EVERY, EVAL_EVERY = 3072, 512, 1024
TRAIN = ["--encoder", "objects", "-n", str(TRAIN_STEPS), "--save-freq", str(SAVE_EVERY), "--eval-freq",
         str(EVAL_EVERY), "--threads", "1", "--quiet", "--n-envs", "4", "--eval-episodes", "2",
         "--hyperparams", "n_steps=32", "batch_size=64", "n_epochs=1"]


def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "envs.command_line", *argv],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill_when(process: subprocess.Popen, ready, delay_s: float, timeout_s: float = 120.0) -> bool:
    """SIGKILL ``process`` ``delay_s`` seconds after ``ready()`` holds; False when it ended first."""
    deadline = time.time() + timeout_s
    while time.time() < deadline and process.poll() is None and not ready():
        time.sleep(0.01)
    time.sleep(delay_s)
    if process.poll() is not None:
        return False
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return True


def _checkpointed(run_dir: Path) -> int:
    try:
        return json.loads((run_dir / "checkpoints" / "progress.json").read_text())["num_timesteps"]
    except (OSError, ValueError, KeyError):
        return 0


def _episode_ends(run_dir: Path) -> list[float]:
    ends: list[float] = []
    for n in range(10):
        path = run_dir / f"monitor-{n}.monitor.csv"
        if path.is_file():
            rows = csv.DictReader(line for line in path.read_text().splitlines() if not line.startswith("#"))
            ends += [float(row["env_steps"]) for row in rows if row.get("env_steps")]
    return ends


def kill_and_resume_train(run_dir: Path, delay_s: float) -> None:
    """Kill a train run ``delay_s`` s after its first checkpoint, resume it, and check it as a whole."""
    killed = _kill_when(_start(["train", *TRAIN, "--run-dir", str(run_dir)]),
                        lambda: _checkpointed(run_dir) > 0, delay_s)
    if killed:
        assert main(["train", "--resume", str(run_dir), "--quiet"]) == 0
    evaluations = json.loads((run_dir / "eval.json").read_text())
    assert evaluations["num_timesteps"] == TRAIN_STEPS
    assert [e["num_timesteps"] for e in evaluations["history"]] == list(range(EVAL_EVERY, TRAIN_STEPS + 1, EVAL_EVERY))
    ends = _episode_ends(run_dir)
    assert ends == sorted(ends) and max(ends) <= TRAIN_STEPS, "monitor rows repeat or run past the budget"
    assert (run_dir / "model.zip").is_file() and not list(run_dir.rglob(".*-*"))  # no temporary files left


@pytest.mark.parametrize("delay_s", [0.0, 0.4])
def test_train_killed_after_a_checkpoint_resumes_to_the_same_run(tmp_path: Path, delay_s: float) -> None:
    kill_and_resume_train(tmp_path / "run", delay_s)


def _pretrain_files_are_whole(run_dir: Path) -> None:
    """After a kill: metrics.json and encoder.pt are absent or complete (atomic writes)."""
    from agents.encoders.api import SlotEncoder

    if (run_dir / "metrics.json").exists():
        json.loads((run_dir / "metrics.json").read_text())
    if (run_dir / "encoder.pt").exists():
        SlotEncoder.load(run_dir)


def _reason_folder_is_whole_or_absent(run_dir: Path) -> None:
    if run_dir.exists():
        assert {"config.yaml", "metrics.json", "checkpoint"} <= {p.name for p in run_dir.iterdir()}


@pytest.mark.slow
def test_twenty_seeded_kill_points(tmp_path: Path) -> None:
    schedule = random.Random(2026)
    for point in range(10):
        kill_and_resume_train(tmp_path / f"train-{point}", schedule.uniform(0.0, 2.0))
    for point in range(5):
        run_dir = tmp_path / f"pretrain-{point}"
        process = _start(["pretrain", "--steps", "400", "--train-frames", "256", "--eval-frames", "32",
                          "--ood-frames", "16", "--tta-steps", "0", "--threads", "1", "--quiet",
                          "--run-dir", str(run_dir)])
        _kill_when(process, lambda run_dir=run_dir: run_dir.exists(), schedule.uniform(1.0, 15.0))
        _pretrain_files_are_whole(run_dir)
    for point in range(5):
        run_dir = tmp_path / f"reason-{point}"
        process = _start(["reason", "train", "gru", "--task", "scan", "--split", "simple", "--minutes", "0.2",
                          "--set", "hidden=16", "--set", "embedding=8", "--threads", "1", "--run-dir", str(run_dir)])
        _kill_when(process, lambda: True, schedule.uniform(2.0, 20.0))
        _reason_folder_is_whole_or_absent(run_dir)

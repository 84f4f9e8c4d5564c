"""`slotmind sweep`: spec checks (no Ray), a local 2 encoders x 2 seeds sweep that survives a killed trial,
and `--resume` after the driver is killed. Ray starts with 2 (or 1) CPUs and no dashboard, and is shut down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from agents.sweeps.layout import SweepLayout
from agents.sweeps.spec import cell_flags, expand_cells, flag_words, load_spec
from envs.command_line import UserError, main

TINY_FLAGS = {"timesteps": 2048, "n-envs": 4, "eval-freq": 0, "save-freq": 256, "eval-episodes": 4,
              "hyperparams": {"n_steps": 32, "batch_size": 64, "n_epochs": 2}}


def write_spec(path: Path, **spec: Any) -> Path:
    path.write_text(yaml.safe_dump({"command": "train", "flags": TINY_FLAGS, **spec}, sort_keys=False))
    return path


def test_cells_are_the_single_machine_command_lines(tmp_path: Path) -> None:
    from agents.encoders.checkpoint import CHECKPOINT_NAME, save_checkpoint
    from agents.encoders.slot_autoencoder import ModelConfig, SlotAutoencoder

    save_checkpoint(tmp_path / CHECKPOINT_NAME, SlotAutoencoder(ModelConfig()))  # cells check --pretrained
    spec = load_spec(write_spec(tmp_path / "s.yaml", grid={
        "encoder": ["cnn", {"encoder": "slots", "pretrained": str(tmp_path)}], "seed": [0, 1]}))
    cells = expand_cells(spec)
    assert [c.name for c in cells] == ["encoder-cnn_seed-0", "encoder-cnn_seed-1", "encoder-slots_seed-0",
                                       "encoder-slots_seed-1"]
    argv = cells[2].argv
    assert argv[:3] == ["train", "--timesteps", "2048"] and argv[-1] == "--quiet"
    assert "--hyperparams n_steps=32 batch_size=64 n_epochs=2" in " ".join(argv)
    assert " --encoder slots --pretrained " in " ".join(argv) and "--threads 1" in " ".join(argv)
    assert cell_flags(spec)[0][0] == {"encoder": "cnn", "seed": "0"}


def test_flag_words() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    switch = parser.add_argument("--finetune", action="store_true")
    repeated = parser.add_argument("--set", action="append")
    plain = parser.add_argument("--seed")
    assert flag_words("finetune", True, switch) == ["--finetune"] and flag_words("finetune", False, switch) == []
    assert flag_words("set", {"a": 1, "b": True}, repeated) == ["--set", "a=1", "--set", "b=true"]
    assert flag_words("seed", 3, plain) == ["--seed", "3"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"grid": {"seed": [0]}, "seeds": 3}, "unknown key seeds"),
        ({"grid": {"seed": [0], "encodr": ["cnn"]}}, "unknown key 'encodr'"),
        ({"grid": {}}, "the grid is empty"),
        ({"grid": {"seed": []}}, "grid axis 'seed' is empty"),
        ({"grid": {"encoder": ["cnn", "rnn"]}}, "cell encoder-rnn: `slotmind train"),
        ({"grid": {"seed": [0, -1]}}, "cell seed--1"),
        ({"grid": {"encoder": [{"encoder": "slots", "pretrained": "/no/such/run"}]}}, "cell encoder-slots"),
        ({"grid": {"seed": [0]}, "command": "watch"}, "command 'watch' cannot be swept"),
        ({"grid": {"run-dir": ["x"]}}, "set by the sweep"),
    ],
)
def test_bad_specs_are_refused_before_anything_starts(spec: dict[str, Any], message: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    path = write_spec(tmp_path / "bad.yaml", **spec)
    assert main(["sweep", str(path), "--sweep-dir", str(tmp_path / "sweep")]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "sweep").exists()


def test_a_binary_spec_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(bytes(range(128, 256)))
    assert main(["sweep", str(path), "--sweep-dir", str(tmp_path / "sweep")]) == 2
    err = capsys.readouterr().err
    assert f"{path} is not a text file" in err and len(err.strip().splitlines()) == 1


def test_unreachable_address_fails_within_seconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_spec(tmp_path / "s.yaml", grid={"seed": [0]})
    started = time.perf_counter()
    assert main(["sweep", str(path), "--address", "127.0.0.1:1", "--sweep-dir", str(tmp_path / "sweep")]) == 2
    assert time.perf_counter() - started < 10
    assert "no Ray cluster answers there" in capsys.readouterr().err


def kill_after_checkpoint(layout: SweepLayout, cell: str, killed: list[int]) -> threading.Thread:
    """A thread that SIGKILLs ``cell``'s training process once it has written its first checkpoint."""
    checkpoint = layout.cell_dir(cell) / "checkpoints" / "latest.zip"

    def watch() -> None:
        deadline = time.time() + 300
        while time.time() < deadline and not killed:
            attempts = layout.read_record(cell).attempts if layout.record_path(cell).is_file() else []
            if attempts and checkpoint.is_file():
                os.kill(attempts[-1].pid, signal.SIGKILL)
                killed.append(attempts[-1].pid)
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def test_local_sweep_survives_a_killed_trial_and_aggregates(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                            ) -> None:
    path = write_spec(tmp_path / "s.yaml", grid={"encoder": ["objects", "cnn"], "seed": [0, 1]})
    sweep_dir = tmp_path / "sweep"
    layout = SweepLayout(sweep_dir)
    killed: list[int] = []
    watcher = kill_after_checkpoint(layout, "encoder-cnn_seed-0", killed)
    assert main(["sweep", str(path), "--cpus", "2", "--max-concurrent", "2", "--sweep-dir", str(sweep_dir)]) == 0
    watcher.join(timeout=1)
    out = capsys.readouterr().out
    assert killed, "the trial finished before it could be killed"
    assert "cell encoder-cnn_seed-0 died (exit -9 (killed))" in out
    records = {cell.name: layout.read_record(cell.name) for cell in layout.cells()}
    assert all(record.status == "finished" for record in records.values())
    retried = records["encoder-cnn_seed-0"].attempts
    assert len(retried) == 2 and retried[0].returncode == -signal.SIGKILL and retried[1].resumed
    run_dir = layout.cell_dir("encoder-cnn_seed-0")
    assert json.loads((run_dir / "eval.json").read_text())["num_timesteps"] == 2048
    assert (run_dir / "monitor-1.monitor.csv").is_file()  # the second segment: continued, not restarted
    assert all(len(r.attempts) == 1 for name, r in records.items() if name != "encoder-cnn_seed-0")
    groups = json.loads((sweep_dir / "compare" / "compare.json").read_text())["groups"]
    assert [(g["encoder"], g["n_seeds"]) for g in groups] == [("objects", 2), ("cnn", 2)]
    assert (sweep_dir / "compare" / "curves.png").is_file() and "mean ± std over seeds" in out
    assert json.loads((sweep_dir / "summary.json").read_text())["wall_seconds"] > 0
    assert main(["compare", str(sweep_dir), "--out", str(tmp_path / "again")]) == 0
    assert len(json.loads((tmp_path / "again" / "compare.json").read_text())["runs"]) == 4


def test_resume_after_the_driver_is_killed_does_not_rerun_finished_cells(tmp_path: Path) -> None:
    path = write_spec(tmp_path / "s.yaml", grid={"seed": [0, 1]}, flags={**TINY_FLAGS, "encoder": "objects"})
    sweep_dir = tmp_path / "sweep"
    layout = SweepLayout(sweep_dir)
    command = [sys.executable, "-m", "envs.command_line", "sweep", str(path), "--cpus", "1", "--max-concurrent", "1",
               "--sweep-dir", str(sweep_dir)]
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    first, second = "seed-0", "seed-1"
    deadline = time.time() + 300
    while time.time() < deadline and driver.poll() is None:
        if layout.read_record(first).status == "finished" and layout.read_record(second).attempts:
            break
        time.sleep(0.05)
    os.killpg(driver.pid, signal.SIGKILL)  # the driver, its Ray and its trials, as a lost terminal would
    driver.wait()
    assert driver.returncode == -signal.SIGKILL, "the sweep finished before its driver could be killed"
    assert layout.read_record(second).status != "finished"
    finished_at = (layout.cell_dir(first) / "eval.json").stat().st_mtime
    assert main(["sweep", str(path), "--resume", "--cpus", "1", "--sweep-dir", str(sweep_dir)]) == 0
    assert len(layout.read_record(first).attempts) == 1
    assert (layout.cell_dir(first) / "eval.json").stat().st_mtime == finished_at
    assert layout.read_record(second).status == "finished"
    assert json.loads((layout.cell_dir(second) / "eval.json").read_text())["num_timesteps"] == 2048


def test_resume_refuses_a_changed_spec(tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sweep"
    layout = SweepLayout(sweep_dir)
    spec = load_spec(write_spec(tmp_path / "s.yaml", grid={"seed": [0, 1]}))
    layout.write_sweep(spec.raw, expand_cells(spec), tmp_path)
    changed = write_spec(tmp_path / "s.yaml", grid={"seed": [0, 1, 2]})
    from agents.sweeps.sweep_cli import prepare
    from envs.command_line import build_parser

    args = build_parser().parse_args(["sweep", str(changed), "--resume", "--sweep-dir", str(sweep_dir)])
    with pytest.raises(UserError, match="no longer describes the cells"):
        prepare(args)


def test_group_table_is_mean_and_std_over_seeds() -> None:
    from rich.console import Console

    from agents.sweeps.sweep_cli import group_table

    labels = {"a": {"model": "sa", "seed": "0"}, "b": {"model": "sa", "seed": "1"}, "c": {"model": "sa-cycle",
                                                                                          "seed": "0"}}
    results = {"a": {"fg_ari": 0.2}, "b": {"fg_ari": 0.4}, "c": {"fg_ari": 0.5, "mbo": 0.1}}
    console = Console(record=True, width=200)
    console.print(group_table(labels, results))
    text = console.export_text()
    assert "model=sa " in text and "0.300 ± 0.141" in text and "0.500 ± 0.000" in text

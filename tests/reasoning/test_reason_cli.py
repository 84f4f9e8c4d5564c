"""`slotmind reason data|train|eval|bench|models` end to end at tiny sizes, and bad input."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import torch
import yaml

from envs.command_line import main
from reasoning.tasks import load_split
from reasoning.tasks.jsonl import read_jsonl
from reasoning.tasks.scan import read_scan

torch.set_num_threads(1)

TINY_GRU = ["--set", "hidden=16", "--set", "embedding=8"]
TINY_HINT = ["--task-option", "train_per_op=20", "--task-option", "test_per_op=3"]
HAND_MADE_SCAN = "IN: jump twice OUT: I_JUMP I_JUMP\n\nIN: walk left OUT: I_TURN_LEFT I_WALK\nIN: look OUT: I_LOOK\n"


def test_help_of_every_action(capsys: pytest.CaptureFixture[str]) -> None:
    for action, flag in (("data", "--out"), ("train", "--minutes"), ("eval", "--data"), ("bench", "--seeds"),
                         ("models", "--help")):
        with pytest.raises(SystemExit) as exit_info:
            main(["reason", action, "--help"])
        assert exit_info.value.code == 0 and flag in capsys.readouterr().out
    assert main(["reason"]) == 2  # a group without an action prints its help
    assert main(["reason", "models"]) == 0
    assert "transformer" in capsys.readouterr().out


def test_data_writes_each_task_in_its_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reason", "data", "scan", "--split", "add-jump", "--out", str(tmp_path / "scan")]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == str(tmp_path / "scan")
    expected = load_split("scan", "add-jump")
    assert read_scan(tmp_path / "scan" / "test.txt") == expected["test"]
    assert read_scan(tmp_path / "scan" / "train.txt") == expected["train"]
    assert main(["reason", "data", "hint", "--out", str(tmp_path / "hint"), *TINY_HINT]) == 0
    assert read_jsonl(tmp_path / "hint" / "test.jsonl") == load_split("hint", "symbol", train_per_op=20,
                                                                      test_per_op=3)["test"]
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".")]  # no staging leftovers


def test_train_then_eval_on_a_hand_made_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    assert main(["reason", "train", "gru", "--task", "scan", "--split", "simple", "--minutes", "0.02",
                 "--run-dir", str(run_dir), *TINY_GRU]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == str(run_dir) and "test exact match" in out
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["model"] == "gru" and config["model_config"]["hidden"] == 16 and config["split"] == "simple"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["sizes"]["test"] == 4182 and metrics["fit"]["stop_reason"] == "time-budget"
    assert (run_dir / "checkpoint" / "weights.pt").is_file()

    hand_made = tmp_path / "elsewhere" / "mine.txt"
    hand_made.parent.mkdir()
    hand_made.write_text(HAND_MADE_SCAN)
    assert main(["reason", "eval", str(run_dir), "--data", str(hand_made)]) == 0
    assert "mine.txt" in capsys.readouterr().out
    evaluations = json.loads((run_dir / "metrics.json").read_text())["evaluations"]
    assert len(evaluations) == 1 and evaluations[0]["n"] == 3 and evaluations[0]["path"] == str(hand_made)
    assert config["data_source"].startswith("official files: ") and "tasks_train_simple.txt" in config["data_source"]

    with_bom = tmp_path / "elsewhere" / "bom.txt"
    with_bom.write_bytes(HAND_MADE_SCAN.encode("utf-8-sig"))  # as saved by some editors
    compressed = tmp_path / "elsewhere" / "packed.txt.gz"
    compressed.write_bytes(gzip.compress(HAND_MADE_SCAN.encode()))
    assert main(["reason", "eval", str(run_dir), "--data", str(with_bom), str(compressed)]) == 0
    evaluations = json.loads((run_dir / "metrics.json").read_text())["evaluations"]
    assert [e["n"] for e in evaluations] == [3, 3, 3]


def test_data_list_shows_every_split_with_sizes_and_sources(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reason", "data", "list"]) == 0
    out = capsys.readouterr().out
    for split, sizes in (("filler-2", "17,391"), ("add-jump-complex-32", "14,655"), ("jump-around-right", "1,173")):
        row = next(line for line in out.splitlines() if f" {split} " in line)
        assert sizes in row and "Lake & Baroni" in row
    assert "a random draw" in out and "PCFG SET" in out and "10,175" in out
    assert main(["reason", "data", "scan"]) == 2
    assert "--out DIR" in capsys.readouterr().err


def test_bench_tiny(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench_dir = tmp_path / "bench"
    assert main(["reason", "bench", "--task", "hint", "--models", "gru,transformer", "--seeds", "1",
                 "--minutes", "0.01", "--run-dir", str(bench_dir), "--set", "gru.hidden=16",
                 "--set", "transformer.width=16", "--set", "transformer.heads=2", *TINY_HINT]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == str(bench_dir)
    assert "LSTM+att" in out and "Li et al. ICLR 2023" in out
    bench = json.loads((bench_dir / "bench.json").read_text())
    assert bench["complete"] and len(bench["cells"]) == 2
    assert [(row["subset"], row["model"]) for row in bench["rows"][:2]] == [("I", "gru"), ("I", "transformer")]
    assert all(0 <= row["accuracy_mean"] <= 100 and row["wall_s_per_run"] > 0 for row in bench["rows"])
    assert (bench_dir / "bench.csv").read_text().startswith("task,split,subset,model,seeds,accuracy_mean")
    cell = bench_dir / "runs" / "transformer-symbol-seed0"
    assert main(["reason", "eval", str(cell), "--data", str(cell.parent.parent / "bench.json")]) == 2
    assert "bench.json:1:" in capsys.readouterr().err  # not HINT JSON Lines


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["reason", "train", "lstm"], "unknown model 'lstm'"),
        (["reason", "train", "gru", "--task", "cogs"], "unknown task 'cogs'"),
        (["reason", "train", "gru", "--split", "mcd1"], "unknown scan split 'mcd1'"),
        (["reason", "train", "gru", "--set", "hiden=3"], "unknown GRUConfig settings"),
        (["reason", "train", "gru", "--set", "hidden"], "expected KEY=VALUE"),
        (["reason", "train", "gru", "--task", "pcfg", "--data", "nowhere"], "Looked in:"),
        (["reason", "train", "gru", "--minutes", "0"], "minutes > 0"),
        (["reason", "data", "hint", "--out", "x", "--task-option", "size=3"], "unknown hint options"),
        (["reason", "eval", "not-a-run", "--data", "x.txt"], "not a run folder"),
        (["reason", "bench", "--models", "gru,lstm"], "unknown model 'lstm'"),
        (["reason", "bench", "--splits", "simple,jump"], "unknown scan split(s) jump"),
        (["reason", "bench", "--seeds", "0"], "at least 1 seed"),
        (["reason", "bench", "--task", "hint", "--splits", "image", "--models", "nsr,gru"], "which gru does not read"),
        (["reason", "bench", "--set", "nsr.depth=2"], "'nsr' is not one of the benchmarked models"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLOTMIND_RUNS", str(tmp_path / "runs"))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GRU run trained for a few steps on tiny HINT data."""
    run_dir = tmp_path_factory.mktemp("tiny") / "run"
    assert main(["reason", "train", "gru", "--task", "hint", "--minutes", "0.01", "--run-dir", str(run_dir),
                 *TINY_GRU, *TINY_HINT]) == 0
    return run_dir


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"source": ["3"], "target": ["3"]}\n{"source": ["4"]}\n', "bad.jsonl:2: 'target' must be a list"),
        ('{"source": ["3"], "target": ["3"]}\nnot json\n', "bad.jsonl:2:"),
        (None, "no such file"),
    ],
)
def test_eval_reports_bad_files_with_their_line(tiny_run: Path, content: str | None, message: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    if content is not None:
        bad.write_text(content)
    before = (tiny_run / "metrics.json").read_text()
    assert main(["reason", "eval", str(tiny_run), "--data", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert (tiny_run / "metrics.json").read_text() == before  # nothing appended


def test_eval_names_a_binary_file_a_damaged_gzip_and_a_folder(tiny_run: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    binary, damaged = tmp_path / "binary.jsonl", tmp_path / "damaged.jsonl.gz"
    binary.write_bytes(bytes(range(128, 256)) * 4)
    damaged.write_bytes(gzip.compress(b'{"source": ["3"], "target": ["3"]}\n')[:-9])
    for path, message in ((binary, "is not UTF-8 text"), (damaged, "is not a readable gzip file"),
                          (tmp_path, "is a folder; give a data file")):
        assert main(["reason", "eval", str(tiny_run), "--data", str(path)]) == 2
        err = capsys.readouterr().err
        assert f"{path}: {message}" in err and len(err.strip().splitlines()) == 1


def test_eval_prints_hint_subsets_and_refuses_to_overwrite_a_run(tiny_run: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "mine.jsonl"
    good.write_text('{"source": ["3", "+", "4"], "target": ["7"], "subset": "SS"}\n'
                    '{"source": ["9"], "target": ["9"], "subset": "I"}\n')
    assert main(["reason", "eval", str(tiny_run), "--data", str(good)]) == 0
    out = capsys.readouterr().out
    assert " SS " in out and " I " in out
    assert main(["reason", "train", "gru", "--task", "hint", "--run-dir", str(tiny_run)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    (tiny_run / "metrics.json").unlink()
    assert main(["reason", "eval", str(tiny_run), "--data", str(good)]) == 2
    assert "missing metrics.json" in capsys.readouterr().err


def test_pcfg_data_train_and_eval_on_a_src_tgt_pair(pcfg_dir: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    tiny = ["--task-option", "n_train=40", "--data", str(pcfg_dir.parent)]
    assert main(["reason", "data", "pcfg", "--split", "systematicity", "--out", str(tmp_path / "d"), *tiny]) == 0
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == [
        "dev.src", "dev.tgt", "test.src", "test.tgt", "train.src", "train.tgt"]
    assert len((tmp_path / "d" / "train.tgt").read_text().splitlines()) == 40
    run_dir = tmp_path / "run"
    assert main(["reason", "train", "gru", "--task", "pcfg", "--split", "iid", "--minutes", "0.01",
                 "--run-dir", str(run_dir), *TINY_GRU, *tiny]) == 0
    (tmp_path / "mine.src").write_text("reverse A1 B2\nappend A1 , C3 D4\n")
    (tmp_path / "mine.tgt").write_text("B2 A1\nA1 C3 D4\n")
    capsys.readouterr()
    assert main(["reason", "eval", str(run_dir), "--data", str(tmp_path / "mine.src")]) == 0
    assert "mine.src" in capsys.readouterr().out
    assert json.loads((run_dir / "metrics.json").read_text())["evaluations"][0]["n"] == 2
    (tmp_path / "mine.tgt").write_text("B2 A1\n")
    assert main(["reason", "eval", str(run_dir), "--data", str(tmp_path / "mine.src")]) == 2
    assert "2 lines in" in capsys.readouterr().err


def test_train_nsr_prints_what_it_learned(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "nsr"
    assert main(["reason", "train", "nsr", "--task", "scan", "--split", "simple", "--minutes", "0.05", "--threads", "1",
                 "--set", "stage_rounds=2", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert "what nsr learned:" in out and "() = const_I_" in out
    assert (run_dir / "checkpoint" / "programs.txt").read_text().strip()

    png = tmp_path / "tree.png"
    assert main(["reason", "show", str(run_dir), "walk", "--png", str(png)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "walk [walk] = I_WALK"
    assert png.read_bytes()[:4] == b"\x89PNG"
    for bad, message in (("teleport", "were not in the training data"), ("", "the input is empty")):
        assert main(["reason", "show", str(run_dir), bad]) == 2
        assert message in capsys.readouterr().err

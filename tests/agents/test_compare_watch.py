"""``slotmind compare`` and ``slotmind watch`` end to end on tiny runs, plus their pure helpers."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
import torch

from agents.training.compare import group_curve, mean_std, read_monitor, smooth
from agents.training.watch import segmentation_image, slot_colours, slot_tiles
from envs.command_line import main

torch.set_num_threads(1)
FAST = ["--threads", "1", "--quiet", "--n-envs", "4", "--eval-freq", "0", "--eval-episodes", "2",
        "--save-freq", "10000", "--hyperparams", "n_steps=16", "batch_size=32", "n_epochs=1"]


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny runs: objects seeds 0 and 1 (seed 1 also evaluated on unseen-colors), and slots with a tiny encoder."""
    root = tmp_path_factory.mktemp("runs")
    paths = {"objects-0": root / "objects-s0", "objects-1": root / "objects-s1", "slots": root / "slots-s0"}
    for seed in (0, 1):
        assert main(["train", "--encoder", "objects", "-n", "128", "--seed", str(seed),
                     "--run-dir", str(paths[f"objects-{seed}"]), *FAST]) == 0
    assert main(["eval", str(paths["objects-1"]), "--split", "unseen-colors", "--episodes", "2", "--quiet"]) == 0
    encoder = root / "encoder"
    assert main(["pretrain", "--model", "sa", "--steps", "2", "--train-frames", "32", "--eval-frames", "8",
                 "--ood-frames", "4", "--tta-steps", "0", "--slots", "4", "--threads", "1", "--quiet",
                 "--run-dir", str(encoder)]) == 0
    assert main(["train", "--encoder", "slots", "--pretrained", str(encoder), "-n", "64",
                 "--run-dir", str(paths["slots"]), *FAST]) == 0
    return paths


def test_compare_prints_a_table_and_writes_curves_json_csv(runs: dict[str, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(runs["objects-0"]), str(runs["objects-1"]), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "objects" in printed and "0 1 (2)" in printed and "unseen-colors" in printed
    assert printed.strip().splitlines()[-1] == str(out)
    for name in ("curves.png", "compare.json", "compare.csv"):
        assert (out / name).is_file(), name
    assert imageio.imread(out / "curves.png").shape[1] > 600
    data = json.loads((out / "compare.json").read_text())
    (group,) = data["groups"]
    assert (group["env"], group["encoder"], group["n_seeds"]) == ("slotmind/ObjectGoal-v0", "objects", 2)
    assert data["splits"] == ["unseen-colors"] and group["unseen-colors_n"] == 1 and len(data["runs"]) == 2
    floor, ceiling = data["references"]
    assert (floor["encoder"], ceiling["encoder"]) == ("random (floor)", "scripted (ceiling)")
    assert floor["success_mean"] < ceiling["success_mean"] and ceiling["unseen-colors_success_mean"] >= 0.85
    assert "random (floor)" in printed and "scripted (ceiling)" in printed
    lines = (out / "compare.csv").read_text().splitlines()
    assert lines[0].startswith("env,encoder,algo,reference,n_seeds,seeds,success_mean,success_std,return_mean")
    assert len(lines) == 4


def test_compare_expands_globs_and_defaults_to_a_new_run_folder(runs: dict[str, Path], tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SLOTMIND_RUNS", str(tmp_path))
    pattern = str(runs["objects-0"].parent / "*-s*")
    assert main(["compare", pattern, "--no-references"]) == 0
    out = Path(capsys.readouterr().out.strip().splitlines()[-1])
    assert out.parent == tmp_path and out.name.startswith("compare-")
    data = json.loads((out / "compare.json").read_text())
    assert sorted(g["encoder"] for g in data["groups"]) == ["objects", "slots"] and len(data["runs"]) == 3


def test_compare_rejects_folders_that_are_not_runs(runs: dict[str, Path], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    assert main(["compare", str(runs["objects-0"]), str(tmp_path), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert str(tmp_path) in error and "slotmind train" in error and len(error.strip().splitlines()) == 1
    assert not out.exists()  # nothing written when one folder is bad
    assert main(["compare", str(tmp_path / "nothing-*")]) == 2
    assert "no runs matched" in capsys.readouterr().err


def test_compare_shows_a_run_still_training_without_scores(runs: dict[str, Path], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    running = tmp_path / "running"
    running.mkdir()
    for name in ("config.yaml", "monitor-0.monitor.csv"):  # no eval.json and no model.zip yet
        (running / name).write_text((runs["objects-1"] / name).read_text())
    assert main(["compare", str(runs["objects-0"]), str(running), "--out", str(tmp_path / "cmp")]) == 0
    assert "(n=1)" in capsys.readouterr().out  # two seeds, only one of them scored yet


def test_monitor_segments_are_concatenated_and_curves_smoothed(tmp_path: Path) -> None:
    header = '#{"t_start": 0}\nr,l,t,is_success\n'
    (tmp_path / "monitor-0.monitor.csv").write_text(header + "1.0,10,0.1,True\n0.0,5,0.2,False\n")
    (tmp_path / "monitor-1.monitor.csv").write_text(header + "0.5,20,0.1,True\n")
    steps, returns, successes = read_monitor(tmp_path)
    assert steps.tolist() == [10, 15, 35] and returns.tolist() == [1.0, 0.0, 0.5]
    assert successes.tolist() == [1.0, 0.0, 1.0]
    assert smooth(np.array([1.0, 3.0, np.nan, 5.0]), 2).tolist() == [1.0, 2.0, 3.0, 5.0]
    assert mean_std([1.0, 3.0, float("nan")]) == (2.0, pytest.approx(2**0.5)) and mean_std([4.0]) == (4.0, 0.0)

    class Run:  # the two attributes group_curve reads
        def __init__(self, steps: list[float], returns: list[float]) -> None:
            self.steps, self.returns = np.array(steps), np.array(returns)

    grid, mean, low, high = group_curve([Run([0, 10], [0.0, 1.0]), Run([0, 20], [1.0, 1.0])], "returns", window=1)
    assert grid[0] == 0 and grid[-1] == 10  # the range every seed covers
    assert low[-1] == 1.0 and high[-1] == 1.0 and mean[0] == 0.5


def test_slot_overlay_pictures() -> None:
    colours = slot_colours(4)
    assert colours.shape == (4, 3) and len({tuple(c) for c in colours}) == 4
    masks = np.zeros((4, 8, 8), dtype=np.float32)
    masks[0, :4], masks[1, 4:] = 1.0, 1.0
    frame = np.full((32, 32, 3), 100, dtype=np.uint8)
    segmentation = segmentation_image(frame, masks, colours, alpha=1.0)
    assert (segmentation[0, 0] == colours[0]).all() and (segmentation[-1, -1] == colours[1]).all()
    tiles = slot_tiles(frame, masks, colours, width=100, height=60)
    assert tiles.shape == (60, 100, 3) and (tiles[0, 0] == colours[0]).all()


def _gif_frames(path: Path) -> list[np.ndarray]:
    return imageio.mimread(path)


def test_watch_records_a_gif_with_the_slot_overlay_wider(runs: dict[str, Path], tmp_path: Path) -> None:
    widths = {}
    for name in ("objects-0", "slots"):
        path = tmp_path / f"{name}.gif"
        assert main(["watch", str(runs[name]), "--record", str(path), "--steps", "4", "--threads", "1"]) == 0
        frames = _gif_frames(path)
        assert len(frames) == 5  # the first observation, then one per step
        widths[name] = frames[0].shape[1]
    assert widths["slots"] > widths["objects-0"]


def test_watch_window_plays_episodes_headless(runs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from agents.training.evaluate_run import load_run
    from agents.training.watch import AgentView, make_watch_env, watch_window
    from envs.viewer import action_names

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    config, model, encoder = load_run(runs["objects-0"])
    env = make_watch_env(config, "unseen-colors")
    try:
        returns = watch_window(env, AgentView(config, model, encoder, action_names(env)), 1, 0, fps=1000)
    finally:
        env.close()
    assert len(returns) == 1


def test_watch_errors_in_one_line(runs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["watch", str(runs["objects-0"]), "--record", str(tmp_path / "x.gif"), "--split", "no-such-split"]) == 2
    err = capsys.readouterr().err
    assert "no-such-split" in err and len(err.strip().splitlines()) == 1
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["watch", str(runs["objects-0"])]) == 2
    assert "--record" in capsys.readouterr().err
    assert main(["watch", str(tmp_path), "--record", str(tmp_path / "x.gif")]) == 2
    assert "slotmind train" in capsys.readouterr().err and not (tmp_path / "x.gif").exists()

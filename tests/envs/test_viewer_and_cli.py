from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import imageio.v2 as imageio
import numpy as np
import pytest

from envs.command_line import build_parser, main
from envs.recording import write_video
from envs.viewer import ARENA_BORDER, FrameInfo, compose_frame, key_bindings, record


def test_recorder_writes_a_gif_with_one_frame_per_step(tmp_path: Path) -> None:
    env = gym.make("slotmind/Collect-v0", render_mode="rgb_array", max_steps=10)
    path = tmp_path / "out.gif"
    n_frames = record(env, str(path), steps=25, seed=0)
    frames = imageio.mimread(path)
    assert n_frames == len(frames) == 26  # first observation + one per step, across resets
    assert frames[0].shape[1] == 256 and frames[0].shape[0] > 256  # the frame above the status bar


def test_overlay_is_applied(tmp_path: Path) -> None:
    calls = []

    def overlay(frame: np.ndarray, info: FrameInfo) -> np.ndarray:
        calls.append(info.step)
        return np.concatenate([frame, frame], axis=1)  # e.g. frame beside slot masks

    frame = np.zeros((32, 32, 3), dtype=np.uint8)
    picture = compose_frame(frame, FrameInfo(step=3), scale=2, overlay=overlay)
    assert calls == [3] and picture.shape[1] == 128
    env = gym.make("slotmind/ObjectGoal-v0", render_mode="rgb_array")
    record(env, str(tmp_path / "o.mp4"), steps=4, overlay=overlay)
    assert len(calls) == 6 and (tmp_path / "o.mp4").stat().st_size > 0


def test_video_writer_rejects_unknown_suffix_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        write_video(tmp_path / "x.avi", [np.zeros((8, 8, 3), np.uint8)])
    assert list(tmp_path.iterdir()) == []


def test_key_bindings_follow_action_names() -> None:
    assert key_bindings(["up", "down", "left", "right"]) == {"up": 0, "down": 1, "left": 2, "right": 3}
    minigrid = ["left", "right", "forward", "pickup", "drop", "toggle", "done"]
    assert key_bindings(minigrid) == {"up": 2, "left": 0, "right": 1, "space": 5, "p": 3, "d": 4}


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser()
    help_text = parser.format_help()
    for command in ("envs", "play"):
        assert command in help_text
    with pytest.raises(SystemExit):
        main(["envs", "bench", "--help"])
    assert "--batch-sizes" in capsys.readouterr().out


def test_play_records_headless(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "play.gif"
    assert main(["play", "slotmind/OddOneOut-v0", "--record", str(out), "--steps", "12"]) == 0
    assert len(imageio.mimread(out)) == 13
    assert "wrote 13 frames" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["play", "slotmind/Nope-v0", "--record", "x.gif"], "unknown env id"),
        (["play", "slotmind/ObjectGoal-v0", "--record", "x.avi"], ".gif or .mp4"),
        (["play", "slotmind/ObjectGoal-v0", "--record", "x.gif", "--steps", "0"], "--steps"),
        (["play", "slotmind/ObjectGoal-v0", "--record", "x.gif", "--fps", "0"], "argument --fps: 0 is not >= 1"),
        (["play", "slotmind/ObjectGoal-v0", "--record", "x.gif", "--fps", "-5"], "argument --fps: -5 is not >= 1"),
        (["play", "slotmind/ObjectGoal-v0", "--record", "/proc/x.gif"], "/proc is not writable"),
        (["play", "slotmind/ObjectGoal-v0", "--record", "x.gif", "--seed", str(2**64)], "outside 0 .."),
        (["envs", "bench", "--tasks", "Fly"], "unknown task"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_recording_under_a_file_is_refused_before_rendering(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("")
    assert main(["play", "slotmind/ObjectGoal-v0", "--record", str(tmp_path / "a-file" / "x.gif")]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and len(err.strip().splitlines()) == 1
    (tmp_path / "frames.gif").mkdir()
    assert main(["play", "slotmind/ObjectGoal-v0", "--record", str(tmp_path / "frames.gif")]) == 2
    assert "it is a folder" in capsys.readouterr().err


def test_play_without_display_says_to_record(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert main(["play", "slotmind/ObjectGoal-v0"]) == 2
    assert "--record" in capsys.readouterr().err


def test_envs_list_and_tiny_bench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["envs", "list"]) == 0
    listed = capsys.readouterr().out.split()
    assert "slotmind/Push-UnseenColors-v0" in listed and "MiniGrid-Empty-8x8-v0" in listed
    run_dir = tmp_path / "bench"
    assert main(["envs", "bench", "--seconds", "0.01", "--tasks", "ObjectGoal", "--batch-sizes", "4",
                 "--skip-compile-timing", "--run-dir", str(run_dir)]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1] == str(run_dir)
    result = json.loads((run_dir / "bench.json").read_text())
    assert len(result["rows"]) == 2 + 2 * 2 and all(row["steps_per_s"] > 0 for row in result["rows"])
    assert (run_dir / "bench.csv").read_text().startswith("env,obs,path,n_envs,steps_per_s")


def test_play_initialises_pygame_before_reading_keys() -> None:
    import warnings

    import pygame

    from envs.viewer import play

    pygame.quit()

    class QuitAtOnce(gym.Wrapper):
        def render(self):
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_q))
            return super().render()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        play(QuitAtOnce(gym.make("slotmind/ObjectGoal-v0", render_mode="rgb_array")), seed=0, fps=1000)
    assert not [w for w in caught if "pygame.init() has not been called" in str(w.message)]


def test_frames_show_the_arena_walls() -> None:
    picture = compose_frame(np.zeros((64, 64, 3), np.uint8), FrameInfo(), scale=2)
    assert (picture[0, :128] == ARENA_BORDER).all() and (picture[:128, 127] == ARENA_BORDER).all()
    assert (picture[1:127, 1:127] == 0).all()


def test_play_window_reacts_to_keys() -> None:
    import pygame

    from envs.viewer import play

    pygame.display.init()
    pygame.display.set_mode((8, 8))
    for key in (pygame.K_RIGHT, pygame.K_RIGHT, pygame.K_UP, pygame.K_r, pygame.K_LEFT, pygame.K_q):
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key))
    calls = []

    class Spy(gym.Wrapper):
        def step(self, action):
            calls.append(action)
            return super().step(action)

        def reset(self, **kwargs):
            calls.append("reset")
            return super().reset(**kwargs)

    play(Spy(gym.make("slotmind/ObjectGoal-v0", render_mode="rgb_array")), seed=0, fps=1000)
    assert calls == ["reset", 3, 3, 0, "reset", 2]  # right, right, up, r, left, then q quits
    assert not pygame.display.get_init()

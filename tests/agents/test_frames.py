"""Frame sets from random rollouts: layout, determinism, split hygiene, OOD splits, files."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from agents.encoders.frames import (
    SPLIT_NAMES,
    FrameSet,
    FrameSetError,
    cached_splits,
    collect_frames,
    split_seed,
    standard_splits,
)
from envs.registry import UnknownEnvError
from envs.sprites import AGENT_RGB, COLORS, GOAL_RGB, HELD_OUT_COLORS, TRAIN_COLORS

SIZE = 32
BACKGROUND_RGB = (np.zeros(3, dtype=np.uint8), GOAL_RGB)


@pytest.fixture(scope="module")
def splits() -> dict[str, FrameSet]:
    return standard_splits(n_train=384, n_eval=192, n_ood=192, seed=0, image_size=SIZE)


def _colours(images: np.ndarray) -> set[tuple[int, int, int]]:
    packed = np.unique(images.reshape(-1, 3).astype(np.uint32) @ np.array([1 << 16, 1 << 8, 1], dtype=np.uint32))
    return {(int(c >> 16), int((c >> 8) & 255), int(c & 255)) for c in packed}


def _is_background(images: np.ndarray) -> np.ndarray:
    return np.any([np.all(images == rgb, axis=-1) for rgb in BACKGROUND_RGB], axis=0)


def test_shapes_dtypes_and_metadata() -> None:
    frames = collect_frames("slotmind/ObjectGoal-v0", 100, seed=1, image_size=SIZE, n_envs=16)
    assert len(frames) == 100
    assert frames.images.shape == (100, SIZE, SIZE, 3) and frames.images.dtype == np.uint8
    assert frames.masks.shape == (100, SIZE, SIZE) and frames.masks.dtype == np.uint8
    assert frames.env_id == "slotmind/ObjectGoal-v0" and frames.variant == "train"
    assert frames.metadata["seed"] == 1 and frames.metadata["n_envs"] == 16
    from envs.registry import OBJECT_CAPACITY

    assert frames.masks.max() == OBJECT_CAPACITY + 1  # the agent's label
    assert len(collect_frames("slotmind/Push-v0", 0, seed=1, image_size=SIZE)) == 0


def test_same_arguments_same_frames_other_seed_other_frames() -> None:
    first = collect_frames("slotmind/Collect-v0", 70, seed=5, image_size=SIZE, n_envs=8, stride=2)
    second = collect_frames("slotmind/Collect-v0", 70, seed=5, image_size=SIZE, n_envs=8, stride=2)
    other = collect_frames("slotmind/Collect-v0", 70, seed=6, image_size=SIZE, n_envs=8, stride=2)
    np.testing.assert_array_equal(first.images, second.images)
    np.testing.assert_array_equal(first.masks, second.masks)
    assert not np.array_equal(first.images, other.images)
    shorter = collect_frames("slotmind/Collect-v0", 21, seed=5, image_size=SIZE, n_envs=8, stride=2)
    np.testing.assert_array_equal(shorter.images, first.images[:21])


def test_env_kwargs_reach_the_world() -> None:
    frames = collect_frames("slotmind/ObjectGoal-v0", 64, seed=0, image_size=SIZE, num_objects=(1, 1),
                            object_capacity=1)
    assert set(np.unique(frames.masks)) <= {0, 1, 2}  # one object slot, then the agent
    assert frames.metadata["env_kwargs"] == {"num_objects": [1, 1], "object_capacity": 1}


@pytest.mark.parametrize("env_id", ["slotmind/ObjectGoal-v0", "slotmind/Push-v0", "slotmind/OddOneOut-v0"])
def test_masks_match_images(env_id: str) -> None:
    frames = collect_frames(env_id, 128, seed=2, image_size=SIZE)
    np.testing.assert_array_equal(frames.masks > 0, ~_is_background(frames.images))


def test_masks_match_images_in_every_split(splits: dict[str, FrameSet]) -> None:
    for frames in splits.values():
        np.testing.assert_array_equal(frames.masks > 0, ~_is_background(frames.images))


def test_split_layout_and_sizes(splits: dict[str, FrameSet]) -> None:
    assert tuple(splits) == SPLIT_NAMES
    assert [len(splits[name]) for name in SPLIT_NAMES] == [384, 192, 192, 192]
    assert splits["ood-more-objects"].env_id == "slotmind/ObjectGoal-MoreObjects-v0"
    assert splits["ood-unseen-colors"].variant == "unseen-colors"
    assert {frames.metadata["split"] for frames in splits.values()} == set(SPLIT_NAMES)


def test_split_seeds_are_disjoint() -> None:
    seeds = [split_seed(seed, split) for seed in range(50) for split in SPLIT_NAMES]
    assert len(set(seeds)) == len(seeds)
    with pytest.raises(ValueError, match="split"):
        split_seed(0, "test")


def test_eval_shares_no_frame_with_train(splits: dict[str, FrameSet]) -> None:
    train = {image.tobytes() for image in splits["train"].images}
    assert not any(image.tobytes() in train for image in splits["eval"].images)


def test_more_objects_split_has_more_objects(splits: dict[str, FrameSet]) -> None:
    def mean_labels(frames: FrameSet) -> float:
        return float(np.mean([np.count_nonzero(np.bincount(mask.ravel())[1:]) for mask in frames.masks]))

    assert mean_labels(splits["ood-more-objects"]) > mean_labels(splits["train"]) + 1.5


def test_unseen_colors_split_has_colours_outside_the_train_palette(splits: dict[str, FrameSet]) -> None:
    held_out = {COLORS[name] for name in HELD_OUT_COLORS}
    allowed_in_train = {COLORS[name] for name in TRAIN_COLORS} | {tuple(AGENT_RGB.tolist()), (0, 0, 0)}
    train_colours = _colours(splits["train"].images) | _colours(splits["eval"].images)
    assert train_colours <= allowed_in_train
    assert _colours(splits["ood-unseen-colors"].images) & held_out


def test_batches_cover_every_frame_once() -> None:
    frames = collect_frames("slotmind/ObjectGoal-v0", 50, seed=0, image_size=SIZE, n_envs=8)
    batches = list(frames.batches(16, np.random.default_rng(0)))
    assert [len(b) for b in batches] == [16, 16, 16, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(50))
    again = list(frames.batches(16, np.random.default_rng(0)))
    assert all(np.array_equal(a, b) for a, b in zip(batches, again, strict=True))
    assert [len(b) for b in frames.batches(16, drop_last=True)] == [16, 16, 16]
    np.testing.assert_array_equal(next(frames.batches(4)), [0, 1, 2, 3])
    with pytest.raises(ValueError):
        next(frames.batches(0))


def test_object_rows_describe_the_masks() -> None:
    # Every instance id drawn in a frame is a present row of that frame's object table, at the row's place.
    frames = collect_frames("slotmind/ObjectGoal-v0", 32, seed=1, image_size=SIZE, n_envs=8)
    capacity = frames.objects.shape[1] - 2
    for mask, rows in zip(frames.masks, frames.objects, strict=True):
        for label in np.unique(mask[mask > 0]):
            row = rows[label - 1] if label <= capacity else rows[capacity]
            assert row[0] == 1.0
            ys, xs = np.nonzero(mask == label)
            assert abs(xs.mean() / SIZE - row[3]) < 0.1 and abs(ys.mean() / SIZE - row[4]) < 0.1


def test_save_load_round_trip(tmp_path: Path) -> None:
    frames = collect_frames("slotmind/Push-UnseenShapes-v0", 40, seed=3, image_size=SIZE, n_envs=8)
    written = frames.save(tmp_path / "sub" / "push")
    assert written == tmp_path / "sub" / "push.npz"
    assert [p.name for p in written.parent.iterdir()] == ["push.npz"]  # no temp file left behind
    loaded = FrameSet.load(written)
    np.testing.assert_array_equal(loaded.images, frames.images)
    np.testing.assert_array_equal(loaded.masks, frames.masks)
    np.testing.assert_array_equal(loaded.objects, frames.objects)
    assert (loaded.env_id, loaded.variant, loaded.metadata) == (frames.env_id, "unseen-shapes", frames.metadata)


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no frame set"):
        FrameSet.load(tmp_path / "missing.npz")
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip file at all")
    with pytest.raises(FrameSetError, match="corrupt"):
        FrameSet.load(garbage)
    good = collect_frames("slotmind/ObjectGoal-v0", 16, seed=0, image_size=SIZE, n_envs=4).save(tmp_path / "good")
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(FrameSetError):
        FrameSet.load(truncated)
    other = tmp_path / "other.npz"
    np.savez(other, images=np.zeros((1, 4, 4, 3), dtype=np.uint8))
    with pytest.raises(FrameSetError, match="missing"):
        FrameSet.load(other)
    with zipfile.ZipFile(tmp_path / "bad_header.npz", "w") as archive:
        archive.writestr("header.npy", b"\x93NUMPY broken")
    with pytest.raises(FrameSetError):
        FrameSet.load(tmp_path / "bad_header.npz")


def test_frame_set_validates_arrays() -> None:
    with pytest.raises(ValueError, match="images"):
        FrameSet(np.zeros((2, 4, 4), dtype=np.uint8), np.zeros((2, 4, 4), dtype=np.uint8), "x")
    with pytest.raises(ValueError, match="masks"):
        FrameSet(np.zeros((2, 4, 4, 3), dtype=np.uint8), np.zeros((2, 4, 5), dtype=np.uint8), "x")
    with pytest.raises(TypeError, match="JSON"):
        FrameSet(np.zeros((1, 4, 4, 3), dtype=np.uint8), np.zeros((1, 4, 4), dtype=np.uint8), "x",
                 metadata={"bad": object()})


def test_cached_splits_write_once_then_load(tmp_path: Path) -> None:
    arguments = {"n_train": 32, "n_eval": 16, "n_ood": 16, "seed": 3, "image_size": SIZE}
    first = cached_splits(tmp_path, **arguments)
    files = sorted(tmp_path.glob("*.npz"))
    assert len(files) == len(SPLIT_NAMES)
    stamps = [f.stat().st_mtime_ns for f in files]
    second = cached_splits(tmp_path, **arguments)
    assert [f.stat().st_mtime_ns for f in sorted(tmp_path.glob("*.npz"))] == stamps
    for name in SPLIT_NAMES:
        np.testing.assert_array_equal(first[name].images, second[name].images)
        assert first[name].metadata == second[name].metadata
    fresh = standard_splits(**arguments)
    np.testing.assert_array_equal(second["eval"].masks, fresh["eval"].masks)
    cached_splits(tmp_path, **{**arguments, "seed": 4})
    assert len(list(tmp_path.glob("*.npz"))) == 2 * len(SPLIT_NAMES)
    files[0].write_bytes(b"corrupt")  # an unreadable cache file is rebuilt
    rebuilt = cached_splits(tmp_path, **arguments)
    assert all(len(rebuilt[name]) == len(first[name]) for name in SPLIT_NAMES)


def test_minigrid_frames() -> None:
    frames = collect_frames("MiniGrid-DoorKey-5x5-v0", 12, seed=0, image_size=SIZE)
    again = collect_frames("MiniGrid-DoorKey-5x5-v0", 12, seed=0, image_size=SIZE)
    assert frames.images.shape == (12, SIZE, SIZE, 3) and frames.masks.shape == (12, SIZE, SIZE)
    np.testing.assert_array_equal(frames.images, again.images)
    np.testing.assert_array_equal(frames.masks, again.masks)
    assert all(len(np.unique(mask)) >= 3 for mask in frames.masks)  # background, objects, the agent


def test_bad_arguments() -> None:
    with pytest.raises(UnknownEnvError):
        collect_frames("slotmind/Nope-v0", 4, seed=0)
    with pytest.raises(ValueError, match="n_frames"):
        collect_frames("slotmind/ObjectGoal-v0", -1, seed=0)
    with pytest.raises(ValueError, match="stride"):
        collect_frames("slotmind/ObjectGoal-v0", 4, seed=0, stride=0)
    with pytest.raises(ValueError, match="training id"):
        standard_splits("MiniGrid-Empty-5x5-v0", 4, 4, 4)
    with pytest.raises(ValueError, match="training id"):
        standard_splits("slotmind/ObjectGoal-MoreObjects-v0", 4, 4, 4)


@pytest.mark.slow
def test_twenty_thousand_frames_take_seconds() -> None:
    collect_frames("slotmind/ObjectGoal-v0", 64, seed=0)
    start = time.perf_counter()
    frames = collect_frames("slotmind/ObjectGoal-v0", 20_000, seed=0)
    assert time.perf_counter() - start < 5.0
    assert len(frames) == 20_000

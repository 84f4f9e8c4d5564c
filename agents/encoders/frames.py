"""Frames and ground-truth instance masks for training and evaluating slot encoders.

Frames come from random-policy rollouts. For slotmind ids a ``BatchedWorld`` steps ``n_envs``
worlds per numba kernel call and every ``stride`` steps renders all of them (RGB and masks) at
``image_size``, so tens of thousands of frames take seconds. MiniGrid ids go through the
MiniGrid adapter, one env stepped in Python (slower; meant for small sets).

A ``FrameSet`` holds ``images`` (N, H, W, 3) uint8 and ``masks`` (N, H, W) uint8 (0 background,
instance ids as the env renders them: ``i + 1`` for object row i and ``capacity + 1`` for the
agent in ObjectWorld; see ``envs.minigrid_adapter`` for MiniGrid), for ObjectWorld also ``objects``
(N, capacity + 2, F) float32, the ``objects`` observation of each frame (what each instance id is:
colour, shape, position), and saves to / loads from a compressed ``.npz``.

``standard_splits`` builds the four sets an encoder is evaluated on: "train", "eval" (same
distribution, disjoint seeds), "ood-more-objects" and "ood-unseen-colors" (the registry's
out-of-distribution variants); ``cached_splits`` keeps them on disk keyed by their arguments.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from envs.batched_world import BatchedWorld
from envs.observe_kernel import N_FEATURES
from envs.registry import SPEC_KWARGS, TASK_OF_NAME, VARIANTS, check_env_id, is_minigrid, make_env, variant_id
from envs.run_files import atomic_path
from envs.world_config import WorldConfig

__all__ = [
    "SPLIT_NAMES",
    "FrameSet",
    "FrameSetError",
    "cached_splits",
    "collect_frames",
    "split_frames",
    "split_seed",
    "standard_splits",
]

# Split name -> registry variant. The order fixes each split's seed offset; append, never reorder.
SPLIT_VARIANTS: dict[str, str] = {
    "train": "train",
    "eval": "train",
    "ood-more-objects": "more-objects",
    "ood-unseen-colors": "unseen-colors",
}
SPLIT_NAMES: tuple[str, ...] = tuple(SPLIT_VARIANTS)
# Bump when the way frames are generated changes, so that cached splits are rebuilt.
FORMAT_VERSION = 2


class FrameSetError(ValueError):
    """A frame-set file that cannot be read: not an .npz, truncated, or missing fields."""


@dataclass
class FrameSet:
    """Frames and instance masks of one env distribution.

    Attributes:
        images: (N, H, W, 3) uint8 RGB frames.
        masks: (N, H, W) uint8 instance labels, 0 = background.
        env_id: the env the frames come from (a variant id for OOD sets).
        variant: the registry variant name ("train", "more-objects", ...).
        metadata: JSON-compatible description of how the frames were made (seed, stride, ...);
            normalised through JSON on construction so that it survives ``save``/``load`` as is.
        objects: (N, R, F) float32 ``objects`` observation rows of each frame (ObjectWorld; None for
            MiniGrid): row i is mask id i + 1, row R - 2 the agent (mask id R - 1).
    """

    images: np.ndarray
    masks: np.ndarray
    env_id: str
    variant: str = "train"
    metadata: dict[str, Any] = field(default_factory=dict)
    objects: np.ndarray | None = None

    def __post_init__(self) -> None:
        images, masks = self.images, self.masks
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(f"images must be (N, H, W, 3) uint8, got {images.shape} {images.dtype}")
        if masks.shape != images.shape[:3] or masks.dtype != np.uint8:
            raise ValueError(f"masks must be (N, H, W) = {images.shape[:3]} uint8, got {masks.shape} {masks.dtype}")
        if self.objects is not None and (self.objects.ndim != 3 or len(self.objects) != len(images)):
            raise ValueError(f"objects must be (N, R, F) with N = {len(images)}, got {self.objects.shape}")
        try:
            self.metadata = json.loads(json.dumps(self.metadata))
        except (TypeError, ValueError) as error:
            raise TypeError(f"metadata must be JSON-serialisable: {error}") from error

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def image_size(self) -> int:
        """Frame height (frames are square)."""
        return self.images.shape[1]

    def batches(self, batch_size: int, rng: np.random.Generator | None = None,
                drop_last: bool = False) -> Iterator[np.ndarray]:
        """One epoch of index arrays (batch_size,) int64 into ``images``/``masks``.

        Shuffled by ``rng`` (in order when ``rng`` is None); the last batch is shorter unless
        ``drop_last``. Use as ``fs.images[idx], fs.masks[idx]``.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size={batch_size} must be >= 1")
        order = np.arange(len(self)) if rng is None else rng.permutation(len(self))
        stop = len(self) - len(self) % batch_size if drop_last else len(self)
        for start in range(0, stop, batch_size):
            yield order[start:start + batch_size]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a compressed ``.npz`` atomically (temp file in the same folder, then ``os.replace``);
        returns the path written (``.npz`` appended when missing)."""
        path = Path(path)
        if path.suffix != ".npz":
            path = path.with_name(path.name + ".npz")
        header = {"env_id": self.env_id, "variant": self.variant, "metadata": self.metadata,
                  "format_version": FORMAT_VERSION}
        arrays = {"images": self.images, "masks": self.masks, "header": np.array(json.dumps(header))}
        if self.objects is not None:
            arrays["objects"] = self.objects
        with atomic_path(path) as tmp, open(tmp, "wb") as file:
            np.savez_compressed(file, **arrays)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FrameSet:
        """Read a set written by ``save``. FileNotFoundError when ``path`` does not exist;
        FrameSetError when it is not a readable frame set (corrupt, truncated, other content)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no frame set at {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                missing = {"images", "masks", "header"} - set(data.files)
                if missing:
                    raise FrameSetError(f"{path} is not a frame set: missing {', '.join(sorted(missing))}")
                images, masks = data["images"], data["masks"]
                objects = data["objects"] if "objects" in data.files else None
                header = json.loads(str(data["header"]))
            return cls(images=images, masks=masks, env_id=header["env_id"], variant=header["variant"],
                       metadata=header["metadata"], objects=objects)
        except FrameSetError:
            raise
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as error:
            raise FrameSetError(f"cannot read frame set {path} (corrupt or not written by FrameSet.save): "
                                f"{type(error).__name__}: {error}") from error


def _stream_seeds(seed: int, n: int) -> tuple[list[int], np.random.Generator]:
    """``n`` env seeds and an action generator, independent streams derived from ``seed``."""
    env_stream, action_stream = np.random.SeedSequence(seed).spawn(2)
    env_seeds = [int(s) for s in env_stream.generate_state(n, dtype=np.uint64)]
    return env_seeds, np.random.default_rng(action_stream)


def _collect_object_world(env_id: str, n_frames: int, seed: int, image_size: int, n_envs: int, stride: int,
                          env_kwargs: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames (n_frames, S, S, 3) and masks (n_frames, S, S) uint8 and object rows (n_frames, R, F) float32
    from a BatchedWorld."""
    config = WorldConfig(**{**SPEC_KWARGS[env_id], **env_kwargs})
    world = BatchedWorld(config, n_envs)
    env_seeds, rng = _stream_seeds(seed, n_envs)
    world.seed_rows(env_seeds)
    world.reset()
    images = np.empty((n_frames, image_size, image_size, 3), dtype=np.uint8)
    masks = np.empty((n_frames, image_size, image_size), dtype=np.uint8)
    objects = np.empty((n_frames, config.object_rows, N_FEATURES), dtype=np.float32)
    buffer = np.empty((n_envs, image_size, image_size, 3), dtype=np.uint8)
    for start in range(0, n_frames, n_envs):
        for actions in rng.integers(0, config.n_actions, size=(stride, n_envs), dtype=np.int64):
            world.step(actions)
            done = world.terminated | world.truncated
            if done.any():
                world.reset(done)
        stop = min(start + n_envs, n_frames)
        world.render_rgb(image_size, out=buffer)
        images[start:stop] = buffer[: stop - start]
        masks[start:stop] = world.render_masks(image_size)[: stop - start]
        objects[start:stop] = world.observe_objects()[: stop - start]
    return images, masks, objects


def _collect_minigrid(env_id: str, n_frames: int, seed: int, image_size: int, stride: int,
                      env_kwargs: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Frames (n_frames, S, S, 3) and masks (n_frames, S, S) uint8 from one adapted MiniGrid env."""
    env = make_env(env_id, obs_mode="rgb", image_size=image_size, **env_kwargs)
    (reset_seed,), rng = _stream_seeds(seed, 1)
    images = np.empty((n_frames, image_size, image_size, 3), dtype=np.uint8)
    masks = np.empty((n_frames, image_size, image_size), dtype=np.uint8)
    try:
        obs, _ = env.reset(seed=reset_seed % (1 << 63))
        n_actions = int(env.action_space.n)
        for k in range(n_frames):
            for action in rng.integers(0, n_actions, size=stride):
                obs, _, terminated, truncated, _ = env.step(int(action))
                if terminated or truncated:
                    obs, _ = env.reset()
            images[k] = obs
            masks[k] = env.render_masks(image_size)
    finally:
        env.close()
    return images, masks


def collect_frames(env_id: str, n_frames: int, seed: int, image_size: int = 64, n_envs: int = 64, stride: int = 3,
                   **env_kwargs: Any) -> FrameSet:
    """``n_frames`` frames and masks of random-policy rollouts in ``env_id``.

    Actions are uniform, drawn from a generator seeded by ``seed``; finished episodes restart at
    once. A frame is taken every ``stride`` steps of each env (for slotmind ids, of all ``n_envs``
    batched envs at once, frame ``k`` coming from env ``k % n_envs``). The same arguments give
    the same frames, and a shorter collection is a prefix of a longer one. ``env_kwargs``
    override the env's registered keyword arguments (e.g. ``num_objects=(2, 3)``; for MiniGrid,
    arguments of ``gymnasium.make``). A random policy revisits states, so a set may hold a few
    identical frames (from the same env, some steps apart); different seeds share none.

    Returns:
        A FrameSet with images (n_frames, image_size, image_size, 3) uint8 and masks
        (n_frames, image_size, image_size) uint8.
    """
    check_env_id(env_id)
    if not is_minigrid(env_id) and env_id not in SPEC_KWARGS:
        raise ValueError(f"frame sets are collected from ObjectWorld and MiniGrid ids, not {env_id!r}")
    if n_frames < 0:
        raise ValueError(f"n_frames={n_frames} must be >= 0")
    if n_envs < 1 or stride < 1:
        raise ValueError(f"n_envs={n_envs} and stride={stride} must be >= 1")
    objects = None
    if is_minigrid(env_id):
        images, masks = _collect_minigrid(env_id, n_frames, seed, image_size, stride, env_kwargs)
        variant = "train"
    else:
        images, masks, objects = _collect_object_world(env_id, n_frames, seed, image_size, n_envs, stride,
                                                       env_kwargs)
        variant = next(v for name in TASK_OF_NAME for v in VARIANTS if variant_id(name, v) == env_id)
    metadata = {"seed": seed, "image_size": image_size, "n_envs": n_envs, "stride": stride,
                "env_kwargs": env_kwargs, "format_version": FORMAT_VERSION}
    return FrameSet(images=images, masks=masks, env_id=env_id, variant=variant, metadata=metadata, objects=objects)


def _task_name(env_id: str) -> str:
    """``ObjectGoal`` for ``slotmind/ObjectGoal-v0``; ValueError for other ids."""
    for name in TASK_OF_NAME:
        if variant_id(name, "train") == env_id:
            return name
    train_ids = ", ".join(variant_id(name, "train") for name in TASK_OF_NAME)
    raise ValueError(f"standard splits need a slotmind training id with OOD variants ({train_ids}); got {env_id!r}")


def split_seed(seed: int, split: str) -> int:
    """The collection seed of ``split``: ``len(SPLIT_NAMES) * seed + index`` (>= 0 seeds), so every
    (seed, split) pair gets its own seed and no two splits ever share a seed stream."""
    if seed < 0:
        raise ValueError(f"seed={seed} must be >= 0")
    if split not in SPLIT_VARIANTS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(SPLIT_NAMES)}")
    return len(SPLIT_NAMES) * seed + SPLIT_NAMES.index(split)


def split_frames(split: str, env_id: str = "slotmind/ObjectGoal-v0", n_frames: int = 1000, seed: int = 0,
                 image_size: int = 64) -> FrameSet:
    """The FrameSet of one standard split (see ``standard_splits``), images (n_frames, S, S, 3) uint8."""
    collection_seed = split_seed(seed, split)
    split_env = variant_id(_task_name(env_id), SPLIT_VARIANTS[split])
    frames = collect_frames(split_env, n_frames, collection_seed, image_size=image_size)
    frames.metadata["split"] = split
    return frames


def standard_splits(env_id: str = "slotmind/ObjectGoal-v0", n_train: int = 20_000, n_eval: int = 2_000,
                    n_ood: int = 2_000, seed: int = 0, image_size: int = 64) -> dict[str, FrameSet]:
    """Train, held-out and out-of-distribution frame sets of a slotmind task.

    "train" (n_train frames) and "eval" (n_eval, same distribution) come from ``env_id``;
    "ood-more-objects" and "ood-unseen-colors" (n_ood each) from its ``-MoreObjects`` and
    ``-UnseenColors`` variants. Each split is collected with its own seed (``split_seed``), so no
    two splits share an env or action stream.

    Returns:
        {split name: FrameSet}, images (n, image_size, image_size, 3) uint8, in ``SPLIT_NAMES`` order.
    """
    sizes = {"train": n_train, "eval": n_eval, "ood-more-objects": n_ood, "ood-unseen-colors": n_ood}
    _task_name(env_id)
    return {split: split_frames(split, env_id, sizes[split], seed, image_size) for split in SPLIT_NAMES}


def cached_splits(cache_dir: str | os.PathLike[str], env_id: str = "slotmind/ObjectGoal-v0", n_train: int = 20_000,
                  n_eval: int = 2_000, n_ood: int = 2_000, seed: int = 0, image_size: int = 64) -> dict[str, FrameSet]:
    """``standard_splits`` with one ``.npz`` per split in ``cache_dir``.

    A split's file name carries a hash of everything that determines its frames (env id, split,
    size, seed, image size, format version); an existing readable file is loaded, a missing or
    unreadable one is (re)collected and written atomically.

    Returns:
        {split name: FrameSet}, as ``standard_splits``.
    """
    _task_name(env_id)
    cache = Path(cache_dir)
    sizes = {"train": n_train, "eval": n_eval, "ood-more-objects": n_ood, "ood-unseen-colors": n_ood}
    splits = {}
    for split in SPLIT_NAMES:
        key = {"env_id": env_id, "split": split, "n_frames": sizes[split], "seed": seed, "image_size": image_size,
               "format_version": FORMAT_VERSION}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        path = cache / f"{env_id.replace('/', '_')}-{split}-{digest}.npz"
        try:
            splits[split] = FrameSet.load(path)
            continue
        except (FileNotFoundError, FrameSetError):
            pass
        frames = split_frames(split, env_id, sizes[split], seed, image_size)
        frames.save(path)
        splits[split] = frames
    return splits

"""Data for the systematic-generalisation benchmark: SCAN, PCFG SET and HINT as :class:`Example` lists.

>>> from reasoning.tasks import TASK_SPLITS, load_split
>>> split = load_split("scan", "add-jump")          # {"train": [...], "test": [...]}
>>> split["train"][0].source, split["train"][0].target
(('jump',), ('I_JUMP',))
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reasoning.tasks.data_location import DataNotFoundError, resolve_data_dir
from reasoning.tasks.errors import DataFormatError
from reasoning.tasks.example import Example
from reasoning.tasks.hint import generate_hint
from reasoning.tasks.hint_image_split import image_split
from reasoning.tasks.pcfg import read_pcfg
from reasoning.tasks.pcfg_generator import PCFG_SPLITS, generate_pcfg
from reasoning.tasks.scan import read_scan
from reasoning.tasks.scan_splits import FILE_ONLY_SPLITS, OFFICIAL_FILES, SCAN_SPLITS, build_scan_split
from reasoning.tasks.text_files import locate

__all__ = [
    "IMAGE_SPLITS", "TASK_SPLITS", "DataFormatError", "DataNotFoundError", "Example", "data_source", "load_split",
]  # fmt: skip

TASK_SPLITS: dict[str, tuple[str, ...]] = {"scan": SCAN_SPLITS, "pcfg": PCFG_SPLITS, "hint": ("symbol", "image")}
# Splits whose examples carry images and hide their source tokens (only models that read images).
IMAGE_SPLITS: dict[str, tuple[str, ...]] = {"hint": ("image",)}

# Official evaluation files of PCFG SET, relative to <data>/pcfg.
PCFG_TEST_FILES: dict[str, str] = {
    "iid": "pcfgset/test.src",
    "systematicity": "systematicity/test.src",
    "productivity": "productivity/test.src",
}
PCFG_DEV_FILE = "pcfgset/dev.src"

_OPTIONS: dict[str, frozenset[str]] = {
    "scan": frozenset({"primitive_share", "official"}),
    "pcfg": frozenset({"n_train"}),
    "hint": frozenset({"train_per_op", "test_per_op", "cap_fraction", "repeat_short"}),
}


def _official_scan_files(split: str, data_dir: str | os.PathLike[str] | None, official: bool | None) -> list[Path]:
    """The official train/test files of ``split`` when they are to be read, else ``[]`` (build the split)."""
    if official is False and split not in FILE_ONLY_SPLITS:
        return []
    try:
        folder = resolve_data_dir(data_dir, require="scan") / "scan"
    except DataNotFoundError:
        if official or data_dir is not None or split in FILE_ONLY_SPLITS:
            raise
        return []
    paths = [folder / name for name in OFFICIAL_FILES[split]]
    if all(locate(path) for path in paths):
        return paths
    if official or split in FILE_ONLY_SPLITS:
        raise DataNotFoundError(f"the official files of SCAN split {split!r} are not in {folder}: "
                                f"{', '.join(OFFICIAL_FILES[split])}")
    return []


def _load_scan(split: str, data_dir: str | os.PathLike[str] | None, seed: int, **options: Any) -> dict:
    paths = _official_scan_files(split, data_dir, options.get("official"))
    if paths:
        return {"train": read_scan(paths[0]), "test": read_scan(paths[1])}
    return build_scan_split(split, seed=seed, primitive_share=options.get("primitive_share", 0.1))


def _load_pcfg(split: str, data_dir: str | os.PathLike[str] | None, seed: int, **options: Any) -> dict:
    folder = resolve_data_dir(data_dir, require="pcfg") / "pcfg"
    test = read_pcfg(folder / PCFG_TEST_FILES[split])
    dev = read_pcfg(folder / PCFG_DEV_FILE)
    exclude = {example.source for example in test + dev}
    train = generate_pcfg(split, n_examples=options.get("n_train", 82_000), seed=seed, exclude=exclude)
    return {"train": train, "dev": dev, "test": test}


def load_split(
    task: str, split: str, data_dir: str | os.PathLike[str] | None = None, seed: int = 0, **sizes: Any
) -> dict[str, list[Example]]:
    """Load (or generate) one benchmark split.

    Args:
        task: ``"scan"``, ``"pcfg"`` or ``"hint"``.
        split: one of ``TASK_SPLITS[task]``.
        data_dir: the shipped data folder (holding ``scan/`` and ``pcfg/``); found by
            :func:`~reasoning.tasks.data_location.resolve_data_dir` when ``None``.
        seed: seed of everything random (SCAN simple split when generated, PCFG training data, HINT).
        **sizes: task options.
            scan: ``official`` (``None``: the shipped files when found, else the grammar-built split;
            ``True``: require the files; ``False``: always build), ``primitive_share`` (see
            :func:`~reasoning.tasks.scan_splits.add_primitive_split`).
            pcfg: ``n_train`` generated training programs (default 82,000).
            hint: ``train_per_op``, ``test_per_op``, ``cap_fraction``, ``repeat_short``
            (see :func:`~reasoning.tasks.hint.generate_hint`).

    Returns:
        Lists of examples by part. scan: ``train``/``test``. pcfg: generated ``train``, the official
        ``dev`` (pcfgset/dev, shared by all PCFG splits) and the official ``test`` of the split.
        hint: ``train`` and ``test`` (test examples carry their subset: I, SS, LS, SL, LL); the
        ``image`` split draws every token as an image (:mod:`~reasoning.tasks.hint_image_split`).

    Raises:
        ValueError: unknown task, split or option.
        DataNotFoundError: PCFG data (or an explicitly named folder) is missing.
    """
    if task not in TASK_SPLITS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(TASK_SPLITS)}")
    if split not in TASK_SPLITS[task]:
        raise ValueError(f"unknown {task} split {split!r}; choose one of {', '.join(TASK_SPLITS[task])}")
    unknown = set(sizes) - _OPTIONS[task]
    if unknown:
        raise ValueError(f"unknown {task} options {sorted(unknown)}; known: {sorted(_OPTIONS[task])}")
    if task == "scan":
        return _load_scan(split, data_dir, seed, **sizes)
    if task == "pcfg":
        return _load_pcfg(split, data_dir, seed, **sizes)
    data = generate_hint(seed=seed, **sizes)
    return image_split(data, seed=seed) if split == "image" else data


def data_source(task: str, split: str, data_dir: str | os.PathLike[str] | None = None, **options: Any) -> str:
    """Where :func:`load_split` takes the split from, in words, for logs and ``config.yaml``.

    Returns:
        e.g. ``"official files: <data>/scan/length_split/tasks_train_length.txt, ..."`` or
        ``"generated from the SCAN grammar (no official files used)"``.
    """
    if task == "scan":
        paths = _official_scan_files(split, data_dir, options.get("official"))
        if paths:
            return "official files: " + ", ".join(str(locate(path)) for path in paths)
        return "generated from the SCAN grammar (no official files used)"
    if task == "pcfg":
        folder = resolve_data_dir(data_dir, require="pcfg") / "pcfg"
        return (f"official test and dev files: {locate(folder / PCFG_TEST_FILES[split])}, "
                f"{locate(folder / PCFG_DEV_FILE)}; training programs generated from the PCFG SET grammar")
    return "generated (HINT has no official files here)"

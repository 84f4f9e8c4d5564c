"""Every selectable benchmark split with its part sizes and where it comes from (``slotmind reason data list``)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from reasoning.tasks import PCFG_DEV_FILE, PCFG_TEST_FILES, TASK_SPLITS
from reasoning.tasks.data_location import resolve_data_dir
from reasoning.tasks.scan_splits import FILE_ONLY_SPLITS, OFFICIAL_FILES
from reasoning.tasks.text_files import open_text

SCAN_SOURCE = "SCAN, Lake & Baroni 2018 (BSD)"
PCFG_SOURCE = "PCFG SET, Hupkes et al. 2020 (MIT)"
BUILT_TOO = {"simple": "; official=false draws a seeded 80/20 partition instead"}


@dataclass(frozen=True)
class SplitEntry:
    """One row of the catalogue: ``sizes`` maps a part to its example count (``None``: generated, any size)."""

    task: str
    split: str
    sizes: dict[str, int | None]
    source: str


def count_lines(path: str | os.PathLike[str]) -> int:
    """Non-blank lines of a (possibly gzip-compressed) text file."""
    with open_text(path) as text:
        return sum(1 for line in text if line.strip())


def split_catalogue(data_dir: str | os.PathLike[str] | None = None) -> list[SplitEntry]:
    """The SCAN, PCFG SET and HINT splits, in ``TASK_SPLITS`` order.

    Args:
        data_dir: the data folder (``None``: ``$SLOTMIND_DATA``, else the packaged files).

    Returns:
        SCAN splits with the line counts of their official files; PCFG splits with their official
        test and dev sizes (training programs are generated); HINT splits (generated).
    """
    data = resolve_data_dir(data_dir)
    entries = []
    for split in TASK_SPLITS["scan"]:
        train, test = (count_lines(data / "scan" / name) for name in OFFICIAL_FILES[split])
        how = "official files" + BUILT_TOO.get(split, " only (a random draw)" if split in FILE_ONLY_SPLITS else
                                                 "; also built from the grammar, line for line")
        entries.append(SplitEntry("scan", split, {"train": train, "test": test}, f"{SCAN_SOURCE}: {how}"))
    dev = count_lines(data / "pcfg" / PCFG_DEV_FILE)
    for split in TASK_SPLITS["pcfg"]:
        test = count_lines(data / "pcfg" / PCFG_TEST_FILES[split])
        entries.append(SplitEntry("pcfg", split, {"train": None, "dev": dev, "test": test},
                                  f"{PCFG_SOURCE}: official test and dev; training programs generated"))
    for split in TASK_SPLITS["hint"]:
        entries.append(SplitEntry("hint", split, {"train": None, "test": None}, "generated (HINT grammar)"))
    return entries

"""Fixtures locating the benchmark data the way the library does (SLOTMIND_DATA, else the packaged files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoning.tasks.data_location import resolve_data_dir


def _task_dir(task: str) -> Path:
    return resolve_data_dir(require=task) / task  # the packaged files: a missing folder is an error, not a skip


@pytest.fixture(scope="session")
def scan_dir() -> Path:
    """``<data>/scan`` (gzip-compressed official files)."""
    return _task_dir("scan")


@pytest.fixture(scope="session")
def pcfg_dir() -> Path:
    """``<data>/pcfg``."""
    return _task_dir("pcfg")

"""Fixtures locating the shipped benchmark data the way the library does (SLOTMIND_DATA or ../shared/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoning.tasks.data_location import DataNotFoundError, resolve_data_dir


def _task_dir(task: str) -> Path:
    try:
        return resolve_data_dir(require=task) / task
    except DataNotFoundError as error:
        pytest.skip(f"shipped {task} data not found, skipping the comparison with official files: {error}")


@pytest.fixture(scope="session")
def scan_dir() -> Path:
    """``<data>/scan``; skips the test with the reason when the data is absent."""
    return _task_dir("scan")


@pytest.fixture(scope="session")
def pcfg_dir() -> Path:
    """``<data>/pcfg``; skips the test with the reason when the data is absent."""
    return _task_dir("pcfg")

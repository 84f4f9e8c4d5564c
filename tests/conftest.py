"""Test-session setup shared by every package's tests."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Headless pygame everywhere: tests never open a window.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


# Property tests check results, never time: the first example of a kernel pays numba's compile, and
# this machine is shared, so a per-example deadline would only make the run flaky.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")

# The default run stops any one test after `timeout` seconds (pyproject.toml), so a hang fails with its
# stack instead of stalling CI; the slow convergence checks train for longer and get an hour.
SLOW_TEST_TIMEOUT_S = 3600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow") and not item.get_closest_marker("timeout"):
            item.add_marker(pytest.mark.timeout(SLOW_TEST_TIMEOUT_S))

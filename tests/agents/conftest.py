"""Fixtures for the agents tests: numba env kernels are compiled (or loaded from cache) once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def warm_kernels() -> None:
    from envs.kernel_warmup import warm_kernels as warm

    warm()

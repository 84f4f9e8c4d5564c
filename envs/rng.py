"""Counter-based random numbers for the kernels: one independent splitmix64 stream per env.

Each environment in a batch owns a uint64 state, so an env seeded with ``s`` produces the same
episodes whether it runs alone or as row ``i`` of a batch, whatever the other rows do.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_INV_2_53 = 1.0 / 9007199254740992.0


@njit(cache=True)
def next_u64(state: np.ndarray) -> np.uint64:
    """Advance ``state[0]`` (uint64) and return the next 64 random bits."""
    state[0] += _GOLDEN
    z = state[0]
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True)
def uniform(state: np.ndarray) -> float:
    """A float in [0, 1) with 53 random bits."""
    return float(next_u64(state) >> _S11) * _INV_2_53


@njit(cache=True)
def randint(state: np.ndarray, n: int) -> int:
    """An integer in [0, n) (n >= 1)."""
    value = int(uniform(state) * n)
    return value if value < n else n - 1


def seed_state(seed: int) -> np.uint64:
    """The initial stream state for a user seed (any Python int, negative included)."""
    mixed = np.array([np.uint64(seed % (1 << 64))], dtype=np.uint64)
    next_u64(mixed)  # decorrelates neighbouring seeds (seed, seed + 1, ...)
    return mixed[0]

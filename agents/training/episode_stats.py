"""Success rates and returns with 95% confidence intervals (pure functions)."""

from __future__ import annotations

import math

import numpy as np

Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """95% Wilson score interval of a success rate.

    >>> [round(v, 4) for v in wilson_interval(8, 10)]
    [0.4902, 0.9433]
    >>> wilson_interval(0, 0)
    (0.0, 1.0)
    """
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(values: np.ndarray, z: float = Z_95) -> tuple[float, float, float]:
    """(mean, low, high): the normal-approximation 95% interval of the mean of ``values`` (n,).

    >>> mean_interval(np.array([1.0, 1.0, 1.0]))
    (1.0, 1.0, 1.0)
    """
    values = np.asarray(values, dtype=np.float64)
    mean = float(values.mean()) if len(values) else float("nan")
    if len(values) < 2:
        return mean, mean, mean
    half = z * float(values.std(ddof=1)) / math.sqrt(len(values))
    return mean, mean - half, mean + half

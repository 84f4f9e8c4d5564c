"""The numba production-rule engine against the plain-Python matcher, timed side by side on the same states."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from envs.production_rules import apply_rules_reference, step_batch
from envs.rule_world import RuleWorld


def _seconds_per_call(function: Any, min_seconds: float) -> float:
    """Mean seconds of ``function()`` over as many calls as fit in ``min_seconds`` (at least 3)."""
    calls, started = 0, time.perf_counter()
    while calls < 3 or time.perf_counter() - started < min_seconds:
        function()
        calls += 1
    return (time.perf_counter() - started) / calls


def compare_engines(n_worlds: int = 256, n_objects: int = 9, seed: int = 0, min_seconds: float = 0.2,
                    rounds: int = 5) -> dict[str, Any]:
    """Time one rule step of ``n_worlds`` RuleWorld scenes (default rules, a few steps in, so rules
    fire) with the kernel and with :func:`apply_rules_reference`, after checking both agree. The
    two are timed in alternating rounds (``min_seconds`` each) so that load from other processes
    hits both alike; the medians over the rounds are reported.

    Returns numba_s and python_s (median seconds per batch step), ratio (median over rounds of
    python / numba), the sizes and ``agree`` (True: identical fired rules and attributes,
    positions within 1e-12)."""
    if n_worlds < 1 or not 1 <= n_objects <= 32:
        raise ValueError(f"engine worlds={n_worlds} must be >= 1 and objects={n_objects} in [1, 32]")
    world = RuleWorld(n_worlds, num_objects=n_objects, radius=0.1)
    world.seed(seed)
    world.reset()
    for _ in range(3):
        world.step()
    args = (world.kin, world.attrs, world.rule_table, world.rule_params, world.radius)
    fast = step_batch(*args)  # compiles (or loads the cache) before timing
    slow = apply_rules_reference(*args)
    agree = bool(np.allclose(fast[0], slow[0], rtol=0, atol=1e-12)
                 and all(np.array_equal(a, b) for a, b in zip(fast[1:], slow[1:], strict=True)))
    timings = np.array([(_seconds_per_call(lambda: step_batch(*args), min_seconds),
                         _seconds_per_call(lambda: apply_rules_reference(*args), min_seconds))
                        for _ in range(max(1, rounds))])
    return {"worlds": n_worlds, "objects": n_objects, "rules": len(world.rules),
            "numba_s": float(np.median(timings[:, 0])), "python_s": float(np.median(timings[:, 1])),
            "ratio": float(np.median(timings[:, 1] / timings[:, 0])), "rounds": len(timings), "agree": agree}

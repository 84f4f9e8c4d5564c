"""Compile (or load from numba's cache) every ObjectWorld kernel once, for every task."""

from __future__ import annotations

import numpy as np

from envs.batched_world import BatchedWorld
from envs.scripted_policy import ScriptedPolicy
from envs.world_config import TASKS, WorldConfig


def warm_kernels() -> None:
    """Run reset, step, render (with and without masks), observe and the scripted policy on a tiny batch
    of each task."""
    for task in TASKS:
        config = WorldConfig(task=task, obs_mode="rgb+objects")
        world = BatchedWorld(config, 2)
        world.seed(0)
        world.reset()
        world.step(np.zeros(2, dtype=np.int64))
        ScriptedPolicy(config).predict(world.observe()["objects"])
        world.render_masks()
        world.reset(np.array([True, False]))


if __name__ == "__main__":
    import time

    start = time.perf_counter()
    warm_kernels()
    print(f"{time.perf_counter() - start:.3f}")

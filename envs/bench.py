"""``slotmind envs bench``: ObjectWorld throughput measured side by side with MiniGrid.

Every number comes from this run on this machine: steps/s of each task with ``objects`` and
``rgb`` observations, through the single gymnasium env and the batched VecEnv, next to
MiniGrid-Empty-8x8 (symbolic and 64x64 RGB observations), all on one thread; plus the numba
compile time with a cold cache and the first-call time with a warm one (fresh processes).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import gymnasium as gym
import numpy as np

from envs.registry import TASK_OF_NAME, make_vec_env, register_envs

BATCH_SIZES = (64, 256, 1024)
OBS_MODES = ("objects", "rgb")
MINIGRID_ID = "MiniGrid-Empty-8x8-v0"
# Targets of the envs issue, as (description, check on the result rows).
TARGET_RGB_RATIO = 100.0
TARGET_OBJECTS_STEPS = 1_000_000.0
TARGET_SINGLE_RATIO = 10.0


@dataclass
class BenchRow:
    """One measured cell: steps per second of one env path."""

    env: str
    obs: str
    path: str  # "single" or "batched"
    n_envs: int
    steps_per_s: float
    ratio_vs_minigrid: float | None = None


def measure(step: Callable[[], int], seconds: float) -> float:
    """Steps per second of ``step`` (which returns how many env steps it took) over ``seconds``."""
    for _ in range(3):
        step()  # warm caches and allocators
    steps = 0
    start = time.perf_counter()
    while True:
        for _ in range(16):
            steps += step()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps / elapsed


def single_env_stepper(env: gym.Env, seed: int = 0) -> Callable[[], int]:
    """A step function for one gymnasium env taking random actions, resetting when episodes end."""
    env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, env.action_space.n, size=4096)
    counter = [0]

    def step() -> int:
        counter[0] = (counter[0] + 1) % actions.shape[0]
        _, _, terminated, truncated, _ = env.step(int(actions[counter[0]]))
        if terminated or truncated:
            env.reset()
        return 1

    return step


def batched_stepper(env_id: str, n_envs: int, obs_mode: str, seed: int = 0) -> Callable[[], int]:
    """A step function for the batched VecEnv taking random actions (auto-reset included)."""
    vec_env = make_vec_env(env_id, n_envs, seed=seed, obs_mode=obs_mode)
    vec_env.reset()
    actions = np.random.default_rng(seed).integers(0, vec_env.action_space.n, size=(64, n_envs))
    counter = [0]

    def step() -> int:
        counter[0] = (counter[0] + 1) % actions.shape[0]
        vec_env.step(actions[counter[0]])
        return n_envs

    return step


def minigrid_env(obs: str) -> gym.Env:
    """MiniGrid-Empty-8x8 with its own symbolic observation, or its own 64x64 RGB wrapper."""
    import minigrid  # noqa: F401  (registers the ids)
    from minigrid.wrappers import RGBImgObsWrapper

    env = gym.make(MINIGRID_ID)
    return RGBImgObsWrapper(env, tile_size=8) if obs == "rgb" else env  # 8 cells x 8 px = 64 px


def compile_times() -> dict[str, float]:
    """Seconds to compile every kernel with an empty numba cache, then to load them from the
    warm cache, each in a fresh Python process."""
    repo_root = Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "envs.kernel_warmup"]
    with tempfile.TemporaryDirectory(prefix="slotmind-numba-") as cache_dir:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache_dir}
        times = {}
        for label in ("cold_compile_s", "warm_cache_s"):
            done = subprocess.run(command, env=env, cwd=repo_root, capture_output=True, text=True, check=True)
            times[label] = float(done.stdout.strip().splitlines()[-1])
    return times


def run_bench(seconds: float = 0.5, batch_sizes: tuple[int, ...] = BATCH_SIZES,
              tasks: tuple[str, ...] = tuple(TASK_OF_NAME), progress: Callable[[str], None] | None = None,
              time_compile: bool = True) -> tuple[list[BenchRow], dict[str, float]]:
    """Measure every cell; returns the rows (MiniGrid first) and the compile times ({} if not timed)."""
    register_envs()
    report = progress or (lambda _label: None)
    rows: list[BenchRow] = []
    reference: dict[str, float] = {}
    for obs in OBS_MODES:
        report(f"{MINIGRID_ID} {obs}")
        speed = measure(single_env_stepper(minigrid_env(obs)), seconds)
        reference[obs] = speed
        rows.append(BenchRow(MINIGRID_ID, "symbolic" if obs == "objects" else "rgb", "single", 1, speed, 1.0))
    for name in tasks:
        env_id = f"slotmind/{name}-v0"
        for obs in OBS_MODES:
            report(f"{env_id} {obs} single")
            speed = measure(single_env_stepper(gym.make(env_id, obs_mode=obs)), seconds)
            rows.append(BenchRow(env_id, obs, "single", 1, speed, speed / reference[obs]))
            for n_envs in batch_sizes:
                report(f"{env_id} {obs} x{n_envs}")
                speed = measure(batched_stepper(env_id, n_envs, obs), seconds)
                rows.append(BenchRow(env_id, obs, "batched", n_envs, speed, speed / reference[obs]))
    if not time_compile:
        return rows, {}
    report("numba compile (fresh processes)")
    return rows, compile_times()


def target_checks(rows: list[BenchRow]) -> list[tuple[str, str, bool]]:
    """(target, measured, met) for each target of the envs issue, from the measured rows."""
    ours = [row for row in rows if row.env.startswith("slotmind/")]
    worst_rgb_ratio = min(
        max(r.ratio_vs_minigrid for r in ours if r.env == env and r.obs == "rgb" and r.path == "batched")
        for env in {r.env for r in ours}
    )
    worst_objects = min(
        max(r.steps_per_s for r in ours if r.env == env and r.obs == "objects" and r.path == "batched")
        for env in {r.env for r in ours}
    )
    worst_single = min(r.ratio_vs_minigrid for r in ours if r.path == "single")
    return [
        (f"batched 64x64 RGB >= {TARGET_RGB_RATIO:.0f}x MiniGrid RGB (every task, best batch)",
         f"{worst_rgb_ratio:.0f}x", worst_rgb_ratio >= TARGET_RGB_RATIO),
        (f"batched objects >= {TARGET_OBJECTS_STEPS:,.0f} steps/s on one core (every task, best batch)",
         f"{worst_objects:,.0f}", worst_objects >= TARGET_OBJECTS_STEPS),
        (f"single gymnasium env >= {TARGET_SINGLE_RATIO:.0f}x MiniGrid (every task and obs mode)",
         f"{worst_single:.1f}x", worst_single >= TARGET_SINGLE_RATIO),
    ]


def rows_as_dicts(rows: list[BenchRow]) -> list[dict]:
    return [asdict(row) for row in rows]

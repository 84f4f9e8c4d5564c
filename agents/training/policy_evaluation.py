"""Evaluating a trained policy on a named split: success rate and mean return with 95% intervals."""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from agents.training.episode_stats import mean_interval, wilson_interval

EVAL_SEED_OFFSET = 1_000_003  # evaluation episodes never reuse the training env seeds
EVAL_ENVS = 16  # envs an evaluation plays its episodes on (at most; fewer for fewer episodes)


def run_episodes(model: BaseAlgorithm | Any, env: VecEnv, episodes: int, deterministic: bool = True
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Play exactly ``episodes`` episodes (spread over the envs) -> (returns (E,), successes (E,) bool).

    ``model`` is anything with SB3's ``predict(observations, deterministic=...)``."""
    n_envs = env.num_envs
    # Env i plays episodes i, i + n, ...: the count per env is fixed in advance, so short episodes
    # do not crowd out long ones.
    targets = np.array([len(range(i, episodes, n_envs)) for i in range(n_envs)])
    counts = np.zeros(n_envs, dtype=np.int64)
    returns: list[float] = []
    successes: list[bool] = []
    observations = env.reset()
    while (counts < targets).any():
        actions, _ = model.predict(observations, deterministic=deterministic)
        observations, _, dones, infos = env.step(actions)
        for i in np.flatnonzero(dones):
            if counts[i] < targets[i]:
                episode = infos[i].get("episode", {})
                returns.append(float(episode.get("r", 0.0)))
                successes.append(bool(infos[i].get("is_success", episode.get("is_success", False))))
                counts[i] += 1
    return np.array(returns), np.array(successes, dtype=bool)


def summarize(split: str, returns: np.ndarray, successes: np.ndarray, deterministic: bool = True) -> dict[str, Any]:
    """The eval.json entry for one split (``policy`` says whether actions were the argmax or sampled)."""
    mean, low, high = mean_interval(returns)
    success_low, success_high = wilson_interval(int(successes.sum()), len(successes))
    return {"split": split, "episodes": len(returns), "success_rate": float(successes.mean()),
            "success_ci95": [success_low, success_high], "mean_return": mean, "return_ci95": [low, high],
            "policy": "deterministic" if deterministic else "stochastic"}

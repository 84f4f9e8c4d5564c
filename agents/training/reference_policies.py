"""The floor and the ceiling every learned number is read against: a random policy and the scripted
planner (``envs.scripted_policy``), evaluated on exactly the episodes a run's evaluation plays."""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

from agents.training.env_factory import split_overrides
from agents.training.policy_evaluation import EVAL_ENVS, EVAL_SEED_OFFSET, run_episodes, summarize
from envs.registry import is_minigrid, make_vec_env

REFERENCE_POLICIES: tuple[str, ...] = ("random", "scripted")
REFERENCE_LABELS: dict[str, str] = {"random": "random (floor)", "scripted": "scripted (ceiling)"}


class RandomPolicy:
    """Uniformly random actions from a seeded generator, with the call signature of an SB3 model."""

    def __init__(self, n_actions: int, seed: int = 0) -> None:
        self.n_actions = n_actions
        self.rng = np.random.default_rng(seed)

    def predict(self, observations: Any, state: object = None, episode_start: object = None,
                deterministic: bool = True) -> tuple[np.ndarray, None]:
        """observations with a leading batch axis B -> (actions (B,) int64, None)."""
        batch = len(next(iter(observations.values())) if isinstance(observations, dict) else observations)
        return self.rng.integers(self.n_actions, size=batch), None


def reference_env(name: str, env_id: str, split: str, episodes: int, seed: int = 0) -> VecEnv:
    """The VecEnv a reference policy plays: the env ids, seeds and env count of a run's evaluation
    (``objects`` observations, which are all the scripted policy reads)."""
    if name not in REFERENCE_POLICIES:
        raise ValueError(f"--policy {name!r} is unknown; choose from {', '.join(REFERENCE_POLICIES)}")
    if name == "scripted" and is_minigrid(env_id):
        raise ValueError(f"there is no scripted policy for {env_id}; it exists for the ObjectWorld ids")
    venv = make_vec_env(env_id, min(episodes, EVAL_ENVS), seed=seed + EVAL_SEED_OFFSET, obs_mode="objects",
                        **split_overrides(env_id, split))
    return VecMonitor(venv, info_keywords=("is_success",))


def evaluate_reference(name: str, env_id: str, split: str = "train", episodes: int = 200,
                       seed: int = 0) -> dict[str, Any]:
    """The eval.json-style entry of reference policy ``name`` on ``split`` of ``env_id``, plus "policy_name"."""
    env = reference_env(name, env_id, split, episodes, seed)
    try:
        if name == "random":
            policy: Any = RandomPolicy(int(env.action_space.n), seed)
        else:
            from envs.scripted_policy import ScriptedPolicy

            policy = ScriptedPolicy(env.unwrapped.config)
        returns, successes = run_episodes(policy, env, episodes)
    finally:
        env.close()
    return {**summarize(split, returns, successes), "policy_name": name}

"""The dense progress reward of Push: known distances, no bonus on episode ends, and it favours the planner."""

from __future__ import annotations

import numpy as np
import pytest
from stable_baselines3.common.vec_env import VecMonitor

from agents.training.progress_reward import ProgressRewardVecEnv, distance_to_go
from envs.batched_world import BatchedWorld
from envs.registry import make_vec_env
from envs.scripted_policy import ScriptedPolicy
from envs.world_config import WorldConfig
from envs.world_state import ROLE_DISTRACTOR, ROLE_TARGET


def _world(task: str) -> BatchedWorld:
    world = BatchedWorld(WorldConfig(task=task, num_objects=(2, 2)), 1)
    world.objects[0]["present"] = [True, True]
    world.objects[0]["role"] = [ROLE_TARGET, ROLE_DISTRACTOR]
    world.objects[0]["x"], world.objects[0]["y"] = [0.5, 0.1], [0.2, 0.1]
    world.worlds[0]["agent_x"], world.worlds[0]["agent_y"] = 0.5, 0.8
    world.worlds[0]["goal_x"], world.worlds[0]["goal_y"] = 0.9, 0.2
    return world


def test_distance_to_go_known_values() -> None:
    assert distance_to_go(_world("goal"))[0] == pytest.approx(0.6)
    assert distance_to_go(_world("push"))[0] == pytest.approx(0.6 + 0.4)


def _shaped_return(policy: str, episodes: int = 64) -> tuple[float, float]:
    base = make_vec_env("slotmind/Push-v0", 16, seed=3, obs_mode="objects")
    env = ProgressRewardVecEnv(VecMonitor(base), scale=1.0)
    planner, rng = ScriptedPolicy(base.config), np.random.default_rng(0)
    observations, totals, returns, successes = env.reset(), np.zeros(16), [], []
    while len(returns) < episodes:
        actions = planner.predict(observations)[0] if policy == "scripted" else rng.integers(4, size=16)
        observations, rewards, dones, infos = env.step(actions)
        totals += rewards
        for i in np.flatnonzero(dones):
            returns.append(totals[i] - float(infos[i]["is_success"]))  # the bonus alone
            successes.append(infos[i]["is_success"])
            totals[i] = 0.0
    return float(np.mean(returns)), float(np.mean(successes))


def test_the_bonus_pays_progress_not_time() -> None:
    planner_bonus, planner_success = _shaped_return("scripted")
    random_bonus, _ = _shaped_return("random")
    assert planner_success > 0.8 and planner_bonus > 0.3
    assert abs(random_bonus) < 0.2  # wandering earns nothing on average


def test_it_needs_an_object_world() -> None:
    with pytest.raises(ValueError, match="ObjectWorld"):
        ProgressRewardVecEnv(make_vec_env("MiniGrid-Empty-5x5-v0", 1), 1.0)

"""``ProgressRewardVecEnv``: a dense training reward for ObjectWorld, read from the simulator's state.

The task rewards are sparse (1 on success). On Push a random policy succeeds 2% of the time, so PPO
hardly ever sees a reward (docs/agents.md). This wrapper adds ``scale * (phi(s') - phi(s))`` to the
reward of every step that neither ends an episode nor collects a target, where ``phi`` is minus the
distance still to cover: agent to target (goal, odd one out), agent to the nearest target left
(collect), agent to target plus target to goal (push). A step that ends an episode or collects a
target gets no bonus, so reaching the end sooner is never worth less than the sum of the bonuses on
the way, and the bonuses of an episode add up to the distance covered.

It sits outside the ``VecMonitor``: monitors, curves and evaluations see the task's own reward.
"""

from __future__ import annotations

import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from envs.batched_world import BatchedWorld
from envs.object_world_vec_env import ObjectWorldVecEnv
from envs.world_state import ROLE_TARGET


def distance_to_go(world: BatchedWorld) -> np.ndarray:
    """(B,) float64: what is left to cover in each env's current state (see the module docstring)."""
    objects, worlds = world.objects, world.worlds
    agent_x, agent_y = worlds["agent_x"][:, None], worlds["agent_y"][:, None]
    targets = objects["present"] & (objects["role"] == ROLE_TARGET)
    to_agent = np.hypot(objects["x"] - agent_x, objects["y"] - agent_y)
    nearest = np.where(targets, to_agent, np.inf).min(axis=1)
    nearest = np.where(np.isfinite(nearest), nearest, 0.0)
    if world.config.task != "push":
        return nearest
    to_goal = np.hypot(objects["x"] - worlds["goal_x"][:, None], objects["y"] - worlds["goal_y"][:, None])
    target_to_goal = np.where(targets, to_goal, np.inf).min(axis=1)
    return nearest + np.where(np.isfinite(target_to_goal), target_to_goal, 0.0)


class ProgressRewardVecEnv(VecEnvWrapper):
    """Adds ``scale`` times the distance covered in each step to the reward (for training only)."""

    def __init__(self, venv: VecEnv, scale: float) -> None:
        inner = venv.unwrapped
        if not isinstance(inner, ObjectWorldVecEnv):
            raise ValueError("progress_reward needs an ObjectWorld env (it reads the simulator's state); "
                             "leave it out for other ids")
        super().__init__(venv)
        self.world = inner.world
        self.scale = scale
        self._to_go = np.zeros(venv.num_envs)
        self._targets_left = np.zeros(venv.num_envs, dtype=np.int64)

    def _read(self) -> tuple[np.ndarray, np.ndarray]:
        return distance_to_go(self.world), self.world.worlds["targets_left"].astype(np.int64)

    def reset(self) -> np.ndarray:
        observations = self.venv.reset()
        self._to_go, self._targets_left = self._read()
        return observations

    def step_wait(self) -> VecEnvStepReturn:
        observations, rewards, dones, infos = self.venv.step_wait()
        to_go, targets_left = self._read()  # envs that ended are already reset: no bonus for them
        counts = ~dones & (targets_left == self._targets_left)
        bonus = np.where(counts, self._to_go - to_go, 0.0) * self.scale
        self._to_go, self._targets_left = to_go, targets_left
        return observations, (rewards + bonus).astype(np.float32), dones, infos

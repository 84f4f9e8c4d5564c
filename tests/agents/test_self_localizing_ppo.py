"""SelfLocalizingPPO: the self attention learns which slot moves with the agent's actions."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv

from agents.relative_set_extractor import RelativeSetExtractor
from agents.training.self_localizing_ppo import SelfLocalizingPPO

ROWS, FEATURES = 4, 6  # features: 3 looks, x, y, size
MOVES = np.array([[0.0, -0.05], [0.0, 0.05], [-0.05, 0.0], [0.05, 0.0]])


class MovingRowVecEnv(VecEnv):
    """Rows in a random order each step; one of them (look (1, 1, 1)) moves as the action says."""

    def __init__(self, n_envs: int = 16, seed: int = 0) -> None:
        super().__init__(n_envs, spaces.Box(-np.inf, np.inf, (ROWS, FEATURES), np.float32), spaces.Discrete(4))
        self.rng = np.random.default_rng(seed)
        self.positions = self.rng.uniform(0.2, 0.8, (n_envs, ROWS, 2))
        self.looks = self.rng.uniform(0.0, 0.6, (n_envs, ROWS, 3))
        self.looks[:, 0] = 1.0  # row 0 is the agent
        self.actions = np.zeros(n_envs, dtype=np.int64)

    def _observe(self) -> np.ndarray:
        rows = np.concatenate([self.looks, self.positions, np.full((self.num_envs, ROWS, 1), 0.05)], axis=-1)
        order = np.argsort(self.rng.random((self.num_envs, ROWS)), axis=1)
        return np.take_along_axis(rows, order[..., None], axis=1).astype(np.float32)

    def reset(self) -> np.ndarray:
        return self._observe()

    def step_async(self, actions: np.ndarray) -> None:
        self.actions = np.asarray(actions).reshape(-1)

    def step_wait(self) -> Any:
        self.positions[:, 0] = np.clip(self.positions[:, 0] + MOVES[self.actions], 0.05, 0.95)
        zeros = np.zeros(self.num_envs, dtype=np.float32)
        return self._observe(), zeros, np.zeros(self.num_envs, dtype=bool), [{} for _ in range(self.num_envs)]

    def close(self) -> None:
        pass

    def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
        return [None] * self.num_envs

    def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
        pass

    def env_method(self, method_name: str, *args: Any, indices: Any = None, **kwargs: Any) -> list[Any]:
        return []

    def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
        return [False] * self.num_envs


def test_the_self_attention_finds_the_row_that_moves() -> None:
    torch.manual_seed(0)
    env = MovingRowVecEnv(n_envs=64)
    model = SelfLocalizingPPO("MlpPolicy", env, n_steps=32, batch_size=256, n_epochs=1, learning_rate=3e-3, seed=0,
                              device="cpu", policy_kwargs={
                                  "features_extractor_class": RelativeSetExtractor,
                                  "features_extractor_kwargs": {"position_columns": (3, 4), "size_column": 5,
                                                                "presence_column": None, "self_column": None,
                                                                "features_dim": 16, "hidden": 16}})
    extractor = model.policy.features_extractor
    rows = torch.as_tensor(env.reset())
    agent = rows[..., 0] == 1.0
    before = extractor.self_weights(rows)[..., 0][agent].mean().item()
    model.learn(32 * 64 * 12)
    weights = extractor.self_weights(rows)[..., 0]
    assert before < 0.5 and weights[agent].mean().item() > 0.7
    assert (weights.argmax(dim=1) == agent.long().argmax(dim=1)).float().mean().item() >= 0.95

"""The SB3 algorithm and policy for a run's ``--algo`` and ``--encoder``."""

from __future__ import annotations

from typing import Any

from gymnasium import spaces
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from agents.extractors import FinetuneSlotExtractor, SetExtractor
from agents.training.train_config import TrainConfig

ALGO_CLASSES: dict[str, type[BaseAlgorithm]] = {"ppo": PPO, "a2c": A2C, "dqn": DQN}


def policy_spec(config: TrainConfig, encoder_path: str | None) -> tuple[str, dict[str, Any]]:
    """(policy name, policy_kwargs) for the run's encoder."""
    if config.encoder == "cnn":
        return "CnnPolicy", {}
    if config.finetune:
        return "CnnPolicy", {"features_extractor_class": FinetuneSlotExtractor,
                             "features_extractor_kwargs": {"encoder_path": encoder_path,
                                                           "features_dim": config.features_dim}}
    presence = 0 if config.encoder == "objects" else None  # column 0 of object rows is "present"
    return "MlpPolicy", {"features_extractor_class": SetExtractor,
                         "features_extractor_kwargs": {"features_dim": config.features_dim,
                                                       "presence_column": presence}}


def make_model(config: TrainConfig, env: VecEnv, encoder_path: str | None,
               tensorboard_dir: str | None) -> BaseAlgorithm:
    """A fresh algorithm instance for ``config`` on ``env``; ValueError when they do not fit."""
    if config.algo == "dqn" and not isinstance(env.action_space, spaces.Discrete):
        raise ValueError(f"--algo dqn needs a discrete action space; {config.env_id} has {env.action_space}")
    policy, policy_kwargs = policy_spec(config, encoder_path)
    return ALGO_CLASSES[config.algo](policy, env, seed=config.seed, device="cpu", verbose=0,
                                     tensorboard_log=tensorboard_dir, policy_kwargs=policy_kwargs,
                                     **config.algo_kwargs())

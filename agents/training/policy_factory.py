"""The SB3 algorithm and policy for a run's ``--algo`` and ``--encoder``."""

from __future__ import annotations

from typing import Any

from gymnasium import spaces
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv

from agents.extractors import FinetuneSlotExtractor
from agents.relative_set_extractor import RelativeSetExtractor
from agents.slot_vec_env import SLOT_READOUT
from agents.training.self_localizing_ppo import SelfLocalizingPPO
from agents.training.train_config import TrainConfig
from envs.devices import resolve_device
from envs.registry import is_minigrid

ALGO_CLASSES: dict[str, type[BaseAlgorithm]] = {"ppo": PPO, "a2c": A2C, "dqn": DQN}


def algorithm_class(config: TrainConfig) -> type[BaseAlgorithm]:
    """The SB3 class of a run: PPO with frozen slots learns where the agent is (``SelfLocalizingPPO``)."""
    if config.algo == "ppo" and config.uses_slots and not config.finetune:
        return SelfLocalizingPPO
    return ALGO_CLASSES[config.algo]
EXTRACTOR_KEY = "extractor"  # policy_kwargs entry holding the features extractor's own settings


def row_layout(config: TrainConfig, observation_space: spaces.Space) -> dict[str, Any]:
    """Where a ``RelativeSetExtractor`` finds positions, sizes, presence and the agent in the run's rows."""
    if config.encoder != "objects":  # slot rows: the slot vector, then SLOT_READOUT; no flags
        first = observation_space.shape[-1] - len(SLOT_READOUT)
        return {"position_columns": (first, first + 1), "size_column": first + 2, "presence_column": None,
                "self_column": None}
    if is_minigrid(config.env_id):
        from envs.minigrid_adapter import FEATURE_NAMES as names
    else:
        from envs.observe_kernel import FEATURE_NAMES as names
    return {"position_columns": (names.index("x"), names.index("y")),
            "size_column": names.index("size") if "size" in names else None, "presence_column": 0,
            "self_column": names.index("is_agent") if "is_agent" in names else names.index("type_agent")}


def policy_spec(config: TrainConfig, encoder_path: str | None, observation_space: spaces.Space,
                action_space: spaces.Space) -> tuple[str, dict[str, Any]]:
    """(policy name, policy_kwargs) for the run's encoder; the resolved ``policy_kwargs`` hyperparameter
    gives ``net_arch`` and the like, its ``features_dim`` and ``extractor`` entries go to the extractor."""
    kwargs = config.policy_kwargs()
    extractor_kwargs = dict(kwargs.pop(EXTRACTOR_KEY, None) or {})
    if "features_dim" in kwargs:
        extractor_kwargs["features_dim"] = kwargs.pop("features_dim")
    if config.encoder == "cnn":
        return "CnnPolicy", {**kwargs, "features_extractor_kwargs": extractor_kwargs}
    if config.finetune:
        return "CnnPolicy", {**kwargs, "features_extractor_class": FinetuneSlotExtractor,
                             "features_extractor_kwargs": {"encoder_path": encoder_path, **extractor_kwargs}}
    layout = row_layout(config, observation_space)
    if isinstance(action_space, spaces.Discrete):
        layout["n_actions"] = int(action_space.n)
    return "MlpPolicy", {**kwargs, "features_extractor_class": RelativeSetExtractor,
                         "features_extractor_kwargs": {**layout, **extractor_kwargs}}


def make_model(config: TrainConfig, env: VecEnv, encoder_path: str | None,
               tensorboard_dir: str | None) -> BaseAlgorithm:
    """A fresh algorithm instance for ``config`` on ``env``; ValueError when they do not fit."""
    if config.algo == "dqn" and not isinstance(env.action_space, spaces.Discrete):
        raise ValueError(f"--algo dqn needs a discrete action space; {config.env_id} has {env.action_space}")
    policy, policy_kwargs = policy_spec(config, encoder_path, env.observation_space, env.action_space)
    return algorithm_class(config)(policy, env, seed=config.seed, device=resolve_device(config.device), verbose=0,
                                     tensorboard_log=tensorboard_dir, policy_kwargs=policy_kwargs,
                                     **config.algo_kwargs())

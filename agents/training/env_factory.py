"""Building the VecEnv a run trains or is evaluated on, from its config and split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

from agents.encoders.api import SlotEncoder
from agents.slot_vec_env import SlotObservationVecEnv
from agents.training.monitor_steps import STEP_KEY, StepStampVecEnv
from agents.training.progress_reward import ProgressRewardVecEnv
from agents.training.train_config import TrainConfig
from envs.registry import VARIANTS, is_minigrid, make_vec_env


def split_overrides(env_id: str, split: str) -> dict[str, Any]:
    """Env keyword arguments of a named split (``train``, ``more-objects``, ``unseen-colors``, ...)."""
    if split not in VARIANTS:
        raise ValueError(f"unknown split {split!r}; choose from {', '.join(VARIANTS)}")
    if split != "train" and is_minigrid(env_id):
        raise ValueError(f"split {split!r} exists only for slotmind ids; MiniGrid ids have just 'train'")
    return dict(VARIANTS[split])


def build_vec_env(config: TrainConfig, encoder: SlotEncoder | None, n_envs: int, seed: int, split: str = "train",
                  monitor_file: Path | None = None, training: bool = False, start_step: int = 0) -> VecEnv:
    """The run's VecEnv: ``objects`` observations for the oracle, RGB otherwise, turned into slots
    once per step when the slot encoder is frozen; wrapped in a VecMonitor (is_success recorded).
    With ``training`` the run's ``progress_reward`` (if any) is added outside the monitor. A monitor file's
    rows also record the env step at which each episode ended (counting from ``start_step``)."""
    obs_mode = "objects" if config.encoder == "objects" else "rgb"
    venv = make_vec_env(config.env_id, n_envs, seed=seed, obs_mode=obs_mode,
                        **split_overrides(config.env_id, split))
    if getattr(venv, "spec", None) is None:
        venv.spec = gymnasium.spec(config.env_id)  # VecMonitor writes its id into the monitor file's header
    keys: tuple[str, ...] = ("is_success",)
    if monitor_file is not None:
        venv, keys = StepStampVecEnv(venv, start_step), (*keys, STEP_KEY)
    venv = VecMonitor(venv, filename=str(monitor_file) if monitor_file else None, info_keywords=keys)
    scale = float(config.resolved.get("progress_reward") or 0.0)
    if training and scale:
        venv = ProgressRewardVecEnv(venv, scale)
    return encode_observations(config, venv, encoder)


def encode_observations(config: TrainConfig, venv: VecEnv, encoder: SlotEncoder | None) -> VecEnv:
    """``venv`` as the policy sees it: wrapped to emit slots when the run uses a frozen slot encoder."""
    if config.uses_slots and not config.finetune:
        if encoder is None:
            raise ValueError("a slot encoder is needed to build this env")
        return SlotObservationVecEnv(venv, encoder)
    return venv

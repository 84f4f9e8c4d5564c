"""``SlotObservationVecEnv``: a VecEnv wrapper that turns RGB observations into slots once per step.

With a frozen encoder this is the fast path: PPO's epochs reuse the stored slots instead of
re-encoding every frame in every minibatch. Each step encodes the new frames of every env and the
last frames of the episodes that just ended in one batched forward pass, in inference mode.

Each slot row is the slot vector followed by its place in the frame, read from its attention mask:
the mask-weighted mean position (x, y in [0, 1], as in the ``objects`` rows) and its extent (the
square root of the mask's area fraction, half of it: a half-extent like the ``objects`` size column).
"""

from __future__ import annotations

import numpy as np
import torch
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from agents.encoders.api import SlotEncoder

SLOT_GEOMETRY: tuple[str, ...] = ("x", "y", "extent")


def rgb_of(observation: np.ndarray | dict) -> np.ndarray:
    """The RGB part of an observation (a plain array, or the "rgb" entry of a dict)."""
    return observation["rgb"] if isinstance(observation, dict) else observation


def slot_geometry(attention: torch.Tensor) -> torch.Tensor:
    """Attention (B, K, N) over a square grid of N cells (softmax over slots) -> (B, K, 3): each slot's
    mask-weighted mean (x, y) in [0, 1] and half the square root of its share of the frame."""
    cells = attention.shape[-1]
    side = round(cells**0.5)
    centres = (torch.arange(side, dtype=attention.dtype) + 0.5) / side
    grid_y, grid_x = torch.meshgrid(centres, centres, indexing="ij")
    total = attention.sum(-1, keepdim=True).clamp(min=1e-6)  # (B, K, 1)
    x = (attention * grid_x.reshape(1, 1, -1)).sum(-1, keepdim=True) / total
    y = (attention * grid_y.reshape(1, 1, -1)).sum(-1, keepdim=True) / total
    extent = 0.5 * (total / cells).sqrt()
    return torch.cat([x, y, extent], dim=-1)


def encode_slot_rows(encoder: SlotEncoder, frames: np.ndarray) -> np.ndarray:
    """Frames (B, H, W, 3) uint8 -> slot rows (B, K, D + 3) float32 in one forward pass (inference mode)."""
    encoder.check_frames(frames)
    with torch.inference_mode():
        initial = encoder.initial_slots.expand(len(frames), -1, -1)
        slots, attention, _, _ = encoder.model.encode(torch.from_numpy(frames), initial)
        return torch.cat([slots, slot_geometry(attention)], dim=-1).numpy()


class SlotObservationVecEnv(VecEnvWrapper):
    """Observations (B, H, W, 3) uint8 (or dicts with "rgb") -> slot rows (B, K, D + 3) float32."""

    def __init__(self, venv: VecEnv, encoder: SlotEncoder) -> None:
        space = venv.observation_space
        rgb_space = space["rgb"] if isinstance(space, spaces.Dict) else space
        encoder.check_frames(np.zeros((1, *rgb_space.shape), dtype=np.uint8))
        self.encoder = encoder
        rows = (encoder.num_slots, encoder.slot_dim + len(SLOT_GEOMETRY))
        super().__init__(venv, observation_space=spaces.Box(-np.inf, np.inf, rows, dtype=np.float32))

    def reset(self) -> np.ndarray:
        return encode_slot_rows(self.encoder, rgb_of(self.venv.reset()))

    def step_wait(self) -> VecEnvStepReturn:
        observations, rewards, dones, infos = self.venv.step_wait()
        frames = rgb_of(observations)
        ended = [i for i, info in enumerate(infos) if "terminal_observation" in info]
        if ended:
            frames = np.concatenate([frames, np.stack([rgb_of(infos[i]["terminal_observation"]) for i in ended])])
        rows = encode_slot_rows(self.encoder, frames)
        for i, last in zip(ended, rows[self.num_envs:], strict=True):
            infos[i]["terminal_observation"] = last
        return rows[: self.num_envs], rewards, dones, infos

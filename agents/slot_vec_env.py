"""``SlotObservationVecEnv``: a VecEnv wrapper that turns RGB observations into slots once per step.

With a frozen encoder this is the fast path: PPO's epochs reuse the stored slots instead of
re-encoding every frame in every minibatch. Each step encodes the new frames of every env and the
last frames of the episodes that just ended in one batched forward pass, in inference mode.

Each slot row is the slot vector followed by what its attention mask covers in the frame
(``SLOT_READOUT``): the mean position (x, y in [0, 1], as in the ``objects`` rows), the extent (half the
square root of the covered share of the frame: a half-extent like the ``objects`` size column) and the
mean colour. Only foreground cells count: cells whose colour differs from the frame's background
(the median colour of its cells). Slot Attention shares the empty background out among all slots,
each taking the part around its object, so the plain mask centroid of an object's slot lies far from
the object: 0.087 arena units (median) on ObjectGoal frames against 0.014 with the foreground cells
only (docs/agents.md).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from gymnasium import spaces
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper
from stable_baselines3.common.vec_env.base_vec_env import VecEnvStepReturn

from agents.encoders.api import SlotEncoder

SLOT_READOUT: tuple[str, ...] = ("x", "y", "extent", "r", "g", "b")
FOREGROUND_THRESHOLD = 0.15  # summed |RGB difference| in [0, 3] from the background colour


def rgb_of(observation: np.ndarray | dict) -> np.ndarray:
    """The RGB part of an observation (a plain array, or the "rgb" entry of a dict)."""
    return observation["rgb"] if isinstance(observation, dict) else observation


def foreground_cells(images: torch.Tensor, grid: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (B, 3, R, R) in [0, 1] -> (foreground (B, N) float 0/1, cell colours (B, 3, N)) on a grid x grid
    pooling (N = grid^2); the background colour is each image's median cell colour."""
    cells = F.adaptive_avg_pool2d(images, grid).flatten(2)  # (B, 3, N)
    background = cells.median(dim=2, keepdim=True).values
    return ((cells - background).abs().sum(1) > FOREGROUND_THRESHOLD).float(), cells


def slot_readout(attention: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Attention (B, K, N) over a square grid of N cells (softmax over slots), images (B, 3, R, R) in [0, 1]
    -> (B, K, 6): each slot's foreground-weighted mean (x, y) in [0, 1], extent, and mean (r, g, b).
    A slot with no foreground falls back to its plain mask (its extent is then ~0)."""
    cells = attention.shape[-1]
    side = round(cells**0.5)
    foreground, colours = foreground_cells(images, side)
    covered = attention * foreground[:, None]  # (B, K, N)
    weights = covered + 1e-4 * attention
    centres = (torch.arange(side, dtype=attention.dtype, device=attention.device) + 0.5) / side
    grid_y, grid_x = torch.meshgrid(centres, centres, indexing="ij")
    total = weights.sum(-1, keepdim=True).clamp(min=1e-9)  # (B, K, 1)
    x = (weights * grid_x.reshape(1, 1, -1)).sum(-1, keepdim=True) / total
    y = (weights * grid_y.reshape(1, 1, -1)).sum(-1, keepdim=True) / total
    extent = 0.5 * (covered.sum(-1, keepdim=True) / cells).sqrt()
    colour = torch.einsum("bkn,bcn->bkc", weights, colours) / total
    return torch.cat([x, y, extent, colour], dim=-1)


def encode_slot_rows(encoder: SlotEncoder, frames: np.ndarray) -> np.ndarray:
    """Frames (B, H, W, 3) uint8 -> slot rows (B, K, D + 6) float32 in one forward pass (inference mode)."""
    encoder.check_frames(frames)
    with torch.inference_mode():
        initial = encoder.initial_slots.expand(len(frames), -1, -1)
        slots, attention, _, images = encoder.model.encode(torch.from_numpy(frames), initial)
        return torch.cat([slots, slot_readout(attention, images)], dim=-1).cpu().numpy()


class SlotObservationVecEnv(VecEnvWrapper):
    """Observations (B, H, W, 3) uint8 (or dicts with "rgb") -> slot rows (B, K, D + 6) float32."""

    def __init__(self, venv: VecEnv, encoder: SlotEncoder) -> None:
        space = venv.observation_space
        rgb_space = space["rgb"] if isinstance(space, spaces.Dict) else space
        encoder.check_frames(np.zeros((1, *rgb_space.shape), dtype=np.uint8))
        self.encoder = encoder
        rows = (encoder.num_slots, encoder.slot_dim + len(SLOT_READOUT))
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

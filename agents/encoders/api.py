"""``SlotEncoder``: the small public API the RL and language code use to turn frames into slots."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from agents.encoders.checkpoint import load_checkpoint
from agents.encoders.slot_autoencoder import SlotAutoencoder


class SlotEncoder:
    """A trained slot autoencoder used for inference: uint8 frames -> slots and masks.

    Inference is deterministic: every frame starts from the same initial slots (one seeded draw
    of the learned initialisation), so a frame's slots do not depend on its batch.
    """

    def __init__(self, model: SlotAutoencoder, seed: int = 0) -> None:
        self.model = model.eval()
        self.config = model.config
        with torch.no_grad():
            generator = torch.Generator().manual_seed(seed)
            self.initial_slots = model.slot_attention.initial_slots(1, generator).detach().clone()

    def _initial(self, batch: int) -> torch.Tensor:
        return self.initial_slots.expand(batch, -1, -1)

    @classmethod
    def load(cls, path: str | Path, image_size: int | None = None, num_slots: int | None = None,
             device: str = "cpu") -> SlotEncoder:
        """From a checkpoint file or a pretrain run folder, on ``device``; sizes, when given, must match
        (CheckpointError)."""
        model, _ = load_checkpoint(path, image_size=image_size, num_slots=num_slots)
        return cls(model).to(device)

    def to(self, device: str | torch.device) -> SlotEncoder:
        """Move the model and the initial slots to ``device``; returns self."""
        self.model.to(device)
        self.initial_slots = self.initial_slots.to(device)
        return self

    @property
    def num_slots(self) -> int:
        return self.config.num_slots

    @property
    def slot_dim(self) -> int:
        return self.config.slot_dim

    def check_frames(self, frames: np.ndarray) -> None:
        """ValueError unless ``frames`` is (B, S, S, 3) uint8 with S the encoder's image size."""
        size = self.config.image_size
        if not isinstance(frames, np.ndarray) or frames.dtype != np.uint8:
            raise ValueError(f"frames must be a uint8 NumPy array, got {type(frames).__name__} "
                             f"{getattr(frames, 'dtype', '')}")
        if frames.ndim != 4 or frames.shape[1:] != (size, size, 3):
            raise ValueError(f"frames must have shape (B, {size}, {size}, 3) for this encoder, got {frames.shape}")

    def slots(self, frames: torch.Tensor) -> torch.Tensor:
        """Differentiable path for fine-tuning: frames (B, S, S, 3) uint8/float tensor -> slots (B, K, D)."""
        return self.model.encode(frames, self._initial(frames.shape[0]))[0]

    def encode(self, frames: np.ndarray, batch_size: int = 256, with_masks: bool = True
               ) -> tuple[np.ndarray, np.ndarray | None]:
        """Frames (B, S, S, 3) uint8 -> slots (B, K, D) float32 and attention masks (B, K, S, S) float32
        (softmax over slots, upsampled from the feature grid; None when ``with_masks`` is False)."""
        self.check_frames(frames)
        slots_out, masks_out = [], []
        size = self.config.image_size
        with torch.no_grad():
            for start in range(0, len(frames), batch_size):
                batch = torch.from_numpy(frames[start:start + batch_size])
                slots, attention, _, _ = self.model.encode(batch, self._initial(len(batch)))
                slots_out.append(slots.cpu().numpy())
                if with_masks:
                    grid = round(attention.shape[-1] ** 0.5)
                    masks = attention.view(len(batch), self.num_slots, grid, grid)
                    masks_out.append(F.interpolate(masks, size=(size, size), mode="nearest").cpu().numpy())
        slots_all = np.concatenate(slots_out).astype(np.float32, copy=False)
        return slots_all, (np.concatenate(masks_out).astype(np.float32, copy=False) if with_masks else None)

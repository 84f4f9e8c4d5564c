"""Saving and loading slot-autoencoder checkpoints (atomic writes, checked on load)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from agents.encoders.slot_autoencoder import ModelConfig, SlotAutoencoder
from envs.run_files import atomic_path

CHECKPOINT_NAME = "encoder.pt"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt, or does not fit what it is loaded for."""


def save_checkpoint(path: str | Path, model: SlotAutoencoder, extra: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (weights + architecture) and ``extra`` (e.g. step, metrics) to ``path`` atomically."""
    payload = {"format": FORMAT_VERSION, "model_config": model.config.to_dict(),
               "state_dict": model.state_dict(), "extra": extra or {}}
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    return Path(path)


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint file, or a run folder holding ``encoder.pt``; CheckpointError when there is none."""
    path = Path(path)
    if path.is_dir():
        path = path / CHECKPOINT_NAME
    if not path.is_file():
        raise CheckpointError(f"no encoder checkpoint at {path}; pass a file written by `slotmind pretrain` "
                              f"or its run folder")
    return path


def load_checkpoint(path: str | Path, image_size: int | None = None,
                    num_slots: int | None = None) -> tuple[SlotAutoencoder, dict[str, Any]]:
    """The model (eval mode) and its ``extra`` dict from ``path`` (a file or a run folder).

    ``image_size``/``num_slots``, when given, must match the checkpoint (CheckpointError otherwise).
    """
    path = resolve_checkpoint(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        config = ModelConfig(**payload["model_config"])
        model = SlotAutoencoder(config)
        model.load_state_dict(payload["state_dict"])
    except CheckpointError:
        raise
    except Exception as error:  # torch raises many types for a truncated or foreign file
        raise CheckpointError(f"{path} is not a readable slot-encoder checkpoint ({type(error).__name__}: "
                              f"{error}); re-run `slotmind pretrain` to make a new one") from error
    if image_size is not None and config.image_size != image_size:
        raise CheckpointError(f"{path} was trained on {config.image_size}x{config.image_size} frames, "
                              f"but these frames are {image_size}x{image_size}; pretrain an encoder for this size")
    if num_slots is not None and config.num_slots != num_slots:
        raise CheckpointError(f"{path} has {config.num_slots} slots, but {num_slots} were asked for")
    model.eval()
    return model, payload.get("extra", {})

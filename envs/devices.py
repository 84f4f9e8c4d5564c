"""Which torch device a training command runs on: ``--device auto|cpu|cuda``."""

from __future__ import annotations

DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda")
DEVICE_HELP = "torch device: auto (CUDA when torch sees a GPU, else the CPU), cpu or cuda"


def resolve_device(name: str) -> str:
    """``"cpu"`` or ``"cuda"`` for a ``--device`` value.

    Raises:
        ValueError: an unknown name, or ``cuda`` where torch sees no CUDA device.
    """
    import torch

    if name not in DEVICE_CHOICES:
        raise ValueError(f"--device {name!r}: choose from {', '.join(DEVICE_CHOICES)}")
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: torch sees no CUDA device here; use --device cpu (or auto)")
    return name

"""Writing pictures (PNG) and frame sequences (GIF, MP4) atomically (temporary file, then rename)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

VIDEO_SUFFIXES = (".gif", ".mp4")


def check_video_path(path: str | Path) -> Path:
    """``path`` as a Path; ValueError unless it ends in .gif or .mp4."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"cannot record to {str(path)!r}: the file name must end in .gif or .mp4")
    return path


def _atomic_target(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(suffix=path.suffix, dir=path.parent, prefix=f".{path.stem}-")
    os.close(handle)
    return tmp_name


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """Write ``image`` (H, W, 3) uint8 to ``path`` (format from the suffix, e.g. .png), atomically."""
    import imageio.v2 as imageio

    path = Path(path)
    tmp_name = _atomic_target(path)
    try:
        imageio.imwrite(tmp_name, image)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return path


def write_video(path: str | Path, frames: Sequence[np.ndarray], fps: int = 10) -> Path:
    """Write ``frames`` (each (H, W, 3) uint8, all the same size) to a .gif or .mp4 at ``path``.

    The file appears only once complete: a crash leaves no half-written video behind.
    """
    import imageio.v2 as imageio

    path = check_video_path(path)
    if not frames:
        raise ValueError("no frames to write")
    tmp_name = _atomic_target(path)
    try:
        if path.suffix.lower() == ".gif":
            # loop=0: repeat forever; duration is per frame in milliseconds.
            imageio.mimsave(tmp_name, list(frames), duration=1000.0 / fps, loop=0)
        else:
            # H.264 wants even sizes; macro_block_size=1 keeps the frames unscaled.
            imageio.mimsave(tmp_name, list(frames), fps=fps, macro_block_size=1)
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)
    return path

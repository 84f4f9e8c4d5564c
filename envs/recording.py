"""Writing pictures (PNG) and frame sequences (GIF, MP4) atomically (temporary file, then rename)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from envs.run_files import atomic_path

VIDEO_SUFFIXES = (".gif", ".mp4")


def check_video_path(path: str | Path) -> Path:
    """``path`` as a Path; ValueError unless it ends in .gif or .mp4."""
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"cannot record to {str(path)!r}: the file name must end in .gif or .mp4")
    return path


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """Write ``image`` (H, W, 3) uint8 to ``path`` (format from the suffix, e.g. .png), atomically."""
    import imageio.v2 as imageio

    with atomic_path(path) as tmp:
        imageio.imwrite(tmp, image)
    return Path(path)


def write_video(path: str | Path, frames: Sequence[np.ndarray], fps: int = 10) -> Path:
    """Write ``frames`` (each (H, W, 3) uint8, all the same size) to a .gif or .mp4 at ``path``.

    The file appears only once complete: a crash leaves no half-written video behind.
    """
    import imageio.v2 as imageio

    path = check_video_path(path)
    if not frames:
        raise ValueError("no frames to write")
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".gif":
            # loop=0: repeat forever; duration is per frame in milliseconds.
            imageio.mimsave(tmp, list(frames), duration=1000.0 / fps, loop=0)
        else:
            # H.264 wants even sizes; macro_block_size=1 keeps the frames unscaled.
            imageio.mimsave(tmp, list(frames), fps=fps, macro_block_size=1)
    return path

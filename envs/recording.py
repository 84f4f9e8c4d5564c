"""Writing pictures (PNG) and frame sequences (GIF, MP4) atomically (temporary file, then rename)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from envs.run_files import atomic_path

VIDEO_SUFFIXES = (".gif", ".mp4")


def check_video_path(path: str | Path) -> Path:
    """``path`` as a Path, checked before any frame is rendered.

    Raises:
        ValueError: the name does not end in .gif or .mp4, the path is a folder, or the file could not
            be created there (the nearest existing parent is a file or not writable).
    """
    path = Path(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise ValueError(f"cannot record to {str(path)!r}: the file name must end in .gif or .mp4")
    if path.is_dir():
        raise ValueError(f"cannot record to {str(path)!r}: it is a folder; name a .gif or .mp4 file")
    check_writable_parent(path)
    return path


def check_writable_parent(path: Path) -> None:
    """ValueError unless ``path`` can be created: its nearest existing ancestor is a writable folder."""
    parent = path.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"cannot write {str(path)!r}: {parent} is a file, not a folder")
    try:  # os.access says yes to root everywhere, /proc included: try for real
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as error:
        raise ValueError(f"cannot write {str(path)!r}: {parent} is not writable ({error.strerror}); "
                         f"choose another path") from None


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

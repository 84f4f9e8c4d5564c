"""The observation spaces every slotmind env offers, by ``obs_mode``."""

from __future__ import annotations

import numpy as np
from gymnasium import spaces


def observation_space_for(obs_mode: str, image_size: int, object_rows: int, n_features: int) -> spaces.Space:
    """``rgb``: Box (S, S, 3) uint8; ``objects``: Box (rows, F) float32 in [0, 1]; ``rgb+objects``: a Dict of both."""
    rgb = spaces.Box(0, 255, (image_size, image_size, 3), dtype=np.uint8)
    objects = spaces.Box(0.0, 1.0, (object_rows, n_features), dtype=np.float32)
    if obs_mode == "rgb":
        return rgb
    if obs_mode == "objects":
        return objects
    return spaces.Dict({"rgb": rgb, "objects": objects})

"""Test-session setup shared by every package's tests."""

from __future__ import annotations

import os

from hypothesis import settings

# Headless pygame everywhere: tests never open a window.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


# Property tests check results, never time: the first example of a kernel pays numba's compile, and
# this machine is shared, so a per-example deadline would only make the run flaky.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")

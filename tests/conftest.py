"""Test-session setup shared by every package's tests."""

from __future__ import annotations

import os

# Headless pygame everywhere: tests never open a window.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

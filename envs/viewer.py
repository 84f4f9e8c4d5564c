"""The pygame viewer: play an env with the keyboard, or record a rollout headless.

A frame shown or recorded is ``overlay(env_frame, info)`` (the overlay is optional: later
packages draw slot masks or policy info with it) above a status bar with step, reward and return.
Recording uses SDL's dummy video driver, so it needs no screen.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
import numpy as np

from envs.recording import write_video

STATUS_BAR_HEIGHT = 40
# Key -> the action names it triggers, first match wins (ObjectWorld names, then MiniGrid names).
KEY_ACTIONS: dict[str, tuple[str, ...]] = {
    "up": ("up", "forward"),
    "down": ("down",),
    "left": ("left",),
    "right": ("right",),
    "space": ("noop", "toggle"),
    "p": ("pickup",),
    "d": ("drop",),
}


@dataclass
class FrameInfo:
    """What the viewer knows about the frame being drawn (handed to the overlay callback)."""

    step: int = 0
    episode: int = 0
    reward: float = 0.0
    episode_return: float = 0.0
    action: int | None = None
    action_name: str = ""
    done: bool = False
    info: dict[str, Any] = field(default_factory=dict)
    observation: Any = None


Overlay = Callable[[np.ndarray, FrameInfo], np.ndarray]
Policy = Callable[[Any, FrameInfo], int]


ARENA_BORDER = (110, 110, 120)


def action_names(env: gym.Env) -> list[str]:
    """Names of the env's discrete actions, index-aligned (``action_0``... when unknown)."""
    unwrapped = env.unwrapped
    names = getattr(env, "action_names", None) or getattr(unwrapped, "action_names", None)
    if names is None and hasattr(unwrapped, "actions"):
        names = [action.name for action in unwrapped.actions]
    if names is None:
        names = [f"action_{i}" for i in range(int(env.action_space.n))]
    return list(names)


def key_bindings(names: list[str]) -> dict[str, int]:
    """Keyboard key name -> action index for the env's action names."""
    bindings = {}
    for key, wanted in KEY_ACTIONS.items():
        for name in wanted:
            if name in names:
                bindings[key] = names.index(name)
                break
    return bindings


def _use_dummy_display() -> None:
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")


def _import_pygame():
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    pygame.font.init()
    return pygame


def compose_frame(frame: np.ndarray, info: FrameInfo, scale: int, overlay: Overlay | None = None) -> np.ndarray:
    """The picture shown for one step: (scaled frame, overlaid) above a status bar; (H, W, 3) uint8."""
    pygame = _import_pygame()
    if scale > 1:
        frame = np.repeat(np.repeat(frame, scale, axis=0), scale, axis=1)
    if overlay is not None:
        frame = overlay(frame, info)
    height, width = frame.shape[:2]
    canvas = pygame.Surface((width, height + STATUS_BAR_HEIGHT))
    canvas.fill((25, 25, 30))
    canvas.blit(pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2))), (0, 0))
    # The arena's walls: a thin grey frame, since the background is as dark as the outside.
    pygame.draw.rect(canvas, ARENA_BORDER, pygame.Rect(0, 0, width, height), 1)
    font = pygame.font.Font(None, 18)
    first = f"episode {info.episode}  step {info.step}"
    if info.action_name:
        first += f"  action {info.action_name}"
    second = f"reward {info.reward:+.2f}  return {info.episode_return:.2f}"
    if info.done:
        second += "  SUCCESS" if info.info.get("is_success") else "  done"
    canvas.blit(font.render(first, True, (230, 230, 230)), (6, height + 5))
    canvas.blit(font.render(second, True, (230, 230, 230)), (6, height + 22))
    return pygame.surfarray.array3d(canvas).transpose(1, 0, 2).copy()


def _display_scale(frame: np.ndarray, target: int = 384) -> int:
    return max(1, target // max(frame.shape[:2]))


def record(env: gym.Env, path: str, steps: int = 200, seed: int | None = 0, policy: Policy | None = None,
           overlay: Overlay | None = None, fps: int = 10) -> int:
    """Roll ``env`` (render_mode ``rgb_array``) for ``steps`` steps and write ``steps + 1`` frames
    (the first observation, then one per step) to a .gif/.mp4 at ``path``. Episodes that end are
    reset. ``policy(obs, info)`` picks actions (uniform random, seeded, by default).
    Returns the number of frames written."""
    _use_dummy_display()
    frames = [compose_frame(frame, info, _display_scale(frame), overlay)
              for frame, info in rollout(env, steps, seed, policy)]
    write_video(path, frames, fps=fps)
    return len(frames)


def rollout(env: gym.Env, steps: int, seed: int | None = 0, policy: Policy | None = None):
    """Yield ``(frame, FrameInfo)`` for the first state and after each of ``steps`` steps."""
    names = action_names(env)
    rng = np.random.default_rng(seed)
    obs, reset_info = env.reset(seed=seed)
    info = FrameInfo(info=reset_info, observation=obs)
    yield env.render(), info
    for step in range(1, steps + 1):
        if info.done:
            obs, reset_info = env.reset()
            info = FrameInfo(step=step - 1, episode=info.episode + 1, info=reset_info, observation=obs)
        action = int(policy(obs, info)) if policy is not None else int(rng.integers(env.action_space.n))
        obs, reward, terminated, truncated, step_info = env.step(action)
        info = FrameInfo(step=step, episode=info.episode, reward=float(reward),
                         episode_return=info.episode_return + float(reward), action=action,
                         action_name=names[action], done=terminated or truncated, info=step_info,
                         observation=obs)
        yield env.render(), info


def play(env: gym.Env, seed: int | None = None, overlay: Overlay | None = None, fps: int = 30) -> float:
    """Play ``env`` in a window: arrows act, space/p/d where the env has such actions, r resets,
    q or Escape quits. Returns the last episode's return."""
    pygame = _import_pygame()
    if not pygame.display.get_init():
        pygame.display.init()  # before key_code, which otherwise warns that pygame is not initialised
    names = action_names(env)
    bindings = {pygame.key.key_code(key): action for key, action in key_bindings(names).items()}
    obs, reset_info = env.reset(seed=seed)
    info = FrameInfo(info=reset_info, observation=obs)
    frame = env.render()
    scale = _display_scale(frame)
    window = None
    clock = pygame.time.Clock()
    running = True
    while running:
        picture = compose_frame(frame, info, scale, overlay)
        window = show_frame(picture, window, fps=0)
        for event in pygame.event.get():
            quit_key = event.type == pygame.KEYDOWN and event.key in (pygame.K_q, pygame.K_ESCAPE)
            if event.type == pygame.QUIT or quit_key:
                running = False
            elif event.type == pygame.KEYDOWN and event.key == pygame.K_r:
                obs, reset_info = env.reset()
                info = FrameInfo(episode=info.episode + 1, info=reset_info, observation=obs)
            elif event.type == pygame.KEYDOWN and event.key in bindings and not info.done:
                action = bindings[event.key]
                obs, reward, terminated, truncated, step_info = env.step(action)
                info = FrameInfo(step=info.step + 1, episode=info.episode, reward=float(reward),
                                 episode_return=info.episode_return + float(reward), action=action,
                                 action_name=names[action], done=terminated or truncated, info=step_info,
                                 observation=obs)
        frame = env.render()
        clock.tick(fps)
    close_window()
    return info.episode_return


def show_frame(frame: np.ndarray, window: Any = None, fps: int = 10) -> Any:
    """Blit ``frame`` (H, W, 3) uint8 to the pygame window (opened or resized as needed)."""
    pygame = _import_pygame()
    if not pygame.display.get_init():
        pygame.display.init()
    size = (frame.shape[1], frame.shape[0])
    if window is None or window.get_size() != size:
        window = pygame.display.set_mode(size)
        pygame.display.set_caption("slotmind")
    window.blit(pygame.surfarray.make_surface(np.ascontiguousarray(frame.transpose(1, 0, 2))), (0, 0))
    pygame.display.flip()
    pygame.event.pump()
    if fps:
        pygame.time.Clock().tick(fps)
    return window


def close_window() -> None:
    """Close the pygame window if one is open."""
    import pygame

    if pygame.display.get_init():
        pygame.display.quit()

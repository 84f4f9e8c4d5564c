"""``slotmind watch``: a trained agent played in the pygame viewer (or recorded headless) with an overlay.

Beside the env frame the overlay shows, for slot encoders, the argmax segmentation of the slot
attention masks (one colour per slot) and one tile per slot (the frame seen through that slot's
mask, framed in its colour); for every encoder, the action the policy picks in the shown state and
its value estimate (V(s) for PPO/A2C, max Q for DQN).
"""

from __future__ import annotations

import argparse
import colorsys
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from agents.slot_vec_env import encode_slot_rows, rgb_of
from agents.training.train_config import TrainConfig
from envs.viewer import FrameInfo

PANEL_WIDTH = 200
TEXT_HEIGHT = 78
MIN_TILE_AREA = 40
GAP = 4
BACKGROUND = (25, 25, 30)
TEXT_COLOUR = (230, 230, 230)
DISPLAY_TARGET = 384  # the viewer scales frames up to about this many pixels


@dataclass
class StepView:
    """What the agent makes of one observation: its action, value estimate and (slot encoders) masks (K, S, S)."""

    action: int
    action_name: str
    value: float
    value_label: str
    masks: np.ndarray | None = None


def slot_colours(k: int) -> np.ndarray:
    """``k`` well-separated colours (K, 3) uint8 (hues stepped by the golden ratio)."""
    hues = (np.arange(k) * 0.618033988749895) % 1.0
    return np.array([[round(255 * c) for c in colorsys.hsv_to_rgb(h, 0.75, 1.0)] for h in hues], dtype=np.uint8)


def resize_nearest(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize of (h, w, ...) -> (height, width, ...)."""
    rows = np.arange(height) * image.shape[0] // height
    cols = np.arange(width) * image.shape[1] // width
    return image[rows][:, cols]


def segmentation_image(frame: np.ndarray, masks: np.ndarray, colours: np.ndarray, alpha: float = 0.65) -> np.ndarray:
    """Each pixel of ``frame`` (H, W, 3) uint8 tinted with the colour (K, 3) of its argmax slot in ``masks``
    (K, S, S) -> (H, W, 3) uint8."""
    owner = resize_nearest(masks.argmax(axis=0), *frame.shape[:2])
    tinted = alpha * colours[owner].astype(np.float32) + (1 - alpha) * frame.astype(np.float32)
    return tinted.round().astype(np.uint8)


def _grid_shape(k: int, width: int, height: int) -> tuple[int, int, int]:
    """(columns, rows, tile size) that fit ``k`` square tiles into width x height with the largest tiles."""
    best = (1, k, 1)
    for cols in range(1, k + 1):
        rows = -(-k // cols)
        tile = min((width - (cols - 1) * GAP) // cols, (height - (rows - 1) * GAP) // rows)
        if tile > best[2]:
            best = (cols, rows, tile)
    return best


def slot_tiles(frame: np.ndarray, masks: np.ndarray, colours: np.ndarray, width: int, height: int) -> np.ndarray:
    """One tile per slot: ``frame`` (H, W, 3) uint8 weighted by that slot's mask (from ``masks`` (K, S, S),
    scaled to its own maximum so that diffuse masks stay visible), framed in its colour (K, 3), laid out on a
    (height, width, 3) uint8 canvas."""
    canvas = np.empty((height, width, 3), dtype=np.uint8)
    canvas[:] = BACKGROUND
    k = len(masks)
    cols, _, tile = _grid_shape(k, width, height)
    if tile < 6:
        return canvas
    small = resize_nearest(frame, tile - 4, tile - 4).astype(np.float32)
    for i in range(k):
        weight = resize_nearest(masks[i], tile - 4, tile - 4)[..., None] / max(float(masks[i].max()), 1e-6)
        seen = weight * small + (1 - weight) * np.array(BACKGROUND, dtype=np.float32)
        top, left = (i // cols) * (tile + GAP), (i % cols) * (tile + GAP)
        canvas[top:top + tile, left:left + tile] = colours[i]
        canvas[top + 2:top + tile - 2, left + 2:left + tile - 2] = seen.round().astype(np.uint8)
    return canvas


def _pygame() -> Any:
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    pygame.font.init()
    return pygame


def text_panel(lines: list[str], width: int, height: int) -> np.ndarray:
    """``lines`` drawn top-down on a (height, width, 3) uint8 panel."""
    pygame = _pygame()
    surface = pygame.Surface((width, height))
    surface.fill(BACKGROUND)
    font = pygame.font.Font(None, 20)
    for i, line in enumerate(lines):
        surface.blit(font.render(line, True, TEXT_COLOUR), (8, 6 + 18 * i))
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2).copy()


def _side_by_side(images: list[np.ndarray]) -> np.ndarray:
    """Images (H_i, W_i, 3) uint8 side by side, padded at the bottom to the tallest -> (max H, sum W, 3)."""
    height = max(image.shape[0] for image in images)
    padded = []
    for image in images:
        pad = np.empty((height - image.shape[0], image.shape[1], 3), dtype=np.uint8)
        pad[:] = BACKGROUND
        padded.append(np.concatenate([image, pad], axis=0))
    return np.concatenate(padded, axis=1)


def mask_encoder(config: TrainConfig, model: Any, encoder: Any) -> Any:
    """The SlotEncoder whose masks are shown: the run's frozen one, or the one fine-tuned inside the policy."""
    if encoder is not None or not config.finetune:
        return encoder
    policy = model.policy
    extractor = getattr(policy, "features_extractor", None) or getattr(getattr(policy, "q_net", None),
                                                                       "features_extractor", None)
    return getattr(extractor, "encoder", None)


class AgentView:
    """The trained agent as a viewer policy and overlay, sharing one analysis per observation.

    ``policy(obs, info)`` -> action index; ``overlay(frame (H, W, 3) uint8, info)`` -> the frame beside
    the slot segmentation and tiles (slot encoders) and a text panel -> (H', W', 3) uint8.
    """

    def __init__(self, config: TrainConfig, model: Any, encoder: Any, action_names: list[str]) -> None:
        self.config = config
        self.model = model
        self.frozen_encoder = encoder if config.uses_slots and not config.finetune else None
        self.mask_encoder = mask_encoder(config, model, encoder)
        self.action_names = action_names
        self.colours = slot_colours(self.mask_encoder.num_slots) if self.mask_encoder is not None else None
        self._last: tuple[Any, StepView] | None = None

    def _policy_input(self, observation: Any) -> tuple[Any, np.ndarray | None]:
        """(what the policy takes: slot rows (K, D + 3), object rows (N, F) or the frame (S, S, 3); masks (K, S, S))."""
        if self.mask_encoder is None:
            return observation, None
        frame = np.ascontiguousarray(rgb_of(observation))[None]
        _, masks = self.mask_encoder.encode(frame)
        if self.frozen_encoder is None:
            return observation, masks[0]
        return encode_slot_rows(self.frozen_encoder, frame)[0], masks[0]

    def value(self, policy_input: Any) -> tuple[float, str]:
        """(value estimate, its label) of one observation: V(s) for actor-critics, max Q for DQN."""
        import torch

        obs_tensor, _ = self.model.policy.obs_to_tensor(policy_input)
        with torch.no_grad():
            q_net = getattr(self.model.policy, "q_net", None)
            if q_net is not None:
                return float(q_net(obs_tensor).max()), "max Q"
            return float(self.model.policy.predict_values(obs_tensor).reshape(-1)[0]), "V(s)"

    def analyse(self, observation: Any) -> StepView:
        """The agent's action, value and masks for ``observation`` (cached for the last one seen)."""
        if self._last is not None and _same(self._last[0], observation):
            return self._last[1]
        policy_input, masks = self._policy_input(observation)
        action, _ = self.model.predict(policy_input, deterministic=True)
        action = int(np.asarray(action).reshape(-1)[0])
        value, label = self.value(policy_input)
        name = self.action_names[action] if action < len(self.action_names) else str(action)
        view = StepView(action=action, action_name=name, value=value, value_label=label, masks=masks)
        self._last = (_copy(observation), view)
        return view

    def policy(self, observation: Any, info: FrameInfo) -> int:
        """Viewer policy: the agent's deterministic action for ``observation``."""
        return self.analyse(observation).action

    def overlay(self, frame: np.ndarray, info: FrameInfo) -> np.ndarray:
        """Viewer overlay: (H, W, 3) uint8 frame -> frame | [segmentation] | panel, (H', W', 3) uint8."""
        view = self.analyse(info.observation)
        lines = [f"next action: {view.action_name}", f"{view.value_label}: {view.value:+.3f}",
                 f"{self.config.algo} + {self.config.encoder}"]
        if view.masks is None or self.colours is None:
            return _side_by_side([frame, text_panel(lines, PANEL_WIDTH, max(frame.shape[0], TEXT_HEIGHT))])
        lines.append(f"{len(view.masks)} slots (colours as tiles)")
        tiles_height = max(frame.shape[0] - TEXT_HEIGHT, MIN_TILE_AREA)
        column = np.concatenate([text_panel(lines, PANEL_WIDTH, TEXT_HEIGHT),
                                 slot_tiles(frame, view.masks, self.colours, PANEL_WIDTH, tiles_height)], axis=0)
        return _side_by_side([frame, segmentation_image(frame, view.masks, self.colours), column])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)


def _copy(observation: Any) -> Any:
    if isinstance(observation, dict):
        return {k: np.array(v, copy=True) for k, v in observation.items()}
    return np.array(observation, copy=True)


def make_watch_env(config: TrainConfig, split: str = "train") -> Any:
    """One env of the run's id and ``split`` with the run's obs mode, rendering ``rgb_array`` frames;
    ValueError for a split the env does not have."""
    from agents.training.env_factory import split_overrides
    from envs.registry import make_env

    overrides = split_overrides(config.env_id, split)
    obs_mode = "objects" if config.encoder == "objects" else "rgb"
    return make_env(config.env_id, render_mode="rgb_array", obs_mode=obs_mode, **overrides)


def check_observation_fit(config: TrainConfig, model: Any, env: Any, split: str) -> None:
    """ValueError when the split's object rows (N, F) differ in shape from those the policy was trained on."""
    if config.encoder != "objects":
        return  # frames keep their size across splits
    trained, given = tuple(model.observation_space.shape), tuple(env.observation_space.shape)
    if trained != given:
        raise ValueError(f"split {split!r} gives object rows of shape {given} but the policy was trained on "
                         f"{trained}; watch this run on a split with the same number of object rows")


def watch_window(env: Any, view: AgentView, episodes: int, seed: int | None, fps: int) -> list[float]:
    """Play ``episodes`` episodes in a pygame window (q, Escape or closing it stops); returns their returns (E,)."""
    from envs.viewer import close_window, compose_frame, rollout, show_frame

    pygame = _pygame()
    returns: list[float] = []
    window = None
    clock = pygame.time.Clock()
    try:
        for frame, info in rollout(env, sys.maxsize, seed, view.policy):
            scale = max(1, DISPLAY_TARGET // max(frame.shape[:2]))
            window = show_frame(compose_frame(frame, info, scale, view.overlay), window, fps=0)
            clock.tick(fps)
            events = pygame.event.get()
            if any(e.type == pygame.QUIT or (e.type == pygame.KEYDOWN and e.key in (pygame.K_q, pygame.K_ESCAPE))
                   for e in events):
                break
            if info.done:
                returns.append(info.episode_return)
                if len(returns) >= episodes:
                    pygame.time.wait(int(1000 * min(1.0, 10 / fps)))  # hold the last frame a moment
                    break
    finally:
        close_window()
    return returns


def run_watch(args: argparse.Namespace) -> int:
    """``slotmind watch``: check the flags and the split, load the run, then record or open the window."""
    import torch

    from agents.training.env_factory import split_overrides
    from agents.training.evaluate_run import load_run
    from envs.command_line import UserError
    from envs.recording import check_video_path
    from envs.viewer import action_names

    if args.steps < 1 or args.episodes < 1 or args.fps < 1:
        raise UserError("--steps, --episodes and --fps must be >= 1")
    path = check_video_path(args.record) if args.record else None
    if path is None and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        raise UserError("no display to open a window on; use --record out.gif to record headless")
    run_dir = Path(args.run_dir)
    split_overrides(TrainConfig.load(run_dir).env_id, args.split)  # a bad split fails before the model loads
    torch.set_num_threads(args.threads)
    config, model, encoder = load_run(run_dir)
    env = make_watch_env(config, args.split)
    try:
        check_observation_fit(config, model, env, args.split)
        view = AgentView(config, model, encoder, action_names(env))
        if path is not None:
            from envs.viewer import record

            n_frames = record(env, str(path), steps=args.steps, seed=args.seed, policy=view.policy,
                              overlay=view.overlay, fps=args.fps)
            print(f"wrote {n_frames} frames to {path}")
        else:
            returns = watch_window(env, view, args.episodes, args.seed, args.fps)
            print("episode returns: " + (" ".join(f"{r:.2f}" for r in returns) or "none finished"))
    finally:
        env.close()
    return 0

"""The grounded game: the sender sees an ObjectWorld scene through a slot encoder and describes one of
its objects; the receiver picks that object among the scene's objects (3-5 of them).

Each object is represented by the slot whose attention mask covers most of the object's pixels
(the ground-truth instance mask is used only to pick the slot). Sender and receiver are the same
:class:`Sender` and :class:`Receiver` as in the attribute-value games, on slot vectors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from reasoning.language.config import LanguageConfig
from reasoning.language.game import Game, GameBatch
from reasoning.language.messages import lengths, symbols
from reasoning.language.metrics import language_metrics, topographic_similarity
from reasoning.language.receiver import Receiver
from reasoning.language.sender import Sender
from reasoning.language.training import Progress, accuracy, fit

# object rows of the ``objects`` observation: [present, is_agent, is_goal, x, y, size, r, g, b, shape one-hot...]
PRESENT, IS_AGENT, IS_GOAL, RGB, SHAPE = 0, 1, 2, slice(6, 9), slice(9, None)


@dataclass
class Scenes:
    """Encoded scenes, objects padded to M per scene.

    Attributes:
        features: (N, M, D) float32 the slot of each object (0 for padding).
        present: (N, M) bool, True for real objects.
        attributes: (N, M, 2) int64 colour and shape index of each object (for the language metrics).
    """

    features: np.ndarray
    present: np.ndarray
    attributes: np.ndarray

    def __len__(self) -> int:
        return len(self.features)

    def subset(self, index: np.ndarray) -> Scenes:
        """The scenes at ``index``."""
        return Scenes(self.features[index], self.present[index], self.attributes[index])

    def standardised(self, reference: Scenes) -> Scenes:
        """Features standardised with the per-dimension mean and std of ``reference``'s objects (the training
        scenes) and scaled to norm ~ sqrt(2), the norm of a two-attribute one-hot that the sender's
        initialisation assumes; padding stays 0."""
        objects = reference.features[reference.present]
        mean, std = objects.mean(0), objects.std(0) + 1e-6
        scale = np.sqrt(2.0 / self.features.shape[-1])
        features = np.where(self.present[..., None], (self.features - mean) / std * scale, 0.0)
        return Scenes(features.astype(np.float32), self.present, self.attributes)


def slot_per_object(slot_masks: np.ndarray, instance_mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Slot masks (K, S, S), an instance mask (S, S) (object row r has value r + 1), object rows (M,) ->
    the index (M,) of the slot with the most attention mass on each object's pixels."""
    flat = slot_masks.reshape(len(slot_masks), -1)
    return np.array([int(flat[:, instance_mask.reshape(-1) == row + 1].sum(1).argmax()) for row in rows])


def collect_scenes(encoder: Any, n_scenes: int, seed: int, env_id: str = "slotmind/ObjectGoal-v0",
                   max_objects: int = 5) -> Scenes:
    """Render ``n_scenes`` reset scenes of ``env_id`` (seeds ``seed`` ...), encode them with ``encoder``
    (a :class:`agents.encoders.api.SlotEncoder`) and keep one slot per object (not the agent or goal)."""
    import gymnasium as gym

    import envs  # noqa: F401  (registers the slotmind ids)

    env = gym.make(env_id, obs_mode="rgb+objects", with_masks=True, image_size=encoder.config.image_size)
    frames, instance_masks, object_rows = [], [], []
    for i in range(n_scenes):
        obs, info = env.reset(seed=seed + i)
        frames.append(obs["rgb"])
        instance_masks.append(info["masks"])
        object_rows.append(obs["objects"])
    env.close()
    slots, slot_masks = encoder.encode(np.stack(frames))
    palette: dict[tuple[float, ...], int] = {}
    features = np.zeros((n_scenes, max_objects, slots.shape[-1]), dtype=np.float32)
    present = np.zeros((n_scenes, max_objects), dtype=bool)
    attributes = np.zeros((n_scenes, max_objects, 2), dtype=np.int64)
    for n, rows in enumerate(object_rows):
        index = np.flatnonzero((rows[:, PRESENT] > 0) & (rows[:, IS_AGENT] == 0) & (rows[:, IS_GOAL] == 0))
        index = index[:max_objects]
        features[n, :len(index)] = slots[n, slot_per_object(slot_masks[n], instance_masks[n], index)]
        present[n, :len(index)] = True
        for m, row in enumerate(index):
            colour = tuple(np.round(rows[row, RGB], 2))
            attributes[n, m] = palette.setdefault(colour, len(palette)), int(rows[row, SHAPE].argmax())
    return Scenes(features, present, attributes)


def scene_batch(scenes: Scenes, index: np.ndarray, rng: np.random.Generator) -> GameBatch:
    """Scenes at ``index`` (B,) -> games whose target is a random object of each scene; the candidates
    are the scene's objects (B, M, D) with padding masked out."""
    present = scenes.present[index]
    labels = np.array([rng.choice(np.flatnonzero(row)) for row in present])
    features = torch.as_tensor(scenes.features[index])
    return GameBatch(features[torch.arange(len(index)), torch.as_tensor(labels)], torch.as_tensor(labels),
                     features, torch.as_tensor(present))


def build_grounded_game(config: LanguageConfig, slot_dim: int) -> Game:
    """Sender and discrimination Receiver on slot vectors (D = ``slot_dim``), from ``config.seed``."""
    torch.manual_seed(config.seed)
    sender = Sender(slot_dim, config.vocab, config.max_len, config.hidden, config.embed, config.cell)
    # (n_attributes and n_values are only used by the reconstruction game)
    receiver = Receiver("discrimination", config.vocab, config.max_len, slot_dim, n_attributes=1, n_values=2,
                        hidden=config.hidden, embed=config.embed, cell=config.cell, reader=config.reader)
    return Game(sender, receiver, config.method, config.temperature, config.entropy_coeff,
                config.baseline_decay)


@torch.no_grad()
def object_messages(game: Game, scenes: Scenes) -> np.ndarray:
    """The sender's greedy messages (N, max_len + 1) for every real object of ``scenes``, scene by scene."""
    game.eval()
    objects = torch.as_tensor(scenes.features[scenes.present])
    return symbols(game.sender(objects, game.method, greedy=True).message)


def grounded_message_rows(game: Game, splits: dict[str, Scenes]) -> list[dict[str, Any]]:
    """One row per object of each split's scenes: split, scene, object index, colour and shape index,
    greedy message and length (the grounded run folder's messages.csv)."""
    rows = []
    for split, scenes in splits.items():
        scene, slot = np.nonzero(scenes.present)
        messages = object_messages(game, scenes)
        for n, m, message, length in zip(scene, slot, messages, lengths(messages), strict=True):
            colour, shape = scenes.attributes[n, m]
            rows.append({"split": split, "scene": int(n), "object": int(m), "colour": int(colour),
                         "shape": int(shape), "message": " ".join(map(str, message[:length])), "length": int(length)})
    return rows


@dataclass
class GroundedResult:
    """A trained grounded game, its learning curve and final metrics."""

    game: Game
    history: list[dict[str, float]]
    metrics: dict[str, float]


def train_grounded(config: LanguageConfig, train_scenes: Scenes, held_out_scenes: Scenes,
                   on_progress: Callable[[Progress], None] | None = None) -> GroundedResult:
    """Train on ``train_scenes``; accuracy on them and on ``held_out_scenes`` (scenes never seen), and the
    language metrics of the messages for every held-out object against its (colour, shape)."""
    game = build_grounded_game(config, train_scenes.features.shape[-1])
    rng = np.random.default_rng(10_000 + config.data_seed)
    evaluation = {name: scene_batch(scenes, np.arange(len(scenes)), rng)
                  for name, scenes in (("train", train_scenes), ("held_out", held_out_scenes))}
    started = time.perf_counter()

    def next_batch(batch_rng: np.random.Generator) -> GameBatch:
        return scene_batch(train_scenes, batch_rng.integers(0, len(train_scenes), config.games_per_step), batch_rng)

    held_out_attributes = held_out_scenes.attributes[held_out_scenes.present]

    def checkpoint() -> dict[str, float]:
        return {"accuracy": accuracy(game, evaluation["train"]),
                "held_out_accuracy": accuracy(game, evaluation["held_out"]),
                "topsim": topographic_similarity(held_out_attributes, object_messages(game, held_out_scenes))}

    history = fit(game, next_batch, checkpoint, config.steps, config.lr, config.eval_every, config.seed, on_progress)
    metrics = dict(history[-1])
    metrics.update(language_metrics(held_out_attributes, object_messages(game, held_out_scenes), config.vocab))
    metrics["chance"] = float(np.mean(1.0 / held_out_scenes.present.sum(1)))
    metrics["train_s"] = time.perf_counter() - started
    return GroundedResult(game, history, metrics)

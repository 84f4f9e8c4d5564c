"""Build a game from a :class:`LanguageConfig`, train it, evaluate it on training and held-out combinations."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from reasoning.language.config import LanguageConfig
from reasoning.language.game import Game, GameBatch
from reasoning.language.imitation import imitate, imitation_sample
from reasoning.language.messages import symbols
from reasoning.language.metrics import language_metrics, topographic_similarity
from reasoning.language.objects import AttributeValueData, all_objects, one_hot
from reasoning.language.receiver import Receiver
from reasoning.language.relative import choose_anchors
from reasoning.language.sender import Sender

EVAL_TRIALS = 1000  # discrimination: at least this many games per evaluation (each target with several candidate sets)


def make_data(config: LanguageConfig) -> AttributeValueData:
    """The objects and their train / held-out split (fixed by ``config.data_seed``)."""
    return AttributeValueData.split(config.attributes, config.values, config.held_out, config.data_seed)


def build_game(config: LanguageConfig, data: AttributeValueData) -> Game:
    """A fresh Sender + Receiver + loss, initialised from ``config.seed``. Relative agents of every seed
    share the same anchor objects (drawn from ``config.data_seed``), which is what makes them stitchable."""
    config.check()
    torch.manual_seed(config.seed)
    anchors = None
    if config.relative:
        anchors = one_hot(choose_anchors(data.train, config.anchors, config.values, config.data_seed), config.values)
    sender = Sender(data.input_size, config.vocab, config.max_len, config.hidden, config.embed, config.cell, anchors)

    def new_receiver(receiver_anchors: torch.Tensor | None) -> Receiver:
        return Receiver(config.game, config.vocab, config.max_len, data.input_size, config.attributes,
                        config.values, config.hidden, config.embed, config.cell, receiver_anchors, config.reader)

    receiver = new_receiver(anchors)
    listener = new_receiver(None) if config.relative and config.absolute_listener > 0 else None
    return Game(sender, receiver, config.method, config.temperature, config.entropy_coeff,
                config.baseline_decay, listener, config.absolute_listener)


def next_generation(game: Game, config: LanguageConfig, data: AttributeValueData, generation: int) -> Game:
    """Iterated learning: fresh agents (seeded from ``config.seed`` and ``generation``) whose sender has
    imitated ``game``'s greedy messages for ``config.imitation_share`` of the training objects
    (:mod:`reasoning.language.imitation`). ``game`` itself is left as it was."""
    rng = np.random.default_rng([config.seed, generation])
    teacher = torch.as_tensor(messages_for(game, data.train, data.n_values))
    fresh = build_game(replace(config, seed=config.seed + 7919 * generation), data)
    shown = imitation_sample(len(data.train), config.imitation_share, rng)
    imitate(fresh.sender, one_hot(data.train[shown], data.n_values), teacher[shown], config.imitation_steps,
            config.lr, rng)
    return fresh


def make_batch(data: AttributeValueData, targets: np.ndarray, game: str, n_distractors: int,
               rng: np.random.Generator, pool: np.ndarray | None = None) -> GameBatch:
    """Targets (B, A) -> a :class:`GameBatch` (discrimination: candidates drawn from ``pool``)."""
    sender_input = one_hot(targets, data.n_values)
    if game == "reconstruction":
        return GameBatch(sender_input, torch.as_tensor(targets, dtype=torch.long))
    candidates, labels = data.candidates(targets, n_distractors, rng, pool)
    return GameBatch(sender_input, torch.as_tensor(labels), one_hot(candidates, data.n_values))


def training_batch(config: LanguageConfig, data: AttributeValueData, rng: np.random.Generator) -> GameBatch:
    """One training step's games: ``config.games_per_step`` random training targets, each (discrimination) among
    ``config.training_distractors`` distractors from the other training objects."""
    targets = data.train[rng.integers(0, len(data.train), config.games_per_step)]
    return make_batch(data, targets, config.game, config.training_distractors, rng)


def evaluation_batches(config: LanguageConfig, data: AttributeValueData) -> dict[str, GameBatch]:
    """Fixed evaluation games: ``train`` (every training object as target, distractors from training
    objects) and ``held_out`` (every held-out object, distractors from all objects)."""
    rng = np.random.default_rng(10_000 + config.data_seed)
    def repeated(objects: np.ndarray) -> np.ndarray:
        repeats = -(-EVAL_TRIALS // len(objects)) if config.game == "discrimination" else 1
        return np.repeat(objects, repeats, 0)

    batches = {"train": make_batch(data, repeated(data.train), config.game, config.distractors, rng)}
    if len(data.held_out):
        pool = all_objects(data.n_attributes, data.n_values)
        batches["held_out"] = make_batch(data, repeated(data.held_out), config.game, config.distractors, rng, pool)
    return batches


@torch.no_grad()
def accuracy(game: Game, batch: GameBatch) -> float:
    """Greedy (argmax) accuracy of ``game`` on ``batch``, in [0, 1]."""
    game.eval()
    return float(game(batch, greedy=True).accuracy.mean())


@torch.no_grad()
def messages_for(game: Game, objects: np.ndarray, n_values: int) -> np.ndarray:
    """The sender's greedy messages for objects (N, A): symbols (N, max_len + 1) int64, 0 after the EOS."""
    game.eval()
    return symbols(game.sender(one_hot(objects, n_values), game.method, greedy=True).message)


@dataclass
class Progress:
    """A training snapshot passed to the progress callback."""

    step: int
    steps: int
    loss: float
    train_accuracy: float | None = None
    held_out_accuracy: float | None = None


@dataclass
class TrainResult:
    """A trained game, its data, the learning curve and the final metrics."""

    game: Game
    data: AttributeValueData
    history: list[dict[str, float]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)


def evaluate(game: Game, config: LanguageConfig, data: AttributeValueData,
             batches: dict[str, GameBatch]) -> dict[str, float]:
    """Accuracy on training and held-out combinations and the language metrics over every object."""
    objects = all_objects(data.n_attributes, data.n_values)
    result = {"accuracy": accuracy(game, batches["train"]),
              "held_out_accuracy": accuracy(game, batches["held_out"]) if "held_out" in batches else float("nan")}
    result.update(language_metrics(objects, messages_for(game, objects, data.n_values), config.vocab))
    return result


def fit(game: Game, next_batch: Callable[[np.random.Generator], GameBatch], checkpoint: Callable[[], dict[str, float]],
        steps: int, lr: float, eval_every: int, seed: int,
        on_progress: Callable[[Progress], None] | None = None) -> list[dict[str, float]]:
    """Adam on ``game`` for ``steps`` steps of ``next_batch(rng)``; every ``eval_every`` steps (and at the
    end) ``checkpoint()`` returns the learning-curve row (it must hold ``accuracy`` and may hold
    ``held_out_accuracy``). Returns the learning curve, each row with step, loss and elapsed seconds."""
    optimizer = torch.optim.Adam(game.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    history: list[dict[str, float]] = []
    started = time.perf_counter()
    for step in range(1, steps + 1):
        game.train()
        interaction = game(next_batch(rng))
        optimizer.zero_grad()
        interaction.loss.backward()
        optimizer.step()
        snapshot = Progress(step, steps, float(interaction.task_loss.mean()))
        if step % eval_every == 0 or step == steps:
            row = checkpoint()
            snapshot.train_accuracy, snapshot.held_out_accuracy = row["accuracy"], row.get("held_out_accuracy")
            history.append({"step": step, "loss": snapshot.loss, **row, "elapsed_s": time.perf_counter() - started})
        if on_progress is not None:
            on_progress(snapshot)
    return history


def _shifted(on_progress: Callable[[Progress], None], offset: int, total: int) -> Callable[[Progress], None]:
    """A progress callback for one generation that reports steps of the whole run."""
    return lambda snapshot: on_progress(replace(snapshot, step=snapshot.step + offset, steps=total))


def train(config: LanguageConfig, on_progress: Callable[[Progress], None] | None = None,
          data: AttributeValueData | None = None) -> TrainResult:
    """Train one game for ``config.steps`` Adam steps on batches of training objects, split into
    ``config.n_generations`` generations of iterated learning (:func:`next_generation`); every
    ``config.eval_every`` steps of a generation, and at its end, record accuracy and topsim.
    Returns the :class:`TrainResult` (the last generation's game)."""
    data = data or make_data(config)
    game = build_game(config, data)
    batches = evaluation_batches(config, data)
    objects = all_objects(data.n_attributes, data.n_values)
    started = time.perf_counter()

    def next_batch(rng: np.random.Generator) -> GameBatch:
        return training_batch(config, data, rng)

    def checkpoint() -> dict[str, float]:
        held = accuracy(game, batches["held_out"]) if "held_out" in batches else None
        return {"accuracy": accuracy(game, batches["train"]), "held_out_accuracy": held,
                "topsim": topographic_similarity(objects, messages_for(game, objects, data.n_values))}

    history: list[dict[str, float]] = []
    bounds = np.linspace(0, config.steps, config.n_generations + 1).round().astype(int)
    for generation, (first, last) in enumerate(itertools.pairwise(bounds)):
        if generation:
            game = next_generation(game, config, data, generation)
        progress = None if on_progress is None else _shifted(on_progress, first, config.steps)
        rows = fit(game, next_batch, checkpoint, int(last - first), config.lr, config.eval_every,
                   config.seed + generation, progress)
        history += [{**row, "step": row["step"] + int(first), "generation": generation} for row in rows]
    result = TrainResult(game, data, history, evaluate(game, config, data, batches))
    result.metrics["train_s"] = time.perf_counter() - started
    return result

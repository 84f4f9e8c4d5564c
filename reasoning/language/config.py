"""Everything that defines one language-game run (saved as config.yaml; enough to rebuild the agents).

Imports nothing heavy: the command-line parsers read their flags and defaults from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

GAMES = ("discrimination", "reconstruction")
CELLS = ("gru", "lstm")
METHODS = ("gumbel", "reinforce")
READERS = ("recurrent", "linear")
DEFAULT_BATCH_SIZE = {"gumbel": 64, "reinforce": 128}
ITERATED_GENERATIONS = 8


@dataclass
class LanguageConfig:
    """One referential-game run: the objects, the agents, the optimiser and the evaluation cadence."""

    game: str = "discrimination"
    attributes: int = 2
    values: int = 10
    distractors: int = 5
    train_distractors: int = 20
    held_out: float = 0.1
    vocab: int = 20
    max_len: int = 2
    hidden: int = 128
    embed: int = 32
    cell: str = "gru"
    reader: str = "recurrent"
    method: str = "gumbel"
    temperature: float = 2.0
    entropy_coeff: float = 0.1
    baseline_decay: float = 0.99
    lr: float = 0.003
    batch_size: int = 0
    steps: int = 3000
    eval_every: int = 250
    relative: bool = False
    anchors: int = 40
    absolute_listener: float = 1.0
    generations: int = 0
    imitation_steps: int = 100
    imitation_share: float = 0.5
    seed: int = 0
    data_seed: int = 0
    encoder: str = ""
    scenes: int = 2000

    def check(self) -> None:
        """ValueError (with what to change) for an impossible configuration."""
        choices = {"game": GAMES, "cell": CELLS, "method": METHODS, "reader": READERS}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} {getattr(self, name)!r}: choose one of {', '.join(allowed)}")
        n_objects = self.values ** self.attributes
        positive = ("attributes", "vocab", "max_len", "hidden", "embed", "steps", "eval_every", "anchors")
        for name in positive:
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.values < 2 or self.vocab < 2:
            raise ValueError("--values and --vocab must be at least 2")
        if n_objects > 100_000:
            raise ValueError(f"{self.values} ** {self.attributes} = {n_objects} objects is too many; lower them")
        if self.game == "discrimination" and not 1 <= self.distractors < n_objects * (1 - self.held_out) - 1:
            raise ValueError(f"--distractors {self.distractors}: give 1 to {int(n_objects * (1 - self.held_out)) - 2}")
        if self.batch_size < 0:
            raise ValueError(f"--batch-size {self.batch_size}: give 1 or more (0: the method's default)")
        if not 0.0 <= self.baseline_decay < 1.0:
            raise ValueError(f"--baseline-decay {self.baseline_decay} must be in [0, 1) (0: the mean of every loss)")
        if self.train_distractors < 0:
            raise ValueError(f"--train-distractors {self.train_distractors}: give 0 (as --distractors) or more")
        if self.encoder and (self.game != "discrimination" or self.relative):
            raise ValueError("the grounded game (--encoder) is a discrimination game with absolute representations")
        if self.encoder and self.scenes * self.held_out < 1:
            raise ValueError(f"--scenes {self.scenes} x --held-out {self.held_out} leaves no held-out scene")
        if self.generations < 0 or self.imitation_steps < 0 or self.absolute_listener < 0:
            raise ValueError("--generations, --imitation-steps and --absolute-listener must be 0 or more")
        if not 0.0 < self.imitation_share <= 1.0:
            raise ValueError(f"--imitation-share {self.imitation_share} must be in (0, 1]")
        if self.n_generations > self.steps:
            raise ValueError(f"--generations {self.n_generations} is more than --steps {self.steps}")
        if self.relative and self.anchors > n_objects * (1 - self.held_out):
            raise ValueError(f"--anchors {self.anchors} is more than the training objects")

    @property
    def games_per_step(self) -> int:
        """Games in each training batch: ``batch_size``, or when it is 0 the method's default: 64 for
        Gumbel-softmax, 128 for REINFORCE, whose score-function gradient needs more samples per step
        (at 64 it stops at 97.5% training accuracy on 2 x 10 objects, at 128 it reaches 99%)."""
        return self.batch_size or DEFAULT_BATCH_SIZE[self.method]

    @property
    def n_generations(self) -> int:
        """Iterated-learning generations the ``steps`` are split into: ``generations``, or when it is 0
        8 for runs whose receiver can only decode compositional languages well (relative runs, whose
        languages must be compositional for stitching, and runs with the linear reader): each new
        sender learns most easily what such a receiver reads, and generations make the language more
        compositional. Runs with the recurrent reader train in 1 generation: a GRU learns any code, and
        iterated learning gained them nothing measurable in held-out accuracy (see the README)."""
        return self.generations or (ITERATED_GENERATIONS if self.relative or self.reader == "linear" else 1)

    @property
    def training_distractors(self) -> int:
        """Distractors in each training game: ``train_distractors`` (``distractors`` when it is 0), at most
        every other training object."""
        n_objects = self.values ** self.attributes
        n_train = n_objects - round(self.held_out * n_objects)
        return max(self.distractors, min(self.train_distractors or self.distractors, n_train - 1))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (YAML/JSON friendly)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LanguageConfig:
        """Inverse of :meth:`to_dict`; unknown keys are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

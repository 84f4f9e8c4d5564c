"""One common representation of a sequence-to-sequence example for every reasoning task."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Example:
    """A source/target token pair with optional structure annotations.

    Attributes:
        source: input tokens, shape (n,), e.g. ``("jump", "twice")`` or ``("3", "+", "4")``.
        target: output tokens, shape (m,), e.g. ``("I_JUMP", "I_JUMP")``.
        tree: dependency head of every source token, shape (n,): the index of the token that heads
            it, ``-1`` for the root. ``None`` when the task has no annotated tree.
        values: the intermediate value of every source token, shape (n,) (HINT: the value of the
            sub-expression the token stands for). ``None`` when not annotated.
        subset: the evaluation subset the example belongs to (HINT: "I", "SS", "LS", "SL", "LL");
            ``None`` for plain train/test examples.
        images: one grayscale image per source position, uint8 (n, S, S) (HINT's image split, whose
            source tokens are hidden as ``?``); ``None`` for symbol input. Not compared or hashed.
    """

    source: tuple[str, ...]
    target: tuple[str, ...]
    tree: tuple[int, ...] | None = None
    values: tuple[int, ...] | None = None
    subset: str | None = None
    images: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.images is not None and (self.images.ndim != 3 or len(self.images) != len(self.source)):
            raise ValueError(f"Example.images must be (n, S, S) with one image per source token ({len(self.source)}), "
                             f"got shape {self.images.shape}")
        for name in ("tree", "values"):
            annotation = getattr(self, name)
            if annotation is not None and len(annotation) != len(self.source):
                raise ValueError(
                    f"Example.{name} has {len(annotation)} entries but source has {len(self.source)} "
                    f"tokens; give one entry per source token"
                )

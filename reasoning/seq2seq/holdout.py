"""A seeded validation split carved out of the training examples (never out of test data)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence

from reasoning.tasks.example import Example


def _input_key(example: Example) -> tuple[str, ...] | bytes:
    """What makes two inputs the same: the source tokens, or the drawn images where the tokens are hidden
    (every expression of HINT's image split has the source ``? ? ?``, one per segment)."""
    return example.source if example.images is None else example.images.tobytes()


def hold_out(examples: Sequence[Example], fraction: float = 0.05, seed: int = 0,
             max_valid: int | None = 2000) -> tuple[list[Example], list[Example]]:
    """Split training examples into (train, valid) for early stopping.

    Only inputs that occur once (sources, or images where the tokens are hidden) are candidates for
    validation (unless every input repeats), so a repeated input (the 1,467 bare ``jump`` lines of
    SCAN add-jump, HINT's cycled short expressions) stays in training and no input is on both sides.

    Args:
        examples: N training examples.
        fraction: the share of N to hold out (``round(fraction * N)``, at least 1 when N > 1).
        seed: seed of the random choice.
        max_valid: cap on the number held out (validation is decoded at every check); ``None``: no cap.

    Returns:
        ``(train, valid)``, both in the original order; together they are ``examples``.

    Raises:
        ValueError: ``fraction`` outside (0, 1), or fewer than 2 examples.
    """
    if not 0 < fraction < 1:
        raise ValueError(f"the validation fraction must be in (0, 1), got {fraction}")
    if len(examples) < 2:
        raise ValueError(f"need at least 2 training examples to hold some out, got {len(examples)}")
    keys = [_input_key(example) for example in examples]
    counts = Counter(keys)
    candidates = [index for index, key in enumerate(keys) if counts[key] == 1]
    candidates = candidates or list(range(len(examples)))  # every input repeated: hold out copies
    n_valid = max(1, round(fraction * len(examples)))
    if max_valid is not None:
        n_valid = min(n_valid, max_valid)
    chosen = set(random.Random(seed).sample(candidates, min(n_valid, len(candidates), len(examples) - 1)))
    train = [example for index, example in enumerate(examples) if index not in chosen]
    valid = [example for index, example in enumerate(examples) if index in chosen]
    return train, valid

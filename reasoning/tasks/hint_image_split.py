"""HINT's image split: the symbol split's expressions, each source token replaced by a drawn image.

Training expressions take their digits from the training pool of handwritten digits, test
expressions from the disjoint test pool (:class:`~reasoning.tasks.hint_images.SymbolImages`);
operators and parentheses are fresh jittered drawings everywhere. The source tokens are hidden
(every one is ``?``), so a model can only read the images; targets, subsets and the tree/value
annotations are those of the symbol split.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reasoning.tasks.example import Example
from reasoning.tasks.hint_images import IMAGE_SIZE, SymbolImages

HIDDEN_TOKEN = "?"
# Expressions rendered per batch: bounds the float32 scratch of one batch to tens of megabytes.
_RENDER_BATCH = 4096


def drawn(examples: Sequence[Example], symbols: SymbolImages, pool: str, seed: int) -> list[Example]:
    """``examples`` with images (uint8 (n, S, S), 255 = ink) from ``pool`` and hidden source tokens.

    Args:
        examples: N examples over HINT's tokens (digits, ``+ - * / ( )``).
        symbols: the image source.
        pool: ``"train"`` or ``"test"``: which handwritten digits to draw.
        seed: the same examples, pool and seed give the same images.

    Returns:
        N examples; example i has ``len(examples[i].source)`` images.
    """
    out: list[Example] = []
    for start in range(0, len(examples), _RENDER_BATCH):
        batch = examples[start:start + _RENDER_BATCH]
        for example, images in zip(batch, symbols.render_examples(batch, pool, seed=seed * 1_000_003 + start),
                                   strict=True):
            pixels = np.rint(images * 255).astype(np.uint8)
            out.append(Example((HIDDEN_TOKEN,) * len(example.source), example.target, example.tree,
                               example.values, example.subset, images=pixels))
    return out


def image_split(data: dict[str, list[Example]], seed: int = 0,
                image_size: int = IMAGE_SIZE) -> dict[str, list[Example]]:
    """The image version of HINT's symbol split ``{"train": ..., "test": ...}`` (module docstring)."""
    symbols = SymbolImages(seed=seed, image_size=image_size)
    return {part: drawn(examples, symbols, "train" if part == "train" else "test", seed)
            for part, examples in data.items()}

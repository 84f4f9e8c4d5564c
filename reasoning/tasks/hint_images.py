"""HINT with image input: every source token of an expression drawn as a small grayscale symbol image.

The images of the HINT paper (Li et al. 2023, handwritten symbols from CROHME) are not available
offline, so this module builds a stand-in that keeps what matters for NSR: perception must
classify each segment of an expression, and test expressions use digit images never seen in training.

* Digits are the real handwritten digits bundled with scikit-learn (``load_digits``: 1,797 8x8
  images, values 0..16; the test part of UCI optdigits, written by 13 people), upsampled
  bilinearly to ``S x S``. The images of each class are split, seeded, into disjoint train and
  test pools (identical images are merged first, so no image is in both). The data does not say
  who wrote which image, so the split is by image, not by writer: test digits are unseen images,
  possibly by writers seen in training.
* Operators and parentheses are drawn procedurally as anti-aliased strokes, each draw with fresh
  random jitter: per-stroke end points (position and length), per-symbol position, size, aspect,
  rotation, slant, stroke thickness and intensity. As in HINT, ``*`` is drawn as a times sign
  (×) and ``/`` as a division sign (÷); ``+ - ( )`` as themselves. Both splits draw operators from
  the same jitter distribution (every draw is new, so test operators are unseen instances).

Images are ``float32`` in [0, 1] (1 = ink), shape (S, S) per token, S = 16 by default; an
expression of n tokens is (n, S, S).

>>> images = SymbolImages(seed=0)                                    # doctest: +SKIP
>>> images.render(("3", "*", "(", "4", "+", "2", ")"), "test", np.random.default_rng(0)).shape  # doctest: +SKIP
(7, 16, 16)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

import numpy as np

from envs.run_files import atomic_path
from reasoning.tasks.example import Example
from reasoning.tasks.hint_expression import DIGITS, OPERATORS

__all__ = [
    "IMAGE_SIZE", "SPLITS", "TOKENS", "SymbolImages", "draw_expression_png", "draw_glyphs", "load_handwritten_digits",
]

PARENTHESES: tuple[str, ...] = ("(", ")")
TOKENS: tuple[str, ...] = DIGITS + OPERATORS + PARENTHESES
TOKEN_INDEX: dict[str, int] = {token: index for index, token in enumerate(TOKENS)}
SPLITS: tuple[str, ...] = ("train", "test")
IMAGE_SIZE = 16
SOURCE_SIZE = 8  # scikit-learn's digits are 8x8
SOURCE_MAX = 16.0  # ... with values 0..16
INSTALL_HINT = "pip install scikit-learn (or slotmind[nsr])"

# Glyph geometry, in template units: a symbol spans about [-1, 1] on both axes (y points down).
TEMPLATE_SCALE = 0.42  # pixels per template unit, as a fraction of the image size
ARC_SEGMENTS = 6  # a parenthesis is an arc drawn as this many straight segments
DRAW_CHUNK = 1024  # symbols rasterised at once (bounds the (m, K, S*S, 2) temporaries to ~50 MB)


def load_handwritten_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's handwritten digits: images (1797, 8, 8) float32 in [0, 1] and labels (1797,) int64.

    Raises:
        ModuleNotFoundError: scikit-learn is not installed (the message says how to install it).
    """
    images, labels = _digits_cached()
    return images.copy(), labels.copy()


@cache
def _digits_cached() -> tuple[np.ndarray, np.ndarray]:
    """Loaded once per process (importing scikit-learn takes seconds); callers must not modify the arrays."""
    try:
        from sklearn.datasets import load_digits
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(f"HINT images need scikit-learn's handwritten digits: {INSTALL_HINT}") from error
    digits = load_digits()
    return (digits.images / SOURCE_MAX).astype(np.float32), digits.target.astype(np.int64)


def _interpolation_matrix(source: int, target: int) -> np.ndarray:
    """Bilinear resampling weights (target, source) with pixel centres aligned (edges clamped)."""
    position = np.clip((np.arange(target) + 0.5) * source / target - 0.5, 0, source - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, source - 1)
    weight = position - low
    matrix = np.zeros((target, source))
    matrix[np.arange(target), low] += 1 - weight
    matrix[np.arange(target), high] += weight
    return matrix


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    """Bilinear resize of square images (m, s, s) to (m, size, size), float32."""
    matrix = _interpolation_matrix(images.shape[-1], size)
    return np.einsum("ij,mjk,lk->mil", matrix, images, matrix).astype(np.float32)


# ---- procedural glyphs: each returns template strokes (m, K, 2, 2) = (symbol, stroke, end, xy) ----


def _jittered(strokes: Sequence[Sequence[Sequence[float]]], rng: np.random.Generator, m: int,
              noise: float = 0.1) -> np.ndarray:
    """``m`` copies of fixed strokes (K, 2, 2), every end point moved by N(0, noise) on each axis."""
    base = np.asarray(strokes, dtype=np.float64)
    return base + rng.normal(0.0, noise, (m, *base.shape))


def _dots(centres: Sequence[Sequence[float]], rng: np.random.Generator, m: int, noise: float = 0.08) -> np.ndarray:
    """``m`` copies of dots (K, 2, 2): zero-length strokes, each moved as a whole by N(0, noise)."""
    base = np.asarray(centres, dtype=np.float64)[:, None, :].repeat(2, axis=1)
    return base + rng.normal(0.0, noise, (m, len(centres), 1, 2))


def _plus(rng: np.random.Generator, m: int) -> np.ndarray:
    return _jittered([[(-0.8, 0.0), (0.8, 0.0)], [(0.0, -0.8), (0.0, 0.8)]], rng, m)


def _minus(rng: np.random.Generator, m: int) -> np.ndarray:
    return _jittered([[(-0.8, 0.0), (0.8, 0.0)]], rng, m)


def _times(rng: np.random.Generator, m: int) -> np.ndarray:
    return _jittered([[(-0.6, -0.6), (0.6, 0.6)], [(-0.6, 0.6), (0.6, -0.6)]], rng, m)


def _divide(rng: np.random.Generator, m: int) -> np.ndarray:
    return np.concatenate([_minus(rng, m), _dots([(0.0, -0.6), (0.0, 0.6)], rng, m)], axis=1)


def _parenthesis(mirror: bool) -> Callable[[np.random.Generator, int], np.ndarray]:
    """The glyph of ``(`` (an arc bulging left), or of ``)`` when ``mirror``; curvature and height vary."""

    def draw(rng: np.random.Generator, m: int) -> np.ndarray:
        half_span = rng.uniform(0.5, 0.9, (m, 1))  # radians of arc on each side of the apex
        half_height = rng.uniform(0.8, 0.95, (m, 1))
        radius = half_height / np.sin(half_span)
        angle = np.pi + half_span * np.linspace(-1.0, 1.0, ARC_SEGMENTS + 1)
        # centre the arc horizontally: its x runs from -radius (apex) to -radius * cos(half_span) (ends)
        x = radius * np.cos(angle) + radius * (1 + np.cos(half_span)) / 2
        points = np.stack([-x if mirror else x, radius * np.sin(angle)], axis=-1)  # (m, K + 1, 2)
        return np.stack([points[:, :-1], points[:, 1:]], axis=2)

    return draw


GLYPHS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "+": _plus,
    "-": _minus,
    "*": _times,
    "/": _divide,
    "(": _parenthesis(mirror=False),
    ")": _parenthesis(mirror=True),
}


def _placement(rng: np.random.Generator, m: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Random affine maps from template units to pixels: matrices (m, 2, 2) and centres (m, 2)."""
    scale = size * TEMPLATE_SCALE * rng.uniform(0.85, 1.1, m)
    aspect = rng.uniform(0.85, 1.15, m)
    slant = rng.uniform(-0.25, 0.25, m)  # x shifts by slant * y: italic-like shear
    rotation = rng.uniform(-0.12, 0.12, m)
    cos, sin = np.cos(rotation), np.sin(rotation)
    rotate = np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)
    shear = np.stack([np.stack([aspect, slant], -1), np.stack([np.zeros(m), np.ones(m)], -1)], -2)
    matrices = scale[:, None, None] * rotate @ shear
    centres = size / 2 + rng.uniform(-1.0, 1.0, (m, 2)) * size / IMAGE_SIZE
    return matrices, centres


def _rasterise(strokes: np.ndarray, half_width: np.ndarray, intensity: np.ndarray, size: int) -> np.ndarray:
    """Anti-aliased strokes: (m, K, 2, 2) pixel-space segments -> images (m, size, size) float32.

    A pixel's ink falls linearly from ``intensity`` to 0 over the pixel beyond ``half_width`` (m,)
    of its distance to the nearest segment.
    """
    centres = np.arange(size, dtype=np.float32) + 0.5
    grid_x, grid_y = np.tile(centres, size), np.repeat(centres, size)  # (P,) row-major pixel centres
    strokes = strokes.astype(np.float32)
    start_x, start_y = strokes[:, :, 0, 0, None], strokes[:, :, 0, 1, None]  # (m, K, 1)
    along_x, along_y = strokes[:, :, 1, 0, None] - start_x, strokes[:, :, 1, 1, None] - start_y
    offset_x, offset_y = grid_x - start_x, grid_y - start_y  # (m, K, P)
    length2 = np.maximum(along_x * along_x + along_y * along_y, 1e-12)  # dots have zero length: a point
    t = np.clip((offset_x * along_x + offset_y * along_y) / length2, 0.0, 1.0)
    offset_x -= t * along_x
    offset_y -= t * along_y
    distance = np.sqrt((offset_x * offset_x + offset_y * offset_y).min(axis=1))  # (m, P)
    ink = np.clip(half_width[:, None] + 0.5 - distance, 0.0, 1.0) * intensity[:, None]
    return ink.reshape(-1, size, size).astype(np.float32)


def draw_glyphs(token: str, m: int, rng: np.random.Generator, size: int = IMAGE_SIZE) -> np.ndarray:
    """``m`` fresh jittered drawings of an operator or parenthesis: (m, size, size) float32 in [0, 1].

    Raises:
        ValueError: ``token`` is not one of ``+ - * / ( )``.
    """
    if token not in GLYPHS:
        raise ValueError(f"no procedural glyph for {token!r}; glyphs are drawn for {tuple(GLYPHS)} only")
    out = np.empty((m, size, size), dtype=np.float32)
    for begin in range(0, m, DRAW_CHUNK):
        count = min(DRAW_CHUNK, m - begin)
        template = GLYPHS[token](rng, count)
        matrices, centres = _placement(rng, count, size)
        strokes = np.einsum("mij,mksj->mksi", matrices, template) + centres[:, None, None, :]
        half_width = rng.uniform(0.8, 1.6, count) * size / IMAGE_SIZE
        intensity = rng.uniform(0.65, 1.0, count)
        out[begin:begin + count] = _rasterise(strokes, half_width, intensity, size)
    return out


def _check_split(split: str) -> str:
    """``split`` itself; ValueError unless it is "train" or "test"."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    return split


def _token_ids(tokens: Iterable[str], where: str = "") -> np.ndarray:
    """The TOKENS index of every token, (n,) int64; ``where`` names the expression in errors."""
    tokens = tuple(tokens)
    for position, token in enumerate(tokens):
        if token not in TOKEN_INDEX:
            raise ValueError(
                f"token {token!r} at position {position}{where} has no image; HINT image tokens are {TOKENS}"
            )
    return np.fromiter((TOKEN_INDEX[token] for token in tokens), dtype=np.int64, count=len(tokens))


class SymbolImages:
    """The digit pools of one seed, and the renderer of token sequences as symbol images.

    Args:
        seed: seeds the per-class train/test split of the handwritten digits.
        image_size: S, the side of every symbol image (digits are resized from 8x8).
        test_fraction: the share of each digit class's images that goes to the test pool.

    Raises:
        ValueError: ``image_size < 4`` or ``test_fraction`` outside (0, 1).
        ModuleNotFoundError: scikit-learn is missing.
    """

    def __init__(self, seed: int = 0, image_size: int = IMAGE_SIZE, test_fraction: float = 0.2) -> None:
        if image_size < 4:
            raise ValueError(f"image_size must be at least 4 pixels, got {image_size}")
        if not 0.0 < test_fraction < 1.0:
            raise ValueError(f"test_fraction must lie in (0, 1) so both pools hold digits, got {test_fraction}")
        self.seed = seed
        self.image_size = image_size
        self.test_fraction = test_fraction
        images, labels = _digits_cached()
        rng = np.random.default_rng([seed, 0])
        pools: dict[str, list[np.ndarray]] = {split: [] for split in SPLITS}
        for digit in range(len(DIGITS)):
            # merging identical images keeps the pools disjoint even if the data held duplicates
            unique = np.unique(images[labels == digit], axis=0)
            unique = unique[rng.permutation(len(unique))]
            n_test = max(1, round(test_fraction * len(unique)))
            pools["test"].append(_resize(unique[:n_test], image_size))
            pools["train"].append(_resize(unique[n_test:], image_size))
        for pool in pools.values():
            for digit_images in pool:
                digit_images.flags.writeable = False
        self._pools = {split: tuple(pool) for split, pool in pools.items()}

    def digit_images(self, digit: int, split: str) -> np.ndarray:
        """The pool of one digit class in one split: (k, S, S) float32, read-only."""
        if not 0 <= digit < len(DIGITS):
            raise ValueError(f"digit must be in 0..9, got {digit}")
        return self._pools[_check_split(split)][digit]

    def _render_ids(self, ids: np.ndarray, split: str, rng: np.random.Generator) -> np.ndarray:
        """Images (n, S, S) of token ids (n,): a random pool image per digit, a fresh drawing per glyph."""
        pools = self._pools[_check_split(split)]
        out = np.empty((len(ids), self.image_size, self.image_size), dtype=np.float32)
        for index in np.unique(ids).tolist():
            where = np.flatnonzero(ids == index)
            if index < len(DIGITS):
                out[where] = pools[index][rng.integers(0, len(pools[index]), len(where))]
            else:
                out[where] = draw_glyphs(TOKENS[index], len(where), rng, self.image_size)
        return out

    def render(self, tokens: Sequence[str], split: str, rng: np.random.Generator) -> np.ndarray:
        """The images of one token sequence.

        Args:
            tokens: n tokens from ``TOKENS``, e.g. ``("3", "*", "(", "4", "+", "2", ")")``.
            split: ``"train"`` or ``"test"``: the digit pool to draw handwriting from.
            rng: the random source (digit choice and glyph jitter).

        Returns:
            (n, S, S) float32 in [0, 1], one image per token.

        Raises:
            ValueError: an unknown token or split.
        """
        return self._render_ids(_token_ids(tokens), split, rng)

    def render_examples(self, examples: Iterable[Example], split: str, seed: int = 0) -> list[np.ndarray]:
        """The images of the source of every example, drawn in one batch (fast) from ``seed``.

        Args:
            examples: B examples; example b has n_b source tokens.
            split: ``"train"`` or ``"test"``: the digit pool to draw handwriting from.
            seed: the same examples, split and seed give the same images.

        Returns:
            B arrays (n_b, S, S) float32 in [0, 1] (views into one array).

        Raises:
            ValueError: an unknown token (the message names the example) or split.
        """
        ids = [_token_ids(example.source, f" of example {number}") for number, example in enumerate(examples)]
        if not ids:
            return []
        flat = self._render_ids(np.concatenate(ids), split, np.random.default_rng([seed, 1]))
        return np.split(flat, np.cumsum([len(part) for part in ids])[:-1])


def draw_expression_png(images: np.ndarray, path: str | Path, scale: int = 4) -> Path:
    """Write one rendered expression as a PNG strip (black ink on white, grey gaps), atomically.

    Args:
        images: (n, S, S) values in [0, 1] (clipped), e.g. from :meth:`SymbolImages.render`.
        path: the ``.png`` file to write; folders are created.
        scale: every pixel becomes ``scale x scale`` pixels, so the small images are visible.

    Returns:
        ``path`` as a Path.

    Raises:
        ValueError: ``images`` is not a non-empty (n, S, S) array, ``scale < 1`` or ``path`` is not a .png.
    """
    import imageio.v2 as imageio

    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"images must be a non-empty (n, S, S) array, got shape {images.shape}")
    if scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale}")
    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"cannot write {str(path)!r}: the file name must end in .png")
    paper = (255 * (1 - np.clip(images, 0.0, 1.0))).round().astype(np.uint8)  # (n, S, S)
    gap = np.full((len(images), images.shape[1], 1), 160, dtype=np.uint8)
    strip = np.concatenate([paper, gap], axis=2).transpose(1, 0, 2).reshape(images.shape[1], -1)[:, :-1]
    strip = strip.repeat(scale, axis=0).repeat(scale, axis=1)
    with atomic_path(path) as tmp:
        imageio.imwrite(tmp, strip)
    return path

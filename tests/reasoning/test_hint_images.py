"""HINT image input: symbol images of expressions, disjoint handwriting pools, jittered glyphs, PNG strips."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import imageio.v2 as imageio
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_limits

from reasoning.tasks import hint_images
from reasoning.tasks.example import Example
from reasoning.tasks.hint import hint_example
from reasoning.tasks.hint_images import (
    IMAGE_SIZE,
    TOKENS,
    SymbolImages,
    draw_expression_png,
    draw_glyphs,
    load_handwritten_digits,
)

EXPRESSION = ("3", "*", "(", "4", "+", "2", ")")
GLYPH_TOKENS = ("+", "-", "*", "/", "(", ")")


@pytest.fixture(scope="module")
def symbols() -> SymbolImages:
    return SymbolImages(seed=0)


def balanced(per_class: int) -> list[str]:
    """``per_class`` copies of every token class, (16 * per_class,) tokens."""
    return [token for token in TOKENS for _ in range(per_class)]


def test_token_classes() -> None:
    assert len(TOKENS) == 16 and len(set(TOKENS)) == 16
    assert set(TOKENS) == {*"0123456789", "+", "-", "*", "/", "(", ")"}


def test_render_shapes_dtypes_and_range(symbols: SymbolImages) -> None:
    images = symbols.render(EXPRESSION, "train", np.random.default_rng(0))
    assert images.shape == (len(EXPRESSION), IMAGE_SIZE, IMAGE_SIZE)
    assert images.dtype == np.float32
    assert images.min() >= 0.0 and images.max() <= 1.0
    assert symbols.render((), "test", np.random.default_rng(0)).shape == (0, IMAGE_SIZE, IMAGE_SIZE)


@settings(max_examples=25, deadline=None)
@given(tokens=st.lists(st.sampled_from(TOKENS), max_size=30), seed=st.integers(0, 2**32 - 1),
       split=st.sampled_from(("train", "test")))
def test_any_token_sequence_renders(symbols: SymbolImages, tokens: list[str], seed: int, split: str) -> None:
    images = symbols.render(tokens, split, np.random.default_rng(seed))
    assert images.shape == (len(tokens), IMAGE_SIZE, IMAGE_SIZE)
    assert np.all((images >= 0) & (images <= 1))


def test_every_token_class_renders_with_ink(symbols: SymbolImages) -> None:
    for split in ("train", "test"):
        images = symbols.render(balanced(5), split, np.random.default_rng(1))
        assert images.shape == (80, IMAGE_SIZE, IMAGE_SIZE)
        ink = images.reshape(80, -1)
        assert np.all(ink.max(axis=1) > 0.5), "every symbol has a dark stroke"
        assert np.all((ink > 0.1).mean(axis=1) > 0.04), "every symbol covers some of the image"


def test_other_image_sizes(symbols: SymbolImages) -> None:
    small = SymbolImages(seed=0, image_size=8)
    assert small.render(EXPRESSION, "train", np.random.default_rng(0)).shape == (7, 8, 8)
    # at 8x8 the digits are the original scikit-learn images, unchanged by the resampling
    originals = {image.tobytes() for image in load_handwritten_digits()[0]}
    assert all(image.tobytes() in originals for image in small.digit_images(3, "train"))


def test_deterministic_under_a_seed(symbols: SymbolImages) -> None:
    again = SymbolImages(seed=0)
    for digit in range(10):
        for split in ("train", "test"):
            np.testing.assert_array_equal(symbols.digit_images(digit, split), again.digit_images(digit, split))
    first = symbols.render(EXPRESSION * 3, "test", np.random.default_rng(7))
    np.testing.assert_array_equal(first, again.render(EXPRESSION * 3, "test", np.random.default_rng(7)))
    assert not np.array_equal(first, symbols.render(EXPRESSION * 3, "test", np.random.default_rng(8)))
    other = SymbolImages(seed=1)
    assert not np.array_equal(symbols.digit_images(5, "test"), other.digit_images(5, "test"))


def test_render_examples_is_batched_and_deterministic(symbols: SymbolImages) -> None:
    trees = [3, ("+", 1, 2), ("*", 3, ("+", 4, 2)), ("/", ("-", 9, 1), ("*", 2, 2))]
    examples = [hint_example(tree) for tree in trees]
    rendered = symbols.render_examples(examples, "train", seed=3)
    assert [images.shape for images in rendered] == [(len(e.source), IMAGE_SIZE, IMAGE_SIZE) for e in examples]
    assert examples[2].source == EXPRESSION
    again = symbols.render_examples(examples, "train", seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(rendered, again, strict=True))
    different = symbols.render_examples(examples, "train", seed=4)
    assert not all(np.array_equal(a, b) for a, b in zip(rendered, different, strict=True))
    assert symbols.render_examples([], "test") == []


def test_train_and_test_digit_pools_are_disjoint(symbols: SymbolImages) -> None:
    total = 0
    for digit in range(10):
        train = {image.tobytes() for image in symbols.digit_images(digit, "train")}
        test = {image.tobytes() for image in symbols.digit_images(digit, "test")}
        assert not train & test, f"digit {digit}: an image is in both pools"
        assert 0.15 < len(test) / (len(train) + len(test)) < 0.25
        total += len(train) + len(test)
    assert total == len(load_handwritten_digits()[1])  # scikit-learn's digits hold no duplicates
    with pytest.raises(ValueError, match="read-only"):
        symbols.digit_images(0, "train")[0, 0, 0] = 1.0


def test_rendered_digits_come_from_the_requested_pool(symbols: SymbolImages) -> None:
    images = symbols.render(["7"] * 50, "test", np.random.default_rng(0))
    test_pool = {image.tobytes() for image in symbols.digit_images(7, "test")}
    assert all(image.tobytes() in test_pool for image in images)


def test_jittered_glyphs_differ_between_draws() -> None:
    rng = np.random.default_rng(0)
    for token in GLYPH_TOKENS:
        draws = draw_glyphs(token, 30, rng).reshape(30, -1)
        distances = np.abs(draws[:, None] - draws[None]).sum(-1)
        assert np.all(distances[~np.eye(30, dtype=bool)] > 0.5), f"two draws of {token!r} are (nearly) identical"


def test_classes_are_recognisable_on_test_pool_renders(symbols: SymbolImages) -> None:
    from sklearn.linear_model import LogisticRegression

    labels = np.repeat(np.arange(len(TOKENS)), 100)
    train = symbols.render(balanced(100), "train", np.random.default_rng(0)).reshape(len(labels), -1)
    test = symbols.render(balanced(100), "test", np.random.default_rng(1)).reshape(len(labels), -1)
    with threadpool_limits(1):
        classifier = LogisticRegression(max_iter=1000).fit(train, labels)
        predicted = classifier.predict(test)
    assert (predicted == labels).mean() >= 0.9
    glyphs = labels >= 10  # operators and parentheses on their own
    assert (predicted[glyphs] == labels[glyphs]).mean() >= 0.95


def test_png_strip_is_written_atomically(symbols: SymbolImages, tmp_path: Path) -> None:
    images = symbols.render(EXPRESSION, "test", np.random.default_rng(0))
    path = draw_expression_png(images, tmp_path / "strips" / "expression.png", scale=3)
    assert path == tmp_path / "strips" / "expression.png"
    assert [entry.name for entry in path.parent.iterdir()] == ["expression.png"]
    picture = imageio.imread(path)
    assert picture.dtype == np.uint8
    assert picture.shape == (IMAGE_SIZE * 3, (len(EXPRESSION) * (IMAGE_SIZE + 1) - 1) * 3)
    assert picture.min() < 60 and picture.max() == 255  # dark ink on white paper


def test_png_errors_leave_no_file(symbols: SymbolImages, tmp_path: Path) -> None:
    images = symbols.render(EXPRESSION, "test", np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\.png"):
        draw_expression_png(images, tmp_path / "expression.jpg")
    with pytest.raises(ValueError, match="non-empty"):
        draw_expression_png(images[0], tmp_path / "expression.png")
    assert list(tmp_path.iterdir()) == []


def test_bad_tokens_splits_and_arguments(symbols: SymbolImages) -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match=r"'x' at position 1 has no image"):
        symbols.render(("3", "x"), "train", rng)
    with pytest.raises(ValueError, match="split must be one of"):
        symbols.render(EXPRESSION, "validation", rng)
    with pytest.raises(ValueError, match="of example 1"):
        symbols.render_examples([hint_example(3), Example(("4", "÷", "2"), ("2",))], "train")
    with pytest.raises(ValueError, match="test_fraction"):
        SymbolImages(test_fraction=1.0)
    with pytest.raises(ValueError, match="no procedural glyph"):
        draw_glyphs("7", 3, rng)


@pytest.fixture
def without_sklearn(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """scikit-learn made unimportable, with the digit cache emptied before and after."""
    hint_images._digits_cached.cache_clear()
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    yield
    hint_images._digits_cached.cache_clear()


def test_missing_sklearn_says_how_to_install(without_sklearn: None) -> None:
    with pytest.raises(ModuleNotFoundError, match=r"pip install scikit-learn \(or slotmind\[nsr\]\)"):
        SymbolImages(seed=0)

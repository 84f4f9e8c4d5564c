"""HINT's image split and NSR reading it: hidden tokens, disjoint digit pools, the image reader, a tiny run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from envs.command_line import main
from reasoning.nsr.image_reading import (
    ImageReader,
    blob_counts,
    cluster_token,
    context_profiles,
    meaning_classes,
    unlearned_groups,
)
from reasoning.seq2seq.interface import TrainBudget
from reasoning.seq2seq.registry import create_model, load_model, save_model
from reasoning.seq2seq.run_folder import TrainSpec
from reasoning.tasks import load_split
from reasoning.tasks.example import Example
from reasoning.tasks.hint_image_split import HIDDEN_TOKEN
from reasoning.tasks.hint_images import TOKENS, SymbolImages

TINY = {"train_per_op": 30, "test_per_op": 3}


@pytest.fixture(scope="module")
def parts() -> tuple[dict[str, list[Example]], dict[str, list[Example]]]:
    return load_split("hint", "symbol", **TINY), load_split("hint", "image", **TINY)


def test_image_split_hides_the_tokens_and_keeps_targets_and_subsets(parts: tuple[dict, dict]) -> None:
    symbol, image = parts
    for part in ("train", "test"):
        assert len(symbol[part]) == len(image[part])
        for plain, drawn in zip(symbol[part], image[part], strict=True):
            assert drawn.source == (HIDDEN_TOKEN,) * len(plain.source)
            assert (drawn.target, drawn.subset) == (plain.target, plain.subset)
            assert drawn.images is not None and drawn.images.dtype == np.uint8
            assert drawn.images.shape == (len(plain.source), 16, 16) and drawn.images.max() > 100


def test_test_digits_come_from_the_test_pool_only(parts: tuple[dict, dict]) -> None:
    symbol, image = parts
    pools = SymbolImages(seed=0)
    as_bytes = {split: {np.rint(img * 255).astype(np.uint8).tobytes() for digit in range(10)
                        for img in pools.digit_images(digit, split)} for split in ("train", "test")}
    for part, pool in (("train", "train"), ("test", "test")):
        for plain, drawn in zip(symbol[part], image[part], strict=True):
            for token, img in zip(plain.source, drawn.images, strict=True):
                if token.isdigit():
                    assert img.tobytes() in as_bytes[pool] and img.tobytes() not in as_bytes[
                        "test" if pool == "train" else "train"]


def test_example_images_must_match_the_source() -> None:
    with pytest.raises(ValueError, match="one image per source token"):
        Example(("?", "?"), ("1",), images=np.zeros((3, 16, 16), np.uint8))


def test_models_that_do_not_read_images_are_refused_on_the_image_split() -> None:
    with pytest.raises(ValueError, match="does not read; use a model that does \\(nsr"):
        TrainSpec(model="transformer", task="hint", split="image").check()
    TrainSpec(model="nsr", task="hint", split="image").check()


def test_meaning_classes_merge_equal_meanings_and_keep_clusters_without_one_apart() -> None:
    assert meaning_classes([(0, (7,)), None, (0, (7,)), (2, (0, 1)), None]).tolist() == [0, 1, 0, 2, 3]
    assert meaning_classes([(0, (7,)), None, (0, (7,)), None], groups={1: 1, 3: 1}).tolist() == [0, 1, 0, 1]


def test_context_profiles_count_left_and_right_neighbours_and_edges() -> None:
    profiles = context_profiles([np.array([0, 1, 2]), np.array([2, 1])], np.array([0, 1, 1]))
    # classes 0, 1 and the edge (column 2) on the left, then the same on the right
    assert profiles.tolist() == [[0, 0, 1, 0, 1, 0], [0.5, 0.5, 0, 0, 0.5, 0.5], [0, 0.5, 0.5, 0, 0.5, 0.5]]


def test_clusters_without_a_meaning_merge_when_they_look_and_occur_alike() -> None:
    # Clusters 0, 1 mean 7 (3 apart); 2, 3 and 4 have no meaning: 2 and 3 are drawn alike and
    # occur alike (before a 7), 4 is drawn like them but occurs after a 7; 5 is far from all.
    centres = np.array([[0.0, 0.0], [3.0, 0.0], [20.0, 0.0], [22.0, 0.0], [21.0, 0.0], [40.0, 0.0]])
    signatures = ["7", "7", None, None, None, None]
    expressions = [np.array(row) for row in ([2, 0], [3, 1], [2, 1], [3, 0], [0, 4], [1, 4], [5, 0], [0, 5])]
    assert unlearned_groups(signatures, centres, expressions) == {2: 2, 3: 2, 4: 4, 5: 5}
    assert meaning_classes(signatures, unlearned_groups(signatures, centres, expressions)).tolist() == [
        0, 0, 1, 1, 2, 3]
    assert unlearned_groups(["7", "+", None, None], centres[:4], expressions[:4]) == {2: 2, 3: 3}  # nothing shared
    with pytest.raises(ValueError, match="2 cluster centres"):
        unlearned_groups(["7", None, None], centres[:2], expressions)


def test_drawn_symbols_without_a_meaning_group_by_symbol() -> None:
    symbol, image = load_split("hint", "symbol", train_per_op=150, test_per_op=1), load_split(
        "hint", "image", train_per_op=150, test_per_op=1)
    truth = np.array([TOKENS.index(token) for example in symbol["train"] for token in example.source])
    segments = np.concatenate([example.images for example in image["train"]])
    reader = ImageReader(n_clusters=32, seed=0)
    clusters = reader.fit_clusters(segments)
    expressions = np.split(clusters, np.cumsum([len(example.images) for example in image["train"]])[:-1])
    majority = [int(np.bincount(truth[clusters == k], minlength=len(TOKENS)).argmax()) for k in range(32)]
    brackets = {TOKENS.index("("), TOKENS.index(")")}
    # As after NSR's first stage on HINT images (the brackets without a meaning), and one digit more.
    unlearned = brackets | {TOKENS.index("8")}
    signatures = [None if symbol in unlearned else symbol for symbol in majority]
    groups = unlearned_groups(signatures, reader.centres, expressions)
    bracket_groups = {first for cluster, first in groups.items() if majority[cluster] in brackets}
    assert len(bracket_groups) < sum(majority[cluster] in brackets for cluster in groups)  # brackets merged
    for group in set(groups.values()):
        assert len({majority[cluster] for cluster, first in groups.items() if first == group}) == 1


def _rendered(count: int, seed: int) -> tuple[SymbolImages, np.random.Generator, np.ndarray, np.ndarray]:
    """``count`` random symbols drawn from the training pool: (source, rng, symbol ids (count,), images)."""
    torch.set_num_threads(1)
    symbols = SymbolImages(seed=0)
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, len(TOKENS), count)
    return symbols, rng, ids, np.rint(symbols._render_ids(ids, "train", rng) * 255).astype(np.uint8)


def test_image_reader_reads_clusters_then_classes_and_round_trips(tmp_path: Path) -> None:
    symbols, rng, ids, images = _rendered(3000, seed=0)
    reader = ImageReader(n_clusters=40, seed=0)
    clusters = reader.fit_clusters(images)
    assert clusters.shape == (3000,) and set(clusters.tolist()) <= set(range(40))
    assert reader.read(images[:5]) == tuple(cluster_token(int(c)) for c in clusters[:5])
    # Classes: each cluster's majority symbol (what NSR's meanings would say for pure clusters).
    majority = np.array([np.bincount(ids[clusters == k], minlength=len(TOKENS)).argmax() for k in range(40)])
    classes = meaning_classes([int(symbol) for symbol in majority])
    reader.fit_classes(classes, images, clusters, steps=300)
    test_ids = rng.integers(0, len(TOKENS), 500)
    test_images = np.rint(symbols._render_ids(test_ids, "test", rng) * 255).astype(np.uint8)
    read = reader.read(test_images)
    token_symbol = {cluster_token(k): majority[k] for k in range(40)}
    accuracy = np.mean([token_symbol[token] == truth for token, truth in zip(read, test_ids, strict=True)])
    assert accuracy > 0.8  # unseen handwriting, from cluster labels alone
    reader.save(tmp_path)
    assert ImageReader.load(tmp_path).read(test_images) == read


def test_image_reader_log_probs_and_training_on_repaired_labels() -> None:
    _, _, ids, images = _rendered(600, seed=1)
    reader = ImageReader(n_clusters=20, seed=0)
    with pytest.raises(ValueError, match="call fit_classes first"):
        reader.class_log_probs([images[:3]])
    clusters = reader.fit_clusters(images)
    reader.fit_classes(np.arange(20), images, clusters, steps=20)
    parts = reader.class_log_probs([images[:3], images[3:10]])
    assert [part.shape for part in parts] == [(3, 20), (7, 20)]
    assert np.allclose(np.exp(parts[1]).sum(axis=1), 1.0, atol=1e-5)
    assert reader.read_all([images[:3]])[0] == tuple(reader.class_tokens[int(c)] for c in parts[0].argmax(axis=1))
    before = reader.fit_labels(images, ids, steps=1)
    assert reader.fit_labels(images, ids, steps=200) < before  # learns the labels it is given


def test_divide_gets_clusters_of_its_own_thanks_to_its_separate_marks() -> None:
    symbols = SymbolImages(seed=0)
    rng = np.random.default_rng(1)
    ids = np.repeat([TOKENS.index(token) for token in "+-/"], 300)
    images = np.rint(symbols._render_ids(ids, "train", rng) * 255).astype(np.uint8)
    assert np.median(blob_counts(images[ids == TOKENS.index("/")])) >= 2
    assert (blob_counts(images[ids != TOKENS.index("/")]) == 1).mean() > 0.95
    clusters = ImageReader(n_clusters=6, seed=0).fit_clusters(images)
    majority = {k: np.bincount(ids[clusters == k]).argmax() for k in np.unique(clusters)}
    divide = ids == TOKENS.index("/")
    assert np.mean([majority[k] == TOKENS.index("/") for k in clusters[divide]]) > 0.8


def test_nsr_trains_on_images_predicts_and_round_trips(parts: tuple[dict, dict], tmp_path: Path) -> None:
    torch.set_num_threads(1)
    _, image = parts
    model = create_model("nsr", image_clusters=32, image_steps=50, image_minutes=0.0, induce_seconds=0.5)
    train = image["train"]
    report = model.fit(train[:-20], train[-20:], TrainBudget(minutes=0.1), seed=0)
    assert 0.0 <= report.best_valid_accuracy <= 1.0
    cycles, rounds = model.config["image_cycles"], model.config["image_repair_rounds"]
    assert len(model.image_repairs) == cycles * rounds
    assert all(abs(sum(repair.values()) - 1.0) < 1e-9 for repair in model.image_repairs)
    predictions = model.predict_examples(image["test"])
    assert len(predictions) == len(image["test"]) and all(isinstance(p, tuple) for p in predictions)
    save_model(model, tmp_path / "model")
    assert load_model(tmp_path / "model").predict_examples(image["test"]) == predictions
    with pytest.raises(ValueError, match="reads images"):
        model.predict_examples(parts[0]["test"][:2])  # symbol examples: no images to read
    symbol_model = create_model("nsr")
    symbol_model.fit(parts[0]["train"][:50], parts[0]["train"][:5], TrainBudget(minutes=0.02), seed=0)
    with pytest.raises(ValueError, match="trained on symbols"):
        symbol_model.predict_examples(image["test"][:2])


def test_reason_data_refuses_the_image_split(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["reason", "data", "hint", "--split", "image", "--out", str(tmp_path / "out")]) == 2
    assert "drawn on the fly" in capsys.readouterr().err

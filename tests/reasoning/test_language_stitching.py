"""Relative representations and zero-shot stitching of agents trained from different seeds."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from reasoning.language.config import LanguageConfig
from reasoning.language.relative import choose_anchors, relative
from reasoning.language.stitching import stitch, stitching_matrix
from reasoning.language.training import build_game, evaluation_batches, make_data


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


SMALL = LanguageConfig(attributes=2, values=4, distractors=2, held_out=0.125, vocab=6, max_len=2, hidden=16,
                       embed=8, anchors=6, relative=True)


def test_relative_representations_ignore_rotations_and_scale() -> None:
    generator = torch.Generator().manual_seed(0)
    latents, anchors = torch.randn(7, 5, generator=generator), torch.randn(4, 5, generator=generator)
    rotation, _ = torch.linalg.qr(torch.randn(5, 5, generator=generator))
    torch.testing.assert_close(relative(latents, anchors), relative(3.0 * latents @ rotation, 3.0 * anchors @ rotation))
    assert not torch.allclose(latents @ rotation, latents)


def test_anchors_cover_every_value_and_come_from_training() -> None:
    data = make_data(dataclasses.replace(SMALL, values=10, held_out=0.1))
    anchors = choose_anchors(data.train, 20, 10, seed=0)
    assert len({tuple(a) for a in anchors}) == 20
    assert {tuple(a) for a in anchors} <= {tuple(t) for t in data.train}
    assert all(set(anchors[:, a]) == set(range(10)) for a in range(2))


def test_stitching_pairs_every_sender_with_every_receiver_of_other_seeds() -> None:
    data = make_data(SMALL)
    games = [build_game(dataclasses.replace(SMALL, seed=seed), data) for seed in range(3)]
    assert not torch.equal(games[0].sender.encoder.weight, games[1].sender.encoder.weight)  # different seeds
    torch.testing.assert_close(games[0].receiver.anchors, games[2].receiver.anchors)  # shared anchors
    pair = stitch(games[0], games[2])
    assert pair.sender is games[0].sender and pair.receiver is games[2].receiver
    batch = evaluation_batches(SMALL, data)["train"]
    result = stitching_matrix(games, batch, SMALL.distractors + 1)
    assert result.matrix.shape == (3, 3) and result.stitched.shape == (6,)
    assert result.chance == pytest.approx(1 / 3)
    np.testing.assert_allclose(np.diag(result.matrix), result.same_seed)
    with pytest.raises(ValueError, match="two seeds"):
        stitching_matrix(games[:1], batch, 3)


def test_a_relative_receiver_reads_the_anchor_messages_of_its_sender() -> None:
    data = make_data(SMALL)
    first, second = (build_game(dataclasses.replace(SMALL, seed=seed), data) for seed in (0, 1))
    batch = evaluation_batches(SMALL, data)["train"]
    with torch.no_grad():
        sent = first.sender(batch.sender_input, greedy=True).message
        own = first.receiver(sent, batch.candidates, first.anchor_messages())
        mixed = stitch(first, second)
        logits = mixed.receiver(sent, batch.candidates, mixed.anchor_messages())
    torch.testing.assert_close(mixed.anchor_messages(), first.anchor_messages())
    assert logits.shape == own.shape == (len(batch.labels), 3)
    with pytest.raises(ValueError, match="anchors"):
        first.receiver(sent, batch.candidates, None)

"""Iterated learning: teacher-forced likelihood, imitation, generations; the absolute listener of relative games."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from reasoning.language.config import LanguageConfig
from reasoning.language.imitation import imitate, imitation_sample
from reasoning.language.messages import symbols
from reasoning.language.objects import all_objects, one_hot
from reasoning.language.sender import Sender
from reasoning.language.training import build_game, make_data, messages_for, next_generation, train

TINY = LanguageConfig(attributes=2, values=4, distractors=2, held_out=0.125, vocab=6, max_len=3, hidden=32,
                      embed=8, batch_size=32, steps=150, eval_every=50, anchors=6)


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 1000))
def test_the_likelihood_of_a_sampled_message_is_its_sampling_log_probability(seed: int) -> None:
    torch.manual_seed(seed)
    sender = Sender(8, vocab_size=5, max_len=3, hidden=16, embed=4)
    objects = one_hot(all_objects(2, 4), 4)
    sent = sender(objects, "reinforce")
    scored = sender.log_likelihood(objects, torch.as_tensor(symbols(sent.message)))
    torch.testing.assert_close(scored, sent.log_prob)


def test_a_fresh_sender_learns_to_speak_a_given_language() -> None:
    torch.manual_seed(0)
    objects = all_objects(2, 4)
    language = torch.as_tensor(np.c_[objects + 1, np.zeros((len(objects), 2), np.int64)])  # v1 + 1, v2 + 1, EOS, blank
    sender = Sender(8, vocab_size=6, max_len=3, hidden=32, embed=8)
    first = imitate(sender, one_hot(objects, 4), language, 1, 0.01, np.random.default_rng(0))
    last = imitate(sender, one_hot(objects, 4), language, 300, 0.01, np.random.default_rng(0))
    assert last < first / 10
    spoken = symbols(sender(one_hot(objects, 4), greedy=True).message)
    np.testing.assert_array_equal(spoken, language.numpy())


def test_imitation_shows_a_share_of_the_objects() -> None:
    shown = imitation_sample(90, 0.5, np.random.default_rng(1))
    assert len(shown) == 45 == len(set(shown.tolist())) and shown.max() < 90
    assert len(imitation_sample(3, 0.01, np.random.default_rng(1))) == 1
    with pytest.raises(ValueError, match="as many messages"):
        imitate(Sender(8, 5, 2), torch.zeros(3, 8), torch.zeros(2, 3, dtype=torch.long), 1, 0.01,
                np.random.default_rng(0))


def test_a_new_generation_speaks_like_its_teacher_on_the_objects_it_was_shown() -> None:
    config = dataclasses.replace(TINY, imitation_share=1.0, imitation_steps=400)
    data = make_data(config)
    teacher = build_game(config, data)
    student = next_generation(teacher, config, data, generation=1)
    assert student is not teacher and student.sender is not teacher.sender
    taught = messages_for(teacher, data.train, 4)
    assert (messages_for(student, data.train, 4) == taught).all(1).mean() > 0.9


def test_generations_split_the_steps_and_the_curve_says_which_is_which() -> None:
    config = dataclasses.replace(TINY, steps=60, eval_every=20, generations=3, imitation_steps=5)
    result = train(config)
    assert [row["step"] for row in result.history] == [20, 40, 60]
    assert [row["generation"] for row in result.history] == [0, 1, 2]
    assert dataclasses.replace(TINY, relative=True).n_generations == 8 and TINY.n_generations == 1
    assert dataclasses.replace(TINY, reader="linear").n_generations == 8
    with pytest.raises(ValueError, match="generations"):
        dataclasses.replace(TINY, steps=5, generations=6).check()
    with pytest.raises(ValueError, match="imitation-share"):
        dataclasses.replace(TINY, imitation_share=0.0).check()


def test_relative_games_train_an_absolute_listener_beside_the_relative_receiver() -> None:
    config = dataclasses.replace(TINY, relative=True, generations=1, steps=5)
    data = make_data(config)
    game = build_game(config, data)
    assert game.listener is not None and not game.listener.relative and game.receiver.relative
    assert build_game(dataclasses.replace(config, absolute_listener=0.0), data).listener is None
    assert build_game(TINY, data).listener is None
    before = [p.detach().clone() for p in game.listener.parameters()]
    from reasoning.language.training import fit, training_batch
    fit(game, lambda rng: training_batch(config, data, rng), lambda: {"accuracy": 0.0}, 3, 0.01, 10, 0)
    assert any(not torch.equal(b, p) for b, p in zip(before, game.listener.parameters(), strict=True))

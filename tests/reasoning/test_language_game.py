"""Sender, receiver and game: EOS handling, held-out split, both training methods learning a tiny game."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from reasoning.language.config import LanguageConfig
from reasoning.language.game import GameBatch, RunningMean
from reasoning.language.messages import EOS, lengths, symbols
from reasoning.language.objects import AttributeValueData, all_objects, one_hot
from reasoning.language.receiver import Receiver
from reasoning.language.sender import Sender
from reasoning.language.training import (
    build_game,
    evaluation_batches,
    make_batch,
    make_data,
    messages_for,
    train,
    training_batch,
)


@pytest.fixture(autouse=True)
def one_thread() -> None:
    torch.set_num_threads(1)


TINY = LanguageConfig(attributes=2, values=4, distractors=2, held_out=0.125, vocab=6, max_len=3, hidden=32,
                      embed=8, batch_size=32, steps=150, eval_every=50)


def test_held_out_combinations_never_reach_training_but_their_values_do() -> None:
    data = AttributeValueData.split(2, 10, 0.1, seed=3)
    assert len(data.held_out) == 10 and len(data.train) == 90
    train_codes = {tuple(row) for row in data.train}
    assert not train_codes & {tuple(row) for row in data.held_out}
    assert all(set(data.train[:, a]) == set(range(10)) for a in range(2))
    rng = np.random.default_rng(0)
    candidates, labels = data.candidates(data.train[:50], 5, rng)
    assert candidates.shape == (50, 6, 2)
    np.testing.assert_array_equal(candidates[np.arange(50), labels], data.train[:50])
    for row, label in zip(candidates, labels, strict=True):
        others = np.delete(row, label, axis=0)
        assert len({tuple(o) for o in others}) == 5 and not (others == row[label]).all(1).any()
        assert {tuple(o) for o in others} <= train_codes


@pytest.mark.parametrize("method", ["gumbel", "reinforce"])
def test_messages_end_at_the_first_eos(method: str) -> None:
    torch.manual_seed(0)
    sender = Sender(input_size=8, vocab_size=3, max_len=6, hidden=16, embed=4)
    with torch.no_grad():
        sender.to_logits.bias[EOS] = 1.0  # an untrained sender rarely stops; make it stop early here
    out = sender(one_hot(all_objects(2, 4), 4), method)
    assert out.message.shape == (16, 7, 3)
    ids = symbols(out.message)
    n = lengths(ids)
    assert (n >= 1).all() and (n <= 7).all() and (n < 7).any()
    for row, length in zip(ids, n, strict=True):
        assert row[length - 1] == EOS and (row[:length - 1] != EOS).all() and (row[length:] == EOS).all()
    blank = out.message.detach().sum(-1)  # one-hot rows up to the EOS, all-zero rows after it
    np.testing.assert_array_equal(blank.numpy(), (np.arange(7)[None] < n[:, None]).astype(np.float32))


@pytest.mark.parametrize("reader", ["recurrent", "linear"])
def test_the_receiver_ignores_symbols_after_the_eos(reader: str) -> None:
    torch.manual_seed(0)
    receiver = Receiver("reconstruction", vocab_size=5, max_len=3, input_size=8, n_attributes=2, n_values=4,
                        hidden=16, embed=4, reader=reader)
    ids = torch.tensor([[2, 0, 3, 0], [1, 4, 0, 0]])
    noisy = torch.tensor([[2, 0, 1, 4], [1, 4, 0, 2]])
    clean = receiver(torch.nn.functional.one_hot(ids, 5).float())
    torch.testing.assert_close(clean, receiver(torch.nn.functional.one_hot(noisy, 5).float()))
    other = receiver(torch.nn.functional.one_hot(torch.tensor([[2, 1, 0, 0], [1, 4, 0, 0]]), 5).float())
    assert not torch.allclose(clean[0], other[0])


def test_the_linear_reader_adds_one_vector_per_position_and_symbol() -> None:
    torch.manual_seed(0)
    receiver = Receiver("discrimination", vocab_size=6, max_len=2, input_size=8, n_attributes=2, n_values=4,
                        hidden=16, embed=4, reader="linear")

    def read(*messages: list[int]) -> torch.Tensor:
        return receiver.read(torch.nn.functional.one_hot(torch.tensor(messages), 6).float())

    ab, cd, ad, cb = read([1, 2, 0], [3, 4, 0], [1, 4, 0], [3, 2, 0])
    torch.testing.assert_close(ab + cd, ad + cb)  # a new combination of known symbols: the sum of their parts
    recurrent = Receiver("discrimination", vocab_size=6, max_len=2, input_size=8, n_attributes=2, n_values=4,
                         hidden=16, embed=4)
    parts = recurrent.read(torch.nn.functional.one_hot(torch.tensor([[1, 2, 0], [3, 4, 0], [1, 4, 0], [3, 2, 0]]),
                                                       6).float())
    assert not torch.allclose(parts[0] + parts[1], parts[2] + parts[3])
    with pytest.raises(ValueError, match="reader"):
        Receiver("discrimination", 6, 2, 8, 2, 4, reader="cnn")


@pytest.mark.parametrize(("method", "reader"), [("gumbel", "recurrent"), ("reinforce", "recurrent"),
                                                ("gumbel", "linear")])
@pytest.mark.parametrize("game", ["discrimination", "reconstruction"])
def test_training_reduces_the_loss_on_a_tiny_game(method: str, reader: str, game: str) -> None:
    config = dataclasses.replace(TINY, method=method, reader=reader, game=game, steps=200, generations=1)
    data = make_data(config)
    fresh = build_game(config, data)
    rng = np.random.default_rng(123)
    batch = make_batch(data, data.train[rng.integers(0, len(data.train), 256)], game, config.distractors, rng)

    def loss_of(trained: torch.nn.Module) -> float:
        trained.eval()
        with torch.no_grad():
            return float(trained(batch, greedy=True).task_loss.mean())

    result = train(config, data=data)
    assert loss_of(result.game) < 0.8 * loss_of(fresh)
    chance = 1 / (config.distractors + 1) if game == "discrimination" else 1 / config.values ** config.attributes
    assert result.metrics["accuracy"] > 1.5 * chance
    assert [row["step"] for row in result.history] == [50, 100, 150, 200]


def test_gumbel_and_reinforce_send_their_gradient_to_the_sender() -> None:
    for method in ("gumbel", "reinforce"):
        config = dataclasses.replace(TINY, method=method)
        data = make_data(config)
        game = build_game(config, data)
        rng = np.random.default_rng(0)
        batch = make_batch(data, data.train[:16], config.game, config.distractors, rng)
        game(batch).loss.backward()
        assert game.sender.to_logits.weight.grad is not None
        assert game.sender.to_logits.weight.grad.abs().sum() > 0


def test_greedy_messages_are_deterministic_and_cover_every_object() -> None:
    data = make_data(TINY)
    game = build_game(TINY, data)
    objects = all_objects(2, 4)
    first, second = messages_for(game, objects, 4), messages_for(game, objects, 4)
    np.testing.assert_array_equal(first, second)
    assert first.shape == (16, TINY.max_len + 1)


def test_config_rejects_impossible_games() -> None:
    with pytest.raises(ValueError, match="distractors"):
        LanguageConfig(values=3, distractors=20).check()
    with pytest.raises(ValueError, match="method"):
        LanguageConfig(method="ppo").check()
    with pytest.raises(ValueError, match="cell"):
        LanguageConfig(cell="rnn").check()
    with pytest.raises(ValueError, match="reader"):
        LanguageConfig(reader="cnn").check()


def test_reinforce_takes_larger_batches_unless_told() -> None:
    assert LanguageConfig(method="gumbel").games_per_step == 64
    assert LanguageConfig(method="reinforce").games_per_step == 128
    assert LanguageConfig(method="reinforce", batch_size=32).games_per_step == 32
    with pytest.raises(ValueError, match="batch-size"):
        LanguageConfig(batch_size=-1).check()


def test_lstm_agents_play_too() -> None:
    config = dataclasses.replace(TINY, cell="lstm", steps=20, eval_every=10)
    result = train(config)
    assert set(result.metrics) >= {"accuracy", "held_out_accuracy", "topsim", "posdis", "bosdis", "entropy"}


def test_game_batch_shapes() -> None:
    data = make_data(TINY)
    batch = make_batch(data, data.train[:5], "discrimination", 2, np.random.default_rng(0))
    assert isinstance(batch, GameBatch)
    assert batch.sender_input.shape == (5, 8) and batch.candidates is not None
    assert batch.candidates.shape == (5, 3, 8) and batch.labels.shape == (5,)


def test_training_games_have_more_distractors_than_evaluation_games() -> None:
    config = LanguageConfig()  # 2 x 10, 5 distractors when evaluating, 20 when training
    data = make_data(config)
    batch = training_batch(config, data, np.random.default_rng(0))
    assert batch.candidates is not None and batch.candidates.shape == (config.games_per_step, 21, 20)
    for name, games in evaluation_batches(config, data).items():
        assert games.candidates is not None and games.candidates.shape[1] == 6, name
    assert dataclasses.replace(config, train_distractors=0).training_distractors == 5
    assert dataclasses.replace(TINY, train_distractors=50).training_distractors == 13  # every other training object
    with pytest.raises(ValueError, match="train-distractors"):
        dataclasses.replace(config, train_distractors=-1).check()


def test_the_baseline_follows_a_falling_loss() -> None:
    cumulative, moving = RunningMean(0.0), RunningMean(0.9)
    for value in (4.0, 2.0):
        cumulative.update(value)
        moving.update(value)
    assert cumulative.mean == moving.mean == pytest.approx(3.0)  # both average the first losses
    for _ in range(200):
        cumulative.update(1.0)
        moving.update(1.0)
    assert moving.mean == pytest.approx(1.0, abs=1e-6)
    assert cumulative.mean == pytest.approx(206 / 202)  # the mean of every loss lags behind
    with pytest.raises(ValueError, match="decay"):
        RunningMean(1.0)

"""NSR perception: token and image classifiers over abstract symbols, trained on abduced labels."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from reasoning.nsr.perception import ImagePerception, Perception, TokenPerception, fit_perception
from reasoning.tasks.hint_images import IMAGE_SIZE, TOKENS, SymbolImages

N_TOKENS = len(TOKENS)


@pytest.fixture(autouse=True)
def single_thread() -> None:
    """Keep every test on one core (other jobs share the machine)."""
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def symbols() -> SymbolImages:
    return SymbolImages(seed=0)


def symbol_of_token(seed: int, n_symbols: int = N_TOKENS) -> np.ndarray:
    """An arbitrary injective map token id -> symbol id, (N_TOKENS,): symbols are not the tokens."""
    return np.random.default_rng(seed).permutation(n_symbols)[:N_TOKENS]


def rendered(symbols: SymbolImages, n: int, split: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uniformly drawn tokens rendered from ``split``: images (n, S, S) and token ids (n,)."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, N_TOKENS, n)
    return symbols.render([TOKENS[i] for i in ids], split, rng), ids


def test_token_perception_learns_an_arbitrary_permutation() -> None:
    mapping = symbol_of_token(seed=0, n_symbols=20)
    model = TokenPerception(N_TOKENS, n_symbols=20)
    tokens = torch.arange(N_TOKENS).repeat(4)
    loss = fit_perception(model, tokens, mapping[tokens.numpy()], steps=200, lr=0.1, batch_size=32, seed=0)
    assert loss < 0.05
    predicted = model.predict(torch.arange(N_TOKENS))
    assert predicted.dtype == torch.long and predicted.shape == (N_TOKENS,)
    assert predicted.tolist() == mapping.tolist()


def test_fit_perception_is_deterministic_and_accepts_numpy() -> None:
    tokens = np.arange(N_TOKENS)
    labels = symbol_of_token(seed=1)
    losses = [fit_perception(TokenPerception(N_TOKENS, N_TOKENS), tokens, labels, steps=20, seed=3) for _ in range(2)]
    assert losses[0] == losses[1]
    other = fit_perception(TokenPerception(N_TOKENS, N_TOKENS), tokens, labels, steps=20, seed=4)
    assert other != losses[0]


@pytest.mark.parametrize("kind", ["token", "image"])
def test_log_probs_are_normalised(kind: str) -> None:
    torch.manual_seed(0)
    if kind == "token":
        model: Perception = TokenPerception(N_TOKENS, n_symbols=7)
        inputs: torch.Tensor = torch.randint(N_TOKENS, (11,))
        torch.nn.init.normal_(model.logits.weight)
    else:
        model = ImagePerception(n_symbols=7)
        inputs = torch.rand(11, IMAGE_SIZE, IMAGE_SIZE)
    log_probs = model.log_probs(inputs)
    assert log_probs.shape == (11, 7) and log_probs.requires_grad
    torch.testing.assert_close(log_probs.exp().sum(dim=-1), torch.ones(11))
    assert torch.equal(model.predict(inputs), log_probs.argmax(dim=-1))


def test_image_perception_learns_rendered_hint_symbols(symbols: SymbolImages) -> None:
    """~2k train-pool renders, one thread, under 10 s: >= 90% on test-pool handwriting and fresh glyphs."""
    mapping = symbol_of_token(seed=2)
    train_images, train_ids = rendered(symbols, 2000, "train", seed=0)
    test_images, test_ids = rendered(symbols, 800, "test", seed=1)
    torch.manual_seed(0)
    model = ImagePerception(n_symbols=N_TOKENS)
    start = time.perf_counter()
    loss = fit_perception(model, train_images, mapping[train_ids], steps=400, lr=3e-3, batch_size=64, seed=0)
    elapsed = time.perf_counter() - start
    accuracy = (model.predict(test_images).numpy() == mapping[test_ids]).mean()
    assert loss < 0.2
    assert accuracy >= 0.9, f"test-pool accuracy {accuracy:.3f} after {elapsed:.1f} s"


@pytest.mark.slow
def test_image_perception_reaches_high_accuracy_with_more_training(symbols: SymbolImages) -> None:
    mapping = symbol_of_token(seed=2)
    train_images, train_ids = rendered(symbols, 8000, "train", seed=0)
    test_images, test_ids = rendered(symbols, 3000, "test", seed=1)
    torch.manual_seed(0)
    model = ImagePerception(n_symbols=N_TOKENS)
    fit_perception(model, train_images, mapping[train_ids], steps=2000, lr=2e-3, batch_size=64, seed=0)
    assert (model.predict(test_images).numpy() == mapping[test_ids]).mean() >= 0.97


def test_bad_inputs_and_arguments_are_explained() -> None:
    tokens = TokenPerception(N_TOKENS, 4)
    with pytest.raises(ValueError, match=r"token ids must lie in \[0, 16\)"):
        tokens.log_probs(torch.tensor([0, 16]))
    with pytest.raises(ValueError, match="integers in a 1-D tensor"):
        tokens.predict(torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"shape \(n, 16, 16\)"):
        ImagePerception(4).log_probs(torch.zeros(3, 8, 8))
    with pytest.raises(ValueError, match="at least one symbol"):
        TokenPerception(N_TOKENS, 0)
    with pytest.raises(ValueError, match="image_size must be at least 4"):
        ImagePerception(4, image_size=2)
    ids = torch.arange(4)
    with pytest.raises(ValueError, match=r"labels \(symbol ids\) must be 4 integers"):
        fit_perception(tokens, ids, [0, 1, 2])
    with pytest.raises(ValueError, match=r"labels \(symbol ids\) must lie in \[0, 4\)"):
        fit_perception(tokens, ids, [0, 1, 2, 4])
    with pytest.raises(ValueError, match="steps > 0"):
        fit_perception(tokens, ids, [0, 1, 2, 3], steps=0)
    with pytest.raises(ValueError, match="at least one"):
        fit_perception(tokens, torch.zeros(0, dtype=torch.long), [])


def test_image_perception_at_another_size() -> None:
    model = ImagePerception(n_symbols=5, image_size=8)
    assert model.log_probs(np.zeros((3, 8, 8), dtype=np.float32)).shape == (3, 5)

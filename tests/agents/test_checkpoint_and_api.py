from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from agents.encoders.api import SlotEncoder
from agents.encoders.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from agents.encoders.evaluation import evaluate, upsample_segments
from agents.encoders.slot_autoencoder import ModelConfig, SlotAutoencoder
from agents.encoders.test_time_adaptation import adapted_forward

torch.set_num_threads(1)


@pytest.fixture
def model() -> SlotAutoencoder:
    torch.manual_seed(0)
    return SlotAutoencoder(ModelConfig(image_size=32, resolution=16, num_slots=4))


def test_checkpoint_round_trip(tmp_path: Path, model: SlotAutoencoder) -> None:
    path = save_checkpoint(tmp_path / "run" / "encoder.pt", model, {"step": 7})
    loaded, extra = load_checkpoint(tmp_path / "run")
    assert extra == {"step": 7}
    frames = torch.randint(0, 256, (2, 32, 32, 3), dtype=torch.uint8)
    with torch.no_grad():
        torch.manual_seed(1)
        a = model.eval()(frames).reconstruction
        torch.manual_seed(1)
        b = loaded(frames).reconstruction
    assert torch.equal(a, b)
    assert [p.name for p in path.parent.iterdir()] == ["encoder.pt"]  # no temporary left behind


def test_checkpoint_errors(tmp_path: Path, model: SlotAutoencoder) -> None:
    with pytest.raises(CheckpointError, match="no encoder checkpoint"):
        load_checkpoint(tmp_path)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(bad)
    save_checkpoint(tmp_path / "ok.pt", model)
    with pytest.raises(CheckpointError, match="32x32 frames"):
        load_checkpoint(tmp_path / "ok.pt", image_size=64)
    with pytest.raises(CheckpointError, match="4 slots"):
        load_checkpoint(tmp_path / "ok.pt", num_slots=7)


def test_encoder_api_shapes_and_errors(model: SlotAutoencoder) -> None:
    encoder = SlotEncoder(model)
    frames = np.random.default_rng(0).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)
    slots, masks = encoder.encode(frames, batch_size=2)
    assert slots.shape == (5, 4, 64) and slots.dtype == np.float32
    assert masks.shape == (5, 4, 32, 32)
    assert np.allclose(masks.sum(1), 1.0, atol=1e-4)
    alone, _ = encoder.encode(frames[:1])
    assert np.allclose(alone, slots[:1], atol=1e-5)  # deterministic and independent of the batch
    with pytest.raises(ValueError, match="uint8"):
        encoder.encode(frames.astype(np.float32))
    with pytest.raises(ValueError, match=r"\(B, 32, 32, 3\)"):
        encoder.encode(frames[:, :16])


def test_tta_adapts_a_copy_and_restores_nothing_in_place(model: SlotAutoencoder) -> None:
    frames = torch.randint(0, 256, (4, 32, 32, 3), dtype=torch.uint8)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    torch.manual_seed(0)
    plain = adapted_forward(model, frames, steps=0)
    torch.manual_seed(0)
    adapted = adapted_forward(model, frames, steps=3, lr=1e-3)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    plain_error = ((plain.reconstruction - plain.target) ** 2).mean()
    adapted_error = ((adapted.reconstruction - adapted.target) ** 2).mean()
    assert adapted_error < plain_error


def test_evaluate_scores_a_perfect_and_a_trivial_segmentation(model: SlotAutoencoder) -> None:
    soft = torch.zeros(1, 3, 2, 2)
    soft[0, 0, 0, :] = 1
    soft[0, 1, 1, :] = 1
    assert upsample_segments(soft, 4).tolist() == [[[0] * 4] * 2 + [[1] * 4] * 2]
    images = np.zeros((3, 32, 32, 3), dtype=np.uint8)
    masks = np.zeros((3, 32, 32), dtype=np.uint8)
    masks[:, 4:12, 4:12] = 1
    masks[:, 20:28, 20:28] = 2
    scores = evaluate(model, images, masks, batch_size=2)
    assert set(scores) == {"fg_ari", "ari", "mbo", "mse"}
    assert -1.0 <= scores["fg_ari"] <= 1.0 and 0.0 <= scores["mbo"] <= 1.0

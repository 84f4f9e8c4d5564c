from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.encoders.broadcast_decoder import BroadcastDecoder, combine
from agents.encoders.cnn_encoder import CnnEncoder
from agents.encoders.cycle_losses import feature_slot_feature_loss, ramp_weight, slot_feature_slot_loss
from agents.encoders.slot_attention import SlotAttention
from agents.encoders.slot_autoencoder import ModelConfig, SlotAutoencoder

torch.set_num_threads(1)


def test_shapes_through_the_autoencoder() -> None:
    model = SlotAutoencoder(ModelConfig(image_size=64, resolution=32, num_slots=5))
    frames = torch.randint(0, 256, (2, 64, 64, 3), dtype=torch.uint8)
    out = model(frames)
    assert out.slots.shape == (2, 5, 64)
    assert out.features.shape == (2, 16 * 16, 64)
    assert out.attention.shape == (2, 5, 256)
    assert out.reconstruction.shape == out.target.shape == (2, 3, 32, 32)
    assert out.masks.shape == (2, 5, 32, 32)
    assert torch.allclose(out.masks.sum(1), torch.ones(2, 32, 32), atol=1e-5)
    assert torch.allclose(out.attention.sum(1), torch.ones(2, 256), atol=1e-4)


def test_encoder_and_decoder_shapes() -> None:
    assert CnnEncoder(32)(torch.rand(3, 3, 32, 32)).shape == (3, 256, 64)
    rgb, alpha = BroadcastDecoder(64, 64)(torch.rand(2, 4, 64))
    assert rgb.shape == (2, 4, 3, 64, 64) and alpha.shape == (2, 4, 1, 64, 64)
    reconstruction, masks = combine(rgb, alpha)
    assert reconstruction.shape == (2, 3, 64, 64) and masks.shape == (2, 4, 64, 64)
    with pytest.raises(ValueError, match="power of two"):
        BroadcastDecoder(64, 48)


@pytest.mark.parametrize("learned_queries", [False, True])
def test_slot_attention_is_permutation_invariant_in_inputs_and_equivariant_in_slots(learned_queries: bool) -> None:
    torch.manual_seed(0)
    attention = SlotAttention(num_slots=4, dim=16, iterations=3, learned_queries=learned_queries)
    inputs = torch.randn(2, 10, 16)
    slots0 = torch.randn(2, 4, 16)
    slots, attn = attention(inputs, slots0)
    input_order = torch.randperm(10)
    slots_p, attn_p = attention(inputs[:, input_order], slots0)
    assert torch.allclose(slots, slots_p, atol=1e-5)
    assert torch.allclose(attn[:, :, input_order], attn_p, atol=1e-5)
    slot_order = torch.randperm(4)
    slots_q, attn_q = attention(inputs, slots0[:, slot_order])
    assert torch.allclose(slots[:, slot_order], slots_q, atol=1e-5)
    assert torch.allclose(attn[:, slot_order], attn_q, atol=1e-5)


def test_learned_queries_get_gradients_through_the_straight_through_step() -> None:
    attention = SlotAttention(num_slots=3, dim=8, learned_queries=True)
    slots, _ = attention(torch.randn(2, 5, 8))
    slots.sum().backward()
    assert attention.queries.grad is not None and attention.queries.grad.abs().sum() > 0


def _one_to_one(k: int = 4, dim: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    basis = torch.eye(dim)[:k].unsqueeze(0)  # k orthonormal slots
    features = basis.repeat_interleave(3, dim=1)  # every slot owns 3 identical features
    return basis.clone(), features


def test_cycle_losses_are_minimal_on_a_one_to_one_assignment() -> None:
    slots, features = _one_to_one()
    perfect_sfs = slot_feature_slot_loss(slots, features, temperature=0.05)
    perfect_fsf = feature_slot_feature_loss(slots, features, temperature=0.05, target_temperature=0.05)
    assert perfect_sfs < 1e-3
    collapsed = slots[:, :1].repeat(1, 4, 1)  # every slot the same
    assert slot_feature_slot_loss(collapsed, features, 0.05) > perfect_sfs + 0.5
    assert feature_slot_feature_loss(collapsed, features, 0.05, 0.05) > perfect_fsf + 0.5
    noisy = slots + 0.5 * torch.randn_like(slots)
    assert slot_feature_slot_loss(noisy, features, 0.05) > perfect_sfs


def test_cycle_losses_give_gradients() -> None:
    slots = torch.randn(2, 4, 8, requires_grad=True)
    features = torch.randn(2, 300, 8, requires_grad=True)
    loss = slot_feature_slot_loss(slots, features) + feature_slot_feature_loss(slots, features, max_features=64)
    loss.backward()
    assert slots.grad.abs().sum() > 0 and features.grad.abs().sum() > 0


def test_ramp_weight() -> None:
    assert ramp_weight(0.1, step=5, start=10, ramp_steps=10) == 0.0
    assert ramp_weight(0.1, step=14, start=10, ramp_steps=10) == pytest.approx(0.05)
    assert ramp_weight(0.1, step=100, start=10, ramp_steps=10) == 0.1


def test_model_rejects_frames_of_the_wrong_size() -> None:
    model = SlotAutoencoder(ModelConfig(image_size=64))
    with pytest.raises(ValueError, match=r"\(B, 64, 64, 3\)"):
        model(torch.zeros(1, 32, 32, 3, dtype=torch.uint8))
    with pytest.raises(ValueError, match="multiple"):
        ModelConfig(image_size=64, resolution=48)


def test_a_few_steps_reduce_reconstruction_error() -> None:
    torch.manual_seed(0)
    model = SlotAutoencoder(ModelConfig(image_size=32, resolution=16, num_slots=3))
    frames = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (8, 32, 32, 3), dtype=np.uint8))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(15):
        out = model(frames)
        loss = torch.nn.functional.mse_loss(out.reconstruction, out.target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_more_slots_at_test_time() -> None:
    model = SlotAutoencoder(ModelConfig(image_size=32, resolution=16, num_slots=3))
    initial = model.slot_attention.initial_slots(2, num_slots=6)
    out = model(torch.randint(0, 256, (2, 32, 32, 3), dtype=torch.uint8), initial)
    assert out.slots.shape == (2, 6, 64) and out.masks.shape == (2, 6, 16, 16)
    fixed = SlotAttention(num_slots=3, dim=8, learned_queries=True)
    with pytest.raises(ValueError, match="learned queries"):
        fixed.initial_slots(1, num_slots=5)

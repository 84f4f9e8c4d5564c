"""Slot-TTA: a few reconstruction steps on each evaluation batch, weights restored afterwards."""

from __future__ import annotations

import copy

import torch

from agents.encoders.slot_autoencoder import SlotAutoencoder, SlotOutput


def adapted_forward(model: SlotAutoencoder, frames: torch.Tensor, steps: int, lr: float = 1e-4,
                    num_slots: int | None = None) -> SlotOutput:
    """The output for ``frames`` (B, H, W, 3) after ``steps`` Adam steps of reconstruction loss on
    exactly these frames. ``model`` itself is left unchanged (the steps run on a copy).
    ``num_slots`` overrides K (Gaussian slot initialisation only)."""

    def run(net: SlotAutoencoder) -> SlotOutput:
        initial = None if num_slots is None else net.slot_attention.initial_slots(len(frames), num_slots=num_slots)
        return net(frames, initial)

    if steps <= 0:
        with torch.no_grad():
            return run(model)
    adapted = copy.deepcopy(model)
    adapted.train()
    optimizer = torch.optim.Adam(adapted.parameters(), lr=lr)
    for _ in range(steps):
        out = run(adapted)
        loss = torch.nn.functional.mse_loss(out.reconstruction, out.target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    adapted.eval()
    with torch.no_grad():
        return run(adapted)

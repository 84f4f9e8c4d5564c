"""``SlotAutoencoder``: CNN encoder -> Slot Attention -> spatial broadcast decoder, and its config."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from agents.encoders.broadcast_decoder import BroadcastDecoder, combine
from agents.encoders.cnn_encoder import CnnEncoder
from agents.encoders.slot_attention import SlotAttention


@dataclass(frozen=True)
class ModelConfig:
    """Architecture of a slot autoencoder. ``image_size`` is the frame size it accepts; frames are
    area-downsampled to ``resolution`` inside the model."""

    image_size: int = 64
    resolution: int = 32
    num_slots: int = 7
    slot_dim: int = 64
    iterations: int = 3
    encoder_channels: int = 32
    decoder_channels: int = 32
    learned_queries: bool = False
    background: bool = False

    def __post_init__(self) -> None:
        if self.image_size % self.resolution:
            raise ValueError(f"image_size={self.image_size} must be a multiple of resolution={self.resolution}")
        if self.num_slots < 1 or self.iterations < 1:
            raise ValueError("num_slots and iterations must be >= 1")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SlotOutput:
    """Everything one forward pass produces (R = model resolution, N = feature positions)."""

    slots: torch.Tensor  # (B, K, D)
    features: torch.Tensor  # (B, N, D)
    attention: torch.Tensor  # (B, K, N), softmax over slots
    target: torch.Tensor  # (B, 3, R, R) the downsampled input in [0, 1]
    reconstruction: torch.Tensor  # (B, 3, R, R)
    masks: torch.Tensor  # (B, K, R, R) (K + 1 with a background layer, last), sum to 1 over that axis

    def float(self) -> SlotOutput:
        """The same output in float32 (after a bfloat16 autocast)."""
        return SlotOutput(*(tensor.float() for tensor in (self.slots, self.features, self.attention, self.target,
                                                          self.reconstruction, self.masks)))


class SlotAutoencoder(nn.Module):
    """uint8 or float frames (B, H, W, 3) -> :class:`SlotOutput`.

    With ``config.background`` the decoded slots are laid over a background layer: one learned colour
    with one learned alpha logit everywhere, which owns every pixel that no slot claims more strongly.
    Slots then need not share the empty background out among themselves (see ``pretrain``'s
    foreground-sparsity loss, which makes them leave it to that layer).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = CnnEncoder(config.resolution, config.encoder_channels, config.slot_dim)
        self.slot_attention = SlotAttention(config.num_slots, config.slot_dim, config.iterations,
                                            learned_queries=config.learned_queries)
        self.decoder = BroadcastDecoder(config.slot_dim, config.resolution, config.decoder_channels)
        if config.background:
            self.background_rgb = nn.Parameter(torch.zeros(3))
            self.background_alpha = nn.Parameter(torch.zeros(()))

    def decode(self, slots: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Slots (B, K, D) -> per-layer RGB (B, L, 3, R, R) and alpha logits (B, L, 1, R, R); L = K, or K + 1
        with the background layer last."""
        rgb, alpha = self.decoder(slots)
        if not self.config.background:
            return rgb, alpha
        batch, _, _, height, width = rgb.shape
        background_rgb = self.background_rgb.view(1, 1, 3, 1, 1).expand(batch, 1, 3, height, width)
        background_alpha = self.background_alpha.view(1, 1, 1, 1, 1).expand(batch, 1, 1, height, width)
        return (torch.cat([rgb, background_rgb.to(rgb.dtype)], 1),
                torch.cat([alpha, background_alpha.to(alpha.dtype)], 1))

    @property
    def device(self) -> torch.device:
        """Where the weights are (inputs are moved there)."""
        return next(self.parameters()).device

    def prepare(self, frames: torch.Tensor) -> torch.Tensor:
        """(B, H, W, 3) uint8/float frames (on any device) -> (B, 3, R, R) floats in [0, 1] on the model's device."""
        size = self.config.image_size
        if frames.ndim != 4 or frames.shape[1:] != (size, size, 3):
            raise ValueError(f"expected frames of shape (B, {size}, {size}, 3), got {tuple(frames.shape)}")
        images = frames.to(self.device).permute(0, 3, 1, 2).float()
        if frames.dtype == torch.uint8:
            images = images / 255.0
        factor = size // self.config.resolution
        return F.avg_pool2d(images, factor) if factor > 1 else images

    def encode(self, frames: torch.Tensor, initial_slots: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Frames -> (slots (B, K, D), attention (B, K, N), features (B, N, D), target (B, 3, R, R)).

        ``initial_slots`` (B, K, D) replaces the sampled initialisation (for deterministic inference).
        """
        target = self.prepare(frames)
        if initial_slots is not None:
            initial_slots = initial_slots.to(target.device)
        features = self.encoder(target)
        slots, attention = self.slot_attention(features, initial_slots)
        return slots, attention, features, target

    def forward(self, frames: torch.Tensor, initial_slots: torch.Tensor | None = None) -> SlotOutput:
        slots, attention, features, target = self.encode(frames, initial_slots)
        reconstruction, masks = combine(*self.decode(slots))
        return SlotOutput(slots, features, attention, target, reconstruction, masks)

"""``SelfLocalizingPPO``: PPO whose slot extractor learns which slot is the agent from the agent's own moves.

Slots carry no "this is you" flag. The extractor finds the agent's row by a learned attention
(``RelativeSetExtractor.self_weights``), but PPO's gradient reaches that attention only through
positions relative to it, which mean nothing until it points at the agent: on ObjectGoal the slot
agent stayed at the random floor, and learned (0.47 at 100k steps) once the slot nearest the true
agent was flagged for it (docs/agents.md). The agent is the one object that moves when it acts, so
before every PPO update this class fits the attention by inverse dynamics on the rollout just
collected: from the change of the attended position between two consecutive steps of an episode,
a linear head must tell which action was taken. No ground truth is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from stable_baselines3 import PPO

SELF_EPOCHS = 4
SELF_BATCH = 256
SELF_LR = 1e-2
# Moves are 0.05 arena units; the inverse-dynamics head reads them in hundredths, where a linear layer
# separates the four directions from its first steps (at x10 the fit had not started after 300 steps).
MOVE_SCALE = 100.0


class SelfLocalizingPPO(PPO):
    """PPO with an inverse-dynamics fit of the extractor's self attention before each update, by its own
    Adam over the attention and the head only; the loss is logged as ``train/self_localization_loss``."""

    self_optimizer: torch.optim.Optimizer | None = None

    def train(self) -> None:
        self._fit_self_attention()
        super().train()

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "self_optimizer"]  # rebuilt on demand after a load

    def _extractor(self) -> Any:
        policy = self.policy
        return policy.features_extractor if policy.share_features_extractor else policy.pi_features_extractor

    def _self_optimizer(self) -> torch.optim.Optimizer:
        if self.self_optimizer is None:
            extractor = self._extractor()
            parameters = [*extractor.self_score.parameters(), *extractor.inverse_dynamics.parameters()]
            self.self_optimizer = torch.optim.Adam(parameters, lr=SELF_LR)
        return self.self_optimizer

    def _fit_self_attention(self) -> None:
        buffer = self.rollout_buffer
        extractor = self._extractor()
        # (T, E, N, F), not yet flattened by get(); on the policy's device
        observations = torch.as_tensor(buffer.observations, device=self.device)
        actions = torch.as_tensor(buffer.actions.reshape(buffer.buffer_size, buffer.n_envs), device=self.device).long()
        same_episode = torch.as_tensor(buffer.episode_starts[1:] == 0)  # step t -> t + 1 without a reset
        steps, envs = torch.nonzero(same_episode, as_tuple=True)
        if len(steps) == 0:
            return
        self.policy.set_training_mode(True)
        optimizer = self._self_optimizer()
        losses = []
        generator = np.random.default_rng(self.num_timesteps)
        for _ in range(SELF_EPOCHS):
            order = generator.permutation(len(steps))
            for start in range(0, len(order), SELF_BATCH):
                pick = torch.as_tensor(order[start:start + SELF_BATCH])
                t, e = steps[pick], envs[pick]
                moved = extractor.self_position(observations[t + 1, e]) - extractor.self_position(observations[t, e])
                loss = F.cross_entropy(extractor.inverse_dynamics(moved * MOVE_SCALE), actions[t, e])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        self.logger.record("train/self_localization_loss", float(np.mean(losses)))

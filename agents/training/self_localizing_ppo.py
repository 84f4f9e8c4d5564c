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

SELF_EPOCHS = 2
SELF_BATCH = 1024


class SelfLocalizingPPO(PPO):
    """PPO with an inverse-dynamics fit of the extractor's self attention before each update; the
    inverse-dynamics loss is logged as ``train/self_localization_loss``."""

    def train(self) -> None:
        self._fit_self_attention()
        super().train()

    def _extractor(self) -> Any:
        policy = self.policy
        return policy.features_extractor if policy.share_features_extractor else policy.pi_features_extractor

    def _fit_self_attention(self) -> None:
        buffer = self.rollout_buffer
        extractor = self._extractor()
        observations = torch.as_tensor(buffer.observations)  # (T, E, N, F), not yet flattened by get()
        actions = torch.as_tensor(buffer.actions.reshape(buffer.buffer_size, buffer.n_envs)).long()
        same_episode = torch.as_tensor(buffer.episode_starts[1:] == 0)  # step t -> t + 1 without a reset
        steps, envs = torch.nonzero(same_episode, as_tuple=True)
        if len(steps) == 0:
            return
        self.policy.set_training_mode(True)
        losses = []
        generator = np.random.default_rng(self.num_timesteps)
        for _ in range(SELF_EPOCHS):
            order = generator.permutation(len(steps))
            for start in range(0, len(order), SELF_BATCH):
                pick = torch.as_tensor(order[start:start + SELF_BATCH])
                t, e = steps[pick], envs[pick]
                moved = extractor.self_position(observations[t + 1, e]) - extractor.self_position(observations[t, e])
                loss = F.cross_entropy(extractor.inverse_dynamics(moved * extractor.position_scale), actions[t, e])
                self.policy.optimizer.zero_grad()
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.policy.parameters(), self.max_grad_norm)
                self.policy.optimizer.step()
                losses.append(loss.item())
        self.logger.record("train/self_localization_loss", float(np.mean(losses)))

"""RuleWorld transition data: state_t -> state_t+1 from the numba production-rule engine.

Episodes start from a seeded scene and run ``steps`` rule steps; every (t, t+1) pair is a
transition, and the rule each object fired is kept as the ground truth of rule selection. Seeds
of the training, validation and test sets are disjoint streams of one base seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from envs.rule_world import RuleWorld

SPLIT_OFFSETS: dict[str, int] = {"train": 0, "valid": 1_000_003, "test": 2_000_006}


@dataclass
class Episodes:
    """states: (E, T + 1, N, F) float32 feature rows; fired: (E, T, N) int64 rule index (-1: null)."""

    states: torch.Tensor
    fired: torch.Tensor

    def transitions(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Every one-step pair: (x_t (E*T, N, F), x_t+1 (E*T, N, F), fired (E*T, N))."""
        n_objects, n_features = self.states.shape[2:]
        return (self.states[:, :-1].reshape(-1, n_objects, n_features),
                self.states[:, 1:].reshape(-1, n_objects, n_features), self.fired.reshape(-1, n_objects))


def make_episodes(n_episodes: int, steps: int, num_objects: int, seed: int, split: str = "train",
                  radius: float = 0.1) -> Episodes:
    """``n_episodes`` RuleWorld episodes (default rules) of ``steps`` steps with ``num_objects`` objects."""
    if split not in SPLIT_OFFSETS:
        raise ValueError(f"split={split!r} is unknown; choose from {', '.join(SPLIT_OFFSETS)}")
    world = RuleWorld(n_episodes, num_objects=num_objects, radius=radius)
    world.seed(seed * 7_919 + SPLIT_OFFSETS[split] + 100_000 * num_objects)
    world.reset()
    states, fired = world.rollout(steps)
    return Episodes(torch.from_numpy(states), torch.from_numpy(fired))

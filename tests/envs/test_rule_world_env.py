"""``slotmind/RuleWorld-v0``: the gymnasium API, seeding, observations, masks and parameters."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import envs  # registers the ids
from envs.production_rules import DEFAULT_RULES
from envs.rule_world import ENV_ID, N_FEATURES, RuleWorld, RuleWorldEnv


@pytest.mark.parametrize("obs_mode", ["objects", "rgb", "rgb+objects"])
def test_check_env_passes(obs_mode: str) -> None:
    check_env(gym.make(ENV_ID, obs_mode=obs_mode).unwrapped, skip_render_check=False)


def test_seeded_episodes_repeat_and_fired_rules_are_reported() -> None:
    env = gym.make(ENV_ID, num_objects=6, max_steps=20)
    runs = []
    for _ in range(2):
        obs, info = env.reset(seed=3)
        frames, fired = [obs], [info["fired"]]
        truncated = False
        while not truncated:
            obs, reward, terminated, truncated, info = env.step(0)
            assert reward == 0.0 and not terminated
            frames.append(obs)
            fired.append(info["fired"])
        runs.append((np.stack(frames), np.stack(fired)))
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][0].shape == (21, 6, N_FEATURES) and len(runs[0][1]) == 21
    assert (runs[0][1][1:] >= 0).any() and not np.array_equal(runs[0][0][0], runs[0][0][-1])


def test_masks_label_the_objects() -> None:
    env = gym.make(ENV_ID, obs_mode="rgb", with_masks=True, num_objects=4, image_size=48)
    obs, info = env.reset(seed=0)
    assert obs.shape == (48, 48, 3) and info["masks"].shape == (48, 48)
    assert set(np.unique(info["masks"])) <= {0, 1, 2, 3, 4} and info["masks"].max() > 0
    assert (obs[info["masks"] == 0] == 0).all() and (obs[info["masks"] > 0].sum(-1) > 0).all()


def test_without_rules_nothing_moves() -> None:
    world = RuleWorld(4, num_objects=5, rules=())
    world.seed(1)
    world.reset()
    states, fired = world.rollout(3)
    assert (fired == -1).all()
    np.testing.assert_array_equal(states[:, 0], states[:, -1])


def test_rules_are_a_parameter() -> None:
    world = RuleWorld(8, num_objects=3, rules=DEFAULT_RULES[-1:], shapes=("circle",))
    world.seed(0)
    world.reset()
    states, fired = world.rollout(2)
    assert (fired == 0).all() and (states[:, 1, :, 0] >= states[:, 0, :, 0]).all()


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="obs_mode"):
        RuleWorldEnv(obs_mode="pixels")
    with pytest.raises(ValueError, match="num_objects"):
        RuleWorld(num_objects=0)
    env = RuleWorldEnv()
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="only action"):
        env.step(1)


def test_rule_world_is_a_listed_id_that_play_and_vec_envs_accept(tmp_path: Path) -> None:
    from envs.command_line import main

    assert "slotmind/RuleWorld-v0" in envs.available_ids()
    vec = envs.make_vec_env("slotmind/RuleWorld-v0", n_envs=2, seed=0)
    assert vec.reset().shape[0] == 2
    gif = tmp_path / "rule_world.gif"
    assert main(["play", "slotmind/RuleWorld-v0", "--record", str(gif), "--steps", "5"]) == 0
    assert gif.read_bytes()[:3] == b"GIF"

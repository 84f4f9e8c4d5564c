from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import envs
from envs.registry import SPEC_KWARGS, TASK_OF_NAME, UnknownEnvError
from envs.sprites import PALETTE

BASE_IDS = [f"slotmind/{name}-v0" for name in TASK_OF_NAME]
OBS_MODES = ["rgb", "objects", "rgb+objects"]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("env_id", BASE_IDS)
def test_checkers_pass_for_every_task_and_obs_mode(env_id: str, obs_mode: str) -> None:
    env = gym.make(env_id, obs_mode=obs_mode)
    gym_check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)


@pytest.mark.parametrize("env_id", sorted(set(SPEC_KWARGS) - set(BASE_IDS)))
def test_checkers_pass_for_every_variant(env_id: str) -> None:
    env = gym.make(env_id)
    gym_check_env(env.unwrapped)
    sb3_check_env(env.unwrapped)


def _trajectory(env: gym.Env, seed: int, steps: int = 150) -> list:
    obs, _ = env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, 4, steps)
    out = [obs.copy()]
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(int(action))
        out.append((obs.copy(), reward, terminated, truncated))
        if terminated or truncated:
            obs, _ = env.reset()
            out.append(obs.copy())
    return out


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        np.array_equal(x[0], y[0]) and x[1:] == y[1:] if isinstance(x, tuple) else np.array_equal(x, y)
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("env_id", BASE_IDS)
def test_same_seed_same_trajectory(env_id: str) -> None:
    first = _trajectory(gym.make(env_id, obs_mode="objects"), seed=7)
    again = _trajectory(gym.make(env_id, obs_mode="objects"), seed=7)
    other = _trajectory(gym.make(env_id, obs_mode="objects"), seed=8)
    assert _same(first, again)
    assert not _same(first, other)


@pytest.mark.parametrize("env_id", BASE_IDS)
def test_masks_agree_with_the_image(env_id: str) -> None:
    env = gym.make(env_id, obs_mode="rgb", with_masks=True)
    obs, info = env.reset(seed=3)
    for _ in range(20):
        masks = info["masks"]
        config = env.unwrapped.config
        assert masks.shape == obs.shape[:2]
        # every pixel that differs from the background (black, or the push goal) has exactly one owner
        background = (obs == 0).all(-1) | (obs == 70).all(-1)
        assert np.array_equal(masks > 0, ~background)
        objects = env.unwrapped.world.objects[0]
        for label in np.unique(masks[masks > 0]):
            pixels = obs[masks == label]
            if label == config.capacity + 1:
                assert (pixels == 255).all()  # the agent is white
            else:
                assert (pixels == PALETTE[objects[label - 1]["color"]]).all()
        obs, _, terminated, truncated, info = env.step(env.action_space.sample())
        if terminated or truncated:
            obs, info = env.reset()


def test_objects_observation_describes_the_scene() -> None:
    env = gym.make("slotmind/Push-v0", obs_mode="objects")
    obs, _ = env.reset(seed=0)
    world = env.unwrapped.world
    n = int(world.worlds[0]["n_objects"])
    assert obs[:n, 0].all() and not obs[n:-2, 0].any()
    assert obs[-2, 1] == 1.0 and obs[-1, 2] == 1.0  # agent row, goal row
    assert np.allclose(obs[-2, 3:5], [world.worlds[0]["agent_x"], world.worlds[0]["agent_y"]])
    assert np.allclose(obs[:n, 3], world.objects[0]["x"][:n])


def test_touching_the_target_succeeds_and_a_distractor_fails() -> None:
    env = gym.make("slotmind/ObjectGoal-v0", obs_mode="objects", num_objects=(2, 2))
    env.reset(seed=1)
    world = env.unwrapped.world
    objects = world.objects[0]
    target = int(np.flatnonzero(objects["role"] == 1)[0])
    world.worlds[0]["agent_x"] = objects[target]["x"] - 0.08
    world.worlds[0]["agent_y"] = objects[target]["y"]
    objects[1 - target]["x"], objects[1 - target]["y"] = 0.9, 0.9
    objects[target]["x"] = max(objects[target]["x"], 0.2)
    world.worlds[0]["agent_x"] = objects[target]["x"] - 0.08
    _, reward, terminated, _, info = env.step(3)  # move right, into the target
    assert (reward, terminated, info["is_success"]) == (1.0, True, True)

    env.reset(seed=1)
    objects = world.objects[0]
    distractor = 1 - int(np.flatnonzero(objects["role"] == 1)[0])
    objects[distractor]["x"], objects[distractor]["y"] = 0.5, 0.5
    objects[1 - distractor]["x"], objects[1 - distractor]["y"] = 0.9, 0.1
    world.worlds[0]["agent_x"], world.worlds[0]["agent_y"] = 0.42, 0.5
    _, reward, terminated, _, info = env.step(3)
    assert (reward, terminated, info["is_success"]) == (0.0, True, False)


def test_episodes_truncate_after_max_steps() -> None:
    env = gym.make("slotmind/ObjectGoal-v0", num_objects=(1, 1), max_steps=5)
    env.reset(seed=0)
    world = env.unwrapped.world
    world.objects[0]["x"][0], world.objects[0]["y"][0] = 0.9, 0.9
    world.worlds[0]["agent_x"], world.worlds[0]["agent_y"] = 0.1, 0.1
    outcomes = [env.step(0)[2:4] for _ in range(5)]  # walk into the top wall: nothing happens
    assert outcomes == [(False, False)] * 4 + [(False, True)]


@pytest.mark.parametrize("bad", [4, -1, 2.5, "up", np.array([0, 1])])
def test_actions_out_of_range_are_errors(bad: object) -> None:
    env = gym.make("slotmind/OddOneOut-v0").unwrapped
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(bad)


def test_step_before_reset_is_an_error() -> None:
    env = gym.make("slotmind/Collect-v0").unwrapped
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_unknown_id_lists_the_available_ids() -> None:
    with pytest.raises(UnknownEnvError, match="slotmind/ObjectGoal-v0") as error:
        envs.make_env("slotmind/ObjectGoall-v0")
    assert "Did you mean" in str(error.value)


def test_render_rgb_array_at_render_size() -> None:
    env = gym.make("slotmind/Collect-v0", render_mode="rgb_array", render_size=96)
    env.reset(seed=0)
    frame = env.render()
    assert frame.shape == (96, 96, 3) and frame.dtype == np.uint8 and frame.any()


def test_variants_change_the_distribution() -> None:
    env = gym.make("slotmind/OddOneOut-UnseenColors-v0", obs_mode="objects")
    base = gym.make("slotmind/OddOneOut-v0", obs_mode="objects")
    unseen = {tuple(np.round(row[6:9], 3)) for _ in range(20) for row in env.reset()[0] if row[0] and not row[1]}
    seen = {tuple(np.round(row[6:9], 3)) for _ in range(20) for row in base.reset()[0] if row[0] and not row[1]}
    assert unseen and seen and not unseen & seen
    more = gym.make("slotmind/Collect-MoreObjects-v0").unwrapped
    more.reset(seed=0)
    assert more.world.worlds[0]["n_objects"] >= 6


def test_every_variant_of_a_task_has_the_same_observation_shape() -> None:
    shapes = {gym.make(env_id, obs_mode="objects").observation_space.shape for env_id in SPEC_KWARGS}
    assert len(shapes) == 1
    with pytest.raises(ValueError, match="object_capacity"):
        gym.make("slotmind/ObjectGoal-v0", object_capacity=2)

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from minigrid.core.constants import OBJECT_TO_IDX
from stable_baselines3.common.env_checker import check_env as sb3_check_env
from stable_baselines3.common.vec_env import DummyVecEnv

import envs
from envs.minigrid_adapter import FEATURE_NAMES, N_FEATURES, MiniGridAdapter, make_minigrid_env

ENV_IDS = ["MiniGrid-Empty-8x8-v0", "MiniGrid-DoorKey-5x5-v0"]
OBS_MODES = ["rgb", "objects", "rgb+objects"]
COLUMN = {name: i for i, name in enumerate(FEATURE_NAMES)}


def _rollout(env: gym.Env, seed: int, steps: int = 40) -> list:
    obs, _ = env.reset(seed=seed)
    actions = np.random.default_rng(seed).integers(0, env.action_space.n, steps)
    out = [obs]
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(int(action))
        out.append((obs, reward, terminated, truncated))
        if terminated or truncated:
            obs, _ = env.reset()
            out.append(obs)
    return out


def _same(a: list, b: list) -> bool:
    def arrays(x: object) -> list[np.ndarray]:
        obs = x[0] if isinstance(x, tuple) else x
        return list(obs.values()) if isinstance(obs, dict) else [obs]

    return len(a) == len(b) and all(
        all(np.array_equal(u, v) for u, v in zip(arrays(x), arrays(y), strict=True))
        and (x[1:] == y[1:] if isinstance(x, tuple) else True)
        for x, y in zip(a, b, strict=True)
    )


@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_observations_have_the_declared_shapes_and_dtypes(env_id: str, obs_mode: str) -> None:
    env = make_minigrid_env(env_id, obs_mode=obs_mode)
    rows = env.unwrapped.width * env.unwrapped.height + 1
    obs, _ = env.reset(seed=0)
    for _ in range(5):
        assert env.observation_space.contains(obs)
        parts = obs if isinstance(obs, dict) else {obs_mode: obs}
        if "rgb" in obs_mode:
            rgb = parts["rgb"]
            assert rgb.shape == (64, 64, 3) and rgb.dtype == np.uint8
        if "objects" in obs_mode:
            objects = parts["objects"]
            assert objects.shape == (rows, N_FEATURES) and objects.dtype == np.float32
            assert objects.min() >= 0.0 and objects.max() <= 1.0
        obs, reward, _, _, _ = env.step(env.action_space.sample())
        assert isinstance(reward, float)
    assert isinstance(env.action_space, gym.spaces.Discrete) and env.action_space.n == 7


def test_image_size_sets_the_frame_size() -> None:
    env = make_minigrid_env("MiniGrid-DoorKey-5x5-v0", image_size=48, with_masks=True)
    obs, info = env.reset(seed=0)
    assert obs.shape == (48, 48, 3) and info["masks"].shape == (48, 48)
    assert env.render_masks(20).shape == (20, 20)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("obs_mode", OBS_MODES)
@pytest.mark.parametrize("env_id", ENV_IDS)
def test_checkers_pass(env_id: str, obs_mode: str) -> None:
    gym_check_env(make_minigrid_env(env_id, obs_mode=obs_mode, with_masks=True), skip_render_check=True)
    sb3_check_env(make_minigrid_env(env_id, obs_mode=obs_mode))


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_gym_checker_passes_with_its_render_check() -> None:
    # The render check rebuilds the env from env.spec, which must therefore record the adapter.
    env = make_minigrid_env("MiniGrid-DoorKey-5x5-v0", obs_mode="rgb+objects")
    gym_check_env(env)
    rebuilt = gym.make(env.spec)
    assert isinstance(rebuilt, MiniGridAdapter) and rebuilt.obs_mode == "rgb+objects"


def test_rgb_is_minigrid_full_frame_resized() -> None:
    for env_id in ENV_IDS:  # 8x8 at 8 px per cell is exactly 64; 5x5 at 13 px is resized 65 -> 64
        env = make_minigrid_env(env_id)
        base = env.unwrapped
        pixels = env.pixel_grid(64)
        obs, _ = env.reset(seed=1)
        for action in np.random.default_rng(1).integers(0, 7, 30):
            frame = base.get_frame(highlight=False, tile_size=pixels.tile_size)
            assert min(frame.shape[:2]) >= 64 > (pixels.tile_size - 1) * min(base.width, base.height)
            assert np.array_equal(obs, pixels.resize(frame))
            obs, _, terminated, truncated, _ = env.step(int(action))
            if terminated or truncated:
                obs, _ = env.reset()


def test_object_rows_follow_the_grid_encoding() -> None:
    env = make_minigrid_env("MiniGrid-DoorKey-5x5-v0", obs_mode="objects")
    base = env.unwrapped
    obs, _ = env.reset(seed=2)
    for action in np.random.default_rng(2).integers(0, 7, 20):
        encoded = base.grid.encode()  # (width, height, 3)
        expected = [
            (x, y, *encoded[x, y])
            for y in range(base.height)
            for x in range(base.width)
            if encoded[x, y, 0] not in (OBJECT_TO_IDX["empty"], OBJECT_TO_IDX["floor"])
        ]
        n = len(expected)
        assert obs[:, COLUMN["present"]].sum() == n + 1
        for row, (x, y, kind, color, state) in zip(obs[:n], expected, strict=True):
            assert row[COLUMN["type_unseen"]:COLUMN["color_red"]].argmax() == kind
            assert row[COLUMN["color_red"]:COLUMN["state_open"]].argmax() == color
            door_state = row[COLUMN["state_open"]:COLUMN["x"]]
            assert door_state.sum() == (kind == OBJECT_TO_IDX["door"])
            if kind == OBJECT_TO_IDX["door"]:
                assert door_state.argmax() == state
            assert np.isclose(row[COLUMN["x"]], x / (base.width - 1))
            assert np.isclose(row[COLUMN["y"]], y / (base.height - 1))
            assert row[COLUMN["dir_right"]:].sum() == 0
        agent = obs[n]
        assert agent[COLUMN["type_agent"]] == 1 and agent[COLUMN["color_red"]] == 1
        assert agent[COLUMN["dir_right"]:].argmax() == base.agent_dir
        assert np.allclose(agent[[COLUMN["x"], COLUMN["y"]]],
                           [base.agent_pos[0] / (base.width - 1), base.agent_pos[1] / (base.height - 1)])
        assert not obs[n + 1:].any()
        obs, _, terminated, truncated, _ = env.step(int(action))
        if terminated or truncated:
            obs, _ = env.reset()


@pytest.mark.parametrize("obs_mode", OBS_MODES)
def test_same_seed_same_observations(obs_mode: str) -> None:
    def rollout(seed: int) -> list:
        return _rollout(make_minigrid_env("MiniGrid-DoorKey-5x5-v0", obs_mode=obs_mode), seed)

    first = rollout(7)
    assert _same(first, rollout(7))
    assert not all(_same(first, rollout(seed)) for seed in (8, 9, 10))


def test_masks_label_objects_and_agent_but_not_walls() -> None:
    env = make_minigrid_env("MiniGrid-DoorKey-5x5-v0", with_masks=True)
    base = env.unwrapped
    _, info = env.reset(seed=0)
    for action in np.random.default_rng(0).integers(0, 7, 25):
        masks = info["masks"]
        assert masks.shape == (64, 64) and masks.dtype == np.uint8
        assert np.array_equal(masks, env.render_masks())
        cells = env.pixel_grid(64).cell  # flat cell index under each pixel
        cell_label = {int(c): int(masks[cells == c][0]) for c in np.unique(cells)}
        assert all(len(np.unique(masks[cells == c])) == 1 for c in np.unique(cells))
        agent_cell = base.agent_pos[1] * base.width + base.agent_pos[0]
        labels = sorted(set(cell_label.values()) - {0})
        assert labels == list(range(1, len(labels) + 1))  # consecutive 1..n + 1
        assert cell_label[agent_cell] == labels[-1]  # the agent takes the last label
        for cell, label in cell_label.items():
            if cell == agent_cell:
                continue
            obj = base.grid.grid[cell]
            if obj is None or obj.type in ("wall", "floor"):
                assert label == 0
            else:
                assert label > 0  # key, door, goal: each its own label
        assert len(labels) == 1 + sum(
            obj is not None and obj.type not in ("wall", "floor")
            for cell, obj in enumerate(base.grid.grid) if cell != agent_cell
        )
        _, _, terminated, truncated, info = env.step(int(action))
        if terminated or truncated:
            _, info = env.reset()
    key_door_goal = env.reset(seed=0)[1]["masks"]
    assert len(np.unique(key_door_goal)) == 5  # background, key, door, goal, agent


def test_no_masks_unless_asked() -> None:
    env = make_minigrid_env("MiniGrid-Empty-8x8-v0")
    _, info = env.reset(seed=0)
    assert "masks" not in info


def test_unknown_obs_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"obs_mode='pixels' is unknown; allowed: rgb, objects, rgb\+objects"):
        make_minigrid_env("MiniGrid-Empty-8x8-v0", obs_mode="pixels")


def test_kwargs_reach_minigrid_and_truncation_reports_failure() -> None:
    env = make_minigrid_env("MiniGrid-Empty-8x8-v0", max_steps=3)
    env.reset(seed=0)
    for _ in range(3):
        _, _, terminated, truncated, info = env.step(0)  # turn left: never reaches the goal
    assert truncated and not terminated and info["is_success"] is False


def test_reaching_the_goal_is_a_success() -> None:
    env = make_minigrid_env("MiniGrid-Empty-5x5-v0")
    env.reset(seed=0)  # agent at (1, 1) facing right, goal at (3, 3)
    for action in (2, 2, 1, 2, 2):  # forward, forward, turn right, forward, forward
        _, reward, terminated, _, info = env.step(action)
    assert terminated and reward > 0 and info["is_success"] is True


def test_make_vec_env_and_make_env_accept_minigrid_ids() -> None:
    vec = envs.make_vec_env("MiniGrid-Empty-8x8-v0", n_envs=2, seed=0)
    assert isinstance(vec, DummyVecEnv)
    obs = vec.reset()
    assert obs.shape == (2, 64, 64, 3) and obs.dtype == np.uint8
    obs, rewards, dones, _ = vec.step(np.array([2, 1]))
    assert obs.shape == (2, 64, 64, 3) and rewards.shape == (2,) and dones.shape == (2,)
    env = envs.make_env("MiniGrid-DoorKey-5x5-v0", obs_mode="objects")
    obs, _ = env.reset(seed=0)
    assert obs.shape == (26, N_FEATURES)

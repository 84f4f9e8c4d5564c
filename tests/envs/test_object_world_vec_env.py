from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import PPO
from stable_baselines3.common.vec_env import VecEnv, VecMonitor

import envs
from envs.object_world_vec_env import ObjectWorldVecEnv


@pytest.mark.parametrize("obs_mode", ["rgb", "objects", "rgb+objects"])
def test_spaces_and_dtypes(obs_mode: str) -> None:
    vec = envs.make_vec_env("slotmind/OddOneOut-v0", n_envs=5, seed=0, obs_mode=obs_mode)
    assert isinstance(vec, VecEnv) and vec.num_envs == 5
    obs = vec.reset()
    obs2, rewards, dones, infos = vec.step(np.zeros(5, dtype=np.int64))
    for o in (obs, obs2):
        parts = o if isinstance(o, dict) else {"only": o}
        spaces = vec.observation_space.spaces if isinstance(o, dict) else {"only": vec.observation_space}
        for key, value in parts.items():
            assert value.shape == (5, *spaces[key].shape) and value.dtype == spaces[key].dtype
            assert all(spaces[key].contains(row) for row in value)
    assert rewards.shape == (5,) and rewards.dtype == np.float32
    assert dones.shape == (5,) and dones.dtype == np.bool_
    assert isinstance(infos, list) and len(infos) == 5 and all(isinstance(i, dict) for i in infos)


def test_auto_reset_follows_sb3_semantics() -> None:
    vec = envs.make_vec_env("slotmind/Push-v0", n_envs=3, seed=0, obs_mode="objects", max_steps=4)
    vec.reset()
    for _ in range(4):
        obs, _, dones, infos = vec.step(np.zeros(3, dtype=np.int64))
    assert dones.all()  # walking up for 4 steps pushes no target home: all truncate together
    for i in range(3):
        info = infos[i]
        assert info["TimeLimit.truncated"] is True and info["is_success"] is False
        terminal = info["terminal_observation"]
        assert terminal.shape == obs[i].shape
        assert not np.array_equal(terminal, obs[i])  # the returned obs is the next episode's first
    world = vec.world.worlds
    assert (world["steps"] == 0).all()


def test_terminal_observation_is_the_last_state() -> None:
    vec = envs.make_vec_env("slotmind/ObjectGoal-v0", n_envs=64, seed=1, obs_mode="rgb+objects")
    vec.reset()
    rng = np.random.default_rng(0)
    seen = 0
    for _ in range(200):
        before = vec.world.worlds.copy()
        _obs, _, dones, infos = vec.step(rng.integers(0, 4, 64))
        for i in np.flatnonzero(dones):
            terminal = infos[i]["terminal_observation"]
            agent_row = terminal["objects"][-2]
            # the terminal observation shows the agent one move from where it was
            assert abs(agent_row[3] - before[i]["agent_x"]) + abs(agent_row[4] - before[i]["agent_y"]) <= 0.051
            assert terminal["rgb"].shape == (64, 64, 3)
            seen += 1
    assert seen > 0


def test_batched_env_i_replays_single_env_seeded_seed_plus_i() -> None:
    n, seed, steps = 4, 11, 120
    actions = np.random.default_rng(0).integers(0, 4, (steps, n))
    vec = envs.make_vec_env("slotmind/Collect-v0", n_envs=n, seed=seed, obs_mode="objects")
    batched = [vec.reset()]
    batched_rewards = []
    for a in actions:
        obs, rewards, _dones, _infos = vec.step(a)
        batched.append(obs)
        batched_rewards.append(rewards)
    for i in range(n):
        env = gym.make("slotmind/Collect-v0", obs_mode="objects")
        obs, _ = env.reset(seed=seed + i)
        assert np.array_equal(obs, batched[0][i])
        for t, a in enumerate(actions[:, i]):
            obs, reward, terminated, truncated, _ = env.step(int(a))
            assert reward == batched_rewards[t][i]
            if terminated or truncated:
                obs, _ = env.reset()
            assert np.array_equal(obs, batched[t + 1][i])


def test_same_seed_same_batch() -> None:
    def run(seed: int) -> np.ndarray:
        vec = envs.make_vec_env("slotmind/OddOneOut-v0", n_envs=8, seed=seed, obs_mode="objects")
        out = [vec.reset()]
        for a in np.random.default_rng(1).integers(0, 4, (50, 8)):
            out.append(vec.step(a)[0])
        return np.stack(out)

    assert np.array_equal(run(3), run(3))
    assert not np.array_equal(run(3), run(4))


def test_masks_in_infos_and_images() -> None:
    vec = ObjectWorldVecEnv(4, task="goal", with_masks=True, render_mode="rgb_array", render_size=48)
    vec.seed(0)
    vec.reset()
    assert vec.reset_infos[0]["masks"].shape == (64, 64)
    _, _, _, infos = vec.step(np.zeros(4, dtype=np.int64))
    assert all(info["masks"].shape == (64, 64) and info["masks"].max() > 0 for info in infos)
    images = vec.get_images()
    assert len(images) == 4 and images[0].shape == (48, 48, 3)
    assert vec.render().shape[2] == 3


@pytest.mark.parametrize("bad", [np.array([0, 1, 2]), np.array([0, 4, 0, 0]), np.array([-1, 0, 0, 0]),
                                 np.array([0.5, 0, 0, 0])])
def test_bad_actions_are_errors(bad: np.ndarray) -> None:
    vec = envs.make_vec_env("slotmind/ObjectGoal-v0", n_envs=4, seed=0)
    vec.reset()
    with pytest.raises(ValueError, match="action"):
        vec.step(bad)


def test_attribute_plumbing() -> None:
    vec = envs.make_vec_env("slotmind/ObjectGoal-v0", n_envs=3, seed=0)
    assert vec.get_attr("render_mode") == [None, None, None]
    assert vec.env_is_wrapped(gym.Wrapper) == [False, False, False]
    assert vec.has_attr("config")


def test_sb3_ppo_trains_on_the_vec_env() -> None:
    vec = VecMonitor(envs.make_vec_env("slotmind/ObjectGoal-v0", n_envs=8, seed=0, obs_mode="objects"))
    model = PPO("MlpPolicy", vec, n_steps=16, batch_size=32, n_epochs=1, seed=0, device="cpu")
    model.learn(total_timesteps=256)
    assert model.num_timesteps == 256

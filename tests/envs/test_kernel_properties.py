"""Property tests of the numba kernels on random configs, seeds and action sequences."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from envs.batched_world import BatchedWorld
from envs.rng import randint, seed_state, uniform
from envs.world_config import TASKS, WorldConfig
from envs.world_state import ROLE_TARGET

configs = st.builds(
    lambda task, low, extra, size, step: WorldConfig(
        task=task, num_objects=(max(low, 3 if task == "odd_one_out" else 1), max(low, 3) + extra),
        size_range=(size, size + 0.02), agent_step=step, obs_mode="objects",
    ),
    task=st.sampled_from(TASKS),
    low=st.integers(1, 4),
    extra=st.integers(0, 3),
    size=st.floats(0.03, 0.08),
    step=st.floats(0.01, 0.2),
)


@settings(max_examples=40, deadline=None)
@given(config=configs, seed=st.integers(0, 2**40), actions=st.lists(st.integers(0, 3), min_size=1, max_size=60))
def test_positions_stay_in_bounds_and_objects_are_conserved(config: WorldConfig, seed: int, actions: list[int]) -> None:
    world = BatchedWorld(config, 3)
    world.seed(seed)
    world.reset()
    n_objects = world.worlds["n_objects"].copy()
    assert ((config.num_objects[0] <= n_objects) & (n_objects <= config.num_objects[1])).all()
    collected = np.zeros(3, dtype=np.int64)
    for action in actions:
        present_before = world.objects["present"].sum(axis=1)
        world.step(np.full(3, action, dtype=np.int64))
        collected += present_before - world.objects["present"].sum(axis=1)
        a = config.agent_size
        assert ((world.worlds["agent_x"] >= a - 1e-6) & (world.worlds["agent_x"] <= 1 - a + 1e-6)).all()
        assert ((world.worlds["agent_y"] >= a - 1e-6) & (world.worlds["agent_y"] <= 1 - a + 1e-6)).all()
        present = world.objects["present"]
        xs, ys, sizes = world.objects["x"], world.objects["y"], world.objects["size"]
        assert ((xs >= sizes - 1e-6) & (xs <= 1 - sizes + 1e-6))[present].all()
        assert ((ys >= sizes - 1e-6) & (ys <= 1 - sizes + 1e-6))[present].all()
        # objects never appear; only collect removes them, and only targets
        assert (present.sum(axis=1) + collected == n_objects).all()
        if config.task != "collect":
            assert (collected == 0).all()
        done = world.terminated | world.truncated
        if done.any():
            world.reset(done)
            n_objects[done] = world.worlds["n_objects"][done]
            collected[done] = 0


@settings(max_examples=30, deadline=None)
@given(config=configs, seed=st.integers(0, 2**40))
def test_every_layout_has_its_targets(config: WorldConfig, seed: int) -> None:
    world = BatchedWorld(config, 4)
    world.seed(seed)
    world.reset()
    for b in range(4):
        row = world.objects[b][: world.worlds[b]["n_objects"]]
        targets = row[row["role"] == ROLE_TARGET]
        assert len(targets) == world.worlds[b]["n_targets"] >= 1
        if config.task == "odd_one_out":
            others = row[row["role"] != ROLE_TARGET]
            assert len({(o["shape"], o["color"]) for o in others}) == 1
            assert (targets[0]["shape"], targets[0]["color"]) != (others[0]["shape"], others[0]["color"])
        assert not (world.objects[b]["present"][world.worlds[b]["n_objects"]:]).any()


@given(seed=st.integers(-(2**63), 2**64), n=st.integers(1, 1000))
def test_rng_ranges(seed: int, n: int) -> None:
    state = np.array([seed_state(seed)], dtype=np.uint64)
    for _ in range(20):
        assert 0.0 <= uniform(state) < 1.0
        assert 0 <= randint(state, n) < n

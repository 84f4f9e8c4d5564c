from __future__ import annotations

import numpy as np
import pytest

from envs.world_config import CONFIG_DTYPE, WorldConfig


@pytest.mark.parametrize(
    ("kwargs", "names"),
    [
        ({"task": "fly"}, "task"),
        ({"obs_mode": "pixels"}, "obs_mode"),
        ({"num_objects": (4, 2)}, "num_objects"),
        ({"num_objects": (0, 2)}, "num_objects"),
        ({"task": "odd_one_out", "num_objects": (2, 4)}, "num_objects"),
        ({"num_objects": (3, 30)}, "does not fit"),
        ({"size_range": (-0.1, 0.05)}, "size_range"),
        ({"agent_size": 0.0}, "agent_size"),
        ({"agent_step": -1.0}, "agent_step"),
        ({"max_steps": 0}, "max_steps"),
        ({"image_size": 2}, "image_size"),
        ({"colors": ()}, "colors is empty"),
        ({"shapes": ()}, "shapes is empty"),
        ({"colors": ("red", "ultraviolet")}, "ultraviolet"),
        ({"shapes": ("square", "blob")}, "blob"),
        ({"colors": ("red",), "shapes": ("circle",)}, "no distractor"),
        ({"task": "collect", "colors": ("red",)}, "collect needs a colour"),
        ({"task": "odd_one_out", "colors": ("red",), "shapes": ("circle",)}, "odd_one_out needs"),
    ],
)
def test_impossible_configs_name_the_parameter(kwargs: dict, names: str) -> None:
    with pytest.raises(ValueError, match=names):
        WorldConfig(**kwargs)


def test_record_matches_config() -> None:
    config = WorldConfig(task="push", num_objects=[2, 4], image_size=32)
    record = config.to_record()
    assert record.dtype == CONFIG_DTYPE
    assert record[0]["task"] == 2
    assert (record[0]["min_objects"], record[0]["max_objects"]) == (2, 4)
    assert config.num_objects == (2, 4)  # lists are normalised to tuples
    assert config.object_rows == 6
    assert np.array_equal(config.color_pool(), np.arange(6))


def test_noop_adds_an_action() -> None:
    assert WorldConfig().n_actions == 4
    assert WorldConfig(noop_action=True).n_actions == 5

"""Object-rich gymnasium environments (ObjectWorld), MiniGrid adapters and a pygame viewer.

Importing ``envs`` registers the ``slotmind/*`` ids with gymnasium::

    import envs, gymnasium as gym
    env = gym.make("slotmind/ObjectGoal-v0", obs_mode="objects")
    vec = envs.make_vec_env("slotmind/OddOneOut-v0", n_envs=256, seed=0)
"""

from envs.registry import (
    VARIANTS,
    UnknownEnvError,
    available_ids,
    make_env,
    make_vec_env,
    register_envs,
    variant_id,
)

register_envs()

__all__ = ["VARIANTS", "UnknownEnvError", "available_ids", "make_env", "make_vec_env", "register_envs", "variant_id"]

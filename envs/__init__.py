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
from envs.rule_world import register_rule_world

register_envs()
register_rule_world()  # slotmind/RuleWorld-v0 (envs/rule_world.py)

__all__ = ["VARIANTS", "UnknownEnvError", "available_ids", "make_env", "make_vec_env", "register_envs", "variant_id"]

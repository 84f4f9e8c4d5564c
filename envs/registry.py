"""Env ids: the ObjectWorld tasks, their named out-of-distribution variants, and MiniGrid ids.

``make_env`` and ``make_vec_env`` accept any id listed by ``available_ids()`` and any
``MiniGrid-*`` id, so every slotmind command works with both.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

import gymnasium as gym

from envs.sprites import HELD_OUT_COLORS, HELD_OUT_SHAPES

if TYPE_CHECKING:  # SB3 (and torch) load only when a VecEnv is made, keeping `slotmind --help` fast
    from stable_baselines3.common.vec_env import VecEnv

NAMESPACE = "slotmind"
ENTRY_POINT = "envs.object_world_env:ObjectWorldEnv"
TASK_OF_NAME: dict[str, str] = {
    "ObjectGoal": "goal",
    "OddOneOut": "odd_one_out",
    "Push": "push",
    "Collect": "collect",
}
# Named splits: "train" is the default distribution; the others change one factor for evaluation.
VARIANTS: dict[str, dict[str, Any]] = {
    "train": {},
    "more-objects": {"num_objects": (6, 8)},
    "unseen-colors": {"colors": HELD_OUT_COLORS},
    "unseen-shapes": {"shapes": HELD_OUT_SHAPES},
}


class UnknownEnvError(ValueError):
    """An env id that is neither registered by slotmind nor a MiniGrid id."""


def variant_id(task_name: str, variant: str = "train") -> str:
    """``slotmind/ObjectGoal-v0`` for the train split, ``slotmind/ObjectGoal-MoreObjects-v0`` otherwise."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {', '.join(VARIANTS)}")
    suffix = "" if variant == "train" else "-" + "".join(part.capitalize() for part in variant.split("-"))
    return f"{NAMESPACE}/{task_name}{suffix}-v0"


# Every variant keeps rows for the largest scene of any variant, so observations keep one shape.
OBJECT_CAPACITY = max(overrides.get("num_objects", (0, 5))[1] for overrides in VARIANTS.values())


def _spec_kwargs() -> dict[str, dict[str, Any]]:
    return {
        variant_id(name, variant): {"task": task, "object_capacity": OBJECT_CAPACITY, **overrides}
        for name, task in TASK_OF_NAME.items()
        for variant, overrides in VARIANTS.items()
    }


SPEC_KWARGS: dict[str, dict[str, Any]] = _spec_kwargs()


def register_envs() -> None:
    """Register every ObjectWorld id with gymnasium (idempotent)."""
    for env_id, kwargs in SPEC_KWARGS.items():
        if env_id not in gym.registry:
            gym.register(id=env_id, entry_point=ENTRY_POINT, kwargs=dict(kwargs))


# slotmind ids of single gymnasium envs without a batched VecEnv (registered by their own modules).
SINGLE_ENV_IDS: tuple[str, ...] = ("slotmind/RuleWorld-v0",)


def available_ids() -> list[str]:
    """Every slotmind id, then the MiniGrid ids gymnasium knows."""
    import minigrid  # noqa: F401  (registers the MiniGrid ids)

    minigrid_ids = sorted(i for i in gym.registry if i.startswith("MiniGrid-"))
    return [*SPEC_KWARGS, *SINGLE_ENV_IDS, *minigrid_ids]


def is_minigrid(env_id: str) -> bool:
    return env_id.startswith("MiniGrid-")


def check_env_id(env_id: str) -> None:
    """Raise UnknownEnvError, with close matches and the list of ids, for an unknown id."""
    if env_id in SPEC_KWARGS or env_id in SINGLE_ENV_IDS:
        return
    ids = available_ids()
    if env_id in ids:
        return
    close = difflib.get_close_matches(env_id, ids, n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownEnvError(
        f"unknown env id {env_id!r}.{hint} Available ids: {', '.join([*SPEC_KWARGS, *SINGLE_ENV_IDS])}, "
        f"and any MiniGrid-* id (e.g. MiniGrid-Empty-8x8-v0); `slotmind envs list` prints them all."
    )


def make_env(env_id: str, **kwargs: Any) -> gym.Env:
    """One env for ``env_id``; ``kwargs`` override the registered ones (e.g. ``obs_mode``)."""
    check_env_id(env_id)
    if is_minigrid(env_id):
        from envs.minigrid_adapter import make_minigrid_env

        return make_minigrid_env(env_id, **kwargs)
    register_envs()
    return gym.make(env_id, **kwargs)


def make_vec_env(env_id: str, n_envs: int = 1, seed: int | None = None, **kwargs: Any) -> VecEnv:
    """``n_envs`` copies of ``env_id`` as an SB3 VecEnv: the batched numba VecEnv for slotmind ids,
    a DummyVecEnv of adapted envs for MiniGrid ids. Env ``i`` is seeded ``seed + i``."""
    check_env_id(env_id)
    if is_minigrid(env_id) or env_id in SINGLE_ENV_IDS:
        from stable_baselines3.common.vec_env import DummyVecEnv

        vec_env: VecEnv = DummyVecEnv([lambda: make_env(env_id, **kwargs) for _ in range(n_envs)])
    else:
        from envs.object_world_vec_env import ObjectWorldVecEnv

        vec_env = ObjectWorldVecEnv(n_envs, **{**SPEC_KWARGS[env_id], **kwargs})
    if seed is not None:
        vec_env.seed(seed)
    return vec_env

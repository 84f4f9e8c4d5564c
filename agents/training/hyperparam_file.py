"""Per-env hyperparameters read from ``agents/hyperparams/<algo>.yml`` (rl-baselines3-zoo's layout).

An entry is found by the exact env id, else by its task's id (an out-of-distribution variant such as
``slotmind/ObjectGoal-MoreObjects-v0`` uses ``slotmind/ObjectGoal-v0``), and is laid over ``default``;
inside an entry, ``encoders: {<encoder>: {...}}`` overrides keys for one encoder. ``--hyperparams
KEY=VALUE`` overrides last. Besides the algorithm's own arguments an entry may give ``n_envs``,
``n_timesteps`` (the run's budget), ``progress_reward`` (the scale of the dense training reward of
``agents.training.progress_reward``; 0 or absent: off) and ``policy_kwargs``; ``learning_rate:
lin_<value>`` decays linearly to 0 over the run, as in rl-zoo.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml

RUN_KEYS = ("n_envs", "n_timesteps", "progress_reward")
ENCODERS_KEY = "encoders"
DEFAULT_KEY = "default"
# Arguments of an SB3 algorithm that the trainer sets itself.
SET_BY_TRAINER = frozenset({"self", "policy", "env", "seed", "device", "verbose", "tensorboard_log", "policy_kwargs",
                            "_init_setup_model", "stats_window_size", "monitor_wrapper", "replay_buffer_class",
                            "replay_buffer_kwargs"})


class HyperparameterError(ValueError):
    """An unknown hyperparameter name or a value of the wrong kind, named in one line."""


def file_name(algo: str) -> str:
    return f"agents/hyperparams/{algo}.yml"


@cache
def load_table(algo: str) -> dict[str, Any]:
    """The parsed ``<algo>.yml`` (env id -> entry)."""
    text = resources.files("agents").joinpath("hyperparams", f"{algo}.yml").read_text()
    table = yaml.safe_load(text) or {}
    if not isinstance(table, dict) or DEFAULT_KEY not in table:
        raise HyperparameterError(f"{file_name(algo)} must be a mapping with a {DEFAULT_KEY!r} entry")
    return table


def algorithm_arguments(algo: str) -> set[str]:
    """Keyword arguments of the SB3 class of ``algo`` that a hyperparameter may set."""
    from agents.training.policy_factory import ALGO_CLASSES

    names = set(inspect.signature(ALGO_CLASSES[algo].__init__).parameters)
    return names - SET_BY_TRAINER


def check_keys(algo: str, values: dict[str, Any], where: str) -> None:
    """HyperparameterError naming the first key that neither the algorithm nor the trainer knows."""
    known = algorithm_arguments(algo) | set(RUN_KEYS) | {"policy_kwargs"}
    for key in values:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise HyperparameterError(f"{where}: {algo} has no hyperparameter {key!r}{hint}; known: "
                                      f"{', '.join(sorted(known))}")


def task_id(env_id: str) -> str:
    """The id of the task an out-of-distribution variant belongs to (the id itself otherwise)."""
    from envs.registry import SPEC_KWARGS, TASK_OF_NAME, variant_id

    if env_id not in SPEC_KWARGS:
        return env_id
    task = SPEC_KWARGS[env_id]["task"]
    name = next(name for name, value in TASK_OF_NAME.items() if value == task)
    return variant_id(name)


def resolve(algo: str, env_id: str, encoder: str, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """(hyperparameters, where they came from) for one run: default, task entry, exact entry, encoder block,
    then ``overrides``. HyperparameterError when a key is unknown."""
    table = load_table(algo)
    merged: dict[str, Any] = {}
    sources = [DEFAULT_KEY]
    for key in dict.fromkeys([DEFAULT_KEY, task_id(env_id), env_id]):
        entry = table.get(key)
        if entry is None:
            continue
        if key != DEFAULT_KEY:
            sources.append(key)
        entry = dict(entry)
        per_encoder = entry.pop(ENCODERS_KEY, {}) or {}
        check_keys(algo, entry, f"{file_name(algo)} [{key}]")
        merged.update(entry)
        if encoder in per_encoder:
            check_keys(algo, per_encoder[encoder], f"{file_name(algo)} [{key}] encoders.{encoder}")
            merged.update(per_encoder[encoder])
            sources.append(f"{key} encoders.{encoder}")
    check_keys(algo, overrides, "--hyperparams")
    merged.update(overrides)
    if overrides:
        sources.append("--hyperparams")
    return merged, f"{file_name(algo)}: " + " < ".join(sources)


def learning_rate_schedule(value: Any) -> float | Callable[[float], float]:
    """A number, or ``"lin_<value>"``: a rate that falls linearly from value to 0 (SB3 passes the
    remaining progress, 1 -> 0)."""
    if isinstance(value, str) and value.startswith("lin_"):
        start = float(value.removeprefix("lin_"))
        return LinearSchedule(start)
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise HyperparameterError(f"learning_rate={value!r}: give a number or lin_<number>") from error


class LinearSchedule:
    """``progress_remaining`` (1 -> 0) -> ``start * progress_remaining`` (a class so that it pickles)."""

    def __init__(self, start: float) -> None:
        self.start = start

    def __call__(self, progress_remaining: float) -> float:
        return self.start * progress_remaining

"""What an ObjectWorld is: task, object counts, palettes, sizes, observation mode — validated once.

A ``WorldConfig`` is the single source of truth shared by the single env, the batched VecEnv and
the kernels (which receive it as a one-row NumPy record, ``to_record()``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from envs.sprites import (
    TRAIN_COLORS,
    TRAIN_SHAPES,
    color_index,
    shape_index,
)

TASKS: tuple[str, ...] = ("goal", "odd_one_out", "push", "collect")
TASK_GOAL, TASK_ODD_ONE_OUT, TASK_PUSH, TASK_COLLECT = range(len(TASKS))
OBS_MODES: tuple[str, ...] = ("rgb", "objects", "rgb+objects")

# The arena is the unit square; sprite sizes are half-extents in arena units.
MAX_OBJECTS_LIMIT = 32
MIN_IMAGE_SIZE, MAX_IMAGE_SIZE = 8, 512
# Layouts must leave room: the objects' bounding squares (plus the agent's) may cover at most
# this fraction of the arena, or sampling would rarely find non-overlapping placements.
MAX_FILL_FRACTION = 0.5
# Clearance between sprites at reset, in arena units, so that no episode starts touching.
PLACEMENT_GAP = 0.01

CONFIG_DTYPE = np.dtype(
    [
        ("task", np.int32),
        ("min_objects", np.int32),
        ("max_objects", np.int32),
        ("size_min", np.float32),
        ("size_max", np.float32),
        ("agent_size", np.float32),
        ("agent_step", np.float32),
        ("goal_size", np.float32),
        ("max_steps", np.int32),
        ("target_shape", np.int32),
        ("target_color", np.int32),
    ],
    align=True,
)


@dataclass(frozen=True)
class WorldConfig:
    """Every knob of an ObjectWorld task.

    Sizes are sprite half-extents as a fraction of the arena side; ``agent_step`` is the distance
    one move covers. ``colors``/``shapes`` are the pools objects are drawn from (disjoint pools
    make train/test generalisation splits); ``target_color``/``target_shape`` name the target
    of the goal, push and collect tasks (collect uses only the colour). ``object_capacity`` is the
    number of object rows kept (in the state and the ``objects`` observation; default: the most
    objects a scene can have): give every variant of a task the same capacity so that a policy
    trained on one can be evaluated on another.
    """

    task: str = "goal"
    num_objects: tuple[int, int] = (3, 5)
    colors: tuple[str, ...] = TRAIN_COLORS
    shapes: tuple[str, ...] = TRAIN_SHAPES
    size_range: tuple[float, float] = (0.07, 0.11)
    agent_size: float = 0.05
    agent_step: float = 0.05
    goal_size: float = 0.12
    max_steps: int = 100
    target_color: str = "red"
    target_shape: str = "circle"
    obs_mode: str = "rgb"
    image_size: int = 64
    noop_action: bool = False
    object_capacity: int | None = None

    def __post_init__(self) -> None:
        # Normalise list inputs (e.g. from YAML or the CLI) to tuples so configs stay hashable.
        for name in ("num_objects", "colors", "shapes", "size_range"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        self.validate()

    @property
    def n_actions(self) -> int:
        """Four moves (up, down, left, right), plus a no-op when ``noop_action``."""
        return 5 if self.noop_action else 4

    @property
    def max_objects(self) -> int:
        return self.num_objects[1]

    @property
    def capacity(self) -> int:
        """Object rows in the state and observation (>= ``max_objects``)."""
        return self.object_capacity if self.object_capacity is not None else self.max_objects

    @property
    def object_rows(self) -> int:
        """Rows of the ``objects`` observation: every object slot, then the agent, then the goal."""
        return self.capacity + 2

    def validate(self) -> None:
        """Raise ValueError naming the first parameter outside its allowed range."""
        if self.task not in TASKS:
            raise ValueError(f"task={self.task!r} is unknown; allowed: {', '.join(TASKS)}")
        if self.obs_mode not in OBS_MODES:
            raise ValueError(f"obs_mode={self.obs_mode!r} is unknown; allowed: {', '.join(OBS_MODES)}")
        low, high = self.num_objects
        min_needed = 3 if self.task == "odd_one_out" else 1  # an odd one needs two that agree
        if not (min_needed <= low <= high <= MAX_OBJECTS_LIMIT):
            raise ValueError(
                f"num_objects={self.num_objects} must satisfy {min_needed} <= min <= max <= "
                f"{MAX_OBJECTS_LIMIT} for task {self.task!r}"
            )
        size_low, size_high = self.size_range
        if not (0.0 < size_low <= size_high <= 0.25):
            raise ValueError(f"size_range={self.size_range} must satisfy 0 < min <= max <= 0.25")
        if not (0.0 < self.agent_size <= 0.25):
            raise ValueError(f"agent_size={self.agent_size} must be in (0, 0.25]")
        if not (0.0 < self.agent_step <= 0.5):
            raise ValueError(f"agent_step={self.agent_step} must be in (0, 0.5]")
        if not (0.0 < self.goal_size <= 0.3):
            raise ValueError(f"goal_size={self.goal_size} must be in (0, 0.3]")
        if self.object_capacity is not None and not (high <= self.object_capacity <= MAX_OBJECTS_LIMIT):
            raise ValueError(f"object_capacity={self.object_capacity} must be in [{high}, {MAX_OBJECTS_LIMIT}] "
                             f"(at least num_objects max)")
        if self.max_steps < 1:
            raise ValueError(f"max_steps={self.max_steps} must be >= 1")
        if not (MIN_IMAGE_SIZE <= self.image_size <= MAX_IMAGE_SIZE):
            raise ValueError(f"image_size={self.image_size} must be in [{MIN_IMAGE_SIZE}, {MAX_IMAGE_SIZE}]")
        if not self.colors:
            raise ValueError("colors is empty; give at least one colour name")
        if not self.shapes:
            raise ValueError("shapes is empty; give at least one shape name")
        for name in self.colors:
            color_index(name)
        for name in self.shapes:
            shape_index(name)
        if len(set(self.colors)) != len(self.colors) or len(set(self.shapes)) != len(self.shapes):
            raise ValueError("colors and shapes must not repeat a name")
        color_index(self.target_color)
        shape_index(self.target_shape)
        self._validate_task_pools()
        self._validate_room()

    def _validate_task_pools(self) -> None:
        if self.task in ("goal", "push"):
            combos = {(c, s) for c in self.colors for s in self.shapes}
            if not combos - {(self.target_color, self.target_shape)}:
                raise ValueError(
                    f"colors={self.colors} x shapes={self.shapes} leave no distractor that differs "
                    f"from the target {self.target_color} {self.target_shape}; add a colour or shape"
                )
        if self.task == "odd_one_out" and len(self.colors) < 2 and len(self.shapes) < 2:
            raise ValueError("odd_one_out needs at least 2 colours or 2 shapes to make an odd object")
        if self.task == "collect" and not set(self.colors) - {self.target_color}:
            raise ValueError(
                f"collect needs a colour other than target_color={self.target_color!r} in colors={self.colors}"
            )

    def _validate_room(self) -> None:
        # Each sprite needs its bounding square plus a placement gap; the agent needs its own.
        side = 2.0 * self.size_range[1] + PLACEMENT_GAP
        filled = self.max_objects * side * side + (2.0 * self.agent_size) ** 2
        if filled > MAX_FILL_FRACTION:
            most = int((MAX_FILL_FRACTION - (2.0 * self.agent_size) ** 2) / (side * side))
            raise ValueError(
                f"num_objects max={self.max_objects} with size_range max={self.size_range[1]} does not fit "
                f"the arena; allowed: at most {most} objects at that size, or smaller sprites"
            )

    def to_record(self) -> np.ndarray:
        """The numeric part of the config as a one-element ``CONFIG_DTYPE`` array for the kernels."""
        record = np.zeros(1, dtype=CONFIG_DTYPE)
        record[0] = (
            TASKS.index(self.task),
            self.num_objects[0],
            self.num_objects[1],
            self.size_range[0],
            self.size_range[1],
            self.agent_size,
            self.agent_step,
            self.goal_size,
            self.max_steps,
            shape_index(self.target_shape),
            color_index(self.target_color),
        )
        return record

    def color_pool(self) -> np.ndarray:
        """Palette rows objects may take, (n_colors,) int64."""
        return np.array([color_index(c) for c in self.colors], dtype=np.int64)

    def shape_pool(self) -> np.ndarray:
        """Shape codes objects may take, (n_shapes,) int64."""
        return np.array([shape_index(s) for s in self.shapes], dtype=np.int64)

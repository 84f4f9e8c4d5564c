"""The standard SCAN train/test splits, built from the full command set.

| name              | train                                         | test                                  |
|-------------------|-----------------------------------------------|---------------------------------------|
| simple            | random 80% (seeded)                           | the other 20%                         |
| length            | outputs of <= 22 actions                      | outputs of 24-48 actions              |
| add-jump          | commands without ``jump``, plus bare ``jump`` | every other command with ``jump``     |
| add-turn-left     | the same with the primitive ``turn left``     |                                       |
| around-right      | no ``around right``                           | ``X around right``, X a primitive     |
| opposite-right    | no ``opposite right``                         | ``X opposite right``, X a primitive   |
| right             | no ``X right``, X a primitive or ``turn``     | ``X right``, X a primitive            |
| jump-around-right | no ``jump around right``                      | ``jump around right``                 |

Template splits (Loula et al. 2018) are not partitions: commands where the template is filled by
``turn`` (e.g. the 1,209 commands with ``turn around right``) are in neither part. The definitions
reproduce the official files (tests check the shipped ones).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from reasoning.tasks.example import Example
from reasoning.tasks.scan import PRIMITIVES, TURN, generate_scan

Split = dict[str, list[Example]]


def contains_phrase(words: Sequence[str], phrase: Sequence[str]) -> bool:
    """Whether ``phrase`` occurs in ``words`` as contiguous words (``("turn", "left")`` in a command)."""
    n = len(phrase)
    return any(tuple(words[i : i + n]) == tuple(phrase) for i in range(len(words) - n + 1))


def simple_split(examples: Sequence[Example], seed: int = 0, train_fraction: float = 0.8) -> Split:
    """A seeded random partition: ``round(train_fraction * n)`` examples for training, the rest for test."""
    order = list(examples)
    random.Random(seed).shuffle(order)
    n_train = round(train_fraction * len(order))
    return {"train": order[:n_train], "test": order[n_train:]}


def length_split(examples: Sequence[Example], max_train_actions: int = 22) -> Split:
    """Train on outputs of at most ``max_train_actions`` actions, test on the longer ones."""
    return {
        "train": [e for e in examples if len(e.target) <= max_train_actions],
        "test": [e for e in examples if len(e.target) > max_train_actions],
    }


def add_primitive_split(
    examples: Sequence[Example], primitive: Sequence[str], primitive_share: float | None = 0.1
) -> Split:
    """Train on every command without ``primitive`` plus the bare primitive; test on its compositions.

    Args:
        examples: the full command set.
        primitive: the held-out primitive as words, ``("jump",)`` or ``("turn", "left")``.
        primitive_share: repeat the bare primitive so it makes up this fraction of the training
            list, as the official files do (0.1 gives bare ``jump`` 1,467 times among 14,670 lines);
            ``None`` keeps a single copy.

    Returns:
        ``{"train": [...], "test": [...]}``; the bare primitive is the first training example(s).
    """
    primitive = tuple(primitive)
    bare = [e for e in examples if e.source == primitive]
    if len(bare) != 1:
        raise ValueError(f"the primitive {' '.join(primitive)!r} is not a command of the given set")
    without = [e for e in examples if not contains_phrase(e.source, primitive)]
    with_it = [e for e in examples if contains_phrase(e.source, primitive) and e.source != primitive]
    copies = 1 if primitive_share is None else max(1, round(len(without) * primitive_share / (1 - primitive_share)))
    return {"train": bare * copies + without, "test": with_it}


@dataclass(frozen=True)
class Template:
    """A held-out template: ``held`` phrases go to test, commands with ``dropped`` phrases nowhere."""

    held: tuple[tuple[str, ...], ...]
    dropped: tuple[tuple[str, ...], ...] = ()


def _filled(template: tuple[str, ...], fillers: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple((filler, *template) for filler in fillers)


TEMPLATES: dict[str, Template] = {
    "around-right": Template(_filled(("around", "right"), list(PRIMITIVES)), _filled(("around", "right"), [TURN])),
    "opposite-right": Template(
        _filled(("opposite", "right"), list(PRIMITIVES)), _filled(("opposite", "right"), [TURN])
    ),
    "right": Template(_filled(("right",), list(PRIMITIVES)), _filled(("right",), [TURN])),
    "jump-around-right": Template((("jump", "around", "right"),)),
}


def template_split(examples: Sequence[Example], template: Template) -> Split:
    """Train on commands with no held or dropped phrase; test on those with a held phrase and no dropped one."""

    def has_any(example: Example, phrases: tuple[tuple[str, ...], ...]) -> bool:
        return any(contains_phrase(example.source, phrase) for phrase in phrases)

    train, test = [], []
    for example in examples:
        if has_any(example, template.dropped):
            continue
        (test if has_any(example, template.held) else train).append(example)
    return {"train": train, "test": test}


PRIMITIVE_SPLITS: dict[str, tuple[str, ...]] = {"add-jump": ("jump",), "add-turn-left": ("turn", "left")}
SCAN_SPLITS: tuple[str, ...] = ("simple", "length", *PRIMITIVE_SPLITS, *TEMPLATES)

# The official files of the splits shipped in ../shared/data/scan: name -> (train file, test file).
OFFICIAL_FILES: dict[str, tuple[str, str]] = {
    "simple": ("simple_split/tasks_train_simple.txt", "simple_split/tasks_test_simple.txt"),
    "length": ("length_split/tasks_train_length.txt", "length_split/tasks_test_length.txt"),
    "add-jump": ("add_prim_split/tasks_train_addprim_jump.txt", "add_prim_split/tasks_test_addprim_jump.txt"),
    "add-turn-left": (
        "add_prim_split/tasks_train_addprim_turn_left.txt",
        "add_prim_split/tasks_test_addprim_turn_left.txt",
    ),
    **{
        name: (
            f"template_split/tasks_train_template_{name.replace('-', '_')}.txt",
            f"template_split/tasks_test_template_{name.replace('-', '_')}.txt",
        )
        for name in TEMPLATES
    },
}


def build_scan_split(
    name: str,
    examples: Sequence[Example] | None = None,
    seed: int = 0,
    primitive_share: float | None = 0.1,
) -> Split:
    """Build a named SCAN split (see the module table) from the full command set.

    Args:
        name: one of :data:`SCAN_SPLITS`.
        examples: the full command set; generated from the grammar when ``None``.
        seed: shuffling seed of the ``simple`` split.
        primitive_share: share of the bare primitive in add-primitive training lists (``None``: once).

    Returns:
        ``{"train": [...], "test": [...]}`` lists of examples.
    """
    examples = generate_scan() if examples is None else examples
    if name == "simple":
        return simple_split(examples, seed=seed)
    if name == "length":
        return length_split(examples)
    if name in PRIMITIVE_SPLITS:
        return add_primitive_split(examples, PRIMITIVE_SPLITS[name], primitive_share)
    if name in TEMPLATES:
        return template_split(examples, TEMPLATES[name])
    raise ValueError(f"unknown SCAN split {name!r}; choose one of {', '.join(SCAN_SPLITS)}")

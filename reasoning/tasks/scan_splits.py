"""The standard SCAN train/test splits, built from the full command set or read from the official files.

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
| filler-K (K 0-3)  | no ``around right`` but ``X around right``    | ``jump around right`` (as above)      |
|                   | for the first K of look, walk, run            |                                       |
| add-jump-complex-N| add-jump plus N random compositional jump     | the other jump commands               |
|                   | commands (N 1-32; official files only)        |                                       |

Template and filler splits (Loula et al. 2018) are not partitions: commands where the template is
filled by ``turn`` (e.g. the 1,209 commands with ``turn around right``) are in neither part. The
builders reproduce the official files line for line (the tests check every one); the
add-jump-complex splits are random draws of their authors, so they exist only as files.
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
    """A held-out template.

    ``held`` phrases send a command to test; ``dropped`` phrases keep it out of both parts;
    ``not_trained`` phrases keep it out of training only (the fillers a filler split withholds).
    """

    held: tuple[tuple[str, ...], ...]
    dropped: tuple[tuple[str, ...], ...] = ()
    not_trained: tuple[tuple[str, ...], ...] = ()


def _filled(template: tuple[str, ...], fillers: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple((filler, *template) for filler in fillers)


AROUND_RIGHT = ("around", "right")
# The order in which the filler splits let "X around right" back into training (official files).
FILLER_ORDER = ("look", "walk", "run")
N_FILLER_SPLITS = len(FILLER_ORDER) + 1

TEMPLATES: dict[str, Template] = {
    "around-right": Template(_filled(AROUND_RIGHT, list(PRIMITIVES)), _filled(AROUND_RIGHT, [TURN])),
    "opposite-right": Template(
        _filled(("opposite", "right"), list(PRIMITIVES)), _filled(("opposite", "right"), [TURN])
    ),
    "right": Template(_filled(("right",), list(PRIMITIVES)), _filled(("right",), [TURN])),
    "jump-around-right": Template(_filled(AROUND_RIGHT, ["jump"]), _filled(AROUND_RIGHT, [TURN])),
    **{
        f"filler-{k}": Template(
            _filled(AROUND_RIGHT, ["jump"]), _filled(AROUND_RIGHT, [TURN]), _filled(AROUND_RIGHT, FILLER_ORDER[k:])
        )
        for k in range(N_FILLER_SPLITS)
    },
}


def template_split(examples: Sequence[Example], template: Template) -> Split:
    """Test: commands with a held phrase; train: commands with no held, dropped or not-trained phrase."""

    def has_any(example: Example, phrases: tuple[tuple[str, ...], ...]) -> bool:
        return any(contains_phrase(example.source, phrase) for phrase in phrases)

    train, test = [], []
    for example in examples:
        if has_any(example, template.dropped):
            continue
        if has_any(example, template.held):
            test.append(example)
        elif not has_any(example, template.not_trained):
            train.append(example)
    return {"train": train, "test": test}


PRIMITIVE_SPLITS: dict[str, tuple[str, ...]] = {"add-jump": ("jump",), "add-turn-left": ("turn", "left")}
# Compositional jump commands added to add-jump's training part, one official file pair each.
COMPLEX_JUMP_COUNTS = (1, 2, 4, 8, 16, 32)
FILE_ONLY_SPLITS: tuple[str, ...] = tuple(f"add-jump-complex-{n}" for n in COMPLEX_JUMP_COUNTS)
GENERATED_SPLITS: tuple[str, ...] = ("simple", "length", *PRIMITIVE_SPLITS, *TEMPLATES)
SCAN_SPLITS: tuple[str, ...] = (*GENERATED_SPLITS, *FILE_ONLY_SPLITS)


def _template_files(name: str) -> tuple[str, str]:
    if name.startswith("filler-"):
        number = name.removeprefix("filler-")
        return f"filler_split/tasks_train_filler_num{number}.txt", f"filler_split/tasks_test_filler_num{number}.txt"
    stem = name.replace("-", "_")
    return f"template_split/tasks_train_template_{stem}.txt", f"template_split/tasks_test_template_{stem}.txt"


_COMPLEX = "add_prim_split/with_additional_examples/tasks_{part}_addprim_complex_jump_num{n}_rep1.txt"

# The official files of every split, relative to <data>/scan: name -> (train file, test file).
OFFICIAL_FILES: dict[str, tuple[str, str]] = {
    "simple": ("simple_split/tasks_train_simple.txt", "simple_split/tasks_test_simple.txt"),
    "length": ("length_split/tasks_train_length.txt", "length_split/tasks_test_length.txt"),
    "add-jump": ("add_prim_split/tasks_train_addprim_jump.txt", "add_prim_split/tasks_test_addprim_jump.txt"),
    "add-turn-left": (
        "add_prim_split/tasks_train_addprim_turn_left.txt",
        "add_prim_split/tasks_test_addprim_turn_left.txt",
    ),
    **{name: _template_files(name) for name in TEMPLATES},
    **{
        f"add-jump-complex-{n}": (_COMPLEX.format(part="train", n=n), _COMPLEX.format(part="test", n=n))
        for n in COMPLEX_JUMP_COUNTS
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
        name: one of :data:`GENERATED_SPLITS` (the add-jump-complex splits exist only as files).
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
    if name in FILE_ONLY_SPLITS:
        raise ValueError(f"SCAN split {name!r} is a random draw that exists only as official files; read them "
                         f"(load_split does) instead of building it")
    raise ValueError(f"unknown SCAN split {name!r}; choose one of {', '.join(SCAN_SPLITS)}")

"""Seeded generator of PCFG SET training data for the iid, systematicity and productivity splits.

The full ~82k-line training files are not shipped, so training data is regenerated with the
distribution measured on the shipped iid files (``pcfgset/dev`` + ``pcfgset/test``, 14,581 lines):

- the number of functions in a program follows :data:`FUNCTION_COUNTS` (1-30, mode 3-4);
- each function node is one of the 10 functions, uniformly (the shipped counts are flat);
- a binary call splits its remaining functions between its arguments uniformly at random;
- string arguments have 2-5 symbols (weights :data:`STRING_LENGTHS`), drawn independently and
  uniformly from the 520 symbols ``A1`` ... ``Z20``;
- programs are at most :data:`MAX_SOURCE_LENGTH` = 71 tokens long (the longest in every shipped file).

Splits (Hupkes et al. 2020, am-i-compositional READMEs):

- ``iid``: the distribution above.
- ``systematicity``: the same, rejecting every program whose token string contains one of the
  held-out adjacent pairs :data:`HELD_OUT_PAIRS` (``f g`` adjacent: g's result is f's first
  argument). Non-adjacent co-occurrence (``repeat reverse remove_second ...``) stays in training.
- ``productivity``: the distribution restricted to programs of at most 8 functions.
"""

from __future__ import annotations

import random
from collections.abc import Collection
from itertools import accumulate
from string import ascii_uppercase

from reasoning.tasks.example import Example
from reasoning.tasks.pcfg import BINARY, FUNCTIONS, SEPARATOR, Program, evaluate, function_pairs, is_call

# Programs per number of functions in the shipped pcfgset dev+test files.
FUNCTION_COUNTS: dict[int, int] = {
    1: 225, 2: 1870, 3: 2827, 4: 2745, 5: 1931, 6: 1495, 7: 967, 8: 740, 9: 500, 10: 366,
    11: 279, 12: 215, 13: 118, 14: 99, 15: 63, 16: 31, 17: 23, 18: 27, 19: 16, 20: 10,
    21: 10, 22: 8, 23: 6, 24: 5, 25: 2, 28: 2, 30: 1,
}  # fmt: skip
# String arguments per length in the same files.
STRING_LENGTHS: dict[int, int] = {2: 7071, 3: 13185, 4: 12300, 5: 11841}
_LENGTHS = list(STRING_LENGTHS)
_LENGTH_CUMULATIVE = list(accumulate(STRING_LENGTHS.values()))
SYMBOLS: tuple[str, ...] = tuple(f"{letter}{number}" for letter in ascii_uppercase for number in range(1, 21))
HELD_OUT_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {
        ("swap_first_last", "repeat"),
        ("append", "remove_second"),
        ("repeat", "remove_second"),
        ("append", "swap_first_last"),
    }
)
MAX_SOURCE_LENGTH = 71
PRODUCTIVITY_MAX_FUNCTIONS = 8
PCFG_SPLITS: tuple[str, ...] = ("iid", "systematicity", "productivity")


def _sample_program(n_functions: int, rng: random.Random) -> Program:
    """A random program tree with exactly ``n_functions`` calls."""
    if n_functions == 0:
        length = rng.choices(_LENGTHS, cum_weights=_LENGTH_CUMULATIVE)[0]
        return tuple(rng.choices(SYMBOLS, k=length))
    name = rng.choice(FUNCTIONS)
    if name in BINARY:
        n_first = rng.randrange(n_functions)
        return (name, _sample_program(n_first, rng), _sample_program(n_functions - 1 - n_first, rng))
    return (name, _sample_program(n_functions - 1, rng))


def program_tokens(program: Program) -> tuple[str, ...]:
    """Write a program tree back in prefix notation, e.g. ``("append", ("A1",), ("B1",))`` -> ``append A1 , B1``."""
    if not is_call(program):
        return program
    name, *arguments = program
    tokens = [name, *program_tokens(arguments[0])]
    if len(arguments) == 2:
        tokens += [SEPARATOR, *program_tokens(arguments[1])]
    return tuple(tokens)


def generate_pcfg(
    split: str,
    n_examples: int = 82_000,
    seed: int = 0,
    exclude: Collection[tuple[str, ...]] = (),
    max_attempts_factor: int = 20,
) -> list[Example]:
    """Generate unique PCFG SET training examples for a split.

    Args:
        split: ``"iid"``, ``"systematicity"`` or ``"productivity"``.
        n_examples: how many unique programs to return.
        seed: RNG seed; the same arguments give the same list.
        exclude: source token tuples that must not be generated (pass the official dev/test
            programs so training never contains an evaluation program).
        max_attempts_factor: give up after ``n_examples * max_attempts_factor`` samples.

    Returns:
        ``n_examples`` examples (``source`` program tokens, ``target`` its output), in sampling order.

    Raises:
        ValueError: unknown split, or too many rejected samples.
    """
    if split not in PCFG_SPLITS:
        raise ValueError(f"unknown PCFG split {split!r}; choose one of {', '.join(PCFG_SPLITS)}")
    counts = {n: c for n, c in FUNCTION_COUNTS.items() if split != "productivity" or n <= PRODUCTIVITY_MAX_FUNCTIONS}
    sizes = list(counts)
    cumulative = list(accumulate(counts.values()))
    rng = random.Random(seed)
    excluded = set(exclude)
    seen: set[tuple[str, ...]] = set()
    examples: list[Example] = []
    for _ in range(n_examples * max_attempts_factor):
        if len(examples) == n_examples:
            break
        program = _sample_program(rng.choices(sizes, cum_weights=cumulative)[0], rng)
        tokens = program_tokens(program)
        if len(tokens) > MAX_SOURCE_LENGTH or tokens in seen or tokens in excluded:
            continue
        if split == "systematicity" and function_pairs(tokens) & HELD_OUT_PAIRS:
            continue
        seen.add(tokens)
        examples.append(Example(tokens, evaluate(program)))
    if len(examples) < n_examples:
        raise ValueError(f"only {len(examples)} of {n_examples} unique programs after the attempt limit")
    return examples

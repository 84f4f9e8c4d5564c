"""SCAN (Lake & Baroni 2018): the grammar, its interpretation, and the ``IN: ... OUT: ...`` file format.

Grammar (C is the start symbol)::

    C -> S and S | S after S | S
    S -> V twice | V thrice | V
    V -> D[1] opposite D[2] | D[1] around D[2] | D | U
    D -> U left | U right | turn left | turn right
    U -> walk | look | run | jump

``D[1]``/``D[2]`` are the first/second word of a D (a verb from U or ``turn``, and a direction).
Interpretation: [[walk]] = I_WALK (likewise look, run, jump); [[turn]] = nothing;
[[x left]] = I_TURN_LEFT [[x]]; [[x opposite left]] = I_TURN_LEFT I_TURN_LEFT [[x]];
[[x around left]] = (I_TURN_LEFT [[x]]) four times (and the same with right);
[[v twice]] = [[v]] [[v]]; [[v thrice]] = [[v]] [[v]] [[v]];
[[s1 and s2]] = [[s1]] [[s2]]; [[s1 after s2]] = [[s2]] [[s1]].
The grammar generates 20,910 distinct commands, the contents of the official ``tasks.txt``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from reasoning.tasks.errors import DataFormatError
from reasoning.tasks.example import Example
from reasoning.tasks.text_files import read_text

PRIMITIVES: dict[str, str] = {"walk": "I_WALK", "look": "I_LOOK", "run": "I_RUN", "jump": "I_JUMP"}
DIRECTIONS: dict[str, str] = {"left": "I_TURN_LEFT", "right": "I_TURN_RIGHT"}
TURN = "turn"
REPEATS: dict[str, int] = {"twice": 2, "thrice": 3}
CONJUNCTIONS = ("and", "after")
COMMAND_WORDS: frozenset[str] = frozenset(
    [*PRIMITIVES, *DIRECTIONS, TURN, "opposite", "around", *REPEATS, *CONJUNCTIONS]
)
ACTIONS: frozenset[str] = frozenset([*PRIMITIVES.values(), *DIRECTIONS.values()])

Phrase = tuple[tuple[str, ...], tuple[str, ...]]  # (command words, actions)
_LINE = re.compile(r"^IN:\s+(?P<command>.*?)\s+OUT:(?P<actions>(\s.*)?)$")


# ----------------------------------------------------------------------------- grammar, bottom-up


def _u() -> list[Phrase]:
    """U -> walk | look | run | jump."""
    return [((word,), (action,)) for word, action in PRIMITIVES.items()]


def _d() -> list[Phrase]:
    """D -> U left | U right | turn left | turn right."""
    verbs = [*_u(), ((TURN,), ())]
    return [
        ((*words, direction), (turn, *actions)) for words, actions in verbs for direction, turn in DIRECTIONS.items()
    ]


def _v() -> list[Phrase]:
    """V -> D[1] opposite D[2] | D[1] around D[2] | D | U."""
    phrases: list[Phrase] = []
    for (verb, direction), _ in _d():
        verb_actions = PRIMITIVES.get(verb)
        step = (DIRECTIONS[direction], *([verb_actions] if verb_actions else []))
        phrases.append(((verb, "opposite", direction), (DIRECTIONS[direction], *step)))
        phrases.append(((verb, "around", direction), step * 4))
    return phrases + _d() + _u()


def _s() -> list[Phrase]:
    """S -> V twice | V thrice | V."""
    phrases: list[Phrase] = []
    for words, actions in _v():
        phrases += [((*words, word), actions * times) for word, times in REPEATS.items()]
        phrases.append((words, actions))
    return phrases


def generate_scan() -> list[Example]:
    """Every SCAN command with its action sequence, generated from the grammar.

    Returns:
        20,910 examples in a fixed order (C -> S, then S and S, then S after S, each over the S
        phrases in grammar order); ``source`` holds command words, ``target`` actions.
    """
    sentences = _s()
    examples = [Example(words, actions) for words, actions in sentences]
    for conjunction in CONJUNCTIONS:
        for left_words, left_actions in sentences:
            for right_words, right_actions in sentences:
                actions = left_actions + right_actions if conjunction == "and" else right_actions + left_actions
                examples.append(Example((*left_words, conjunction, *right_words), actions))
    return examples


# ----------------------------------------------------------------------------- interpretation


def _interpret_v(words: tuple[str, ...]) -> tuple[str, ...]:
    if len(words) == 1 and words[0] in PRIMITIVES:
        return (PRIMITIVES[words[0]],)
    verb, *middle, direction = words if len(words) >= 2 else ("", "")
    if (verb in PRIMITIVES or verb == TURN) and direction in DIRECTIONS and len(middle) <= 1:
        turn = DIRECTIONS[direction]
        step = (turn, PRIMITIVES[verb]) if verb in PRIMITIVES else (turn,)
        if not middle:
            return step
        if middle[0] == "opposite":
            return (turn, *step)
        if middle[0] == "around":
            return step * 4
    raise ValueError(f"not a SCAN verb phrase: {' '.join(words)!r}")


def _interpret_s(words: tuple[str, ...]) -> tuple[str, ...]:
    if words and words[-1] in REPEATS:
        return _interpret_v(words[:-1]) * REPEATS[words[-1]]
    return _interpret_v(words)


def interpret(command: Iterable[str] | str) -> tuple[str, ...]:
    """The action sequence of a SCAN command.

    Args:
        command: the command as words (or one space-separated string), e.g. ``"jump left twice"``.

    Returns:
        The actions, e.g. ``("I_TURN_LEFT", "I_JUMP", "I_TURN_LEFT", "I_JUMP")``.

    Raises:
        ValueError: the command is not generated by the SCAN grammar.
    """
    words = tuple(command.split()) if isinstance(command, str) else tuple(command)
    split_at = [i for i, word in enumerate(words) if word in CONJUNCTIONS]
    if len(split_at) > 1:
        raise ValueError(f"a SCAN command has at most one 'and'/'after': {' '.join(words)!r}")
    if not split_at:
        return _interpret_s(words)
    i = split_at[0]
    first, second = _interpret_s(words[:i]), _interpret_s(words[i + 1 :])
    return first + second if words[i] == "and" else second + first


# ----------------------------------------------------------------------------- file format


def parse_scan_line(line: str, path: str | Path | None = None, line_number: int | None = None) -> Example:
    """Parse one ``IN: <command> OUT: <actions>`` line.

    Raises:
        DataFormatError: no ``IN:``/``OUT:`` markers, an empty command, or a word/action outside
            the SCAN vocabulary (13 command words, 6 actions); the message names ``path:line``.
    """
    match = _LINE.match(line.strip())
    if match is None:
        raise DataFormatError(f"expected 'IN: <command> OUT: <actions>', got {line.strip()!r}", path, line_number)
    words = tuple(match["command"].split())
    actions = tuple(match["actions"].split())
    if not words:
        raise DataFormatError("empty command after 'IN:'", path, line_number)
    for word in words:
        if word not in COMMAND_WORDS:
            raise DataFormatError(f"unknown command word {word!r}", path, line_number)
    for action in actions:
        if action not in ACTIONS:
            raise DataFormatError(f"unknown action {action!r}", path, line_number)
    return Example(words, actions)


def iter_scan(path: str | Path) -> Iterator[Example]:
    """Yield the examples of a SCAN file one line at a time (blank lines are skipped)."""
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if line.strip():
            yield parse_scan_line(line, path, number)


def read_scan(path: str | Path) -> list[Example]:
    """Read a SCAN file (one ``IN: ... OUT: ...`` example a line) into examples, in file order.

    Raises:
        DataFormatError: a malformed line, reported as ``path:line: reason``.
    """
    return list(iter_scan(path))


def format_scan_line(example: Example) -> str:
    """The ``IN: ... OUT: ...`` line of an example (no trailing newline), as in the official files."""
    return f"IN: {' '.join(example.source)} OUT: {' '.join(example.target)}"


def write_scan(path: str | Path, examples: Iterable[Example]) -> None:
    """Write examples in the official SCAN format, one line each, newline-terminated."""
    with open(path, "w", encoding="utf-8") as out:
        for example in examples:
            out.write(format_scan_line(example) + "\n")

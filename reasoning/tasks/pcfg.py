"""PCFG SET (Hupkes et al. 2020): programs of string-edit functions, their interpreter and file reader.

A program is written in prefix notation over three kinds of tokens: function names, string symbols
(``A1`` ... ``Z20``) and the separator ``,`` between the two arguments of a binary function::

    program  := unary program | binary program , program | symbol symbol*

Nested binaries parse unambiguously because a string argument ends at the next ``,``:
``append remove_first A B , C , D`` is ``append(remove_first(A B, C), D)``.

Unary functions (x a token sequence): copy x; reverse x; shift x (first token moved to the end);
echo x (last token repeated at the end); swap_first_last x; repeat x (x twice).
Binary functions: append x y = x + y; prepend x y = y + x; remove_first x y = y; remove_second x y = x.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from itertools import pairwise
from pathlib import Path

from reasoning.tasks.errors import DataFormatError
from reasoning.tasks.example import Example
from reasoning.tasks.text_files import read_text

Tokens = tuple[str, ...]

UNARY: dict[str, Callable[[Tokens], Tokens]] = {
    "copy": lambda x: x,
    "reverse": lambda x: x[::-1],
    "shift": lambda x: x[1:] + x[:1],
    "echo": lambda x: x + x[-1:],
    "swap_first_last": lambda x: x if len(x) < 2 else x[-1:] + x[1:-1] + x[:1],
    "repeat": lambda x: x + x,
}
BINARY: dict[str, Callable[[Tokens, Tokens], Tokens]] = {
    "append": lambda x, y: x + y,
    "prepend": lambda x, y: y + x,
    "remove_first": lambda x, y: y,
    "remove_second": lambda x, y: x,
}
FUNCTIONS: tuple[str, ...] = (*UNARY, *BINARY)
_FUNCTION_SET = frozenset(FUNCTIONS)
SEPARATOR = ","
_SYMBOL = re.compile(r"[A-Z][0-9]+")
_FUNCTION_NAME = re.compile(r"[a-z_]+")


class ProgramError(ValueError):
    """A token sequence that is not a well-formed PCFG SET program."""


# A parsed program: a leaf is a tuple of symbols; a call is (function name, argument, [argument]).
Program = Tokens | tuple[str, "Program"] | tuple[str, "Program", "Program"]


def is_call(node: Program) -> bool:
    """Whether a parsed node is a function call (``(name, *arguments)``) rather than a symbol string."""
    return bool(node) and node[0] in _FUNCTION_SET


def _check_token(token: str) -> None:
    if token in UNARY or token in BINARY or token == SEPARATOR or _SYMBOL.fullmatch(token):
        return
    if _FUNCTION_NAME.fullmatch(token):
        raise ProgramError(f"unknown function {token!r}; known: {', '.join(FUNCTIONS)}")
    raise ProgramError(f"unknown token {token!r} (symbols look like 'A1' ... 'Z20')")


def parse_program(tokens: Iterable[str] | str) -> Program:
    """Parse a prefix program into a nested tuple tree.

    Args:
        tokens: the program tokens (or one space-separated string).

    Returns:
        ``(name, argument)`` for unary calls, ``(name, first, second)`` for binary calls, and a tuple
        of symbols for a string argument, e.g. ``("reverse", ("A1", "B2"))``.

    Raises:
        ProgramError: unknown function or token, a missing/extra ``,`` or trailing tokens.
    """
    tokens = tuple(tokens.split()) if isinstance(tokens, str) else tuple(tokens)
    for token in tokens:
        _check_token(token)
    # Iterative parse with an explicit stack of open calls: [name, arguments collected so far].
    frames: list[tuple[str, list[Program]]] = []
    position = 0
    while True:
        if position >= len(tokens):
            raise ProgramError("program ends where an argument is expected")
        token = tokens[position]
        if token in UNARY or token in BINARY:
            frames.append((token, []))
            position += 1
            continue
        if token == SEPARATOR:
            raise ProgramError(f"unexpected ',' at token {position}")
        end = position
        while end < len(tokens) and _SYMBOL.fullmatch(tokens[end]):
            end += 1
        if end < len(tokens) and tokens[end] != SEPARATOR:
            raise ProgramError(f"function {tokens[end]!r} at token {end} follows a string argument")
        node: Program = tokens[position:end]
        position = end
        # A finished argument completes the innermost call, which may complete the next, and so on.
        while frames:
            name, arguments = frames[-1]
            arguments.append(node)
            if name in BINARY and len(arguments) == 1:
                if position >= len(tokens) or tokens[position] != SEPARATOR:
                    raise ProgramError(f"binary function {name!r} needs two arguments separated by ','")
                position += 1
                break
            frames.pop()
            node = (name, *arguments)
        if not frames:
            break
    if position != len(tokens):
        raise ProgramError(f"unexpected tokens after the program at token {position}: {tokens[position]!r}")
    return node


def evaluate(program: Program) -> Tokens:
    """Evaluate a parsed program to its output token string."""
    if not is_call(program):
        return program  # a symbol string evaluates to itself
    name, *arguments = program
    values = [evaluate(argument) for argument in arguments]
    return UNARY[name](*values) if name in UNARY else BINARY[name](*values)


def interpret(tokens: Iterable[str] | str) -> Tokens:
    """The output of a PCFG SET program, e.g. ``interpret("reverse copy A1 B2") == ("B2", "A1")``.

    Raises:
        ProgramError: the input is not a well-formed program.
    """
    return evaluate(parse_program(tokens))


def count_functions(tokens: Iterable[str]) -> int:
    """The number of function tokens in a program (the productivity split's measure of size)."""
    return sum(1 for token in tokens if token in _FUNCTION_SET)


def function_pairs(tokens: Iterable[str]) -> set[tuple[str, str]]:
    """The adjacent function pairs ``(f, g)`` of a program, i.e. ``f`` applied directly to ``g``'s result.

    ``f g`` adjacent in the prefix string means ``g`` is the first argument of ``f`` (systematicity's
    held-out pairs are defined on the token string this way).
    """
    return {(f, g) for f, g in pairwise(tokens) if f in _FUNCTION_SET and g in _FUNCTION_SET}


def depth(program: Program) -> int:
    """The number of function calls on the longest root-to-leaf path (0 for a bare string)."""
    if not is_call(program):
        return 0
    return 1 + max(depth(argument) for argument in program[1:])


def read_pcfg(source_path: str | Path, target_path: str | Path | None = None) -> list[Example]:
    """Read a ``.src``/``.tgt`` pair (one program / one output a line) into examples.

    Args:
        source_path: the ``.src`` file.
        target_path: the ``.tgt`` file; defaults to ``source_path`` with the suffix ``.tgt``.

    Returns:
        One example per line: ``source`` the program tokens, ``target`` the output tokens.

    Raises:
        DataFormatError: the files have different line counts (naming both), or a program is
            malformed (naming ``file:line``).
    """
    source_path = Path(source_path)
    target_path = source_path.with_suffix(".tgt") if target_path is None else Path(target_path)
    sources = read_text(source_path).splitlines()
    targets = read_text(target_path).splitlines()
    if len(sources) != len(targets):
        raise DataFormatError(
            f"{len(sources)} lines in {source_path} but {len(targets)} lines in {target_path}; "
            f"every program needs exactly one target line"
        )
    examples = []
    for number, (source, target) in enumerate(zip(sources, targets, strict=True), start=1):
        tokens = tuple(source.split())
        try:
            parse_program(tokens)
        except ProgramError as error:
            raise DataFormatError(str(error), source_path, number) from None
        examples.append(Example(tokens, tuple(target.split())))
    return examples

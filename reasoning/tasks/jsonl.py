"""Examples as JSON Lines: one object a line with keys source, target, tree, values, subset."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reasoning.tasks.errors import DataFormatError
from reasoning.tasks.example import Example
from reasoning.tasks.text_files import read_text

KEYS: tuple[str, ...] = ("source", "target", "tree", "values", "subset")


def example_to_json(example: Example) -> str:
    """One compact JSON object (no newline), e.g. ``{"source": ["3"], "target": ["3"], ...}``."""
    return json.dumps(
        {
            "source": list(example.source),
            "target": list(example.target),
            "tree": None if example.tree is None else list(example.tree),
            "values": None if example.values is None else list(example.values),
            "subset": example.subset,
        },
        separators=(",", ":"),
    )


def _tokens(record: dict[str, Any], key: str, kind: type, optional: bool) -> tuple | None:
    value = record.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, list) or not all(isinstance(item, kind) and not isinstance(item, bool) for item in value):
        raise ValueError(f"{key!r} must be a list of {kind.__name__}" + (" or null" if optional else ""))
    return tuple(value)


def example_from_json(text: str) -> Example:
    """Parse one JSON Lines record into an example.

    Raises:
        ValueError: not JSON, not an object, a missing ``source``/``target``, a wrongly typed field,
            or ``tree``/``values`` of the wrong length.
    """
    record = json.loads(text)
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    unknown = set(record) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}; expected {list(KEYS)}")
    subset = record.get("subset")
    if subset is not None and not isinstance(subset, str):
        raise ValueError("'subset' must be a string or null")
    return Example(
        source=_tokens(record, "source", str, optional=False),
        target=_tokens(record, "target", str, optional=False),
        tree=_tokens(record, "tree", int, optional=True),
        values=_tokens(record, "values", int, optional=True),
        subset=subset,
    )


def write_jsonl(path: str | Path, examples: Iterable[Example]) -> int:
    """Write examples one JSON object a line (parent folders are created); returns how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as out:
        for example in examples:
            out.write(example_to_json(example) + "\n")
            count += 1
    return count


def iter_jsonl(path: str | Path) -> Iterator[Example]:
    """Yield the examples of a JSON Lines file (blank lines skipped).

    Raises:
        DataFormatError: a line that is not a valid record, reported as ``path:line: reason``.
    """
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield example_from_json(line)
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            raise DataFormatError(str(error), path, number) from None


def read_jsonl(path: str | Path) -> list[Example]:
    """Read a JSON Lines file written by :func:`write_jsonl` into a list of examples."""
    return list(iter_jsonl(path))

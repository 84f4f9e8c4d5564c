"""The error raised when a benchmark file does not have the expected format."""

from __future__ import annotations

from pathlib import Path


class DataFormatError(ValueError):
    """A data file (SCAN, PCFG SET, HINT JSON Lines) is malformed.

    The message starts with ``path:line:`` when a single line is at fault, so editors and
    terminals can jump to it.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None) -> None:
        self.path = None if path is None else Path(path)
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)

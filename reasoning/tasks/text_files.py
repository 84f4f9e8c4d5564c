"""Reading benchmark text files: plain or gzip-compressed, with or without a UTF-8 byte-order mark."""

from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path
from typing import TextIO

from reasoning.tasks.errors import DataFormatError

GZIP_SUFFIX = ".gz"


def locate(path: str | os.PathLike[str]) -> Path | None:
    """The file that holds ``path``'s text: ``path`` itself, else ``path.gz``; ``None`` when neither exists."""
    path = Path(path)
    if path.is_file():
        return path
    compressed = path.with_name(path.name + GZIP_SUFFIX)
    return compressed if compressed.is_file() else None


def open_text(path: str | os.PathLike[str]) -> TextIO:
    """Open a text file for reading as UTF-8, decompressing ``.gz`` and dropping a leading byte-order mark.

    ``path`` may name the uncompressed file when only ``path.gz`` exists (the shipped data).

    Raises:
        FileNotFoundError: neither ``path`` nor ``path.gz`` exists.
    """
    if Path(path).is_dir():
        raise DataFormatError("is a folder; give a data file", path)
    found = locate(path)
    if found is None:
        raise FileNotFoundError(f"no such file: {path} (nor {path}{GZIP_SUFFIX})")
    if found.suffix == GZIP_SUFFIX:
        return io.TextIOWrapper(gzip.open(found, "rb"), encoding="utf-8-sig")
    return open(found, encoding="utf-8-sig")


def read_text(path: str | os.PathLike[str]) -> str:
    """The whole text of ``path`` (see :func:`open_text`).

    Raises:
        FileNotFoundError: neither ``path`` nor ``path.gz`` exists.
        DataFormatError: ``path`` is a folder, not UTF-8 text, or a damaged ``.gz`` (the file is named).
    """
    try:
        with open_text(path) as text:
            return text.read()
    except UnicodeDecodeError as error:
        raise DataFormatError(f"is not UTF-8 text (byte {error.start}: {error.reason}); data files are "
                              f"UTF-8 text files", path) from None
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise DataFormatError(f"is not a readable gzip file ({error})", path) from None

"""Examples to and from files in each task's own format, from any path.

| task | format                                      | written by ``write_split`` as     |
|------|---------------------------------------------|-----------------------------------|
| scan | ``IN: <command> OUT: <actions>`` lines      | ``<part>.txt``                    |
| pcfg | ``.src`` programs + ``.tgt`` outputs beside | ``<part>.src`` and ``<part>.tgt`` |
| hint | JSON Lines records                          | ``<part>.jsonl``                  |
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from envs.run_files import write_text_atomic
from reasoning.tasks.errors import DataFormatError
from reasoning.tasks.example import Example
from reasoning.tasks.jsonl import example_to_json, read_jsonl
from reasoning.tasks.pcfg import read_pcfg
from reasoning.tasks.scan import format_scan_line, read_scan

FILE_FORMATS: dict[str, str] = {
    "scan": "SCAN lines 'IN: <command> OUT: <actions>'",
    "pcfg": "PCFG SET .src file with its .tgt beside it",
    "hint": "HINT JSON Lines",
}


def _check_task(task: str) -> None:
    if task not in FILE_FORMATS:
        raise ValueError(f"unknown task {task!r}; choose one of {', '.join(FILE_FORMATS)}")


def read_task_file(task: str, path: str | os.PathLike[str]) -> list[Example]:
    """Read a data file of ``task`` in the task's own format.

    Args:
        task: ``"scan"``, ``"pcfg"`` or ``"hint"``.
        path: the file; for PCFG the ``.src`` (a ``.tgt`` path is taken to mean the pair).

    Returns:
        The examples in file order (at least one).

    Raises:
        FileNotFoundError: the file (or the PCFG ``.tgt`` beside the ``.src``) does not exist.
        DataFormatError: a malformed line (``file:line`` in the message) or an empty file.
    """
    _check_task(task)
    path = Path(path)
    if task == "pcfg" and path.suffix == ".tgt":
        path = path.with_suffix(".src")
    needed = [path, path.with_suffix(".tgt")] if task == "pcfg" else [path]
    for file in needed:
        if file.is_dir():
            raise DataFormatError("is a folder; give a data file", file)
        if not file.is_file():
            raise FileNotFoundError(f"no such file: {file}" + (" (a PCFG .src needs its .tgt beside it)"
                                                                if task == "pcfg" else ""))
    if task == "scan":
        examples = read_scan(path)
    elif task == "pcfg":
        examples = read_pcfg(path)
    else:
        examples = read_jsonl(path)
    if not examples:
        raise DataFormatError(f"no examples (expected {FILE_FORMATS[task]})", path)
    return examples


def write_split(task: str, parts: Mapping[str, Sequence[Example]], folder: str | os.PathLike[str]) -> list[Path]:
    """Write each part of a split (``{"train": [...], "test": [...]}``) to ``folder`` in the task's format.

    Every file is written atomically (a crash leaves the previous file or none, never half of one).

    Returns:
        The paths written, in part order.
    """
    _check_task(task)
    folder = Path(folder)
    written: list[Path] = []
    for part, examples in parts.items():
        if task == "scan":
            files = {".txt": [format_scan_line(example) for example in examples]}
        elif task == "pcfg":
            files = {".src": [" ".join(e.source) for e in examples], ".tgt": [" ".join(e.target) for e in examples]}
        else:
            files = {".jsonl": [example_to_json(example) for example in examples]}
        for suffix, lines in files.items():
            written.append(write_text_atomic(folder / f"{part}{suffix}", "".join(line + "\n" for line in lines)))
    return written

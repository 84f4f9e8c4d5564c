"""Run folders under ``runs/`` and atomic result files (temporary file, then rename).

Every command that produces results writes one folder here; a crash never leaves a
half-written JSON/CSV/YAML behind.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

RUNS_ENV_VAR = "SLOTMIND_RUNS"


def runs_root() -> Path:
    """``$SLOTMIND_RUNS`` if set, else ``runs/`` in the current directory."""
    return Path(os.environ.get(RUNS_ENV_VAR, "runs"))


def new_run_dir(prefix: str, root: str | Path | None = None) -> Path:
    """Create and return a fresh folder ``<root>/<prefix>-<YYYYmmdd-HHMMSS>[-n]``."""
    root = Path(root) if root is not None else runs_root()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = root / (f"{prefix}-{stamp}" + (f"-{n}" if n else ""))
        try:
            path.mkdir(parents=True, exist_ok=False)
            return path
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a new run folder under {root}")


def current_umask() -> int:
    """The process's file-creation mask (read by setting it and putting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_new_run_dir(path: Path, resume_command: str | None = None) -> None:
    """ValueError unless ``path`` is free for a new run: absent or an empty folder.

    Args:
        path: the run folder asked for (``--run-dir``).
        resume_command: how to continue the run already there (e.g. ``slotmind train --resume``), named in
            the message; None when the command cannot resume.
    """
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        kind = "a file" if not path.is_dir() else "a folder that is not empty"
        advice = f"`{resume_command} {path}` continues the run there, or " if resume_command else ""
        raise ValueError(f"--run-dir {path} is {kind}: a new run never overwrites one; {advice}choose a new folder")


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` (same suffix) to write to; when the block succeeds it
    is renamed onto ``path``, otherwise removed, so readers see the old file or the whole new one.

    The file gets the usual permissions (0o666 less the umask), not ``mkstemp``'s private 0o600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(handle)
    try:
        yield Path(tmp_name)
        if os.path.exists(tmp_name):
            os.chmod(tmp_name, 0o666 & ~current_umask())
        os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.remove(tmp_name)


# What atomic_path's mkstemp names look like: ".<stem>-<8 random characters><suffix>".
_TEMPORARY_NAME = re.compile(r"^\..+-[a-z0-9_]{8}(\.[A-Za-z0-9]+)?$")


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Delete the temporary files a killed process left under ``folder`` (atomic_path's names); returns them.

    Call it only when no other process writes into ``folder`` (e.g. before resuming a run there).
    """
    stale = [path for path in folder.rglob(".*") if path.is_file() and _TEMPORARY_NAME.match(path.name)]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """``data`` as indented JSON at ``path`` (atomic)."""
    return write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def write_csv_atomic(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """``rows`` (dicts sharing keys; the first row's keys are the header) as CSV at ``path`` (atomic)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return write_text_atomic(path, buffer.getvalue())

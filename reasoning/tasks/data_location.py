"""Where the shipped benchmark data lives: an explicit path, $SLOTMIND_DATA, or ../shared/data."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SLOTMIND_DATA"
_REPO_ROOT = Path(__file__).resolve().parents[2]
_RELATIVE_TO_ROOT = Path("..") / "shared" / "data"


class DataNotFoundError(FileNotFoundError):
    """The benchmark data folder (or a task folder inside it) could not be found."""


def _root_from_cwd() -> Path:
    """The nearest ancestor of the working directory holding ``pyproject.toml``, else the cwd."""
    cwd = Path.cwd().resolve()
    for folder in (cwd, *cwd.parents):
        if (folder / "pyproject.toml").is_file():
            return folder
    return cwd


def candidate_dirs(path: str | os.PathLike[str] | None = None) -> list[Path]:
    """The folders tried, in order, by :func:`resolve_data_dir`.

    Args:
        path: an explicit data folder (e.g. from a ``--data DIR`` flag). When given it is the only
            candidate, so a typo is reported instead of silently using another copy.

    Returns:
        The explicit path; else ``$SLOTMIND_DATA`` when set; else ``../shared/data`` next to the
        repository root found from this file, then from the working directory (duplicates removed).
    """
    if path is not None:
        return [Path(path).expanduser()]
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return [Path(from_env).expanduser()]
    found: list[Path] = []
    for root in (_REPO_ROOT, _root_from_cwd()):
        candidate = (root / _RELATIVE_TO_ROOT).resolve()
        if candidate not in found:
            found.append(candidate)
    return found


def resolve_data_dir(path: str | os.PathLike[str] | None = None, require: str | None = None) -> Path:
    """Find the benchmark data folder.

    Args:
        path: an explicit folder; overrides the environment variable and the default location.
        require: a sub-folder that must exist inside the data folder (e.g. ``"scan"``, ``"pcfg"``).

    Returns:
        The first candidate folder (see :func:`candidate_dirs`) that exists and holds ``require``.

    Raises:
        DataNotFoundError: no candidate exists; the message lists every place looked at and how to
            point at the data.
    """
    candidates = candidate_dirs(path)
    for folder in candidates:
        if folder.is_dir() and (require is None or (folder / require).is_dir()):
            return folder
    wanted = "the benchmark data folder" if require is None else f"a data folder containing '{require}/'"
    looked = "\n".join(f"  - {folder}{'' if require is None else '/' + require}" for folder in candidates)
    raise DataNotFoundError(
        f"Could not find {wanted}. Looked in:\n{looked}\n"
        f"Point at the data with `--data DIR` (or the data_dir argument) or set {ENV_VAR}=/path/to/data "
        f"(the folder that holds scan/ and pcfg/)."
    )

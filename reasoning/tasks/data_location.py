"""Where the benchmark data lives: an explicit path, $SLOTMIND_DATA, else the files shipped in the package."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

ENV_VAR = "SLOTMIND_DATA"


class DataNotFoundError(FileNotFoundError):
    """The benchmark data folder (or a task folder inside it) could not be found."""


def packaged_data_dir() -> Path:
    """``reasoning/data`` inside the installed package (gzip-compressed official files, see its README)."""
    return Path(str(resources.files("reasoning") / "data"))


def candidate_dirs(path: str | os.PathLike[str] | None = None) -> list[Path]:
    """The folders tried, in order, by :func:`resolve_data_dir`.

    Args:
        path: an explicit data folder (e.g. from a ``--data DIR`` flag). When given it is the only
            candidate, so a typo is reported instead of silently using another copy.

    Returns:
        The explicit path; else ``$SLOTMIND_DATA`` when set (again the only candidate); else the
        package's own data folder.
    """
    if path is not None:
        return [Path(path).expanduser()]
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return [Path(from_env).expanduser()]
    return [packaged_data_dir()]


def resolve_data_dir(path: str | os.PathLike[str] | None = None, require: str | None = None) -> Path:
    """Find the benchmark data folder.

    Args:
        path: an explicit folder; overrides the environment variable and the packaged data.
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
        f"(the folder that holds scan/ and pcfg/), or unset {ENV_VAR} to use the files shipped in the package."
    )

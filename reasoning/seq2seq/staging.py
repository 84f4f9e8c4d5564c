"""Write a folder all at once: fill a hidden sibling, then rename it into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from envs.run_files import current_umask


@contextmanager
def staged_folder(final: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield an empty hidden folder beside ``final``; on success rename it to ``final``, on error delete it.

    ``final`` must not exist or be an empty folder (it is replaced). The staged folder gets the
    usual permissions (0o777 less the umask), not ``mkdtemp``'s private 0o700.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name}-"))
    try:
        staging.chmod(0o777 & ~current_umask())
        yield staging
        os.replace(staging, final)
    finally:
        if staging.exists():
            shutil.rmtree(staging)

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from envs.run_files import (
    new_run_dir,
    remove_stale_temporaries,
    write_csv_atomic,
    write_json_atomic,
    write_text_atomic,
)


def test_new_run_dirs_are_unique(tmp_path: Path) -> None:
    first = new_run_dir("x", root=tmp_path)
    second = new_run_dir("x", root=tmp_path)
    assert first != second and first.is_dir() and second.is_dir()


def test_atomic_writes_round_trip(tmp_path: Path) -> None:
    write_json_atomic(tmp_path / "a.json", {"k": [1, 2]})
    assert json.loads((tmp_path / "a.json").read_text()) == {"k": [1, 2]}
    write_csv_atomic(tmp_path / "a.csv", [{"a": 1, "b": 2}, {"a": 3, "b": 4}])
    assert (tmp_path / "a.csv").read_text() == "a,b\n1,2\n3,4\n"


def test_a_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = write_text_atomic(tmp_path / "keep.txt", "old")
    with pytest.raises(TypeError):
        write_json_atomic(path, {"bad": object.__new__(type("NoJson", (), {"__str__": None}))})
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_atomic_files_get_the_umask_permissions_not_private_ones(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        written = write_json_atomic(tmp_path / "a.json", {"x": 1})
        assert stat.S_IMODE(written.stat().st_mode) == 0o644
        os.umask(0o077)
        assert stat.S_IMODE(write_json_atomic(tmp_path / "b.json", {}).stat().st_mode) == 0o600
    finally:
        os.umask(previous)


def test_stale_temporaries_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    (tmp_path / "checkpoints").mkdir()
    stale = [tmp_path / ".eval-k2x_9ab1.json", tmp_path / "checkpoints" / ".latest-0a1b2c3d.zip"]
    kept = [tmp_path / "eval.json", tmp_path / ".gitignore", tmp_path / ".notes-mine.txt"]
    for path in stale + kept:
        path.write_text("x")
    assert sorted(remove_stale_temporaries(tmp_path)) == sorted(stale)
    assert all(path.exists() for path in kept) and not any(path.exists() for path in stale)

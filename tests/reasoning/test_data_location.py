"""Resolution of the benchmark data folder: explicit path, SLOTMIND_DATA, ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoning.tasks import data_location
from reasoning.tasks.data_location import ENV_VAR, DataNotFoundError, candidate_dirs, resolve_data_dir


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)


def test_explicit_path_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "explicit").mkdir()
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "from_env"))
    assert resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"


def test_missing_explicit_path_is_reported_not_replaced(tmp_path: Path, no_env: None) -> None:
    missing = tmp_path / "typo"
    with pytest.raises(DataNotFoundError) as error:
        resolve_data_dir(missing)
    message = str(error.value)
    assert str(missing) in message and "--data DIR" in message and f"{ENV_VAR}=" in message
    assert isinstance(error.value, FileNotFoundError)


def test_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "scan").mkdir()
    monkeypatch.setenv(ENV_VAR, str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert resolve_data_dir(require="scan") == tmp_path
    with pytest.raises(DataNotFoundError, match="pcfg"):
        resolve_data_dir(require="pcfg")


def test_default_is_shared_data_next_to_the_repository(no_env: None) -> None:
    repo_root = Path(data_location.__file__).resolve().parents[2]
    assert (repo_root / "pyproject.toml").is_file()
    assert candidate_dirs()[0] == (repo_root / ".." / "shared" / "data").resolve()


def test_found_from_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env: None) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "sub" / "dir").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text("")
    (tmp_path / "shared" / "data").mkdir(parents=True)
    monkeypatch.setattr(data_location, "_REPO_ROOT", tmp_path / "elsewhere" / "repo")
    monkeypatch.chdir(checkout / "sub" / "dir")
    assert resolve_data_dir() == (tmp_path / "shared" / "data").resolve()


def test_error_lists_every_place_looked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_env: None) -> None:
    monkeypatch.setattr(data_location, "_REPO_ROOT", tmp_path / "a" / "repo")
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "b")
    with pytest.raises(DataNotFoundError) as error:
        resolve_data_dir()
    message = str(error.value)
    for folder in candidate_dirs():
        assert str(folder) in message
    assert len(candidate_dirs()) == 2
    assert "--data DIR" in message and ENV_VAR in message

"""Resolution of the benchmark data folder: explicit path, SLOTMIND_DATA, the packaged data."""

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


def test_default_is_the_data_shipped_in_the_package(no_env: None) -> None:
    folder = resolve_data_dir(require="scan")
    assert folder == Path(data_location.__file__).resolve().parents[1] / "data"
    assert (folder / "scan" / "tasks.txt.gz").is_file() and (folder / "pcfg" / "LICENSE").is_file()
    assert candidate_dirs() == [folder]


def test_nothing_refers_to_the_shared_folder() -> None:
    repo_root = Path(data_location.__file__).resolve().parents[2]
    sources = [p for folder in ("agents", "envs", "reasoning", "tests") for p in (repo_root / folder).rglob("*.py")]
    offenders = [p for p in sources if "../" + "shared" in p.read_text(encoding="utf-8")]
    assert not offenders, offenders


def test_error_says_how_to_use_the_packaged_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    with pytest.raises(DataNotFoundError) as error:
        resolve_data_dir(require="scan")
    message = str(error.value)
    assert str(tmp_path / "nowhere") in message and "--data DIR" in message and f"unset {ENV_VAR}" in message

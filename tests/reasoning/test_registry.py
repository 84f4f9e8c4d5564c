"""The task registry: every (task, split) pair loads, options are checked, data falls back to generators."""

from __future__ import annotations

from pathlib import Path

import pytest

from reasoning.tasks import TASK_SPLITS, DataNotFoundError, Example, data_source, load_split
from reasoning.tasks.data_location import ENV_VAR

SMALL = {"scan": {}, "pcfg": {"n_train": 300}, "hint": {"train_per_op": 30, "test_per_op": 5}}


def test_task_splits() -> None:
    assert TASK_SPLITS == {
        "scan": (
            "simple", "length", "add-jump", "add-turn-left",
            "around-right", "opposite-right", "right", "jump-around-right",
            "filler-0", "filler-1", "filler-2", "filler-3",
            "add-jump-complex-1", "add-jump-complex-2", "add-jump-complex-4",
            "add-jump-complex-8", "add-jump-complex-16", "add-jump-complex-32",
        ),
        "pcfg": ("iid", "systematicity", "productivity"),
        "hint": ("symbol", "image"),
    }  # fmt: skip


@pytest.mark.parametrize(("task", "split"), [(task, split) for task, splits in TASK_SPLITS.items() for split in splits])
def test_every_split_loads(task: str, split: str) -> None:
    data = load_split(task, split, **SMALL[task])
    assert {"train", "test"} <= set(data)
    assert all(isinstance(e, Example) for part in data.values() for e in part)
    assert data["train"] and data["test"]
    if task == "pcfg":
        assert len(data["train"]) == 300 and "dev" in data
        assert not {e.source for e in data["train"]} & {e.source for e in data["test"] + data["dev"]}
    if task == "hint":
        assert all(e.subset in ("I", "SS", "LS", "SL", "LL") for e in data["test"])


def test_scan_uses_the_official_files_and_falls_back_to_the_grammar(
    scan_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    official = load_split("scan", "simple", data_dir=scan_dir.parent)
    built = load_split("scan", "simple", official=False)
    assert official != built  # the shipped random partition vs our seeded one
    assert len(official["train"]) == len(built["train"])
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    assert load_split("scan", "length") == load_split("scan", "length", official=False)
    with pytest.raises(DataNotFoundError):
        load_split("scan", "length", official=True)
    with pytest.raises(DataNotFoundError):
        load_split("pcfg", "iid")
    with pytest.raises(DataNotFoundError):  # a random draw: no grammar to fall back to
        load_split("scan", "add-jump-complex-4")


def test_data_source_says_official_or_generated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert data_source("scan", "length").startswith("official files: ")
    assert "tasks_train_length.txt.gz" in data_source("scan", "length")
    assert data_source("scan", "length", official=False).startswith("generated")
    assert "generated" in data_source("pcfg", "iid") and "pcfgset/dev.src" in data_source("pcfg", "iid")
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "nowhere"))
    assert data_source("scan", "length").startswith("generated")


def test_unknown_names_and_options_are_rejected() -> None:
    with pytest.raises(ValueError, match="unknown task"):
        load_split("cogs", "gen")
    with pytest.raises(ValueError, match="unknown scan split"):
        load_split("scan", "mcd1")
    with pytest.raises(ValueError, match="unknown hint options"):
        load_split("hint", "symbol", n_train=3)

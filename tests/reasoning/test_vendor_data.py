"""scripts/vendor_benchmark_data.py: gzip copies, licences as they are, a manifest of the uncompressed bytes."""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "vendor_benchmark_data.py"


def _vendor_module():
    spec = importlib.util.spec_from_file_location("vendor_benchmark_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vendoring_a_small_source(tmp_path: Path) -> None:
    source, target = tmp_path / "upstream", tmp_path / "data"
    (source / "scan" / "split").mkdir(parents=True)
    (source / "pcfg").mkdir()
    (source / "scan" / "split" / "train.txt").write_text("IN: jump OUT: I_JUMP\n")
    (source / "scan" / "LICENSE").write_text("BSD")
    (source / "pcfg" / "a.src").write_text("copy A\n")
    lines = _vendor_module().vendor(source, target)
    assert [line.split("  ")[1] for line in lines] == ["pcfg/a.src", "scan/split/train.txt"]
    assert lines[1].split("  ")[0] == hashlib.sha256(b"IN: jump OUT: I_JUMP\n").hexdigest()
    assert gzip.decompress((target / "scan" / "split" / "train.txt.gz").read_bytes()) == b"IN: jump OUT: I_JUMP\n"
    assert (target / "scan" / "LICENSE").read_text() == "BSD"
    first = (target / "pcfg" / "a.src.gz").read_bytes()
    _vendor_module().vendor(source, target)
    assert (target / "pcfg" / "a.src.gz").read_bytes() == first  # deterministic: no timestamp in the gzip


def test_a_source_without_both_tasks_is_refused(tmp_path: Path) -> None:
    (tmp_path / "scan").mkdir()
    with pytest.raises(SystemExit, match="no pcfg folder"):
        _vendor_module().vendor(tmp_path, tmp_path / "out")

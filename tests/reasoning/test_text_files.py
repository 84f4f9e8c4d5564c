"""Reading text files plain or gzip-compressed, with or without a byte-order mark."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reasoning.tasks.text_files import locate, open_text, read_text


@given(text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200), bom=st.booleans(),
       packed=st.booleans())
def test_every_way_of_storing_a_text_reads_back_the_same(tmp_path_factory: pytest.TempPathFactory, text: str,
                                                           bom: bool, packed: bool) -> None:
    folder = tmp_path_factory.mktemp("texts")
    raw = text.encode("utf-8-sig" if bom else "utf-8")
    if packed:
        (folder / "a.txt.gz").write_bytes(gzip.compress(raw))
    else:
        (folder / "a.txt").write_bytes(raw)
    # Universal newlines: lines read back the same whatever ended them (\r\n, \r or \n).
    assert read_text(folder / "a.txt").splitlines() == text.splitlines()
    if packed:
        assert read_text(folder / "a.txt.gz").splitlines() == text.splitlines()


def test_plain_file_wins_and_missing_files_are_named(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("plain")
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress(b"packed"))
    assert locate(tmp_path / "a.txt") == tmp_path / "a.txt"
    assert locate(tmp_path / "b.txt") is None
    with pytest.raises(FileNotFoundError, match=r"b\.txt"):
        open_text(tmp_path / "b.txt")

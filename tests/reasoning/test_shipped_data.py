"""The official benchmark files shipped in the package: checksums, licences, nothing unlisted."""

from __future__ import annotations

import gzip
import hashlib

from reasoning.tasks.data_location import packaged_data_dir

DATA = packaged_data_dir()


def _manifest() -> dict[str, str]:
    lines = (DATA / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines()
    return {path: digest for digest, path in (line.split("  ", 1) for line in lines if line)}


def test_every_shipped_data_file_matches_its_checksum() -> None:
    manifest = _manifest()
    shipped = {p.relative_to(DATA).as_posix().removesuffix(".gz"): p for p in DATA.rglob("*.gz")}
    assert set(shipped) == set(manifest)
    assert len(manifest) >= 50 and "scan/tasks.txt" in manifest and "pcfg/pcfgset/test.src" in manifest
    for name, path in shipped.items():
        assert hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest() == manifest[name], name


def test_each_task_keeps_its_licence_and_readme() -> None:
    for task, licence in (("scan", "BSD"), ("pcfg", "MIT License")):
        assert licence in (DATA / task / "LICENSE").read_text(encoding="utf-8")
        assert (DATA / task / "README.md").is_file()


def test_a_corrupted_file_would_be_caught() -> None:
    good = gzip.decompress((DATA / "scan" / "tasks.txt.gz").read_bytes())
    assert hashlib.sha256(good.replace(b"I_JUMP", b"I_WALK", 1)).hexdigest() != _manifest()["scan/tasks.txt"]

"""Copy the official benchmark files into the package, gzip-compressed, with a checksum manifest.

    python scripts/vendor_benchmark_data.py SOURCE_DIR   # SOURCE_DIR holds scan/ and pcfg/

Every file under ``SOURCE_DIR/scan`` and ``SOURCE_DIR/pcfg`` is written to
``reasoning/data/<same relative path>``: data files (``.txt``, ``.src``, ``.tgt``) as ``<name>.gz``
(deterministic gzip, no timestamp), licences and READMEs as they are. ``reasoning/data/MANIFEST.sha256``
lists the SHA-256 of each data file's uncompressed bytes, which the tests check against the
shipped files. A maintainer runs this when the upstream files change; the package never reads
``SOURCE_DIR`` at run time.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import shutil
import sys
from pathlib import Path

DATA_SUFFIXES = {".txt", ".src", ".tgt"}
TASKS = ("scan", "pcfg")
TARGET = Path(__file__).resolve().parents[1] / "reasoning" / "data"
MANIFEST_NAME = "MANIFEST.sha256"


def vendor(source: Path, target: Path = TARGET) -> list[str]:
    """Rewrite ``target`` from ``source``; returns the manifest lines ``"<sha256>  <relative path>"``."""
    missing = [task for task in TASKS if not (source / task).is_dir()]
    if missing:
        raise SystemExit(f"{source} has no {', '.join(missing)} folder; pass the folder that holds scan/ and pcfg/")
    for task in TASKS:
        shutil.rmtree(target / task, ignore_errors=True)
    manifest = []
    for path in sorted(p for task in TASKS for p in (source / task).rglob("*") if p.is_file()):
        relative = path.relative_to(source)
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix in DATA_SUFFIXES:
            content = path.read_bytes()
            manifest.append(f"{hashlib.sha256(content).hexdigest()}  {relative.as_posix()}")
            with open(destination.with_name(destination.name + ".gz"), "wb") as raw, gzip.GzipFile(
                filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
            ) as out:
                out.write(content)
        else:
            shutil.copyfile(path, destination)
    (target / MANIFEST_NAME).write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="the folder holding scan/ and pcfg/ (the upstream files)")
    args = parser.parse_args(argv)
    lines = vendor(args.source)
    size = sum(p.stat().st_size for p in TARGET.rglob("*") if p.is_file())
    print(f"wrote {len(lines)} data files to {TARGET} ({size / 1e6:.1f} MB) and {MANIFEST_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

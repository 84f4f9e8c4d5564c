"""Published exact-match accuracies (%) to print beside our bench, with their sources.

Transcribed from the project's benchmark notes (BENCHMARKS.md sections 1-3), which cite the papers. SCAN has no
per-split table there, only anchors: NSR 100% on every split, CGPS 98.8% on add-jump, and plain
seq2seq / Transformer models "well under 20%" on add-jump and length (stored as the bound < 20).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Published:
    """One published number.

    Attributes:
        task, split: as in ``reasoning.tasks.TASK_SPLITS``.
        subset: HINT test subset (I, SS, LS, SL, LL, or ``avg`` for the mean), else ``None``.
        model: the model as named in the source table.
        accuracy: exact-match accuracy in percent (an upper bound when ``bound`` is ``"<"``).
        source: the paper, and where BENCHMARKS.md lists it.
        bound: ``""`` for a measured value, ``"<"`` for "below".
    """

    task: str
    split: str
    subset: str | None
    model: str
    accuracy: float
    source: str
    bound: str = ""

    def text(self) -> str:
        """The number as printed, e.g. ``91.7`` or ``<20``."""
        return f"{self.bound}{self.accuracy:g}"


_PCFG = "Hupkes et al. 2020 (BENCHMARKS.md §2)"
_NSR = "Li et al. ICLR 2024 (BENCHMARKS.md §{})"
_HINT = "Li et al. ICLR 2023 (BENCHMARKS.md §3)"
_SCAN = "BENCHMARKS.md §1"


def _pcfg() -> list[Published]:
    table = {"iid": (79.3, 84.7, 91.7), "systematicity": (52.6, 56.0, 71.9), "productivity": (30.1, 30.8, 50.0)}
    rows = []
    for split, values in table.items():
        rows += [Published("pcfg", split, None, model, value, _PCFG)
                 for model, value in zip(("LSTM", "ConvS2S", "Transformer"), values, strict=True)]
        rows.append(Published("pcfg", split, None, "NSR", 100.0, _NSR.format(2)))
    return rows


def _hint() -> list[Published]:
    subsets = ("I", "SS", "LS", "SL", "LL", "avg")
    table = {
        "LSTM+att": (92.9, 90.9, 74.9, 12.1, 24.3, 58.9),
        "Transformer rel. uni.": (98.0, 96.8, 78.2, 11.7, 22.4, 61.5),
    }
    rows = [Published("hint", "symbol", subset, model, value, _HINT)
            for model, values in table.items() for subset, value in zip(subsets, values, strict=True)]
    rows += [Published("hint", "symbol", subset, "NSR", value, _NSR.format(3))
             for subset, value in (("SS", 97.3), ("SL", 95.9), ("avg", 90.1))]
    return rows


def _scan() -> list[Published]:
    rows = [Published("scan", split, None, "NSR", 100.0, _NSR.format(1))
            for split in ("simple", "length", "add-jump", "around-right")]
    rows.append(Published("scan", "add-jump", None, "CGPS", 98.8, _SCAN))
    rows += [Published("scan", split, None, model, 20.0, _SCAN, bound="<")
             for split in ("add-jump", "length") for model in ("seq2seq", "Transformer")]
    return rows


PUBLISHED: tuple[Published, ...] = (*_scan(), *_pcfg(), *_hint())

# Our model name -> the published models of the same kind (first match wins).
SAME_KIND: dict[str, tuple[str, ...]] = {
    "gru": ("LSTM+att", "LSTM", "seq2seq"),
    "transformer": ("Transformer", "Transformer rel. uni."),
}


def published_for(task: str, split: str, subset: str | None = None) -> list[Published]:
    """Every published number for this task, split and subset, best first."""
    rows = [row for row in PUBLISHED if (row.task, row.split, row.subset) == (task, split, subset)]
    return sorted(rows, key=lambda row: -row.accuracy)


def same_kind(model: str, task: str, split: str, subset: str | None = None) -> Published | None:
    """The published number of the model most like ours (a model registered under a published name,
    case-insensitively, matches that name), or ``None``."""
    rows = published_for(task, split, subset)
    names = SAME_KIND.get(model, ())
    for name in names:
        for row in rows:
            if row.model == name:
                return row
    return next((row for row in rows if row.model.lower() == model.lower()), None)

"""Pictures of a run: topographic similarity (and accuracy) over training, written to PNG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from envs.run_files import atomic_path


def plot_topsim(histories: Mapping[str, Sequence[Mapping[str, float]]], path: str | Path, title: str = "") -> Path:
    """One line per run of topsim against training step (left) and held-out accuracy (right); each history
    is a list of ``{"step", "topsim", "held_out_accuracy", ...}`` rows. Writes a PNG atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6))
    for label, history in histories.items():
        steps = [row["step"] for row in history]
        left.plot(steps, [row["topsim"] for row in history], label=label)
        held = [row.get("held_out_accuracy") for row in history]
        if all(value is not None for value in held):
            right.plot(steps, held, label=label)
    left.set(xlabel="training step", ylabel="topographic similarity", title="topsim")
    right.set(xlabel="training step", ylabel="accuracy", title="held-out accuracy", ylim=(0, 1.02))
    for axes in (left, right):
        axes.grid(alpha=0.3)
    left.legend(fontsize=7)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100)
    plt.close(figure)
    return Path(path)

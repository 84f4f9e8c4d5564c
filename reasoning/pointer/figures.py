"""A PNG of a few predictions beside the exact references (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from envs.run_files import atomic_path
from reasoning.pointer.metrics import until_end
from reasoning.pointer.scoring import References
from reasoning.pointer.tasks import PointerTask


def _draw(axis: object, task: PointerTask, points: np.ndarray, sequence: np.ndarray, colour: str) -> None:
    """Draw one instance's sequence: a closed tour/polygon, triangles, or values in order."""
    n = len(points)
    if task.name == "sort":
        axis.plot(points[np.asarray(sequence), 0], "o-", color=colour, markersize=3)  # type: ignore[attr-defined]
        return
    axis.scatter(points[:, 0], points[:, 1], s=8, color="black", zorder=3)  # type: ignore[attr-defined]
    if task.name == "delaunay":
        flat = until_end(sequence, n)
        for triangle in flat[:len(flat) // 3 * 3].reshape(-1, 3):
            corners = points[np.append(triangle, triangle[0])]
            axis.plot(corners[:, 0], corners[:, 1], color=colour, linewidth=0.8)  # type: ignore[attr-defined]
        return
    cycle = until_end(sequence, n) if task.has_end else np.asarray(sequence)
    corners = points[np.append(cycle, cycle[:1])]
    axis.plot(corners[:, 0], corners[:, 1], color=colour, linewidth=1.2)  # type: ignore[attr-defined]


def draw_examples(path: Path, task: PointerTask, inputs: np.ndarray, predicted: np.ndarray,
                  references: References, count: int = 4, title: str = "") -> Path:
    """Write a 2 x ``count`` grid: predictions (top) and the exact references (bottom).

    Args:
        inputs: (B, n, d) instances; predicted: (B, L) sequences; references: their exact answers;
        count: instances drawn (the first ones); title: the figure title.

    Returns:
        ``path`` (written atomically).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = min(count, len(inputs))
    truths = [np.append(s.reshape(-1), inputs.shape[1]) if task.name == "delaunay" else s
              for s in references.shapes] or list(references.labels)
    figure, axes = plt.subplots(2, count, figsize=(2.6 * count, 5.4), squeeze=False)
    for column in range(count):
        for row, (sequence, colour, label) in enumerate(((predicted[column], "tab:blue", "model"),
                                                         (truths[column], "tab:green", "exact"))):
            axis = axes[row][column]
            _draw(axis, task, inputs[column], np.asarray(sequence), colour)
            axis.set_title(f"{label} #{column}", fontsize=9)
            axis.set_xticks([])
            axis.set_yticks([])
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100, format="png")
    plt.close(figure)
    return path

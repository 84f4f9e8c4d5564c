"""Object-discovery metrics for slot encoders: (FG-)ARI and mean best overlap, batched in NumPy.

Every metric takes ground-truth instance masks ``true_masks`` (B, H, W) integer labels, 0 the
background, and predicted segmentations ``pred_masks`` that are either (B, H, W) integer segment
ids or (B, K, H, W) soft / one-hot masks over K slots (reduced by argmax over K). NumPy arrays
and torch tensors (any device) are accepted. Scores are per image, (B,) float64.

All of them come from per-image contingency tables ``n[b, i, j]`` = number of pixels of image b
with true label i and predicted segment j, counted with a single ``np.bincount``.

The adjusted Rand index uses the pair-counting form of Hubert & Arabie's formula, exactly as
``sklearn.metrics.adjusted_rand_score`` does (same integer pair counts, same final rounding), so
the two agree bit for bit; identical partitions, trivial ones included (one true object and one
predicted segment), score 1.0. Unlike scikit-learn, an image with fewer than two pixels to
compare scores NaN (there is no pair to agree or disagree on).

The fixed-grid and vertical-stripe segmentations are reference points: a model whose FG-ARI is
near theirs (``reference_scores``) is not binding pixels to objects.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "ari",
    "fg_ari",
    "fixed_grid_segments",
    "mean_best_overlap",
    "reference_scores",
    "vertical_stripes",
]


def _as_numpy(array: Any) -> np.ndarray:
    """``array`` as a NumPy array; torch tensors are detached and moved to the CPU first."""
    if hasattr(array, "detach") and hasattr(array, "cpu"):  # a torch tensor, without importing torch
        tensor = array.detach().cpu()
        if tensor.is_floating_point():
            tensor = tensor.float()  # NumPy has no bfloat16
        return tensor.numpy()
    return np.asarray(array)


def _as_labels(array: np.ndarray, name: str) -> np.ndarray:
    """Integer labels (any shape) as int64; ValueError for non-integral values."""
    if array.dtype.kind in "iub":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "f" and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        return array.astype(np.int64)
    raise ValueError(f"{name} must hold integer labels, got dtype {array.dtype}")


def _prepare(true_masks: Any, pred_masks: Any) -> tuple[np.ndarray, np.ndarray]:
    """Check shapes; return true labels and predicted segment ids, both (B, H * W) int64 >= 0.

    Labels are made compact (predicted ids to 0..n_ids - 1 over the batch, true labels likewise
    with 0 kept for the background) when they are negative or much larger than the number of
    pixels, which keeps the contingency tables small.
    """
    true = _as_numpy(true_masks)
    pred = _as_numpy(pred_masks)
    if true.ndim != 3:
        raise ValueError(f"true_masks must be (B, H, W), got shape {true.shape}")
    if pred.ndim == 4:
        if pred.shape[0] != true.shape[0] or pred.shape[2:] != true.shape[1:]:
            raise ValueError(f"soft pred_masks {pred.shape} must be (B, K, H, W) with (B, H, W) = {true.shape}")
        pred = np.argmax(pred, axis=1)
    elif pred.ndim != 3 or pred.shape != true.shape:
        raise ValueError(f"pred_masks must be (B, H, W) = {true.shape} or (B, K, H, W), got shape {pred.shape}")
    true = _as_labels(true, "true_masks").reshape(true.shape[0], -1)
    pred = _as_labels(pred, "pred_masks").reshape(pred.shape[0], -1)
    if true.size and true.min() < 0:
        raise ValueError("true_masks must be >= 0 (0 = background)")
    limit = max(true.shape[1], 1024)
    if true.size and true.max() >= limit:  # compact, keeping 0 for the background
        true = np.unique(np.append(0, true), return_inverse=True)[1][1:].reshape(true.shape)
    if pred.size and (pred.min() < 0 or pred.max() >= limit):
        pred = np.unique(pred, return_inverse=True)[1].reshape(pred.shape)
    return true, pred


def _contingency(true: np.ndarray, pred: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    """Contingency tables (B, n_true, n_pred) int64 of labels (B, P); pixels where ``keep`` (B, P)
    is False are not counted."""
    batch = true.shape[0]
    n_true = int(true.max()) + 1 if true.size else 1
    n_pred = int(pred.max()) + 1 if pred.size else 1
    image = np.arange(batch, dtype=np.int64)[:, None]
    flat = (image * n_true + true) * n_pred + pred
    if keep is not None:
        flat = flat[keep]
    counts = np.bincount(flat.ravel(), minlength=batch * n_true * n_pred)
    return counts.reshape(batch, n_true, n_pred)


def _adjusted_rand(table: np.ndarray) -> np.ndarray:
    """ARI (B,) float64 of contingency tables (B, n_true, n_pred); NaN where fewer than 2 pixels.

    Pair counts as in ``sklearn.metrics.cluster.pair_confusion_matrix`` (ordered pairs):
    tp = sum n_ij^2 - n, fp = sum b_j^2 - sum n_ij^2, fn = sum a_i^2 - sum n_ij^2,
    tn = n^2 - fp - fn - sum n_ij^2, with a_i, b_j the row and column sums. The last step runs on
    Python integers (object arrays), like scikit-learn's, so that large images cannot overflow.
    """
    n = table.sum(axis=(1, 2))
    sum_squares = np.square(table).sum(axis=(1, 2))
    tp = sum_squares - n
    fp = np.square(table.sum(axis=1)).sum(axis=1) - sum_squares
    fn = np.square(table.sum(axis=2)).sum(axis=1) - sum_squares
    tn = np.square(n) - fp - fn - sum_squares
    tp, fp, fn, tn = (x.astype(object) for x in (tp, fp, fn, tn))
    agree = (fn == 0) & (fp == 0)
    denominator = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    denominator[agree] = 1  # those images score 1.0 below; avoid dividing by zero
    scores = (2.0 * (tp * tn - fn * fp) / denominator).astype(np.float64)
    scores[agree] = 1.0
    scores[n < 2] = np.nan
    return scores


def fg_ari(true_masks: Any, pred_masks: Any) -> np.ndarray:
    """Foreground adjusted Rand index per image, over the pixels whose true label is > 0.

    Args:
        true_masks: (B, H, W) integer instance labels, 0 = background.
        pred_masks: (B, H, W) integer segment ids, or (B, K, H, W) soft masks (argmax over K).

    Returns:
        (B,) float64 in [-1, 1]; NaN for an image with fewer than 2 foreground pixels.

    >>> true = np.array([[[0, 1, 1], [2, 2, 0]]])
    >>> float(fg_ari(true, true)[0])
    1.0
    >>> float(fg_ari(true, np.array([[[5, 9, 9], [3, 3, 5]]]))[0])  # relabelled; background ignored
    1.0
    >>> float(fg_ari(true, np.zeros((1, 2, 3), dtype=int))[0])  # one segment for two objects
    0.0
    >>> bool(np.isnan(fg_ari(np.zeros((1, 2, 2), dtype=int), np.zeros((1, 2, 2), dtype=int))[0]))
    True
    """
    true, pred = _prepare(true_masks, pred_masks)
    return _adjusted_rand(_contingency(true, pred, keep=true > 0))


def ari(true_masks: Any, pred_masks: Any) -> np.ndarray:
    """Adjusted Rand index per image over all pixels, background (label 0) included as a cluster.

    Args:
        true_masks: (B, H, W) integer instance labels, 0 = background.
        pred_masks: (B, H, W) integer segment ids, or (B, K, H, W) soft masks (argmax over K).

    Returns:
        (B,) float64 in [-1, 1]; NaN for an image with fewer than 2 pixels.

    >>> true = np.array([[[0, 0], [1, 1]]])
    >>> float(ari(true, np.array([[[7, 7], [2, 2]]]))[0])
    1.0
    >>> float(ari(true, np.array([[[0, 1], [0, 1]]]))[0])  # the other split of four pixels
    -0.5
    """
    true, pred = _prepare(true_masks, pred_masks)
    return _adjusted_rand(_contingency(true, pred))


def mean_best_overlap(true_masks: Any, pred_masks: Any) -> np.ndarray:
    """Mean best overlap (mBO) per image: each true foreground object's best IoU with any predicted
    segment, averaged over the objects present in the image.

    IoU is measured over all pixels (a predicted segment may spill onto the background).

    Args:
        true_masks: (B, H, W) integer instance labels, 0 = background.
        pred_masks: (B, H, W) integer segment ids, or (B, K, H, W) soft masks (argmax over K).

    Returns:
        (B,) float64 in [0, 1]; NaN for an image without foreground objects.

    >>> true = np.array([[[1, 1, 2, 2]]])
    >>> float(mean_best_overlap(true, np.array([[[4, 4, 0, 0]]]))[0])
    1.0
    >>> round(float(mean_best_overlap(true, np.array([[[0, 1, 1, 1]]]))[0]), 6)  # (1/2 + 2/3) / 2
    0.583333
    """
    true, pred = _prepare(true_masks, pred_masks)
    table = _contingency(true, pred)[:, 1:, :]  # (B, n_objects, n_pred): intersections
    object_area = table.sum(axis=2, keepdims=True)
    segment_area = np.bincount(
        (np.arange(pred.shape[0])[:, None] * table.shape[2] + pred).ravel(), minlength=pred.shape[0] * table.shape[2]
    ).reshape(pred.shape[0], 1, table.shape[2])
    union = object_area + segment_area - table
    iou = np.divide(table, union, out=np.zeros(table.shape, dtype=np.float64), where=union > 0)
    best = iou.max(axis=2, initial=0.0)  # (B, n_objects)
    present = object_area[..., 0] > 0
    n_objects = present.sum(axis=1)
    total = np.where(present, best, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_objects > 0, total / np.maximum(n_objects, 1), np.nan)


def fixed_grid_segments(batch: int, height: int, width: int, rows: int, cols: int) -> np.ndarray:
    """A ``rows`` x ``cols`` grid of rectangular segments, the same for every image.

    Returns:
        (batch, height, width) int64, segment ``r * cols + c`` for the cell in grid row r, column c
        (cells as even as integer pixels allow).

    >>> fixed_grid_segments(1, 2, 4, 1, 2)[0].tolist()
    [[0, 0, 1, 1], [0, 0, 1, 1]]
    """
    if min(batch, height, width, rows, cols) < 1:
        raise ValueError(f"batch={batch}, height={height}, width={width}, rows={rows}, cols={cols} must all be >= 1")
    row = (np.arange(height) * rows) // height
    col = (np.arange(width) * cols) // width
    grid = row[:, None] * cols + col[None, :]
    return np.broadcast_to(grid, (batch, height, width)).astype(np.int64)


def vertical_stripes(batch: int, height: int, width: int, n_stripes: int = 5) -> np.ndarray:
    """``n_stripes`` vertical stripes of (nearly) equal width, ids 0..n_stripes - 1 left to right.

    Returns:
        (batch, height, width) int64.

    >>> vertical_stripes(1, 1, 6, 3)[0].tolist()
    [[0, 0, 1, 1, 2, 2]]
    """
    return fixed_grid_segments(batch, height, width, 1, n_stripes)


def reference_scores(true_masks: Any) -> dict[str, float]:
    """Mean FG-ARI over the batch (NaN images skipped) of three segmentations that know nothing
    about objects: 5 vertical stripes, a 2x2 grid and a 3x3 grid.

    Args:
        true_masks: (B, H, W) integer instance labels, 0 = background.

    Returns:
        {"vertical_stripes_5": ..., "grid_2x2": ..., "grid_3x3": ...}, each a float (NaN when no
        image has two foreground pixels).
    """
    true = _as_numpy(true_masks)
    if true.ndim != 3:
        raise ValueError(f"true_masks must be (B, H, W), got shape {true.shape}")
    batch, height, width = true.shape
    segmentations = {
        "vertical_stripes_5": vertical_stripes(batch, height, width, 5),
        "grid_2x2": fixed_grid_segments(batch, height, width, 2, 2),
        "grid_3x3": fixed_grid_segments(batch, height, width, 3, 3),
    }
    scores = {}
    for name, segments in segmentations.items():
        values = fg_ari(true, segments)
        scores[name] = float(np.nanmean(values)) if np.any(~np.isnan(values)) else float("nan")
    return scores

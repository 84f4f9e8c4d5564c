"""Language metrics as pure functions on integer arrays (EGG's ``language_analysis``, reimplemented).

Messages are (N, L) int arrays where symbol 0 ends a message (and everything after it is 0);
objects are (N, A) int arrays of attribute values. Entropies are in bits.
"""

from __future__ import annotations

import numba
import numpy as np
from scipy.spatial.distance import pdist
from scipy.stats import spearmanr

from reasoning.language.messages import EOS, lengths


@numba.njit(cache=True)
def _edit_distance(a: np.ndarray, la: int, b: np.ndarray, lb: int, row: np.ndarray) -> int:
    """Levenshtein distance of a[:la] and b[:lb]; ``row`` is scratch space of length >= lb + 1."""
    for j in range(lb + 1):
        row[j] = j
    for i in range(1, la + 1):
        diagonal = row[0]
        row[0] = i
        for j in range(1, lb + 1):
            above = row[j]
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(min(row[j] + 1, row[j - 1] + 1), diagonal + cost)
            diagonal = above
    return row[lb]


@numba.njit(cache=True)
def pairwise_edit_distances(messages: np.ndarray, message_lengths: np.ndarray) -> np.ndarray:
    """Messages (N, L) int64 and lengths (N,) int64 -> normalised edit distances of every pair i < j,
    in ``scipy.spatial.distance.pdist`` order: (N * (N - 1) / 2,) float64, each
    edit(m_i, m_j) / ((len_i + len_j) / 2) as in EGG."""
    n = messages.shape[0]
    out = np.empty(n * (n - 1) // 2, dtype=np.float64)
    row = np.empty(messages.shape[1] + 1, dtype=np.int64)
    k = 0
    for i in range(n):
        for j in range(i + 1, n):
            la, lb = message_lengths[i], message_lengths[j]
            d = _edit_distance(messages[i], la, messages[j], lb, row)
            out[k] = d / max((la + lb) / 2.0, 1.0)
            k += 1
    return out


def strip_eos(messages: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Messages (N, L) -> (messages (N, L) int64, lengths without the EOS (N,) int64)."""
    messages = np.ascontiguousarray(messages, dtype=np.int64)
    return messages, lengths(messages) - (messages == EOS).any(1).astype(np.int64)


def topographic_similarity(objects: np.ndarray, messages: np.ndarray) -> float:
    """Spearman correlation between the objects' pairwise Hamming distances and the messages' pairwise
    normalised edit distances (symbols before the EOS). Objects (N, A), messages (N, L) -> float in [-1, 1].

    An identity language (each message spells its object's attributes) has topsim 1:

    >>> objects = np.array([[a, b] for a in range(3) for b in range(3)])
    >>> round(topographic_similarity(objects, np.concatenate([objects + 1, 0 * objects[:, :1]], 1)), 6)
    1.0
    """
    meaning = pdist(np.asarray(objects), "hamming")
    symbols, n = strip_eos(messages)
    message = pairwise_edit_distances(symbols, n)
    if np.ptp(meaning) == 0 or np.ptp(message) == 0:
        return 0.0
    return float(spearmanr(meaning, message).statistic)


def entropy(rows: np.ndarray) -> float:
    """Entropy (bits) of the empirical distribution of the rows of a (N, ...) array (a column: (N,)).

    >>> entropy(np.array([[1, 2], [3, 4]]))
    1.0
    """
    rows = np.asarray(rows).reshape(len(rows), -1)
    _, counts = np.unique(rows, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def mutual_information(x: np.ndarray, y: np.ndarray) -> float:
    """I(x; y) = H(x) + H(y) - H(x, y) in bits, for two (N,) columns."""
    return entropy(x) + entropy(y) - entropy(np.stack([x, y], 1))


def information_gap(objects: np.ndarray, representation: np.ndarray) -> float:
    """Mean over the non-constant columns j of ``representation`` (N, J) of
    (I(r_j; a_first) - I(r_j; a_second)) / H(r_j), the gap between the two attributes (objects (N, A))
    most informative about r_j (Chaabouni et al. 2020, eq. 1). 0 when every column is constant."""
    gaps = []
    for j in range(representation.shape[1]):
        h = entropy(representation[:, j])
        if h > 0.0:
            info = [*sorted((mutual_information(objects[:, a], representation[:, j])
                             for a in range(objects.shape[1])), reverse=True), 0.0]
            gaps.append((info[0] - info[1]) / h)
    return float(np.mean(gaps)) if gaps else 0.0


def positional_disentanglement(objects: np.ndarray, messages: np.ndarray) -> float:
    """posdis: the information gap of each message position. Objects (N, A), messages (N, L) -> float.

    Messages equal to the attributes of a sampled dataset score a little under 1 because two
    independent attributes share some *empirical* mutual information (the EGG doctest, 1,000 samples of
    2 attributes x 10 values drawn with ``torch.manual_seed(0)``, gives 0.978656).
    """
    return information_gap(np.asarray(objects), np.asarray(messages))


def bag_of_symbols(messages: np.ndarray, vocab_size: int) -> np.ndarray:
    """Messages (N, L) -> symbol counts (N, vocab_size - 1) of the symbols 1..V-1 before the EOS."""
    symbols, n = strip_eos(messages)
    counts = np.zeros((len(symbols), vocab_size), dtype=np.int64)
    for position in range(symbols.shape[1]):
        used = position < n
        np.add.at(counts, (np.flatnonzero(used), symbols[used, position]), 1)
    return counts[:, 1:]


def bag_of_symbols_disentanglement(objects: np.ndarray, messages: np.ndarray, vocab_size: int) -> float:
    """bosdis: the information gap of each symbol's count (order ignored). Objects (N, A), messages (N, L)."""
    return information_gap(np.asarray(objects), bag_of_symbols(messages, vocab_size))


def message_entropy(messages: np.ndarray) -> float:
    """Entropy (bits) of the distribution of whole messages (N, L) (blank after the EOS)."""
    return entropy(np.asarray(messages))


def language_metrics(objects: np.ndarray, messages: np.ndarray, vocab_size: int) -> dict[str, float]:
    """topsim, posdis, bosdis and entropy of one language: objects (N, A), messages (N, L)."""
    body = np.asarray(messages)[:, :-1] if np.all(np.asarray(messages)[:, -1] == EOS) else np.asarray(messages)
    return {"topsim": topographic_similarity(objects, messages),
            "posdis": positional_disentanglement(objects, body),
            "bosdis": bag_of_symbols_disentanglement(objects, messages, vocab_size),
            "entropy": message_entropy(messages)}

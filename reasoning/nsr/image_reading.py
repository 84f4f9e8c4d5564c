"""Reading image segments as symbol tokens, for NSR on HINT's image split.

Nothing tells the model which image shows which symbol. Reading is learned in four steps:

1. **Clusters.** k-means over the pixels of (a sample of) the training segments gives every
   segment a cluster token ``k<c>``; with more clusters than symbols each cluster is nearly pure
   (on the rendered HINT symbols, 64 clusters are about 93% pure). Beside the pixels, k-means sees how
   many separate marks a segment has (:func:`blob_counts`), without which no cluster holds mostly ÷.
2. **Meanings.** The symbol-input NSR learns on the cluster tokens as if they were words; clusters
   that end up with the same meaning (e.g. two clusters of sevens, both the constant 7) form one
   class (:func:`meaning_classes`); optionally (``image_merge_unlearned``, off by default) so do
   clusters without a meaning that look and occur as alike as one meaning's clusters do
   (:func:`unlearned_groups`; meant for the brackets, each drawn over several clusters).
3. **CNN.** :class:`~reasoning.nsr.perception.ImagePerception` is trained on (segment, class of
   its cluster) and then reads every image: an image is the token of its class's most common cluster.
   The clusters' mistakes are systematic, and the CNN learns them too: trained on 64 clusters' majority
   symbols it reads 95.0% of test segments right, against 99.5% on the true symbols.
4. **Repairs.** Meanings are learned again on the CNN's readings, and the readings that give wrong
   values are repaired by abduction over perception (:mod:`reasoning.nsr.reading_abduction`), on
   which the CNN is trained further (:meth:`NSRModel._fit_images <reasoning.nsr.model.NSRModel>`).

:class:`ImageReader` holds the clusters, the classes and the CNN; it is saved with the model.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from reasoning.nsr.perception import ImagePerception, fit_perception

CLUSTER_SAMPLE = 60_000  # segments k-means is fitted on (the rest are assigned to the nearest centre)
INK_THRESHOLD = 76  # of 255: pixels darker than this are background when counting marks
MAX_BLOBS = 4  # mark counts above this are one feature value
BLOB_WEIGHT = 2.0  # the mark-count one-hot against S*S pixels in [0, 1]
STATE_FILE = "image_reader.npz"
WEIGHTS_FILE = "image_reader.pt"


def blob_counts(images: np.ndarray, ink: int = INK_THRESHOLD) -> np.ndarray:
    """The number of separate marks (8-connected groups of pixels above ``ink``) in each of N segments
    (N, S, S) uint8: (N,) int64.

    >>> image = np.zeros((1, 5, 5), np.uint8); image[0, 0, 0] = image[0, 4, 4] = image[0, 2, 1:4] = 255
    >>> blob_counts(image).tolist()
    [3]
    """
    from scipy import ndimage

    structure = np.ones((3, 3), bool)
    return np.array([ndimage.label(image > ink, structure=structure)[1] for image in images], np.int64)


def cluster_token(cluster: int) -> str:
    """The token standing for cluster ``cluster``, e.g. ``k12``."""
    return f"k{cluster}"


def meaning_classes(signatures: Sequence[Hashable | None], groups: Mapping[int, int] | None = None) -> np.ndarray:
    """One class id per cluster (K,): clusters with equal meaning signatures share a class.

    A cluster without a meaning (None) may be a symbol NSR has not learned yet (a cluster of brackets),
    which it can learn on the CNN's readings. It is a class of its own, or, with ``groups`` (cluster ->
    first cluster of its group, from :func:`unlearned_groups`), the class of its group. Class ids
    follow first appearance.

    >>> meaning_classes(["7", None, "7", "+", None]).tolist()
    [0, 1, 0, 2, 3]
    >>> meaning_classes(["7", None, "7", "+", None], groups={1: 1, 4: 1}).tolist()
    [0, 1, 0, 2, 1]
    """
    groups = groups or {}
    ids: dict[Hashable, int] = {}
    classes = np.empty(len(signatures), np.int64)
    for cluster, signature in enumerate(signatures):
        key = ("cluster", groups.get(cluster, cluster)) if signature is None else ("meaning", signature)
        classes[cluster] = ids.setdefault(key, len(ids))
    return classes


def context_profiles(expressions: Sequence[np.ndarray], classes: np.ndarray) -> np.ndarray:
    """Where each cluster occurs: the distribution of its left neighbour's class and that of its right
    neighbour's, side by side (K, 2 (C + 1)); the last column of each half is the expression's edge.

    Args:
        expressions: the cluster ids (n_b,) of each expression's segments.
        classes: the class (K,) of each cluster, ids 0 .. C - 1.

    >>> context_profiles([np.array([0, 1]), np.array([1, 0])], np.array([0, 1]))[1].tolist()
    [0.5, 0.0, 0.5, 0.5, 0.0, 0.5]
    """
    n_classes = int(classes.max()) + 1
    counts = np.zeros((len(classes), 2 * (n_classes + 1)))
    for clusters in expressions:
        padded = np.concatenate([[n_classes], classes[clusters], [n_classes]])
        np.add.at(counts, (clusters, padded[:-2]), 1)
        np.add.at(counts, (clusters, n_classes + 1 + padded[2:]), 1)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True) / 2, 1)


def unlearned_groups(signatures: Sequence[Hashable | None], centres: np.ndarray,
                     expressions: Sequence[np.ndarray]) -> dict[int, int]:
    """Cluster -> the first cluster of its group, for the clusters without a meaning (None).

    Two clusters without a meaning are taken for one unlearned symbol when they look and occur as
    alike as clusters of one meaning do: their centres (K, F) are no farther apart than the farthest
    two clusters that share a meaning, and their :func:`context_profiles` (over ``expressions``, the
    cluster ids (n_b,) of each expression) differ by no more than those of any two such clusters
    (mean total variation of the left and right neighbours). Groups are the linked components. With
    no two clusters sharing a meaning, every cluster without one is a group of its own.
    """
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial.distance import cdist

    if len(centres) != len(signatures):
        raise ValueError(f"{len(signatures)} signatures but {len(centres)} cluster centres")
    unlearned = [cluster for cluster, signature in enumerate(signatures) if signature is None]
    pairs = [(i, j) for i in range(len(signatures)) for j in range(i)
             if signatures[i] is not None and signatures[i] == signatures[j]]
    if not pairs or not unlearned:
        return {cluster: cluster for cluster in unlearned}
    looks = cdist(centres, centres)
    occurs = cdist(*[context_profiles(expressions, meaning_classes(signatures))] * 2, "cityblock") / 4
    linked = np.logical_and(looks <= max(looks[pair] for pair in pairs),
                            occurs <= max(occurs[pair] for pair in pairs))[np.ix_(unlearned, unlearned)]
    _, component = connected_components(linked, directed=False)
    first: dict[int, int] = {}
    return {cluster: first.setdefault(int(part), cluster) for cluster, part in zip(unlearned, component, strict=True)}


class ImageReader:
    """Clusters, meaning classes and a CNN that turn segment images (N, S, S) into tokens (module docstring).

    Args:
        n_clusters: K, the k-means clusters (more than the symbols there are).
        image_size: S.
        seed: seeds k-means and the CNN.
    """

    def __init__(self, n_clusters: int = 64, image_size: int = 16, seed: int = 0) -> None:
        if n_clusters < 2:
            raise ValueError(f"an image reader needs at least 2 clusters, got {n_clusters}")
        self.n_clusters = n_clusters
        self.image_size = image_size
        self.seed = seed
        self.centres: np.ndarray | None = None  # (K, S*S) float32
        self.classes: np.ndarray | None = None  # (K,) class of each cluster
        self.class_tokens: list[str] = []  # the token each class is read as
        self.cnn: ImagePerception | None = None

    @staticmethod
    def _unit(images: np.ndarray) -> np.ndarray:
        """uint8 (N, S, S) images as float32 (N, S, S) in [0, 1]."""
        return np.asarray(images, np.float32) / 255.0

    def _pixels(self, images: np.ndarray) -> np.ndarray:
        """uint8 (N, S, S) images -> the features k-means clusters (N, S*S + MAX_BLOBS + 1) float32: the
        pixels in [0, 1] beside :func:`blob_counts` one-hot, weighted ``BLOB_WEIGHT``. Pixels alone put
        a drawn ÷ with − and + (its dots are a few pixels; on the rendered symbols no cluster has a
        majority of ÷), while the number of separate marks tells them apart."""
        counts = np.minimum(blob_counts(images), MAX_BLOBS)
        blobs = np.eye(MAX_BLOBS + 1, dtype=np.float32)[counts] * BLOB_WEIGHT
        return np.concatenate([self._unit(images).reshape(len(images), -1), blobs], axis=1)

    def fit_clusters(self, images: np.ndarray) -> np.ndarray:
        """Fit k-means on (a sample of) N segments (N, S, S) uint8; returns each segment's cluster (N,)."""
        from sklearn.cluster import KMeans

        if len(images) < self.n_clusters:
            raise ValueError(f"k-means with {self.n_clusters} clusters needs at least as many segments, "
                             f"got {len(images)}; lower image_clusters")
        rng = np.random.default_rng(self.seed)
        sample = images if len(images) <= CLUSTER_SAMPLE else images[rng.choice(len(images), CLUSTER_SAMPLE, False)]
        kmeans = KMeans(self.n_clusters, n_init=3, random_state=self.seed).fit(self._pixels(sample))
        self.centres = kmeans.cluster_centers_.astype(np.float32)
        return self.clusters_of(images)

    def clusters_of(self, images: np.ndarray) -> np.ndarray:
        """The nearest k-means centre of each of N segments (N, S, S): cluster ids (N,)."""
        if self.centres is None:
            raise ValueError("the image reader has no clusters yet; call fit_clusters first")
        out = np.empty(len(images), np.int64)
        squared_centres = (self.centres ** 2).sum(1)
        for start in range(0, len(images), 65_536):  # bounds the (chunk, K) distance matrix
            pixels = self._pixels(images[start:start + 65_536])
            out[start:start + len(pixels)] = (squared_centres[None] - 2 * pixels @ self.centres.T).argmin(1)
        return out

    def fit_classes(self, classes: np.ndarray, images: np.ndarray, clusters: np.ndarray, steps: int) -> float:
        """Train the CNN to read N segments (N, S, S) as the class (K,) of their cluster (N,); returns its loss.

        Segments of clusters without a class (-1) are left out.

        Raises:
            ValueError: no cluster has a class.
        """
        self.classes = np.asarray(classes, np.int64)
        n_classes = int(self.classes.max()) + 1
        if n_classes == 0:
            raise ValueError("no image cluster has a meaning, so the CNN has nothing to learn; train longer")
        counts = np.bincount(clusters, minlength=self.n_clusters)
        self.class_tokens = [cluster_token(int(max(np.flatnonzero(self.classes == c), key=lambda k: counts[k])))
                             for c in range(n_classes)]
        torch.manual_seed(self.seed)
        self.cnn = ImagePerception(n_classes, image_size=self.image_size)
        labels = self.classes[clusters]
        kept = labels >= 0
        return fit_perception(self.cnn, self._unit(images[kept]), labels[kept],
                              steps=steps, lr=3e-3, batch_size=256, seed=self.seed)

    def fit_labels(self, images: np.ndarray, labels: np.ndarray, steps: int) -> float:
        """Train the CNN further on N segments (N, S, S) uint8 with class labels (N,); returns its loss.

        The labels are readings repaired by abduction (:mod:`reasoning.nsr.reading_abduction`).

        Raises:
            ValueError: the CNN has not been trained on cluster classes yet (:meth:`fit_classes`).
        """
        if self.cnn is None:
            raise ValueError("the image reader has no CNN yet; call fit_classes first")
        return fit_perception(self.cnn, self._unit(images), labels, steps=steps, lr=1e-3, batch_size=256,
                              seed=self.seed + steps)

    def class_log_probs(self, expressions: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The CNN's class log-probabilities (n_b, C) of the segments of B expressions (each (n_b, S, S))."""
        if self.cnn is None:
            raise ValueError("the image reader has no CNN yet; call fit_classes first")
        if not expressions:
            return []
        segments = np.concatenate(expressions)
        with torch.no_grad():  # chunks bound the memory of one forward pass
            log_probs = np.concatenate([self.cnn.log_probs(self._unit(segments[start:start + 65_536])).numpy()
                                        for start in range(0, len(segments), 65_536)])
        return np.split(log_probs, np.cumsum([len(expression) for expression in expressions])[:-1])

    def read(self, images: np.ndarray) -> tuple[str, ...]:
        """The tokens (n,) of one expression's segments (n, S, S) uint8: by the CNN, else by the clusters."""
        return self.read_all([images])[0]

    def read_all(self, expressions: Sequence[np.ndarray]) -> list[tuple[str, ...]]:
        """:meth:`read` for B expressions (each (n_b, S, S) uint8), their segments classified in one batch."""
        if not expressions:
            return []
        if self.cnn is not None:
            return [tuple(self.class_tokens[int(c)] for c in log_probs.argmax(axis=1))
                    for log_probs in self.class_log_probs(expressions)]
        segments = np.concatenate(expressions)
        tokens = [cluster_token(int(c)) for c in self.clusters_of(segments)]
        bounds = np.cumsum([len(expression) for expression in expressions])
        return [tuple(tokens[end - len(expression):end]) for expression, end in zip(expressions, bounds, strict=True)]

    def save(self, folder: Path) -> None:
        """Write the clusters, classes and CNN into ``folder``."""
        if self.centres is None:
            raise ValueError("the image reader has no clusters yet; nothing to save")
        classes = self.classes if self.classes is not None else np.arange(self.n_clusters)
        np.savez(folder / STATE_FILE, centres=self.centres, classes=classes,
                 class_tokens=np.array(self.class_tokens or [""]), shape=np.array([self.image_size, self.seed]))
        if self.cnn is not None:
            torch.save(self.cnn.state_dict(), folder / WEIGHTS_FILE)

    @classmethod
    def load(cls, folder: Path) -> ImageReader:
        """Read a reader written by :meth:`save`; it reads images exactly as the saved one did."""
        with np.load(folder / STATE_FILE) as state:
            image_size, seed = (int(v) for v in state["shape"])
            reader = cls(len(state["centres"]), image_size, seed)
            reader.centres = state["centres"]
            reader.classes = state["classes"]
            reader.class_tokens = [str(token) for token in state["class_tokens"] if str(token)]
        if (folder / WEIGHTS_FILE).exists():
            reader.cnn = ImagePerception(len(reader.class_tokens), image_size=image_size)
            reader.cnn.load_state_dict(torch.load(folder / WEIGHTS_FILE, weights_only=True))
        return reader

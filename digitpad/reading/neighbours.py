"""The MNIST digits nearest to a drawing, and where it falls on the map of all test digits.

No TensorFlow: the default CNN's penultimate layer (``features``, 128 values) is exported beside
it as ``features.tflite`` at build time (``training.feature_map``), together with the features of
 the 60,000 training and 10,000 test images and a 2-D embedding (t-SNE) of the test images:

    resources/models/cnn/features.tflite   the CNN up to its ``features`` layer
    resources/models/cnn/explain.npz       train_features (60000, 128) float16,
                                           test_features (10000, 128) float16,
                                           map_xy (10000, 2) float32
    resources/models/cnn/explain.json      how they were made, and their SHA-256

>>> from digitpad.data.mnist import load_mnist
>>> digit = load_mnist("test")[0][0]  # (28, 28) float32, a 7
>>> index = FeatureIndex.load()
>>> near = index.nearest(digit)      # Neighbours: 8 training indices, distances, labels
>>> near.labels.tolist(), near.majority()
([7, 7, 7, 7, 7, 7, 7, 7], (7, 8))
>>> PixelIndex.build().nearest(digit).labels.tolist()
[7, 7, 7, 7, 7, 7, 7, 7]
>>> xy, tests = DigitMap.from_index(index).place(index.features(digit[None])[0])
>>> xy.shape, int(tests[0])      # (x, y) on the map; the nearest test digit is itself
((2,), 0)

Both searches are exact: features by brute force (one matrix-vector product), pixels by a lower
bound from a 64-dimensional PCA that lets it skip almost every image without computing its
distance.

The searches run beside the window while the pen moves, so their products go through
``np.einsum`` rather than ``@``: OpenBLAS would run a product this size on every core and then
keep its threads spinning for a while, and on a 2-core machine that took the window's core
(mouse move → answer p99 went from 12 to 20 ms). ``einsum`` stays on the calling thread and
costs about a millisecond more.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..data import mnist
from ..models import ModelError
from ..models.store import load_npz, read_file

K = 8
FEATURES_FILE = "features.tflite"
DATA_FILE = "explain.npz"
META_FILE = "explain.json"
FEATURE_MODEL = "cnn"  # whose penultimate layer the neighbours are found in


def explain_dir() -> Path:
    from ..models import bundled_dir

    return bundled_dir() / FEATURE_MODEL


@dataclass(frozen=True)
class Neighbours:
    """The ``k`` nearest training images, nearest first: their indices in MNIST's training set,
    their distances and their labels."""

    indices: np.ndarray
    distances: np.ndarray
    labels: np.ndarray

    def majority(self) -> tuple[int, int]:
        """(label, count): the label most of them have (ties: the one nearest first)."""
        counts = np.bincount(self.labels, minlength=10)
        best = int(counts.max())
        for label in self.labels:  # nearest first among the tied labels
            if counts[label] == best:
                return int(label), best
        raise AssertionError("unreachable")

    def disagreement(self, answer: int) -> str:
        """A short sentence when the neighbours' labels argue with ``answer``, else ''.

        They disagree when most of them are another digit, or when fewer than ``n − 2`` of them
        are ``answer``: a good sign that the drawing is ambiguous."""
        label, count = self.majority()
        agree = int((self.labels == answer).sum())
        n = len(self.labels)
        if label != answer:
            return f"⚠ {count} of {n} nearest are {label}s, {agree} are {answer}s: ambiguous?"
        if agree < n - 2:
            others = "/".join(str(v) for v in sorted({int(v) for v in self.labels if v != answer}))
            return f"⚠ Only {agree} of {n} nearest are {answer}s (others {others}): ambiguous?"
        return ""


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """``matrix @ vector`` on this thread only (no BLAS threads; see the module's notes)."""
    return np.einsum("ij,j->i", matrix, vector)


class _Rows:
    """The rows of an (N, D) matrix, searched by Euclidean distance (exact, one product)."""

    def __init__(self, rows: np.ndarray) -> None:
        self.rows = np.ascontiguousarray(rows, np.float32)
        self.norms = np.einsum("ij,ij->i", self.rows, self.rows)

    def nearest(self, f: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the ``k`` rows nearest to ``f`` (D,), nearest first, and distances."""
        f = np.asarray(f, np.float32).reshape(-1)
        d2 = self.norms - 2.0 * _dot(self.rows, f) + float(f @ f)
        idx = _smallest(d2, k)
        return idx, np.sqrt(np.maximum(d2[idx], 0.0))


def _smallest(distances: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(distances))
    part = np.argpartition(distances, k - 1)[:k]
    return part[np.lexsort((part, distances[part]))]  # nearest first; ties by index


def _read_meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / META_FILE).read_text())
    except FileNotFoundError:
        raise ModelError(
            f"{folder}: no {META_FILE}; build it with: python train_models.py --explain"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"{folder / META_FILE}: damaged ({e})") from None
    if not isinstance(meta, dict):
        raise ModelError(f"{folder / META_FILE}: not DigitPad explain metadata")
    return meta


class FeatureExtractor:
    """The CNN's ``features`` layer run in LiteRT: (N, 28, 28) float32 → (N, 128) float32."""

    def __init__(self, model_bytes: bytes, where: Path | str = FEATURES_FILE) -> None:
        from ..models.litert import Interpreters

        self._lock = threading.Lock()
        self._interpreter = Interpreters(model_bytes, where)
        it = self._interpreter(1)
        inp = it.get_input_details()[0]
        out = it.get_output_details()[0]
        if tuple(inp["shape"][1:3]) != (28, 28) or len(out["shape"]) != 2:
            raise ModelError(f"{where}: takes {tuple(inp['shape'])}, not 28×28 pictures")
        self.size = int(out["shape"][-1])
        # tensor indices and the picture's layout are the flatbuffer's, the same in every
        # interpreter of it (asking each time cost 0.03 ms a reading)
        self._input, self._output = inp["index"], out["index"]
        self._layout = tuple(int(n) for n in inp["shape"][1:])

    def __call__(self, images: np.ndarray, batch: int = 256) -> np.ndarray:
        x = np.asarray(images, np.float32).reshape(-1, 28, 28)
        out = np.empty((len(x), self.size), np.float32)
        with self._lock:  # an interpreter is not re-entrant
            for s in range(0, len(x), batch):
                chunk = x[s : s + batch]
                it = self._interpreter(len(chunk))
                it.set_tensor(self._input, chunk.reshape((len(chunk), *self._layout)))
                it.invoke()
                out[s : s + len(chunk)] = it.get_tensor(self._output)
        return out


class FeatureIndex:
    """Nearest MNIST training images in the default CNN's feature space (Euclidean)."""

    def __init__(
        self,
        extractor: FeatureExtractor,
        train_features: np.ndarray,
        train_labels: np.ndarray,
        test_features: np.ndarray | None = None,
        map_xy: np.ndarray | None = None,
    ) -> None:
        self.features = extractor
        self._train = _Rows(train_features)
        self.labels = np.asarray(train_labels)
        self.test_features = test_features
        self.map_xy = map_xy

    @classmethod
    def load(cls, folder: Path | None = None) -> FeatureIndex:
        """The index shipped beside the bundled CNN; ``ModelError`` when missing or damaged."""
        folder = explain_dir() if folder is None else folder
        meta = _read_meta(folder)
        extractor = FeatureExtractor(read_file(folder, FEATURES_FILE, meta), folder / FEATURES_FILE)
        arrays = load_npz(read_file(folder, DATA_FILE, meta), folder / DATA_FILE)
        try:
            train = arrays["train_features"]
            test = arrays["test_features"]
            xy = arrays["map_xy"]
        except KeyError as e:
            raise ModelError(f"{folder / DATA_FILE}: {e} is missing") from None
        _, labels = mnist.load_mnist("train", as_float=False)
        if train.shape != (len(labels), extractor.size) or test.shape[1:] != (extractor.size,):
            raise ModelError(f"{folder / DATA_FILE}: features of shape {train.shape} do not fit")
        if xy.shape != (len(test), 2):
            raise ModelError(f"{folder / DATA_FILE}: map of shape {xy.shape} does not fit")
        return cls(extractor, train, labels, test.astype(np.float32), xy.astype(np.float32))

    def nearest_to_features(self, f: np.ndarray, k: int = K) -> Neighbours:
        idx, distances = self._train.nearest(f, k)
        return Neighbours(idx, distances, self.labels[idx])

    def nearest(self, digit: np.ndarray, k: int = K) -> Neighbours:
        """The ``k`` training images nearest to ``digit`` (28, 28) float32 in [0, 1]."""
        return self.nearest_to_features(self.features(digit[None])[0], k)


class PixelIndex:
    """Nearest MNIST training images by Euclidean distance between the 784 pixels (in [0, 1]).

    Exact: each image's distance is bounded from below by its distance in a PCA subspace plus
    the difference of the norms of what the subspace leaves out; images are checked in the
    order of that bound until the bound passes the k-th best distance found.
    """

    HEAD = 2048  # images put in order of their bound at first

    def __init__(self, images: np.ndarray, labels: np.ndarray, dims: int = 64) -> None:
        x = np.asarray(images).reshape(len(images), -1)
        self._images = x  # uint8 or float; converted per checked block
        self._scale = 1 / 255.0 if x.dtype == np.uint8 else 1.0
        self.labels = np.asarray(labels)
        sample = x[:: max(1, len(x) // 5000)].astype(np.float32) * self._scale
        self._mean = sample.mean(axis=0)
        # The top principal directions of a 5,000-image sample: any orthonormal basis keeps the
        # search exact; a good one makes the bound tight. 64 of them: on 300 drawings the
        # search then checks 192 images (median; p99 448) and takes p99 2.9 ms; with 32 it
        # checked up to 6,144 and took p99 21 ms.
        _, _, vt = np.linalg.svd(sample - self._mean, full_matrices=False)
        self._basis = np.ascontiguousarray(vt[:dims].T)  # (784, dims)
        self._proj = np.empty((len(x), dims), np.float32)
        self._rest = np.empty(len(x), np.float32)
        for s in range(0, len(x), 10000):
            block = x[s : s + 10000].astype(np.float32) * self._scale - self._mean
            p = block @ self._basis
            self._proj[s : s + 10000] = p
            total = np.einsum("ij,ij->i", block, block)
            self._rest[s : s + 10000] = np.sqrt(np.maximum(total - np.einsum("ij,ij->i", p, p), 0))
        self._proj_norms = np.einsum("ij,ij->i", self._proj, self._proj)
        self.checked = 0  # how many exact distances the last search computed

    @classmethod
    def build(cls) -> PixelIndex:
        images, labels = mnist.load_mnist("train", as_float=False)
        return cls(images, labels)

    def nearest(self, digit: np.ndarray, k: int = K) -> Neighbours:
        q = np.asarray(digit, np.float32).reshape(-1) - self._mean
        pq = q @ self._basis
        rest_q = float(np.sqrt(max(float(q @ q) - float(pq @ pq), 0.0)))
        bound = self._proj_norms - 2.0 * _dot(self._proj, pq) + float(pq @ pq)
        bound = np.maximum(bound, 0.0) + (self._rest - rest_q) ** 2
        # Only the images with the smallest bounds are put in order at first (a full sort of
        # 60,000 costs about 4 ms); the rest only if those run out.
        n = len(bound)
        head = min(self.HEAD, n)
        order = np.argpartition(bound, head - 1)[:head] if head < n else np.arange(n)
        order = order[np.argsort(bound[order], kind="stable")]
        best_idx = np.empty(0, np.int64)
        best_d2 = np.empty(0, np.float32)
        step = 64
        start = 0
        while start < n:
            if start >= len(order):
                rest = np.setdiff1d(np.arange(n), order, assume_unique=True)
                order = np.concatenate([order, rest[np.argsort(bound[rest], kind="stable")]])
            chunk = order[start : start + step]
            block = self._images[chunk].astype(np.float32) * self._scale - self._mean
            diff = block - q
            d2 = np.einsum("ij,ij->i", diff, diff)
            best_idx = np.concatenate([best_idx, chunk])
            best_d2 = np.concatenate([best_d2, d2])
            keep = _smallest(best_d2, k)
            best_idx, best_d2 = best_idx[keep], best_d2[keep]
            start += len(chunk)
            # every image not checked yet has a bound at least this (those not in order yet
            # have bounds at least the largest of those that are)
            next_bound = bound[order[min(start, len(order) - 1)]]
            if len(best_d2) >= k and start < n and next_bound > best_d2[-1]:
                break
            step = min(step * 2, 4096)
        self.checked = start
        order_k = np.lexsort((best_idx, best_d2))
        idx = best_idx[order_k]
        return Neighbours(idx, np.sqrt(np.maximum(best_d2[order_k], 0.0)), self.labels[idx])


class DigitMap:
    """The 10,000 MNIST test images laid out in 2-D (t-SNE of the CNN's features), and a way to
    place a new drawing on it: the distance-weighted mean position of its ``k`` nearest test
    images in feature space."""

    def __init__(self, xy: np.ndarray, test_features: np.ndarray, labels: np.ndarray) -> None:
        self.xy = np.asarray(xy, np.float32)
        self._test = _Rows(test_features)
        self.labels = np.asarray(labels)

    @classmethod
    def from_index(cls, index: FeatureIndex) -> DigitMap:
        _, labels = mnist.load_mnist("test", as_float=False)
        return cls(index.map_xy, index.test_features, labels)

    def place(self, features: np.ndarray, k: int = K) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) for a drawing whose CNN features are ``features`` (128,), and the indices of
        the ``k`` test images that placed it."""
        idx, distances = self._test.nearest(features, k)
        weights = 1.0 / (distances + 1e-3)
        return (weights[:, None] * self.xy[idx]).sum(axis=0) / weights.sum(), idx


_shared_lock = threading.RLock()  # shared_map loads the index inside it
_shared: dict[str, object] = {}


def _once(name: str, build):
    """``build()`` the first time ``name`` is asked for in this process, then the same object
    (thread-safe: the why-worker and the Map tab may ask at the same moment)."""
    with _shared_lock:
        if name not in _shared:
            _shared[name] = build()
        return _shared[name]


def shared_index() -> FeatureIndex:
    """The bundled :class:`FeatureIndex`, loaded once per process (about 0.5 s)."""
    return _once("features", FeatureIndex.load)


def shared_pixels() -> PixelIndex:
    """The :class:`PixelIndex` of MNIST's training images, built once per process (about 1 s)."""
    return _once("pixels", PixelIndex.build)


def shared_map() -> DigitMap:
    """The :class:`DigitMap` shipped beside the CNN, loaded once per process."""
    return _once("map", lambda: DigitMap.from_index(shared_index()))

"""Is this picture one digit at all? Statistics fitted in the cnn's feature space.

The cnn is trained with label smoothing, so its top probability sits near 97 % for almost
anything: confidence alone cannot tell a digit from a letter. What can is where the picture
falls among the 128 values of its ``features`` layer (``features.tflite``, beside the cnn):

- **Mahalanobis distance** to each digit's class-conditional Gaussian, with one covariance
  shared by the ten digits (Lee et al. 2018), fitted on the MNIST training images outside the
  validation split;
- the **logits** of the cnn's last layer (``features @ W + b``, read from ``model.keras`` at fit
  time), from which the **energy** score (Liu et al. 2020) comes;
- a small network trained with **outlier exposure** (Hendrycks et al. 2019): digits (MNIST and
  synthetic drawings) against the tuning part of ``synthetic.negatives`` (letters, signs,
  scribbles, blobs, shapes, two digits, objects, photos, textures), reading the features, the
  ten distances, the logits and the picture itself (the cnn's features are made to tell digits
  apart and fold many non-digits onto some digit; the strokes themselves still differ). The
  bundled one is convolutional: ``verdict.tflite``, run with LiteRT (``NoveltyNetwork``); the
  older form, a one-hidden-layer network in NumPy reading the picture in k×k block means
  (``pixel_pool``), still loads. Its output, the probability that the picture is no digit, is
  compared with a threshold chosen on the MNIST validation split and tuning drawings so that
  few real digits are refused.

Everything fitted lives in the cnn's folder, written by ``python train_models.py --verdict``
(``training.verdict_fit``):

    resources/models/cnn/verdict.npz    the arrays (read with allow_pickle=False)
    resources/models/cnn/verdict.tflite the convolutional network (a flatbuffer: no code)
    resources/models/cnn/verdict.json   thresholds, date, data used, measured rates, SHA-256 of
                                        verdict.npz and verdict.tflite, and of the cnn files
                                        it was fitted for

The cnn's own answer for a picture can come from the same features (``read_for``: its last
layer in NumPy on them), so that the window runs the cnn once a picture for its answer and for
the verdict (``reading.live.ask``; ``shares_with`` checks once that the two ways agree).

Loading checks the checksum and that the cnn's ``model.keras`` and ``features.tflite`` are the
ones the statistics were fitted for; a missing, damaged or stale file raises ``ModelError``
with a message that says how to refit, and the verdict falls back to its shape rules.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..models import ModelError
from ..models.base import softmax
from ..models.store import load_npz
from .neighbours import FEATURES_FILE, FeatureExtractor, explain_dir

DATA_FILE = "verdict.npz"
META_FILE = "verdict.json"
FORMAT = 1
ARRAYS = ("means", "whitener", "dense_w", "dense_b", "in_mean", "in_scale")
NETWORK_FILE = "verdict.tflite"  # the convolutional outlier-exposure network, when there is one
REFIT = "refit them with: python train_models.py --verdict"


@dataclass(frozen=True)
class Examination:
    """What the detector makes of one picture.

    novelty: the outlier-exposure network's probability that the picture is no digit.
    distances: (10,) squared Mahalanobis distance to each digit. energy: −logsumexp(logits).
    """

    novelty: float
    distances: np.ndarray
    energy: float

    def nearest_digit(self) -> int:
        return int(np.argmin(self.distances))


class Detector:
    """The fitted statistics and the cnn's feature model; ``examine`` one picture."""

    def __init__(
        self, arrays: dict[str, np.ndarray], meta: dict, extractor=None, network=None
    ) -> None:
        self.meta = meta
        self.thresholds: dict = meta["thresholds"]
        self.means = arrays["means"].astype(np.float32)  # (10, D)
        self.whitener = arrays["whitener"].astype(np.float32)  # (D, D): Σ⁻¹ = L Lᵀ, this is L
        self.white_means = self.means @ self.whitener
        self._white_norms = np.einsum("ij,ij->i", self.white_means, self.white_means)[None, :]
        self.dense_w = arrays["dense_w"].astype(np.float32)
        self.dense_b = arrays["dense_b"].astype(np.float32)
        self.in_mean = arrays["in_mean"].astype(np.float32)
        self.in_scale = arrays["in_scale"].astype(np.float32)
        n = 0
        self.layers: list[tuple[np.ndarray, np.ndarray]] = []
        while f"layer{n}_w" in arrays:
            self.layers.append((arrays[f"layer{n}_w"].astype(np.float32), arrays[f"layer{n}_b"]))
            n += 1
        #: the convolutional network (``NoveltyNetwork``) that reads the picture beside the
        #: standardised inputs; without it, the NumPy layers above
        self.network = network
        if not self.layers and network is None:
            raise ModelError("no outlier-exposure layers")
        self.pixel_pool = int(arrays["pixel_pool"][0]) if "pixel_pool" in arrays else 0
        self.extractor = extractor
        #: the last picture whose features were computed, as its bytes, and those (1, D)
        #: features: the cnn's reading through ``read_for`` leaves them for ``examine``
        self._last: tuple[bytes, np.ndarray] | None = None
        self._shares: dict[int, tuple[bytes, bool]] = {}  # id of a network's bytes → them, ok
        self._share_lock = threading.Lock()

    # -- the statistics ------------------------------------------------------------------

    def inputs(self, features: np.ndarray, pictures: np.ndarray | None = None) -> np.ndarray:
        """(N, 128) features (and the (N, 28, 28) pictures they are of) → the network's inputs:
        features, the log of the ten Mahalanobis distances, the logits and, with
        ``pixel_pool`` k, the pictures averaged over k×k blocks."""
        return self._inputs(np.asarray(features, np.float32), pictures)[0]

    def _inputs(
        self, f: np.ndarray, pictures: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        z = f @ self.whitener
        d2 = np.einsum("ij,ij->i", z, z)[:, None] - 2.0 * z @ self.white_means.T + self._white_norms
        d2 = np.maximum(d2, 0.0)
        logits = f @ self.dense_w + self.dense_b
        top = logits.max(axis=1, keepdims=True)
        energy = -(top[:, 0] + np.log(np.exp(logits - top).sum(axis=1)))
        parts = [f, np.log1p(d2), logits]
        if self.pixel_pool:
            if pictures is None:
                raise ValueError("this detector reads the pictures too")
            parts.append(pooled(pictures, self.pixel_pool))
        return np.hstack(parts), d2, energy

    def novelty_of(self, features: np.ndarray, pictures: np.ndarray) -> np.ndarray:
        """(N,) probability of "no digit" for (N, 128) features of (N, 28, 28) pictures."""
        return self.novelty(self.inputs(features, pictures), pictures)

    def novelty(self, x: np.ndarray, pictures: np.ndarray | None = None) -> np.ndarray:
        """(N,) probability of "no digit" for network inputs ``x`` (from ``inputs``) and, for
        the convolutional network, the pictures they are of."""
        h = (x - self.in_mean) / self.in_scale
        if self.network is not None:
            if pictures is None:
                raise ValueError("this detector reads the pictures too")
            return self.network(h, pictures)
        for k, (w, b) in enumerate(self.layers):
            h = h @ w + b
            if k < len(self.layers) - 1:
                h = np.maximum(h, 0.0)
        return 1.0 / (1.0 + np.exp(-h[:, 0]))

    def examine_features(
        self, features: np.ndarray, pictures: np.ndarray | None = None
    ) -> list[Examination]:
        x, d2, energy = self._inputs(
            np.asarray(features, np.float32).reshape(-1, len(self.means[0])), pictures
        )
        nov = self.novelty(x, pictures)
        return [Examination(float(nov[i]), d2[i], float(energy[i])) for i in range(len(x))]

    def examine(self, digit: np.ndarray) -> Examination:
        """One (28, 28) float32 picture in [0, 1]."""
        if self.extractor is None:
            raise ModelError("this detector has no feature model")
        picture = np.asarray(digit, np.float32)[None]
        x, d2, energy = self._inputs(self._features(picture[0]), picture)
        return Examination(float(self.novelty(x, picture)[0]), d2[0], float(energy[0]))

    # -- one pass of the cnn for its reading and for the verdict --------------------------

    def shares_with(self, clf) -> bool:
        """True when ``clf`` is the cnn these statistics were fitted for, so that its reading
        of a picture can come from the very features ``examine`` reads (``read_for``): the
        network runs once a picture, not twice. Checked once per network in memory: read both
        ways, probe pictures must get the same probabilities within 1e-5."""
        content = getattr(clf, "model_bytes", None)
        if self.extractor is None or not isinstance(content, bytes) or not content:
            return False
        with self._share_lock:
            known = self._shares.get(id(content))
            if known is None or known[0] is not content:
                if len(self._shares) >= 8:  # networks loaded again and again (retraining)
                    self._shares.clear()
                known = (content, self._agrees(clf))  # holding the bytes keeps their id theirs
                self._shares[id(content)] = known
            return known[1]

    def read_for(self, clf, digit: np.ndarray) -> np.ndarray:
        """(10,) calibrated probabilities of the cnn ``clf`` (``shares_with(clf)`` is True)
        for one (28, 28) picture: its features, then its last layer (``dense_w``, ``dense_b``)
        in NumPy. The features are kept for ``examine`` of the same picture."""
        return clf.finish(self._head(self._features(np.asarray(digit, np.float32))))[0]

    def _head(self, features: np.ndarray) -> np.ndarray:
        return softmax(features @ self.dense_w + self.dense_b)

    def _features(self, picture: np.ndarray) -> np.ndarray:
        """(1, D) features of one (28, 28) float32 picture; the last picture's are kept (the
        bytes compared: 3 kB, about a microsecond)."""
        if self.extractor is None:
            raise ModelError("this detector has no feature model")
        key = np.ascontiguousarray(picture).tobytes()
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        features = self.extractor(picture[None])
        self._last = (key, features)
        return features

    def _agrees(self, clf) -> bool:
        """``clf``'s own reading and ``_head`` of the features agree on the probe pictures."""
        try:
            own = [clf.predict_proba(p, calibrated=False) for p in _probes()]
        except (ModelError, RuntimeError, ValueError, TypeError):  # no network for pictures
            return False
        here = [self._head(self.extractor(p[None])) for p in _probes()]
        return all(
            a.shape == b.shape and np.allclose(a, b, rtol=0, atol=1e-5)
            for a, b in zip(own, here, strict=True)
        )

    # -- files ---------------------------------------------------------------------------

    @classmethod
    def load(cls, folder: Path | None = None) -> Detector:
        """The statistics beside the cnn in ``folder``; ``ModelError`` when missing, damaged
        or fitted for another cnn."""
        folder = explain_dir() if folder is None else Path(folder)
        meta = read_meta(folder)
        content = _read(folder / DATA_FILE)
        if _sha256(content) != meta.get("files", {}).get(DATA_FILE):
            raise ModelError(f"{folder / DATA_FILE}: damaged (checksum mismatch); {REFIT}")
        tfl = _read(folder / FEATURES_FILE)
        for name, content_of in (("model.keras", None), (FEATURES_FILE, tfl)):
            fitted_for = meta.get("fitted_for", {}).get(name)
            now = _sha256(content_of if content_of is not None else _read(folder / name))
            if fitted_for != now:
                raise ModelError(
                    f"{folder / META_FILE}: fitted for another {name} (the cnn was retrained); "
                    + REFIT
                )
        try:
            arrays = load_npz(content, folder / DATA_FILE)
        except ModelError as e:
            raise ModelError(f"{str(e).split('; retrain')[0]}; {REFIT}") from None
        missing = [k for k in ARRAYS if k not in arrays]
        if missing:
            raise ModelError(f"{folder / DATA_FILE}: {', '.join(missing)} missing; {REFIT}")
        network = _network(folder, meta)
        try:
            return cls(arrays, meta, FeatureExtractor(tfl, folder / FEATURES_FILE), network)
        except (KeyError, ValueError, TypeError) as e:
            raise ModelError(f"{folder / DATA_FILE}: does not fit ({e}); {REFIT}") from None


def _network(folder: Path, meta: dict) -> NoveltyNetwork | None:
    """The convolutional network the meta names, checked against its checksum; or None."""
    wanted = meta.get("files", {}).get(NETWORK_FILE)
    if wanted is None:
        return None
    content = _read(folder / NETWORK_FILE)
    if _sha256(content) != wanted:
        raise ModelError(f"{folder / NETWORK_FILE}: damaged (checksum mismatch); {REFIT}")
    return NoveltyNetwork(content, folder / NETWORK_FILE)


class NoveltyNetwork:
    """The convolutional outlier-exposure network in LiteRT: (N, K) standardised inputs and
    the (N, 28, 28) pictures → (N,) probability of "no digit". One thread: it runs beside the
    window's reading, one picture at a time (a batch for read_number's pieces)."""

    def __init__(self, model_bytes: bytes, where: Path | str = NETWORK_FILE) -> None:
        from ..models.litert import Interpreters

        self._lock = threading.Lock()
        self._interpreters = Interpreters(model_bytes, where)
        try:
            first = self._interpreters(1)
        except ModelError as e:
            raise ModelError(f"{e}; {REFIT}") from None
        inputs = first.get_input_details()
        by_rank = {len(d["shape"]): d for d in inputs}
        picture = by_rank.get(4, {"shape": ()})["shape"]
        if len(inputs) != 2 or 2 not in by_rank or tuple(picture[1:]) != (28, 28, 1):
            shapes = [tuple(int(n) for n in d["shape"]) for d in inputs]
            raise ModelError(f"{where}: takes {shapes}, not a 28×28 picture and a vector; {REFIT}")
        # tensor indices are the flatbuffer's: the same in every interpreter of it
        self._picture, self._vector = by_rank[4]["index"], by_rank[2]["index"]
        self._output = first.get_output_details()[0]["index"]
        self._one = first  # one picture at a time (the window's reading) skips the batching

    def __call__(self, x: np.ndarray, pictures: np.ndarray, batch: int = 256) -> np.ndarray:
        x = np.asarray(x, np.float32)
        p = np.asarray(pictures, np.float32).reshape(-1, 28, 28, 1)
        if len(x) == 1:
            with self._lock:
                self._one.set_tensor(self._picture, p)
                self._one.set_tensor(self._vector, x)
                self._one.invoke()
                return self._one.get_tensor(self._output).reshape(1).copy()
        out = np.empty(len(x), np.float32)
        with self._lock:  # an interpreter is not re-entrant
            for s in range(0, len(x), batch):
                n = min(batch, len(x) - s)
                it = self._interpreters(n)
                it.set_tensor(self._picture, p[s : s + n])
                it.set_tensor(self._vector, x[s : s + n])
                it.invoke()
                out[s : s + n] = it.get_tensor(self._output).reshape(-1)
        return out


def _probes() -> list[np.ndarray]:
    """Four (28, 28) float32 pictures unlike each other: noise, sparse noise, a ring, a bar."""
    rng = np.random.default_rng(0)
    r = np.hypot(*np.mgrid[-13.5:14.5, -13.5:14.5])
    ring = np.clip(1.0 - np.abs(r - 7.0) / 2.0, 0.0, 1.0)
    bar = np.zeros((28, 28))
    bar[4:24, 12:16] = 1.0
    pictures = [rng.random((28, 28)) * 0.5, rng.random((28, 28)) ** 6, ring, bar]
    return [p.astype(np.float32) for p in pictures]


def pooled(pictures: np.ndarray, k: int) -> np.ndarray:
    """(N, 28, 28) → (N, (28 / k)²): the mean of each k×k block."""
    p = np.asarray(pictures, np.float32)
    n, h, w = p.shape
    return p.reshape(n, h // k, k, w // k, k).mean(axis=(2, 4)).reshape(n, -1)


def read_meta(folder: Path) -> dict:
    try:
        meta = json.loads((folder / META_FILE).read_text())
    except FileNotFoundError:
        raise ModelError(f"{folder}: no {META_FILE}; {REFIT}") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"{folder / META_FILE}: damaged ({e}); {REFIT}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or "thresholds" not in meta:
        raise ModelError(f"{folder / META_FILE}: not DigitPad verdict statistics; {REFIT}")
    return meta


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{path} is missing; {REFIT}") from None
    except OSError as e:
        raise ModelError(f"cannot read {path}: {e.strerror or e}") from None


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


_shared: dict[str, object] = {}
_shared_lock = threading.Lock()


def shared() -> tuple[Detector | None, str]:
    """The bundled cnn's detector, loaded once (thread-safe), and "" — or ``None`` and why it
    could not be loaded, in the user's words."""
    with _shared_lock:
        if "detector" not in _shared:
            try:
                _shared["detector"], _shared["why"] = Detector.load(), ""
            except ModelError as e:
                _shared["detector"], _shared["why"] = None, str(e)
        return _shared["detector"], _shared["why"]  # type: ignore[return-value]


def shared_if_loaded() -> Detector | None:
    """The bundled cnn's detector if ``shared()`` has loaded it already; never waits."""
    found = _shared.get("detector")
    return found if isinstance(found, Detector) else None


def forget_shared() -> None:
    """Load the statistics again on the next ``shared()`` (they were refitted)."""
    with _shared_lock:
        _shared.clear()

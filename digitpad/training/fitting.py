"""Fit and evaluate every model family with a progress callback and a cancel token (no Qt here).

``fit(family, x, y, ...)`` returns a :class:`Trained`: the file set ``digitpad.models`` loads and
the same model in memory; ``save`` scores it on the test set and writes its folder. Which
function fits a family is ``FITTERS[row.fitter]``, ``row`` its line in ``models.families``.
scikit-learn and TensorFlow are imported inside the functions that need them, so importing this
module is cheap. Progress and cancelling follow ``digitpad.progress``.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis import confusion_matrix
from ..fileio import atomic_path
from ..models import families
from ..models.base import Classifier, softmax
from ..models.families import Family
from ..models.features import deskew, flat
from ..models.keras_file import load_keras
from ..models.store import classifier, npz_bytes
from ..progress import CancelToken, ProgressFn, no_progress


@dataclass
class FitOptions:
    """What every fitter is told besides the images. ``epochs``, ``augment``, ``checkpoint``
    ``validation`` and ``members`` (how many nets to average) matter to the networks only; None
    keeps the family's default."""

    epochs: int | None = None
    augment: bool | None = None
    progress: ProgressFn = no_progress
    cancel: CancelToken = field(default_factory=CancelToken)
    checkpoint: Path | None = None
    seed: int = 0
    validation: tuple[np.ndarray, np.ndarray] | None = None
    members: int | None = None
    recipe: Mapping[str, Any] | None = None


def _network_recipe(
    family: str, recipe: Mapping[str, Any] | None, epochs: int | None, augment: bool | None
) -> dict[str, Any]:
    """The family's defaults, overridden by ``recipe``, then by ``epochs`` and ``augment``."""
    cfg = families.defaults(family) | dict(recipe or {})
    if epochs is not None:
        cfg["epochs"] = int(epochs)
    if augment is not None:
        cfg["augment"] = bool(augment)
    return cfg


def fit_keras(
    family: str,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int | None = None,
    augment: bool | None = None,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    checkpoint: Path | None = None,
    seed: int = 0,
    recipe: Mapping[str, Any] | None = None,
):
    """Train a Keras network of ``family`` on x (N, 28, 28) float32 in [0, 1], y (N,) int.

    With ``checkpoint`` (a ``.keras`` path) the model is saved after every epoch and a later call
    resumes from it. With ``validation`` (x, y, never fitted on), every epoch ends by measuring
    the batch-norm statistics again and scoring the network in inference ("val_loss",
    "val_accuracy"; ``nets.EpochEnd``); without, the statistics are measured once at the end.
    ``recipe`` overrides the family's defaults (``train_models.py`` passes its ``bundled_*``).
    Returns ``(model, history, seconds)``: history maps metric → list per epoch; seconds counts
    every epoch, the ones before a resume included.
    """
    import keras

    from . import nets  # imports TensorFlow

    cfg = _network_recipe(family, recipe, epochs, augment)
    keras.utils.set_random_seed(seed)
    if cfg.get("flagged_ones", 0) > 0:  # European 1s: training.ones
        from .ones import flag_ones

        x = flag_ones(x, y, float(cfg["flagged_ones"]), seed)
    start_epoch, model, past = 0, None, {"seconds": 0.0, "history": {}}
    state = checkpoint.with_suffix(".epoch.json") if checkpoint else None
    if checkpoint and checkpoint.exists() and state.exists():
        model = load_keras(checkpoint)
        past = json.loads(state.read_text())
        start_epoch = int(past["epoch"])
    steps = int(np.ceil(len(x) / cfg["batch"]))
    if model is None:
        model = nets.build(family, steps * cfg["epochs"], cfg)
    strength = nets.strength_variable(cfg.get("augment_strength", 1.0))
    train_ds = nets.dataset(
        x, y, cfg["batch"], cfg["augment"], seed, strength, cfg.get("pens", "mild")
    )
    reporter = _make_reporter_class()(cfg["epochs"], steps, progress, cancel, checkpoint, state)
    reporter.past = past
    callbacks = [
        nets.EpochEnd(x, validation, strength, cfg["epochs"], cfg.get("clean_epochs", 0)),
        reporter,
    ]
    if cfg.get("schedule") != "one-cycle":
        decay = cfg.get("decay", 1.0)
        callbacks.append(keras.callbacks.LearningRateScheduler(lambda e: cfg["lr"] * decay**e))
    model.fit(
        train_ds,
        epochs=cfg["epochs"],
        initial_epoch=start_epoch,
        callbacks=callbacks,
        verbose=0,
    )
    if cancel is not None:
        cancel.check()
    if validation is None:  # else measured already, after the last epoch
        nets.recalibrate_batch_norm(model, x)
    return model, reporter.history, reporter.seconds


def _make_reporter_class():
    import keras

    class KerasReporter(keras.callbacks.Callback):
        """Reports progress per batch and epoch, honours cancel, checkpoints per epoch."""

        def __init__(self, epochs, steps, progress, cancel, checkpoint, state):
            super().__init__()
            self.epochs, self.steps = epochs, steps
            self.progress, self.cancel = progress, cancel
            self.checkpoint, self.state = checkpoint, state
            self.epoch = 0
            self.t0 = time.perf_counter()

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if self.cancel is not None and self.cancel.cancelled:
                self.model.stop_training = True
                return
            if batch % 20 == 0:
                done = (self.epoch + (batch + 1) / self.steps) / self.epochs
                info = {"stage": "fit", "epoch": self.epoch + 1, "batch": batch + 1}
                info.update({k: float(v) for k, v in (logs or {}).items()})
                self.progress(min(done, 1.0), info)

        def on_epoch_end(self, epoch, logs=None):
            if self.cancel is not None and self.cancel.cancelled:
                return
            info = {"stage": "epoch", "epoch": epoch + 1, "seconds": self.seconds}
            info.update({k: float(v) for k, v in (logs or {}).items()})
            for k, v in (logs or {}).items():
                self.history.setdefault(k, []).append(float(v))
            self.progress((epoch + 1) / self.epochs, info)
            if self.checkpoint is not None:
                with atomic_path(self.checkpoint) as tmp:
                    self.model.save(tmp)
                state = {"epoch": epoch + 1, "seconds": self.seconds, "history": self.history}
                with atomic_path(self.state) as tmp:
                    tmp.write_text(json.dumps(state))

        @property
        def history(self) -> dict[str, list[float]]:
            return self.past.setdefault("history", {})

        @property
        def seconds(self) -> float:
            return self.past.get("seconds", 0.0) + time.perf_counter() - self.t0

    return KerasReporter


# --------------------------------------------------------------------------- results


@dataclass
class Trained:
    """A freshly trained model, ready to be evaluated and saved.

    ``files`` are the weights as bytes (``model.npz`` or ``model.tflite`` + ``model.keras``);
    ``classifier`` is the same model loaded in memory, as ``digitpad.models.load`` would give it.
    """

    family: str
    fmt: str
    files: dict[str, bytes]
    classifier: Classifier
    hyperparameters: dict[str, Any]
    train_size: int
    fit_seconds: float
    history: dict[str, list[float]] = field(default_factory=dict)


def fit(
    family: str,
    x: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int | None = None,
    augment: bool | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
    checkpoint: Path | None = None,
    seed: int = 0,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    members: int | None = None,
    recipe: Mapping[str, Any] | None = None,
) -> Trained:
    """Train model ``family`` on x (N, 28, 28) float32 in [0, 1], y (N,) int in 0–9.

    ``validation`` (x, y), for the networks only: scored after every epoch ("val_loss",
    "val_accuracy" in the progress info and the history), never fitted on. ``members``, for
    the networks only: how many nets (seeds ``seed``, ``seed + 1``, ...) to train and average.
    ``recipe``, for the networks only: hyper-parameters that override the family's defaults.
    """
    row = families.family(family)
    options = FitOptions(
        epochs,
        augment,
        progress,
        cancel or CancelToken(),
        checkpoint,
        seed,
        validation,
        members,
        recipe,
    )
    return FITTERS[row.fitter](row, x, y, options)


def hold_out(x: np.ndarray, y: np.ndarray, seed: int, share: float = 1 / 6):
    """A stratified random hold-out of ``share`` of the images: (x_fit, y_fit, x_val, y_val).

    Stratified where every digit has two images at least (scikit-learn needs that); plain
    random otherwise, as for a handful of the user's drawings of one digit."""
    from sklearn.model_selection import train_test_split

    n_val = max(10, int(len(x) * share))
    try:
        xf, xv, yf, yv = train_test_split(x, y, test_size=n_val, random_state=seed, stratify=y)
    except ValueError:
        xf, xv, yf, yv = train_test_split(x, y, test_size=n_val, random_state=seed)
    return xf, yf, xv, yv


def fit_temperature(scores: np.ndarray, y: np.ndarray) -> float:
    """Softmax temperature minimising the negative log-likelihood of ``y`` given ``scores``."""
    from scipy.optimize import minimize_scalar

    def nll(log_t: float) -> float:
        p = softmax(scores / np.exp(log_t))
        return -float(np.mean(np.log(p[np.arange(len(y)), y] + 1e-12)))

    res = minimize_scalar(nll, bounds=(np.log(1e-3), np.log(1e3)), method="bounded")
    return float(np.exp(res.x))


def _arrays_fitter(fit_arrays):
    """A fitter for a family stored as ``model.npz``, from ``fit_arrays(row, x, y, options)``
    that returns ``(arrays, hyper-parameters)``."""

    def fitter(row: Family, x: np.ndarray, y: np.ndarray, options: FitOptions) -> Trained:
        t0 = time.perf_counter()
        arrays, hyper = fit_arrays(row, x, y, options)
        seconds = time.perf_counter() - t0
        files = {"model.npz": npz_bytes(**arrays)}
        clf = classifier(row.file_format, row.name, arrays=arrays)
        options.progress(1.0, {"stage": "done", "seconds": seconds})
        return Trained(row.name, row.file_format, files, clf, hyper, len(x), seconds)

    fitter.__doc__ = fit_arrays.__doc__
    return fitter


@_arrays_fitter
def _fit_logistic(row: Family, x, y, options: FitOptions):
    """Multinomial logistic regression (L-BFGS, L2 penalty) on deskewed pixels."""
    from sklearn.linear_model import LogisticRegression

    hyper = dict(row.defaults)
    options.progress(0.05, {"stage": "fit"})
    clf = LogisticRegression(C=hyper["C"], max_iter=hyper["max_iter"], tol=1e-4)
    clf.fit(flat(deskew(x)), y)
    options.cancel.check()
    hyper["n_iter"] = int(np.max(clf.n_iter_))
    arrays = {
        "W": clf.coef_.T.astype(np.float32),
        "b": clf.intercept_.astype(np.float32),
        "temperature": np.float64(1.0),
        "deskew": np.bool_(True),
    }
    return arrays, hyper


def _search_c(row: Family, xf, yf, xv, yv, options: FitOptions) -> dict[float, float]:
    """The Kaggle notebook's randomised search: C drawn log-uniformly, each scored on the
    hold-out. Returns C → hold-out accuracy."""
    from sklearn.svm import SVC

    rng = np.random.default_rng(options.seed)
    search_n = min(len(xf), row.defaults["search_train_size"])
    candidates = sorted(
        10 ** rng.uniform(*row.defaults["C_log10_range"], size=row.defaults["C_candidates"])
    )
    scores = {}
    for k, c in enumerate(candidates):
        options.cancel.check()
        options.progress(0.5 * k / len(candidates), {"stage": "search", "C": float(c)})
        svc = SVC(kernel="linear", C=c).fit(flat(xf[:search_n]), yf[:search_n])
        scores[float(c)] = float(svc.score(flat(xv), yv))
    return scores


@_arrays_fitter
def _fit_linear_svm(row: Family, x, y, options: FitOptions):
    """One-vs-one linear SVM on deskewed pixels; the Kaggle notebook's randomised search over C
    on a hold-out split, which also fits the softmax temperature; then a refit on everything."""
    from sklearn.svm import SVC

    xd = deskew(x)
    xf, yf, xv, yv = hold_out(xd, y, options.seed)
    scores = _search_c(row, xf, yf, xv, yv, options)
    best_c = max(scores, key=scores.get)
    options.cancel.check()
    options.progress(0.5, {"stage": "fit", "C": best_c})
    svc = SVC(kernel="linear", C=best_c, decision_function_shape="ovo").fit(flat(xf), yf)
    arrays = {
        "coef": svc.coef_.astype(np.float32),
        "intercept": svc.intercept_.astype(np.float32),
    }
    temperature = fit_temperature(_ovr_scores(row.file_format, arrays, xv), yv)
    options.cancel.check()
    options.progress(0.75, {"stage": "refit on all", "C": best_c})
    svc = SVC(kernel="linear", C=best_c, decision_function_shape="ovo").fit(flat(xd), y)
    arrays = {
        "coef": svc.coef_.astype(np.float32),
        "intercept": svc.intercept_.astype(np.float32),
        "temperature": np.float64(temperature),
        "deskew": np.bool_(True),
    }
    hyper = {
        "deskew": True,
        "kernel": "linear",
        "C": best_c,
        "C_search": {f"{c:.4g}": s for c, s in scores.items()},
        "search_train_size": int(min(len(xf), row.defaults["search_train_size"])),
        "temperature": temperature,
        "n_support": int(svc.n_support_.sum()),
    }
    return arrays, hyper


@_arrays_fitter
def _fit_rbf_svm(row: Family, x, y, options: FitOptions):
    """RBF SVM on 50 PCA components of deskewed pixels (C=10, gamma from the feature scale)."""
    from sklearn.decomposition import PCA
    from sklearn.svm import SVC

    hyper = dict(row.defaults)
    x = deskew(x)
    options.progress(0.02, {"stage": "pca"})
    pca = PCA(n_components=hyper["pca_components"], random_state=options.seed).fit(flat(x))
    base = {
        "mean": pca.mean_.astype(np.float32),
        "components": pca.components_.T.astype(np.float32),
    }
    z = (flat(x) - base["mean"]) @ base["components"]
    hyper["gamma"] = gamma = float(1.0 / (z.shape[1] * z.var()))
    xf, yf, xv, yv = hold_out(x, y, options.seed)
    zf = (flat(xf) - base["mean"]) @ base["components"]
    options.cancel.check()
    options.progress(0.1, {"stage": "fit on split (for the temperature)"})
    arrays = _svc_arrays(SVC(C=hyper["C"], gamma=gamma).fit(zf, yf), base, gamma)
    temperature = fit_temperature(_ovr_scores(row.file_format, arrays, xv), yv)
    options.cancel.check()
    options.progress(0.5, {"stage": "refit on all"})
    svc = SVC(C=hyper["C"], gamma=gamma).fit(z, y)
    arrays = _svc_arrays(svc, base, gamma)
    arrays["temperature"] = np.float64(temperature)
    hyper.update(temperature=temperature, n_support=int(svc.n_support_.sum()))
    return arrays, hyper


def _svc_arrays(svc, base: dict[str, np.ndarray], gamma: float) -> dict[str, np.ndarray]:
    return {
        **base,
        "deskew": np.bool_(True),
        "support": svc.support_vectors_.astype(np.float32),
        "n_support": svc.n_support_.astype(np.int64),
        "dual_coef": svc.dual_coef_.astype(np.float32),
        "intercept": svc.intercept_.astype(np.float64),
        "gamma": np.float64(gamma),
        "temperature": np.float64(1.0),
    }


def _ovr_scores(fmt: str, arrays: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """Scores of already-deskewed ``x``."""
    arrays = {"temperature": np.float64(1.0), **arrays, "deskew": np.bool_(False)}
    return classifier(fmt, "validation", arrays=arrays).decision_function(x)


def _fit_network(row: Family, x: np.ndarray, y: np.ndarray, options: FitOptions) -> Trained:
    """Train the Keras network(s) of ``row`` (``members`` of them, averaged) and export them."""
    members = int(options.members or row.defaults.get("members", 1))
    nets_, history, seconds = [], {}, 0.0
    for k in range(members):
        model, member_history, member_seconds = _fit_member(row.name, k, members, x, y, options)
        nets_.append(model)
        seconds += member_seconds
        suffix = f" (net {k + 1})" if members > 1 else ""
        history.update({f"{key}{suffix}": v for key, v in member_history.items()})
    if members > 1:
        from . import nets

        model = nets.average(nets_, name=row.name)
    hyper = dict(row.defaults, **(options.recipe or {}))
    hyper["epochs"] = len(member_history.get("loss", [])) or options.epochs
    hyper["members"] = members
    hyper["seeds"] = [options.seed + k for k in range(members)]
    if options.augment is not None:
        hyper["augment"] = options.augment
    hyper["parameters"] = int(model.count_params())
    files, clf = _network_files(row, model)
    return Trained(row.name, row.file_format, files, clf, hyper, len(x), seconds, history)


def _fit_member(family: str, k: int, members: int, x, y, options: FitOptions):
    """Net ``k`` of ``members``: its own seed and checkpoint, its progress a share of the whole."""
    checkpoint = options.checkpoint
    if checkpoint is not None and members > 1:
        checkpoint = checkpoint.with_name(f"{checkpoint.stem}-{k}{checkpoint.suffix}")

    def member_progress(fraction: float, info: dict[str, Any]) -> None:
        options.progress((k + fraction) / members, dict(info, member=k + 1))

    return fit_keras(
        family,
        x,
        y,
        epochs=options.epochs,
        augment=options.augment,
        progress=member_progress,
        cancel=options.cancel,
        checkpoint=checkpoint,
        seed=options.seed + k,
        validation=options.validation,
        recipe=options.recipe,
    )


def _network_files(row: Family, model) -> tuple[dict[str, bytes], Classifier]:
    """The saved files of a trained network (``model.keras`` and its NumPy or LiteRT form) and
    the classifier that runs it."""
    files = {"model.keras": keras_bytes(model)}
    if row.file_format == "dense":
        dense = [la for la in model.layers if la.__class__.__name__ == "Dense"]
        (w1, b1), (w2, b2) = dense[0].get_weights(), dense[1].get_weights()
        arrays = {"W1": w1, "b1": b1, "W2": w2, "b2": b2, "negative_slope": np.float64(0.01)}
        files["model.npz"] = npz_bytes(**arrays)
        return files, classifier(row.file_format, row.name, arrays=arrays)
    files["model.tflite"] = tflite_bytes(model)
    return files, classifier(row.file_format, row.name, model_bytes=files["model.tflite"])


#: ``Family.fitter`` → the function that fits it: ``fitter(row, x, y, options) -> Trained``.
FITTERS = {
    "logistic": _fit_logistic,
    "linear_svm": _fit_linear_svm,
    "rbf_svm": _fit_rbf_svm,
    "keras": _fit_network,
}


def keras_bytes(model) -> bytes:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "model.keras"
        model.save(path)
        return path.read_bytes()


def tflite_bytes(model) -> bytes:
    from . import nets

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "model.tflite"
        nets.export_tflite(model, str(path))
        return path.read_bytes()


def evaluate(clf: Classifier, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Accuracy, the (10, 10) confusion matrix (rows true, columns predicted), probabilities,
    and the seconds it took to predict ``x``."""
    t0 = time.perf_counter()
    proba = clf.predict_proba(x)
    seconds = time.perf_counter() - t0
    pred = proba.argmax(axis=1)
    return {
        "accuracy": float((pred == y).mean()),
        "confusion": confusion_matrix(y, pred),
        "proba": proba,
        "predict_seconds": seconds,
    }


def save(trained: Trained, dest: Path, test_x: np.ndarray, test_y: np.ndarray, name: str) -> dict:
    """Evaluate ``trained`` on the test set and write its model folder atomically at ``dest``.

    Returns the metadata written (test accuracy, fit and predict times, hyper-parameters…).
    """
    from ..models.store import npy_bytes, write_model_dir

    ev = evaluate(trained.classifier, test_x, test_y)
    meta = {
        "name": name,
        "family": trained.family,
        "format": trained.fmt,
        "test_accuracy": ev["accuracy"],
        "test_size": len(test_y),
        "train_size": int(trained.train_size),
        "fit_seconds": round(trained.fit_seconds, 2),
        "predict_seconds_test": round(ev["predict_seconds"], 4),
        "hyperparameters": trained.hyperparameters,
        "history": trained.history,
        "confusion": ev["confusion"].tolist(),
        "date": time.strftime("%Y-%m-%d"),
    }
    files = dict(trained.files)
    files["test_proba.npy"] = npy_bytes(ev["proba"].astype(np.float32))
    write_model_dir(dest, files, meta)
    return meta


#: Training-set sizes of the accuracy-against-training-set-size study (0 stands for all).
CURVE_SIZES = (100, 500, 1000, 2000, 5000, 10_000, 20_000, 0)


def accuracy_by_size(
    family: str,
    x: np.ndarray,
    y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    sizes: tuple[int, ...] = CURVE_SIZES,
    *,
    epochs: int | None = None,
    progress: ProgressFn = no_progress,
    cancel: CancelToken | None = None,
) -> list[dict[str, Any]]:
    """Accuracy against training-set size: fit ``family`` on the first n of (x, y) for each n in
    ``sizes`` (0 or more than ``len(x)``: all of them) and score each fit on the test set.

    Returns one dict per size: "size", "accuracy" (on test_x), "seconds" (fit time). Each point
    is also reported through ``progress`` with stage "point" as soon as it is known.
    """
    families.family(family)  # ModelError naming the families for an unknown one
    cancel = cancel or CancelToken()
    ns = sorted({len(x) if n <= 0 or n > len(x) else int(n) for n in sizes})
    points: list[dict[str, Any]] = []
    for k, n in enumerate(ns):
        cancel.check()

        def inner(fraction: float, info: dict[str, Any], k: int = k, n: int = n) -> None:
            progress((k + fraction) / len(ns), dict(info, size=n, stage=f"size {n}"))

        trained = fit(family, x[:n], y[:n], epochs=epochs, progress=inner, cancel=cancel)
        cancel.check()
        ev = evaluate(trained.classifier, test_x, test_y)
        point = {"size": n, "accuracy": ev["accuracy"], "seconds": round(trained.fit_seconds, 2)}
        points.append(point)
        progress((k + 1) / len(ns), dict(point, stage="point"))
    return points

"""The Kaggle workflow on the command line: ``digitpad train``, ``evaluate --csv``, ``compare``.

``digitpad train FAMILY --fine-tune [--from MODEL]`` fine-tunes a network on your labelled
drawings (or a labelled ``--csv``) with a replay of MNIST, as Teach ▸ Fine-tune does
(``digitpad.training.fine_tune``), and saves it as ``my-FAMILY-tuned-N``.

Training goes the window's way (``fitting.fit`` then ``fitting.save`` into ``models.user_dir()``
under a name ``models.check_new_name`` accepts), so the window and ``digitpad models`` see a
model trained here at once. Ctrl+C stops the fit through its ``CancelToken``; the fit runs in a
worker thread so that Ctrl+C is answered even while scikit-learn is inside C code, where a
``KeyboardInterrupt`` would only arrive when the fit returns. Importing this module is cheap:
scikit-learn, TensorFlow and tqdm are imported by the commands that need them.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..models import families

#: Exit status of a command stopped by Ctrl+C (128 + SIGINT, as shells report it).
EXIT_CANCELLED = 130
#: Seconds a cancelled fit may take to stop by itself before the process exits anyway.
CANCEL_GRACE_S = 1.0
#: Each of the user's drawings counts as this many images, as in the window's training dialog.
DRAWING_WEIGHT = 10


# --------------------------------------------------------------------------- the parser


def add_parsers(sub) -> None:
    """Register ``train`` and ``compare`` on the subparsers ``sub`` of the ``digitpad`` parser."""
    t = sub.add_parser("train", help="train a model of any family and save it with yours")
    t.add_argument(
        "family", choices=families.NAMES, metavar="FAMILY", help=", ".join(families.NAMES)
    )
    t.add_argument("--csv", type=Path, default=None, help="a labelled Kaggle train.csv")
    t.add_argument("--size", type=_positive, default=None, help="the first N images only")
    t.add_argument("--epochs", type=_positive, default=None, help="epochs (networks only)")
    t.add_argument(
        "--validate",
        type=_share,
        default=None,
        metavar="SHARE",
        help="hold out this share (stratified), e.g. 0.1, and report its accuracy",
    )
    t.add_argument("--name", default=None, help="the new model's name (default my-FAMILY-N)")
    t.add_argument(
        "--include-my-drawings",
        action="store_true",
        help=f"add your labelled drawings, each counted {DRAWING_WEIGHT} times",
    )
    t.add_argument(
        "--fine-tune",
        action="store_true",
        help="start from a trained network and teach it your drawings (or --csv) in seconds, "
        "with a replay of MNIST; saved as my-FAMILY-tuned-N",
    )
    t.add_argument(
        "--from",
        dest="source",
        default=None,
        metavar="MODEL",
        help="with --fine-tune: the model to start from (default: the bundled FAMILY)",
    )
    t.add_argument("--steps", type=_positive, default=None, help="with --fine-tune: training steps")
    sub.add_parser("compare", help="every model's accuracy and times on the MNIST test set")


def extend_evaluate(e: argparse.ArgumentParser) -> None:
    """Add ``--csv`` and ``--all`` to the ``evaluate`` parser (``--model`` is already there)."""
    e.add_argument("--csv", type=Path, default=None, help="a labelled Kaggle CSV instead")
    e.add_argument("--all", action="store_true", help="one comparison table of every model")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return value


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1, like 0.1")
    return value


# --------------------------------------------------------------------------- train


def train(args: argparse.Namespace, progress: Callable | None = None) -> int:
    """``digitpad train FAMILY``: fit, score on the MNIST test set, save among the user's models.

    ``progress(fraction, info)``, if given, is called with the fit's progress besides the bar.
    """
    from .. import models

    if args.fine_tune:
        _check_fine_tune(args)
    elif args.source or args.steps:
        raise ValueError("--from and --steps go with --fine-tune")
    name = args.name or _default_name(args)
    name = models.check_new_name(name)
    try:
        if args.fine_tune:
            return _fine_tune(args, name, progress)
        return _train(args, name, progress)
    except KeyboardInterrupt as e:
        _forget(name)
        print(f"digitpad: training of {name} cancelled; nothing was saved", file=sys.stderr)
        if isinstance(e, FitStillRunning):
            # The fit's thread cannot be stopped, and the interpreter's exit with it still in
            # libsvm crashed (seen: SIGSEGV); the fit never saves, so leave at once.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_CANCELLED)
        return EXIT_CANCELLED


def _train(args: argparse.Namespace, name: str, progress: Callable | None) -> int:
    from .. import models
    from ..data import mnist
    from ..training import fitting
    from ..training.helper import curve_validation

    x, y, where = _training_images(args)
    held_out = validation = None
    if args.validate:
        x, y, xv, yv = fitting.hold_out(x, y, seed=0, share=args.validate)
        held_out = validation = (xv, yv)
    elif args.csv is None:  # a network's curve: MNIST's held-out split, not fitted on
        x, y, validation = curve_validation(args.family, x, y)
    x, y, added = _with_drawings(x, y, args.include_my_drawings)
    if families.family(args.family).network:
        _quiet_tensorflow()
    test_x, test_y = mnist.load_mnist("test")
    bar = _Bar(enabled=sys.stdout.isatty() and sys.stderr.isatty())
    try:
        trained = _fit_cancellable(args, x, y, validation, _both(bar.update, progress))
        trained.hyperparameters.update(
            user_drawings=added, user_weight=DRAWING_WEIGHT if added else 0
        )
        bar.update(1.0, {"stage": "scoring on the MNIST test set and saving"})
        dest = models.user_dir() / name
        meta = fitting.save(trained, dest, test_x, test_y, name)
    finally:
        bar.close()
    _report(meta, dest, where, added, held_out, trained)
    return 0


def _default_name(args: argparse.Namespace) -> str:
    from .. import models
    from ..training import fine_tune

    return fine_tune.new_name(args.source) if args.fine_tune else models.new_name(args.family)


def _check_fine_tune(args: argparse.Namespace) -> None:
    """Refuse what a fine-tune does not take; ``args.source`` becomes the model to start from,
    which must be of ``args.family``."""
    from ..training import fine_tune

    for flag, value in (
        ("--size", args.size),
        ("--epochs", args.epochs),
        ("--validate", args.validate),
    ):
        if value is not None:
            raise ValueError(f"{flag} does not go with --fine-tune (use --steps)")
    args.source = args.source or args.family
    family = fine_tune.family_of(args.source)
    if family != args.family:
        raise ValueError(f"{args.source} is a {family} model, not {args.family}")


def _fine_tune(args: argparse.Namespace, name: str, progress: Callable | None) -> int:
    from .. import models
    from ..data import mnist
    from ..training import fine_tune

    x, y, where = _teach_images(args)
    _quiet_tensorflow()
    test_x, test_y = mnist.load_mnist("test")
    recipe = fine_tune.Recipe(steps=args.steps) if args.steps else fine_tune.Recipe()
    bar = _Bar(enabled=sys.stdout.isatty() and sys.stderr.isatty())
    report = _both(bar.update, progress)

    def work(token):
        return fine_tune.fine_tune(args.source, x, y, recipe=recipe, progress=report, cancel=token)

    try:
        trained = _cancellable(work)
        bar.update(1.0, {"stage": "scoring on the MNIST test set and saving"})
        dest = models.user_dir() / name
        meta = fine_tune.save(trained, dest, test_x, test_y, name)
    finally:
        bar.close()
    hyper = meta["hyperparameters"]
    print(f"saved {name} in {dest}")
    print(f"fine-tuned {args.source} on {len(y):,} images of {where} with a replay of MNIST")
    print(
        f"test accuracy {meta['test_accuracy']:.2%} on {meta['test_size']:,} MNIST test images "
        f"({args.source}: {hyper['source_test_accuracy']:.2%})"
    )
    print(
        f"accuracy on the images taught {hyper['user_accuracy_before']:.2%} before, "
        f"{hyper['user_accuracy_after']:.2%} after"
    )
    print(f"fit in {trained.fit_seconds:.1f} s")
    return 0


def _teach_images(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    """What a fine-tune learns: ``--csv`` (plus the user's drawings with
    ``--include-my-drawings``), else the user's drawings."""
    from ..data import drawings

    if args.csv is None:
        x, y = drawings.load()
        if len(x) == 0:
            raise ValueError(
                f"you have not labelled any drawing yet (in {drawings.drawings_dir()}): label "
                "some in the window (Teach menu) or give a labelled --csv"
            )
        return x, y, "your drawings"
    x, y = read_labelled(args.csv)
    if args.include_my_drawings:
        x, y = drawings.with_drawings(x, y, *drawings.load())
        return x, y, f"{args.csv} and your drawings"
    return x, y, str(args.csv)


def _both(first: Callable, second: Callable | None) -> Callable:
    """A progress callback that tells ``first`` and then ``second`` (if any)."""

    def report(fraction: float, info: dict[str, Any]) -> None:
        first(0.97 * fraction, info)  # the last 3 %: scoring on the test set and saving
        if second is not None:
            second(fraction, info)

    return report


def _quiet_tensorflow() -> None:
    """Import TensorFlow with its start-up banners (oneDNN, absl: native code on fd 2, whatever
    ``TF_CPP_MIN_LOG_LEVEL`` says) and a Keras warning about our own tf.data input kept off the
    terminal: only the bar and the final lines are for the user."""
    import warnings

    from ..models.litert import quiet_native_stderr

    warnings.filterwarnings("ignore", message="`shuffle=True` was passed", category=UserWarning)
    with quiet_native_stderr():
        from ..training import nets  # noqa: F401  (imports TensorFlow and Keras)


def _training_images(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, str]:
    """(N, 28, 28) float32 images, (N,) labels and where they came from, cut to ``--size``."""
    from ..data import mnist

    if args.csv is not None:
        x, y = read_labelled(args.csv)
        where = str(args.csv)
    else:
        x, y = mnist.load_mnist("train")
        where = "the MNIST training set"
    n = min(args.size or len(x), len(x))
    return x[:n], y[:n], where


def read_labelled(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A Kaggle CSV's images (N, 28, 28) float32 and labels (N,) int64; ``DatasetError`` when
    it has no label column (the test.csv format)."""
    from ..data.kaggle import read_kaggle_csv
    from ..data.mnist import DatasetError

    x, y = read_kaggle_csv(path)
    if y is None:
        raise DatasetError(
            f"{path} has no labels (it is in test.csv format, 'pixel0,…,pixel783'); "
            "give a labelled CSV whose first column is 'label', like Kaggle's train.csv"
        )
    return x, y


def _with_drawings(x: np.ndarray, y: np.ndarray, include: bool):
    from ..data import drawings

    if not include:
        return x, y, 0
    images, labels = drawings.load()
    x, y = drawings.with_drawings(x, y, images, labels, DRAWING_WEIGHT)
    return x, y, len(images) * DRAWING_WEIGHT


def _fit_cancellable(args, x, y, validation, progress: Callable):
    """``fitting.fit`` in a worker thread; Ctrl+C cancels it through its token.

    If the fit has not stopped ``CANCEL_GRACE_S`` after Ctrl+C (an SVC inside libsvm), ``train``
    ends the process: nothing has been saved, saving comes after the fit, in this thread.
    """
    from ..training import fitting

    def work(token):
        return fitting.fit(
            args.family, x, y, epochs=args.epochs, progress=progress, cancel=token,
            validation=validation,
        )  # fmt: skip

    return _cancellable(work)


def _cancellable(job: Callable):
    """``job(token)`` in a worker thread; Ctrl+C cancels it through its ``CancelToken``."""
    from ..progress import CancelToken

    token, outcome, finished = CancelToken(), {}, threading.Event()

    def work() -> None:
        try:
            outcome["trained"] = job(token)
        except BaseException as e:  # KeyboardInterrupt from a callback, Cancelled, errors
            outcome["error"] = e
        finally:
            finished.set()

    threading.Thread(target=work, name="digitpad-train", daemon=True).start()
    try:
        # An Event, not Thread.join: a join that Ctrl+C interrupts leaves the thread marked
        # as stopped on Python 3.11 (seen: is_alive() False while libsvm ran on).
        while not finished.wait(0.1):
            pass
    except KeyboardInterrupt:
        token.cancel()
        if not finished.wait(CANCEL_GRACE_S):
            raise FitStillRunning from None
        raise
    return _outcome(outcome)


class FitStillRunning(KeyboardInterrupt):
    """Ctrl+C came while the fit was inside C code that no token can stop (libsvm)."""


def _outcome(outcome: dict[str, Any]):
    from ..progress import Cancelled

    error = outcome.get("error")
    if isinstance(error, Cancelled):
        raise KeyboardInterrupt from error
    if error is not None:
        raise error
    return outcome["trained"]


def _forget(name: str) -> None:
    """Remove what a cancelled save of ``name`` may have left: its temporary folders, and the
    model itself if Ctrl+C came just after the final rename."""
    from .. import models
    from ..models.store import remove_partial_saves

    remove_partial_saves(models.user_dir() / name)
    if models.is_user_model(name):
        models.delete(name)


def _report(meta, dest: Path, where: str, added: int, held_out, trained) -> None:
    print(f"saved {meta['name']} in {dest}")
    extra = f" + {added:,} from your drawings" if added else ""
    print(f"trained {meta['family']} on {trained.train_size - added:,} images of {where}{extra}")
    print(f"test accuracy {meta['test_accuracy']:.2%} on {meta['test_size']:,} MNIST test images")
    if held_out is not None:
        xv, yv = held_out
        accuracy = float((trained.classifier.predict(xv) == yv).mean())
        print(f"validation accuracy {accuracy:.2%} on {len(yv):,} held-out images")
    print(f"fit in {trained.fit_seconds:.1f} s")


class _Bar:
    """A tqdm bar with the time left, on a terminal only; elsewhere it prints nothing."""

    STEPS = 1000

    def __init__(self, enabled: bool) -> None:
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=self.STEPS, unit="‰", dynamic_ncols=True, leave=False,
                bar_format="{l_bar}{bar}| {elapsed}<{remaining}{postfix}",
            )  # fmt: skip

    def update(self, fraction: float, info: dict[str, Any]) -> None:
        if self._bar is None:
            return
        self._bar.update(max(0, round(fraction * self.STEPS) - self._bar.n))
        self._bar.set_postfix_str(_describe(info), refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _describe(info: dict[str, Any]) -> str:
    """What the bar says besides the fraction: the stage, the epoch, the latest metrics."""
    words = [str(info.get("stage", ""))]
    if "epoch" in info:
        words.append(f"epoch {info['epoch']}")
    for key in ("loss", "accuracy", "val_accuracy"):
        if key in info:
            words.append(f"{key} {info[key]:.4f}")
    return " ".join(w for w in words if w)


# --------------------------------------------------------------------------- evaluate, compare


def evaluate(args: argparse.Namespace, on_mnist: Callable[[argparse.Namespace], int]) -> int:
    """``digitpad evaluate``: ``on_mnist(args)`` (the MNIST test set report) without ``--csv``
    and ``--all``; else the report or the table on the labelled CSV."""
    if args.all and args.model:
        raise ValueError("evaluate takes --model NAME or --all, not both")
    if args.csv is None:
        return compare(args) if args.all else on_mnist(args)
    x, y = read_labelled(args.csv)
    where = f"{args.csv}"
    if args.all:
        print_table(x, y, where)
        return 0
    from .. import models
    from ..training.fitting import evaluate as score

    clf = models.load(args.model) if args.model else models.default()
    ev = score(clf, x, y)
    print(f"model {clf.name}: accuracy {ev['accuracy']:.2%} on {len(y):,} images of {where}")
    print(f"predicted in {ev['predict_seconds']:.2f} s")
    print_per_class(ev["confusion"])
    print_confusion(ev["confusion"])
    return 0


def compare(args: argparse.Namespace) -> int:
    """``digitpad compare``: the table of every model on the MNIST test set."""
    from ..data.mnist import load_mnist

    x, y = load_mnist("test")
    print_table(x, y, "the MNIST test set")
    return 0


def duration(seconds: float) -> str:
    """Seconds as the model table in the README writes them: "4.2 ms", "0.67 s", "6.3 min"."""
    if seconds < 0.1:
        return f"{seconds * 1e3:.1f} ms"
    if seconds < 120:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def print_per_class(confusion: np.ndarray) -> None:
    """Accuracy per true digit from a (10, 10) confusion matrix; '–' for a digit with no image."""
    counts = confusion.sum(axis=1)
    cells = [f"{confusion[d, d] / counts[d]:.1%}" if counts[d] else "–" for d in range(len(counts))]
    print("accuracy per digit")
    print("     " + "".join(f"{d:>7}" for d in range(len(counts))))
    print("     " + "".join(f"{c:>7}" for c in cells))


def print_confusion(confusion: np.ndarray) -> None:
    """A (10, 10) confusion matrix, rows the true digit, as ``digitpad evaluate`` prints it."""
    print("confusion matrix (rows: true digit, columns: predicted)")
    print("     " + "".join(f"{c:>6}" for c in range(10)))
    for r, row in enumerate(confusion):
        print(f"{r:>4} " + "".join(f"{v:>6}" for v in row))


def print_table(x: np.ndarray, y: np.ndarray, where: str) -> None:
    """One line per model (bundled, then the user's): accuracy on x (N, 28, 28) float32 and
    y (N,), its fit time from its metadata, the seconds it took to predict x."""
    from .. import models
    from ..training.fitting import evaluate as score

    print(f"{len(y):,} images of {where}")
    print(f"{'model':<20}{'accuracy':>9}{'fit time':>11}{'predict time':>14}{'trained on':>12}")
    for name in models.available():
        try:
            clf = models.load(name)
        except models.ModelError as e:
            print(f"{name:<20} unusable: {e}")
            continue
        ev = score(clf, x, y)
        fit = duration(clf.fit_seconds) if clf.fit_seconds is not None else "?"
        size = f"{clf.train_size:,}" if clf.train_size is not None else "?"
        predict = duration(ev["predict_seconds"])
        print(f"{name:<20}{ev['accuracy']:>9.2%}{fit:>11}{predict:>14}{size:>12}")

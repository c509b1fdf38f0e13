"""Command line: ``digitpad predict|evaluate|kaggle-submit|models|train|compare``.

Bad input gives one clear line on stderr and a non-zero exit, never a traceback. No command
overwrites its own input or a folder, device or FIFO (see :mod:`digitpad.cli.safety`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from .. import __version__
from . import workflow
from .safety import check_output, is_stdout

EXIT_BAD_INPUT = 2
# What a shell reports for a program killed by SIGPIPE (128 + 13): `digitpad predict … | head`
# ends like `cat … | head` does, quietly, and `set -o pipefail` sees the output was cut short.
EXIT_BROKEN_PIPE = 141


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage mistake in one line, like every other error here."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(
        prog="digitpad",
        description="Read handwritten digits with six bundled models.",
    )
    ap.add_argument("--version", action="version", version=f"digitpad {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    p = sub.add_parser("predict", help="read the digit in image files")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    p.add_argument("--model", default=None, help="model name (default: the best, cnn)")
    p.add_argument(
        "--all", action="store_true", help="a line for every model, each as if it were in charge"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per file: digit (null when not sure), reason, confidence, "
        "probabilities, model, and every model's answer",
    )
    p.add_argument(
        "--number",
        action="store_true",
        help="read a whole number in each file: the number (? for a digit not sure of) and "
        "each digit's answer; with --json its digits as a list (digit, reason, confidence, box)",
    )
    e = sub.add_parser(
        "evaluate", help="accuracy and confusion matrix on the MNIST test set or a labelled CSV"
    )
    e.add_argument("--model", default=None)
    workflow.extend_evaluate(e)
    k = sub.add_parser("kaggle-submit", help="write a Kaggle submission for a test.csv")
    k.add_argument("csv", type=Path, metavar="TEST_CSV")
    k.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("submission.csv"),
        help="where to write the submission; - for standard output (default: submission.csv)",
    )
    k.add_argument("--model", default=None)
    sub.add_parser("models", help="list the models and their test accuracy")
    workflow.add_parsers(sub)
    sub.add_parser("gui", help="open the window")
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ..data.mnist import DatasetError
    from ..models import ModelError

    commands = {
        "predict": lambda a: _predict_numbers(a) if a.number else _predict(a),
        "evaluate": lambda a: workflow.evaluate(a, on_mnist=_evaluate),
        "train": workflow.train,
        "compare": workflow.compare,
        "kaggle-submit": _kaggle_submit,
        "models": _models,
        "gui": _gui,
        None: _gui,
    }
    try:
        status = commands[args.command](args)
        sys.stdout.flush()  # here, so that a closed pipe is met inside the try
        return status
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except (ModelError, DatasetError, ValueError, OSError) as e:
        print(f"digitpad: error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


def _silence_stdout() -> None:
    # Python flushes stdout once more at exit; aimed at /dev/null, that flush stays quiet too.
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a test's capture
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _model(name: str | None):
    from .. import models

    if name is None:
        return models.default()
    if not name.strip():
        raise ValueError("--model is empty: give a model name (digitpad models lists them)")
    return models.load(name)


def _predict(args) -> int:
    """Each file's answer: the digit, or "not sure" and why, with the probabilities; the same
    reading as the window's and ``digitpad.read``'s. Not sure is an answer: exit status 0."""
    from ..preprocess import load_image
    from ..reading import api, live

    if args.model is not None and not args.model.strip():
        raise ValueError("--model is empty: give a model name (digitpad models lists them)")
    classifiers = api.usable_models(args.model)
    driver = live.pick_driver(args.model, list(classifiers))
    drivers = list(classifiers) if args.all and not args.json else [driver]
    failures = 0
    for path in args.images:
        try:
            picture = load_image(path)
        except ValueError as e:
            print(f"digitpad: error: {e}", file=sys.stderr)
            if args.json:
                print(json.dumps({"file": str(path), "error": str(e)}))
            failures += 1
            continue
        known: dict[str, np.ndarray] = {}
        for name in drivers:
            r = api.read_with(picture, classifiers, name, str(path), known)
            known = {n: a.probabilities for n, a in r.answers.items()}
            print(json.dumps(r.as_dict()) if args.json else _predict_line(r))
    return EXIT_BAD_INPUT if failures else 0


def _predict_numbers(args) -> int:
    """Each file's number, and each digit's answer; "?" digits are answers (exit status 0)."""
    from ..preprocess import read_number_ink
    from ..reading import api, live, number

    if args.model is not None and not args.model.strip():
        raise ValueError("--model is empty: give a model name (digitpad models lists them)")
    classifiers = api.usable_models(args.model)
    driver = live.pick_driver(args.model, list(classifiers))

    failures = 0
    for path in args.images:
        try:
            ink, size = read_number_ink(path)
            h, w = ink.shape
            scale = (size[0] / w, size[1] / h)
            r = number.read_ink_number(ink, classifiers, driver, scale, str(path))
        except ValueError as e:
            message = f"{e}" if str(path) in str(e) else f"{path}: {e}"
            print(f"digitpad: error: {message}", file=sys.stderr)
            if args.json:
                print(json.dumps({"file": str(path), "error": message}))
            failures += 1
            continue
        if args.json:
            print(json.dumps(r.as_dict()))
            continue
        answers = " ".join(str(d.digit) if d.sure else f"?({d.reason})" for d in r.digits)
        print(f"{path}\t{r.model}\t{r.text}\t{answers}")
    return EXIT_BAD_INPUT if failures else 0


def _predict_line(r) -> str:
    """file, model, the digit or "not sure: why", its confidence, the ten probabilities."""
    answer = str(r.digit) if r.sure else f"not sure: {r.reason}"
    probs = " ".join(f"{v:.3f}" for v in r.probabilities)
    return f"{r.source}\t{r.model}\t{answer}\t{r.confidence:.1%}\t[{probs}]"


def _evaluate(args) -> int:
    from ..data.mnist import load_mnist
    from ..training.fitting import evaluate

    clf = _model(args.model)
    x, y = load_mnist("test")
    ev = evaluate(clf, x, y)
    print(f"model {clf.name}: accuracy {ev['accuracy']:.2%} on {len(y):,} MNIST test images")
    print(f"predicted in {ev['predict_seconds']:.2f} s")
    workflow.print_confusion(ev["confusion"])
    return 0


def _kaggle_submit(args) -> int:
    from ..data.kaggle import read_kaggle_csv, write_submission, write_submission_to
    from ..data.mnist import DatasetError

    check_output(args.output, [args.csv])  # before any work, and before anything is written
    clf = _model(args.model)
    t0 = time.perf_counter()
    images, given = read_kaggle_csv(args.csv)
    if given is not None:
        raise DatasetError(
            f"{args.csv} has a 'label' column (train.csv format), so there is nothing to submit; "
            f"to measure a model on labelled digits use: digitpad evaluate --csv {args.csv}"
        )
    labels = clf.predict(images)
    if is_stdout(args.output):
        write_submission_to(sys.stdout, labels)
        where, report = "the submission to standard output", sys.stderr
    else:
        write_submission(args.output, labels)
        where, report = str(args.output), sys.stdout
    counts = np.bincount(labels, minlength=10)
    print(
        f"wrote {where}: {len(labels):,} predictions by {clf.name} "
        f"in {time.perf_counter() - t0:.1f} s; per digit {counts.tolist()}",
        file=report,
    )
    return 0


def _models(args) -> int:
    from .. import models

    for name in models.available():
        try:
            m = models.load(name)
            acc = f"{m.test_accuracy:.2%}" if m.test_accuracy is not None else "?"
            print(f"{name:<16} test accuracy {acc:>7}  trained on {m.train_size:,} images")
        except models.ModelError as e:
            print(f"{name:<16} unusable: {e}")
    return 0


def _gui(args) -> int:
    import importlib.util

    if importlib.util.find_spec("digitpad.gui") is None:  # the window is not built yet
        build_parser().print_help()
        return 0
    from ..gui.app import main as gui_main

    return gui_main()


if __name__ == "__main__":
    sys.exit(main())

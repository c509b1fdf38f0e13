#!/usr/bin/env python
"""Rebuild every bundled model from resources/mnist/ and print the accuracy table.

    python train_models.py                  # all six, then the table
    python train_models.py --only rbf_svm   # one (repeatable)
    python train_models.py --table          # just print the table of what is bundled
    python train_models.py --explain        # rebuild only the cnn's neighbours and map data
    python train_models.py --calibrate      # only fit the temperatures (after every build too)
    python train_models.py --verdict        # refit only the cnn's "not sure" statistics
    python train_models.py --verdict-thresholds  # only choose their thresholds again (a minute)
    python train_models.py --sequence       # train only the reader of touching digits

Networks checkpoint after every epoch under checkpoints/, so an interrupted run resumes.
Every model is fitted on the 55,000 training images outside ``mnist.validation_split()``, with
its family's recipe (chosen on that split, never on the test set); the 5,000 of the split are
held out, so that the calibration temperatures and the "not sure" thresholds fitted on them
after each build are honest, and the networks' curves are scored on them. The cnn averages
``bundled_members`` nets of its recipe (``--members`` to change it). The test set is only
scored, once, at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from digitpad import models
from digitpad.data import mnist
from digitpad.models import families
from digitpad.training import calibrate, fitting

ROOT = Path(__file__).resolve().parent
CHECKPOINTS = ROOT / "checkpoints"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", action="append", choices=families.NAMES, help="model to build")
    ap.add_argument(
        "--epochs",
        type=int,
        help="override the epochs of the networks (default: the recipe's, or its bundled_epochs)",
    )
    ap.add_argument("--train-size", type=int, help="train on the first N images (a quick check)")
    ap.add_argument(
        "--members", type=int, help="nets averaged in the cnn (default: its bundled_members)"
    )
    ap.add_argument("--out", type=Path, default=models.bundled_dir(), help="where to write")
    ap.add_argument("--table", action="store_true", help="only print the table")
    ap.add_argument(
        "--explain",
        action="store_true",
        help="only rebuild what the why-views read beside the cnn (features, map); "
        "done anyway after the cnn is rebuilt",
    )
    ap.add_argument(
        "--verdict",
        action="store_true",
        help="only refit the cnn's 'not sure' statistics (after --explain); "
        "done anyway after the cnn is rebuilt",
    )
    ap.add_argument(
        "--verdict-thresholds",
        action="store_true",
        help="only choose the thresholds of the fitted 'not sure' network again "
        "(digitpad.training.verdict_fit.rethreshold; the network stays)",
    )
    ap.add_argument(
        "--sequence",
        action="store_true",
        help="only train the sequence reader that read_number uses on touching digits "
        "(digitpad.training.sequence_fit; not part of a full rebuild)",
    )
    ap.add_argument(
        "--checkpoints", type=Path, default=CHECKPOINTS, help="where networks checkpoint"
    )
    ap.add_argument(
        "--calibrate",
        action="store_true",
        help="only fit each model's calibration temperature on the validation split "
        "(digitpad.training.calibrate); done anyway after a model is rebuilt",
    )
    args = ap.parse_args(argv)
    if args.calibrate:
        for family in args.only or families.NAMES:
            calibrate.calibrate_folder(args.out / family, log=print)
        return 0
    if args.sequence:
        from digitpad.training import sequence_fit

        print("== sequence reader: rows of touching digits", flush=True)
        sequence_fit.fit(args.out / "sequence", args.checkpoints, log=print)
        return 0
    if args.verdict_thresholds:
        from digitpad.training import verdict_fit

        verdict_fit.rethreshold(args.out / "cnn", log=lambda m: print(f"   {m}", flush=True))
        return 0
    if args.explain:
        build_explain(args.out / "cnn")
    if args.verdict:
        build_verdict(args.out / "cnn")
    if args.explain or args.verdict:
        return 0
    if not args.table:
        x, y = mnist.load_mnist("train")
        xt, yt = mnist.load_mnist("test")
        fit, val = mnist.validation_split()
        held_out = (x[val], y[val])
        x, y = x[fit], y[fit]
        if args.train_size:
            x, y = x[: args.train_size], y[: args.train_size]
        t0 = time.perf_counter()
        for family in args.only or families.NAMES:
            build(family, x, y, xt, yt, args, held_out)
        print(f"== all built in {_duration(time.perf_counter() - t0)}", flush=True)
    print_table(args.out, args.only or families.NAMES)
    return 0


def build(family, x, y, xt, yt, args, held_out) -> None:
    print(f"== {family}: training on {len(x):,} images", flush=True)
    args.checkpoints.mkdir(parents=True, exist_ok=True)
    keras_family = families.family(family).network
    checkpoint = args.checkpoints / f"{family}.keras" if keras_family else None
    members, epochs, seed, recipe = None, args.epochs, 0, None
    if keras_family:  # the bundled net's own recipe: the family's ``bundled_*`` defaults
        recipe = families.bundled(family)
        members = args.members or recipe.pop("members", None)
        epochs = epochs or recipe.pop("epochs", None)
        seed = int(recipe.pop("seed", 0))
    trained = fitting.fit(
        family,
        x,
        y,
        epochs=epochs,
        progress=_printer(),
        checkpoint=checkpoint,
        seed=seed,
        members=members,
        validation=held_out if keras_family else None,
        recipe=recipe,
    )
    meta = fitting.save(trained, args.out / family, xt, yt, family)
    calibrate.calibrate_folder(args.out / family, log=print)
    if keras_family:  # finished: the next run starts from scratch, not from here
        for pattern in (f"{family}.*", f"{family}-*"):
            for leftover in args.checkpoints.glob(pattern):
                leftover.unlink()
    print(
        f"\n== {family}: test accuracy {meta['test_accuracy']:.2%}, "
        f"fit {meta['fit_seconds']:.0f} s",
        flush=True,
    )
    if family == "cnn":  # its neighbours and map come from its own features
        build_explain(args.out / family)
        build_verdict(args.out / family)


def build_verdict(folder: Path) -> None:
    """The cnn's "not sure" statistics (digitpad.reading.detector), from its features."""
    from digitpad.training import verdict_fit

    print(f"== verdict: 'not sure' statistics beside {folder}", flush=True)
    verdict_fit.build(folder, log=lambda m: print(f"   {m}", flush=True))


def build_explain(folder: Path) -> None:
    """The cnn's feature model, MNIST's features and the t-SNE map (digitpad.reading.neighbours)."""
    from digitpad.training import feature_map

    print(f"== explain: features and map beside {folder}", flush=True)
    x, _ = mnist.load_mnist("train")
    xt, _ = mnist.load_mnist("test")
    feature_map.build(folder, x, xt, log=lambda m: print(f"   {m}", flush=True))


def _printer():
    last = [0.0]

    def progress(fraction: float, info: dict) -> None:
        now = time.monotonic()
        if info.get("stage") == "fit" and now - last[0] < 2:
            return
        last[0] = now
        extra = " ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
            for k, v in info.items()
            if k not in ("stage", "batch")
        )
        print(f"  [{fraction:6.1%}] {info.get('stage', '')} {extra}", flush=True)

    return progress


def print_table(folder: Path, names) -> None:
    from digitpad.models.store import read_meta

    rows = [("model", "test accuracy", "fit time", "predict 10k", "files")]
    for name in names:
        d = folder / name
        if not (d / "meta.json").exists():
            rows.append((name, "(not built)", "", "", ""))
            continue
        m = read_meta(d)
        size = sum(p.stat().st_size for p in d.iterdir())
        rows.append(
            (
                name,
                f"{m['test_accuracy']:.2%}",
                _duration(m["fit_seconds"]),
                f"{m['predict_seconds_test']:.2f} s",
                f"{size / 1e6:.1f} MB",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for k, r in enumerate(rows):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


if __name__ == "__main__":
    sys.exit(main())

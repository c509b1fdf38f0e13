#!/usr/bin/env python
"""Drawn numbers of 2–6 digits: % read entirely right, per gap kind and per length, from the
picture and from the strokes, and the time ``read_number`` takes.

    .venv/bin/python benchmarks/bench_numbers.py [--n 20] [--seed held-out|tuning|N] [--repeat 3]
        [--digits drawn|mnist|none]

The numbers are ``digitpad.synthetic.numbers`` (synthetic mouse drawings laid side by side on
the 280 × 840 canvas, gaps "overlap", "touching", "close", "wide"): ``--n`` of each length for
each gap kind. ``--seed held-out`` (the default) is the set nothing was chosen on; ``tuning`` is
the one the reader's constants were chosen on; a number N is the set of that seed (a fresh
held-out set: 7 was kept unseen until the final figures). A number counts as right when every
digit is read and right (a "?" counts as wrong).

Two routes, on the very same numbers: *picture*, ``read_number(image)`` (the marks, and seam
cuts of wide ones), and *strokes*, ``read_number(strokes=..., pen=...)`` with the strokes the
picture was drawn with (after the number's scaling and placement, in drawing order, nothing
said of which digit each belongs to), as the window's Number mode reads what is drawn on it.

``--digits mnist``: the same numbers made of MNIST *test* digits (real handwriting no model was
trained on, ``numbers.make_mnist_numbers``), read from the picture only (they have no strokes).
``--digits none``: "numbers" of 2–6 things that are no digit (held-out letters, symbols,
scribbles, shapes, objects: ``rows.make_nondigit_numbers``, ``--n`` × 20 of each kind, gap kinds
in turn), from the picture: the share read with no digit at all (every one "?"), and the share
with one wrong digit given at most.

"plain components" is the baseline: each connected component of ink (8-connected, specks
under 2 % of the largest dropped) read as one digit with the same verdict, no joining of
pieces, no cutting.

Time: ``read_number`` on a 6-digit number, as an (H, W) uint8 array of the canvas's size and
as its strokes, per gap kind: the median and the 99th percentile of every call (``--repeat``
calls per number, the models loaded beforehand).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digitpad.preprocess import to_mnist
from digitpad.reading import api, live, number, strokes
from digitpad.synthetic import numbers


def plain_components(image: np.ndarray, classifiers, driver: str) -> str:
    """The baseline: every connected component is one digit."""
    import cv2

    mask = (image >= 0.1 * image.max()).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    largest = stats[1:, cv2.CC_STAT_AREA].max()
    text = ""
    for k in sorted(range(1, n), key=lambda k: stats[k, cv2.CC_STAT_LEFT]):
        if stats[k, cv2.CC_STAT_AREA] < 0.02 * largest:
            continue
        left, top, w, h, _ = stats[k]
        crop = np.where(
            labels[top : top + h, left : left + w] == k, image[top : top + h, left : left + w], 0
        )
        r = api.read_with(to_mnist(crop), classifiers, driver)
        text += "?" if r.digit is None else str(r.digit)
    return text


def _table(title: str, right: dict, plain: dict | None = None) -> None:
    """One route's table: % entirely right per gap kind (rows) and length (columns)."""
    print(title)
    print(
        f"{'gap':<10}"
        + "".join(f"{k:>7}" for k in numbers.LENGTHS)
        + f"{'all':>8}"
        + (f"{'plain':>8}" if plain else "")
    )
    for gap in numbers.GAPS:
        row = [np.mean(right[gap, k]) for k in numbers.LENGTHS]
        extra = f"{np.mean(plain[gap]):>8.1%}" if plain else ""
        print(f"{gap:<10}" + "".join(f"{v:>7.0%}" for v in row) + f"{np.mean(row):>8.1%}{extra}")
    every = [v for k in right for v in right[k]]
    extra = f"{np.mean([v for g in plain for v in plain[g]]):>8.1%}" if plain else ""
    print(f"{'all':<10}" + " " * 7 * len(numbers.LENGTHS) + f"{np.mean(every):>8.1%}{extra}")


def _times(title: str, times: dict) -> None:
    print(title)
    for gap, ts in times.items():
        ms = np.array(ts) * 1000
        print(
            f"  {gap:<10} median {statistics.median(ms):6.1f}  "
            f"p99 {np.percentile(ms, 99):6.1f}  ({len(ms)} calls)"
        )
    every = np.concatenate([np.array(t) for t in times.values()]) * 1000
    print(
        f"  {'all':<10} median {statistics.median(every):6.1f}  p99 {np.percentile(every, 99):6.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--n", type=int, default=20, help="numbers of each length per gap kind")
    ap.add_argument("--seed", default="held-out", help="held-out, tuning, or a seed number")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--route", choices=("both", "strokes"), default="both", help="strokes: the strokes only"
    )
    ap.add_argument(
        "--digits",
        choices=("drawn", "mnist", "none"),
        default="drawn",
        help="mnist: MNIST test digits; none: things that are no digit",
    )
    args = ap.parse_args()
    named = {"held-out": numbers.HELD_OUT_SEED, "tuning": numbers.TUNING_SEED}
    if args.seed not in named and not args.seed.isdigit():
        ap.error(f"--seed: held-out, tuning or a number, not {args.seed!r}")
    seed = named.get(args.seed, int(args.seed) if args.seed.isdigit() else 0)
    classifiers = api.usable_models()
    driver = live.pick_driver(None, list(classifiers))
    print(f"{args.seed} set (seed {seed}), {args.n} numbers per length and gap kind")
    if args.digits == "mnist":
        return _mnist_numbers(args.n, seed, classifiers, driver)
    if args.digits == "none":
        return _nondigits(args.n * 20, seed, classifiers, driver)
    pictures, pens, plain = {}, {}, {}
    picture_times, stroke_times = {}, {}
    for gap in numbers.GAPS:
        for length in numbers.LENGTHS:
            for sample in numbers.make_numbers(args.n, seed, length, gap):
                if args.route == "both":
                    _picture_route(sample, classifiers, driver, pictures, plain)
                drawn = [strokes.PenStroke(s, sample.pen) for s in sample.strokes]
                by_strokes = strokes.read_pen_number(drawn, classifiers, driver).text
                pens.setdefault((gap, length), []).append(by_strokes == sample.text)
                if length == 6:
                    for _ in range(args.repeat):
                        if args.route == "both":
                            t = time.perf_counter()
                            number.read_number(sample.image)
                            picture_times.setdefault(gap, []).append(time.perf_counter() - t)
                        t = time.perf_counter()
                        strokes.read_number(strokes=sample.strokes, pen=sample.pen)
                        stroke_times.setdefault(gap, []).append(time.perf_counter() - t)
    if pictures:
        _table("picture: read_number(image)", pictures, plain)
    _table("strokes: read_number(strokes=..., pen=...)", pens)
    if picture_times:
        _times("read_number on a 6-digit number, 280 × 840 uint8 array (ms):", picture_times)
    _times("read_number on a 6-digit number's strokes (ms):", stroke_times)


def _mnist_numbers(n: int, seed: int, classifiers, driver: str) -> None:
    """The numbers of MNIST test digits, from the picture."""
    pictures, plain = {}, {}
    for gap in numbers.GAPS:
        for length in numbers.LENGTHS:
            for sample in numbers.make_mnist_numbers(n, seed, length, gap):
                _picture_route(sample, classifiers, driver, pictures, plain)
    _table("MNIST test digits, picture: read_number(image)", pictures, plain)


def _nondigits(n: int, seed: int, classifiers, driver: str) -> None:
    """Rows of things that are no digit, from the picture: how many get no digit."""
    from digitpad.synthetic import rows

    print(f"{'kind':<10}{'no digit':>10}{'<= 1 digit':>12}  (of {n})")
    for kind in rows.NEGATIVE_KINDS:
        given = []
        for sample in rows.make_nondigit_numbers(n, kind, seed):
            ink = sample.image.astype(np.float32) / 255
            got = number.read_ink_number(ink, classifiers, driver)
            given.append(sum(d.digit is not None for d in got.digits))
        given = np.array(given)
        print(f"{kind:<10}{np.mean(given == 0):>10.1%}{np.mean(given <= 1):>12.1%}")


def _picture_route(sample, classifiers, driver: str, pictures: dict, plain: dict) -> None:
    """Read ``sample``'s picture (``read_number``'s way, and plain components) and note
    whether each is right."""
    ink = sample.image.astype(np.float32) / 255
    got = number.read_ink_number(ink, classifiers, driver).text
    pictures.setdefault((sample.gap, len(sample.text)), []).append(got == sample.text)
    right = plain_components(sample.image, classifiers, driver) == sample.text
    plain.setdefault(sample.gap, []).append(right)


if __name__ == "__main__":
    main()

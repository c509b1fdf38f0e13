#!/usr/bin/env python
"""The "not sure" verdict: real digits wrongly refused, non-digits caught per kind, its cost.

    nice -n 19 .venv/bin/python benchmarks/bench_verdict.py            # everything (a few min)
    .venv/bin/python benchmarks/bench_verdict.py --n 100 --model mlp   # quicker; another driver
    nice -n 19 .venv/bin/python benchmarks/bench_verdict.py --seed 7   # a fresh held-out sample
    .venv/bin/python benchmarks/bench_verdict.py --speed --runs 5       # the speed alone
    .venv/bin/python benchmarks/bench_verdict.py --statistics DIR      # a refit in a copy of cnn/

Each picture goes through the path a user's does (``preprocess.to_mnist`` of the canvas, or
``ink_from_pil`` of an opened photo first) and then ``reading.live.read`` with every bundled
model loaded, as in the window. Sets (see ``digitpad/synthetic/negatives.py`` for how the
non-digits are made):

- real digits: the MNIST test set (never tuned on; as ``digitpad.read`` gets an MNIST
  picture, which ``preprocess.as_mnist`` keeps as it is; also its first fifth through
  ``to_mnist`` again, as a scan or photo of one is re-processed), the MNIST validation split
  (thresholds were chosen on it), synthetic drawings normal (seed 1000) and hard (seed 2000) as in
  ``bench_core.py`` (never tuned on), and the tuning drawings (seeds 11, 22); digits of
  Hershey's fonts written with the mouse's pen (``hershey.pen_digits``, held-out and tuning
  fonts, seed 3000 + S);
- non-digits: ``negatives.make(kind, part, n, seed=0)`` for each kind, the held-out part
  (sources no threshold or network saw) and the tuning part (seed 0; the outlier-exposure
  network was trained on seed 1 of the same sources); and ``negatives.pen_letters``, letters
  of Hershey's fonts written with the mouse's pen (its own tuning and held-out fonts).

``--seed S`` draws other pictures of the same sources: the non-digits with seed S, the held-out
drawings with seeds 1000 + S and 2000 + S (the tuning sets stay as they are).

"Wrongly refused" counts the digits the model in charge reads right that the verdict refuses;
"read right" is the share given the right digit (refused ones count as not read right).
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import Counter
from pathlib import Path

import numpy as np

from digitpad import models, preprocess
from digitpad.data import mnist
from digitpad.reading import detector, live, verdict
from digitpad.synthetic import drawn, hershey, negatives


def _drawings(n: int, seed: int, variant: str) -> tuple[np.ndarray, np.ndarray]:
    ds = drawn.make_drawings(n, seed=seed, variant=variant)
    return np.stack([preprocess.to_mnist(drawn.render(d)) for d in ds]), np.array(
        [d.label for d in ds]
    )


def _again(pictures: np.ndarray) -> np.ndarray:
    return np.stack([preprocess.to_mnist(p) for p in pictures])


def real_sets(n: int, seed: int = 0) -> dict[str, tuple[np.ndarray, np.ndarray, bool]]:
    """name → (pictures, labels, held out?)."""
    xt, yt = mnist.load_mnist("test")
    x, y = mnist.load_mnist("train")
    _, val = mnist.validation_split()
    k = min(len(xt), 5 * n)
    return {
        # as digitpad.read gets them, an opened PNG or an array (preprocess.as_mnist: already
        # in MNIST format, so kept as they are)
        "MNIST test": (np.stack([preprocess.as_mnist(p) for p in xt[:k]]), yt[:k], True),
        # re-processed, as a scan or a photo of an MNIST digit is: through to_mnist once more
        "MNIST test, through to_mnist": (_again(xt[: k // 5]), yt[: k // 5], True),
        f"drawn normal (seed {1000 + seed})": (*_drawings(n, 1000 + seed, "normal"), True),
        f"drawn hard (seed {2000 + seed})": (*_drawings(n, 2000 + seed, "hard"), True),
        "MNIST validation split": (x[val][: min(len(val), 2 * n)], y[val][: 2 * n], False),
        "drawn normal (seed 11)": (*_drawings(n // 2, 11, "normal"), False),
        "drawn hard (seed 22)": (*_drawings(n // 2, 22, "hard"), False),
        # digits of Hershey's fonts written with the mouse's pen, held-out and tuning fonts
        f"written with a pen (Hershey, seed {3000 + seed})": (*_pen(n // 2, 3000 + seed), True),
        "written with a pen (Hershey, tuning fonts)": (*_pen(n // 4, 3000 + seed, "tune"), False),
    }


def _pen(n: int, seed: int, part: str = "held-out") -> tuple[np.ndarray, np.ndarray]:
    return hershey.pen_digits(n, seed, part)[:2]


def _readings(x: np.ndarray, loaded: dict, driver: str, det) -> list[live.Reading]:
    probs = {name: clf.predict_proba(x) for name, clf in loaded.items()}
    return [
        live.read(x[i], loaded, driver, {k: p[i] for k, p in probs.items()}, det)
        for i in range(len(x))
    ]


def measure_real(sets, loaded, driver, det) -> list[tuple]:
    rows = []
    for name, (x, y, held) in sets.items():
        rs = _readings(x, loaded, driver, det)
        right = np.array(
            [int(np.argmax(r.driver_probabilities())) == t for r, t in zip(rs, y, strict=True)]
        )
        refused = np.array([r.verdict.digit is None for r in rs])
        read_right = np.mean([r.verdict.digit == t for r, t in zip(rs, y, strict=True)])
        why = Counter(r.verdict.reason.split(" —")[0] for r in rs if r.verdict.digit is None)
        rows.append(
            (
                name,
                held,
                len(x),
                refused[right].mean(),
                refused.mean(),
                read_right,
                right.mean(),
                why,
            )
        )
    return rows


def _negative_sets():
    """(row, make(part, n, seed), which field of a source names it in "missed"), each kind's and
    the pen-written letters'."""
    for kind in negatives.KINDS:
        yield kind, functools.partial(negatives.make, kind), 0
    pen = "letters written with a pen (Hershey)"
    yield pen, lambda part, n, seed: negatives.pen_letters(n, seed, part), 1  # by font


def measure_negatives(n: int, loaded, driver, det, seed: int = 0) -> list[tuple]:
    rows = []
    for kind, make, field in _negative_sets():
        caught = {}
        missed = Counter()
        for part in ("held-out", "tune"):
            pics = make(part, n if part == "held-out" else n // 2, seed=seed)
            rs = _readings(np.stack([p.image for p in pics]), loaded, driver, det)
            got = [r.verdict.digit is None for r in rs]
            caught[part] = (float(np.mean(got)), len(got))
            if part == "held-out":
                missed.update(
                    p.source.split(":")[field] for p, g in zip(pics, got, strict=True) if not g
                )
        rows.append((kind, caught["held-out"], caught["tune"], missed))
    return rows


def measure_speed(loaded, driver, det, n: int = 400) -> dict[str, tuple[float, float]]:
    """Milliseconds per reading, (median, p99) over ``n`` MNIST test pictures (the first 20
    left out: warming up), each picture measured every way in turn (the machine's speed
    drifts; side by side, each way sees the same drift).

    "verdict" is what it adds to a reading in the window: ``judge`` after the model in charge
    has read the picture with ``live.ask`` (for the bundled cnn, through the features the
    verdict reads too). "verdict, own features pass" is ``judge`` alone on a picture whose
    features nothing computed before (as before they were shared).
    """
    x, _ = mnist.load_mnist("test")
    x = x[:n]
    probs = {name: clf.predict_proba(x) for name, clf in loaded.items()}
    clf = loaded[driver]
    ways = ("verdict", "verdict, own features pass", "shape rules only")
    ways += (f"{driver}'s reading, its own network", f"{driver}'s reading via live.ask")
    times: dict[str, list[float]] = {k: [] for k in ways}
    clock = time.perf_counter
    for i in range(n):
        p = {k: v[i] for k, v in probs.items()}
        other = x[(i + 1) % n]  # read last, so that picture i's features are nobody's
        live.ask(clf, other, det)
        t = clock()
        verdict.judge(p, driver, x[i], det)
        times["verdict, own features pass"].append(clock() - t)
        t = clock()
        verdict.judge(p, driver, x[i], None)
        times["shape rules only"].append(clock() - t)
        t = clock()
        clf.predict_proba(x[i])
        times[f"{driver}'s reading, its own network"].append(clock() - t)
        live.ask(clf, other, det)
        t = clock()
        p[driver] = live.ask(clf, x[i], det)
        times[f"{driver}'s reading via live.ask"].append(clock() - t)
        t = clock()
        verdict.judge(p, driver, x[i], det)
        times["verdict"].append(clock() - t)
    out = {}
    for k, ts in times.items():
        ms = np.array(ts[20:]) * 1e3
        out[k] = (float(np.median(ms)), float(np.percentile(ms, 99)))
    return out


def _fitted(folder: str):
    """The detector fitted into ``folder`` (``verdict_fit.build(folder)``), and "" or why not."""
    try:
        return detector.Detector.load(Path(folder)), ""
    except models.ModelError as e:
        return None, str(e)


def _speed_only(loaded, driver, det, runs: int) -> int:
    """The speed alone: each run 400 readings; the median over runs of each run's median
    and p99."""
    runs_ = [measure_speed(loaded, driver, det) for _ in range(max(1, runs))]
    print(f"| per reading ({len(runs_)} runs of 400) | median | p99 | p99 of each run |")
    print("|---|---|---|---|")
    for k in runs_[0]:
        med = np.median([r[k][0] for r in runs_])
        p99s = [r[k][1] for r in runs_]
        each = ", ".join(f"{p:.2f}" for p in p99s)
        print(f"| {k} | {med:.2f} ms | {np.median(p99s):.2f} ms | {each} |")
    return 0


def _pct(v: float) -> str:
    return f"{v:.2%}" if v < 0.1 else f"{v:.1%}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="drawings per set (non-digits: n/5)")
    ap.add_argument("--model", default="cnn", help="the model in charge")
    ap.add_argument("--seed", type=int, default=0, help="sample seed of the held-out sets")
    ap.add_argument("--speed", action="store_true", help="only the speed, over --runs runs")
    ap.add_argument("--runs", type=int, default=1, help="speed runs (medians over them)")
    ap.add_argument(
        "--statistics",
        metavar="DIR",
        help="the verdict fitted into DIR (a copy of the cnn's folder) instead of the bundled one",
    )
    args = ap.parse_args(argv)
    det, why = detector.shared() if not args.statistics else _fitted(args.statistics)
    if det is None:
        print(f"no fitted statistics ({why}): measuring the shape rules alone")
    loaded = {name: models.load(name) for name in models.available() if not name.startswith("my-")}
    t0 = time.perf_counter()
    if args.speed:
        return _speed_only(loaded, args.model, det, args.runs)
    print(f"model in charge: {args.model}; loaded: {', '.join(loaded)}")
    missing = negatives.missing_fonts()
    print(f"fonts missing on this machine (other sets): {', '.join(missing) or 'none'}")
    if det is not None:
        print(f"statistics of {det.meta['date']}; thresholds {det.thresholds}\n")
    print("| real digits | held out | n | wrongly refused | refused | read right | model right |")
    print("|---|---|---|---|---|---|---|")
    for name, held, k, wrong, refused, rr, right, why_ in measure_real(
        real_sets(args.n, args.seed), loaded, args.model, det
    ):
        print(
            f"| {name} | {'yes' if held else 'no (tuning)'} | {k:,} | {_pct(wrong)} | "
            f"{_pct(refused)} | {_pct(rr)} | {_pct(right)} |"
        )
        if why_:
            print(f"|  ↳ reasons | | | {dict(why_.most_common(4))} | | | |")
    nn = max(50, args.n // 5)
    print(
        "\n| non-digits | caught, held-out | n | caught, tuning part | n "
        "| held-out missed, by source |"
    )
    print("|---|---|---|---|---|---|")
    for kind, (h, hn), (t, tn), missed in measure_negatives(nn, loaded, args.model, det, args.seed):
        print(f"| {kind} | {_pct(h)} | {hn} | {_pct(t)} | {tn} | {dict(missed.most_common(5))} |")
    speed = measure_speed(loaded, args.model, det)
    print("\n| per reading | median | p99 |\n|---|---|---|")
    for k, (m, p) in speed.items():
        print(f"| {k} | {m:.2f} ms | {p:.2f} ms |")
    print(f"\n({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

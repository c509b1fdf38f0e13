#!/usr/bin/env python
"""Calibration figures: each bundled model's expected calibration error before and after its
temperature (fitted on the validation split by ``train_models.py --calibrate``), on data that no
temperature was fitted on: the 10,000 MNIST test digits and synthetic drawn digits.

    .venv/bin/python benchmarks/bench_calibration.py              # prints Markdown tables
    .venv/bin/python benchmarks/bench_calibration.py --drawn 200  # fewer drawn digits

ECE: top-label expected calibration error, 15 equal-width bins (Guo et al. 2017). The "best T on
the test set" column is a diagnostic of how far the fitted temperature is from the one the test
set itself would pick; it is printed, never used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digitpad import models  # noqa: E402
from digitpad.data import mnist  # noqa: E402
from digitpad.models import calibration  # noqa: E402
from digitpad.preprocess import to_mnist  # noqa: E402
from digitpad.synthetic import drawn  # noqa: E402


def pct(v: float) -> str:
    return f"{100 * v:.2f} %"


def test_set_table(y: np.ndarray) -> None:
    print("### MNIST test set (10,000 digits)\n")
    print(
        "| model | T | test accuracy | ECE before | ECE after | NLL before | NLL after "
        "| ECE on the validation split, before → after | best T on the test set (not used) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in models.BUNDLED:
        clf = models.load(name)
        raw = models.test_probabilities(name, calibrated=False)
        cal = models.test_probabilities(name)
        record = clf.meta.get(calibration.KEY, {})
        val = record.get("validation_ece", [float("nan")] * 2)
        ece = [calibration.expected_calibration_error(q, y) for q in (raw, cal)]
        nll = [calibration.negative_log_likelihood(q, y) for q in (raw, cal)]
        acc = float((cal.argmax(axis=1) == y).mean())
        print(
            f"| {name} | {clf.temperature:.3f} | {pct(acc)} | {pct(ece[0])} | {pct(ece[1])} "
            f"| {nll[0]:.4f} | {nll[1]:.4f} | {pct(val[0])} → {pct(val[1])} "
            f"| {calibration.fit_temperature(raw, y):.3f} |"
        )
    print()


def reliability_table(y: np.ndarray, names: list[str], title: str) -> None:
    before = np.concatenate([models.test_probabilities(n, calibrated=False) for n in names])
    after = np.concatenate([models.test_probabilities(n) for n in names])
    labels = np.tile(y, len(names))
    print(f"### Reliability on the MNIST test set: {title}\n")
    print("| top probability | answers | shown (mean) | right | answers before | right before |")
    print("|---|---|---|---|---|---|")
    old = {(b.low, b.high): b for b in calibration.reliability(before, labels)}
    for b in calibration.reliability(after, labels):
        o = old.get((b.low, b.high))
        was = f"{o.count:,} | {pct(o.accuracy)}" if o is not None else "0 | –"
        print(
            f"| {b.low:.3f}–{b.high:.3f} | {b.count:,} | {pct(b.confidence)} "
            f"| {pct(b.accuracy)} | {was} |"
        )
    print()


def drawn_table(n: int) -> None:
    print(f"### Synthetic drawn digits ({n:,} of each kind; seeds 1000 and 2000, as bench_core)\n")
    print("| model | normal: ECE before | after | hard: ECE before | after |")
    print("|---|---|---|---|---|")
    sets = {}
    for variant, seed in (("normal", 1000), ("hard", 2000)):
        ds = drawn.make_drawings(n, seed=seed, variant=variant)
        sets[variant] = (
            np.stack([to_mnist(drawn.render(d)) for d in ds]),
            np.array([d.label for d in ds]),
        )
    for name in models.BUNDLED:
        clf = models.load(name)
        cells = []
        for x, y in sets.values():
            raw = clf.predict_proba(x, calibrated=False)
            cal = clf.predict_proba(x)
            cells += [pct(calibration.expected_calibration_error(q, y)) for q in (raw, cal)]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--drawn", type=int, default=1000, help="drawn digits of each kind (0: none)")
    args = ap.parse_args()
    _, y = mnist.load_mnist("test")
    test_set_table(y)
    reliability_table(y, list(models.BUNDLED), "the six bundled models pooled (60,000 answers)")
    reliability_table(y, ["cnn"], "the cnn")
    if args.drawn:
        drawn_table(args.drawn)


if __name__ == "__main__":
    main()

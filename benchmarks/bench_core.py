#!/usr/bin/env python
"""Foundation figures: start-up, drawing-to-probabilities latency, 10k predictions, real drawings.

    .venv/bin/python benchmarks/bench_core.py            # everything, prints Markdown tables
    .venv/bin/python benchmarks/bench_core.py --quick    # fewer repetitions

Run it on an otherwise idle machine: the figures are medians over repeated runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digitpad import models  # noqa: E402
from digitpad.data import mnist  # noqa: E402
from digitpad.preprocess import to_mnist  # noqa: E402
from digitpad.synthetic import drawn  # noqa: E402

STARTUP = (
    "import time; t = time.perf_counter(); import numpy as np; import digitpad.models as m; "
    "c = m.default(); p = c.predict_proba(np.zeros((1, 28, 28), np.float32)); "
    "import sys; assert 'tensorflow' not in sys.modules and 'sklearn' not in sys.modules; "
    "print(time.perf_counter() - t)"
)


def startup(runs: int) -> list[float]:
    """Whole fresh processes: interpreter start → import → default() → first prediction."""
    walls = []
    subprocess.run([sys.executable, "-c", STARTUP], check=True, capture_output=True)  # warm-up
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", STARTUP], check=True, capture_output=True, cwd=ROOT)
        walls.append(time.perf_counter() - t0)
    return walls


def latency(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Milliseconds for one 280×280 drawing → to_mnist → default model → probabilities."""
    clf = models.default()
    images = [drawn.render(d) for d in drawn.make_drawings(n, seed=7)]
    clf.predict_proba(to_mnist(images[0]))  # first call allocates
    total, model_only = [], []
    for img in images:
        t0 = time.perf_counter()
        digit = to_mnist(img)
        t1 = time.perf_counter()
        clf.predict_proba(digit)
        t2 = time.perf_counter()
        total.append((t2 - t0) * 1e3)
        model_only.append((t2 - t1) * 1e3)
    return np.array(total), np.array(model_only)


def drawn_accuracy(names: list[str], n: int) -> dict[str, dict[str, float]]:
    """Share of synthetic mouse drawings each model reads right, per variant."""
    out: dict[str, dict[str, float]] = {name: {} for name in names}
    for variant, seed in (("normal", 1000), ("hard", 2000)):
        ds = drawn.make_drawings(n, seed=seed, variant=variant)
        x = np.stack([to_mnist(drawn.render(d)) for d in ds])
        y = np.array([d.label for d in ds])
        for name in names:
            out[name][variant] = float((models.load(name).predict(x) == y).mean())
    return out


def saliency_ms(n: int) -> np.ndarray:
    from digitpad.reading import saliency

    x, _ = mnist.load_mnist("test")
    clf = models.default()
    saliency.saliency(clf, x[0])
    out = []
    for digit in x[:n]:
        t0 = time.perf_counter()
        saliency.saliency(clf, digit)
        out.append(time.perf_counter() - t0)
    return np.array(out) * 1e3


def neighbours_ms(n: int) -> dict[str, np.ndarray]:
    """Per drawing (synthetic mouse drawings through to_mnist): the 8 nearest of the 60,000
    training images by the cnn's features (the features' forward pass included) and by pixels,
    and the drawing's place on the map; plus the first-use costs."""
    from digitpad.preprocess import to_mnist
    from digitpad.reading import neighbours
    from digitpad.synthetic import drawn

    t0 = time.perf_counter()
    index = neighbours.shared_index()
    t1 = time.perf_counter()
    pixels = neighbours.shared_pixels()
    t2 = time.perf_counter()
    digit_map = neighbours.shared_map()
    digits = [to_mnist(drawn.render(d)) for d in drawn.make_drawings(n, seed=91)]
    index.nearest(digits[0])
    pixels.nearest(digits[0])
    out = {"features": [], "pixels": [], "map": [], "checked": []}
    for d in digits:
        a = time.perf_counter()
        index.nearest(d)
        b = time.perf_counter()
        pixels.nearest(d)
        c = time.perf_counter()
        out["checked"].append(pixels.checked)
        digit_map.place(index.features(d[None])[0])
        out["map"].append(time.perf_counter() - c)
        out["features"].append(b - a)
        out["pixels"].append(c - b)
    res = {k: np.array(v) * (1 if k == "checked" else 1e3) for k, v in out.items()}
    res["load_s"] = np.array([t1 - t0, t2 - t1])
    return res


def test_set_timing(names: list[str]) -> dict[str, tuple[float, float]]:
    x, y = mnist.load_mnist("test")
    out = {}
    for name in names:
        clf = models.load(name)
        clf.predict_proba(x[:10])
        t0 = time.perf_counter()
        acc = float((clf.predict(x) == y).mean())
        out[name] = (time.perf_counter() - t0, acc)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    names = [n for n in models.BUNDLED if n in models.available()]

    walls = startup(3 if args.quick else 5)
    print("## Start-up: fresh process → import digitpad.models → default() → first prediction\n")
    print("| runs | median | min | max |\n|---|---|---|---|")
    print(
        f"| {len(walls)} | {statistics.median(walls):.3f} s | {min(walls):.3f} s | "
        f"{max(walls):.3f} s |\n"
    )

    total, model_only = latency(200 if args.quick else 1000)
    print("## One 280×280 drawing → to_mnist → cnn → probabilities (ms)\n")
    print("| drawings | p50 | p90 | p99 | max | model alone p50 |\n|---|---|---|---|---|---|")
    p = np.percentile(total, [50, 90, 99])
    print(
        f"| {len(total)} | {p[0]:.2f} | {p[1]:.2f} | {p[2]:.2f} | {total.max():.2f} | "
        f"{np.median(model_only):.2f} |\n"
    )

    sal = saliency_ms(100 if args.quick else 300)
    print("## Occlusion saliency of the cnn for one 28×28 digit (`reading.saliency`), ms\n")
    print("| digits | p50 | p99 | max |\n|---|---|---|---|")
    q = np.percentile(sal, [50, 99])
    print(f"| {len(sal)} | {q[0]:.1f} | {q[1]:.1f} | {sal.max():.1f} |\n")

    nb = neighbours_ms(100 if args.quick else 500)
    print("## The 8 nearest of MNIST's 60,000 training digits, for one drawing (ms)\n")
    print("| search | drawings | p50 | p99 | max | goal |\n|---|---|---|---|---|---|")
    for key, label in (
        ("features", "cnn features (128; features' forward pass included)"),
        ("pixels", "pixels (784), exact, PCA-bound pruning"),
        ("map", "place on the map (features + 8 nearest of 10,000 test)"),
    ):
        v = nb[key]
        q = np.percentile(v, [50, 99])
        goal = "≤ 20 ms" if key != "map" else ""
        print(f"| {label} | {len(v)} | {q[0]:.1f} | {q[1]:.1f} | {v.max():.1f} | {goal} |")
    print(
        f"\nFirst use: loading the feature index {nb['load_s'][0]:.2f} s, building the pixel "
        f"index {nb['load_s'][1]:.2f} s (both in the why-worker's thread). The pixel search "
        f"computed {np.median(nb['checked']):.0f} exact distances per drawing (median; "
        f"max {nb['checked'].max():.0f}) instead of 60,000.\n"
    )

    timing = test_set_timing(names)
    acc = drawn_accuracy(names, 500 if args.quick else 2000)
    print("## Every model: 10,000 MNIST test images, and synthetic mouse drawings\n")
    print(
        "| model | MNIST test accuracy | predict 10k | drawn, normal | drawn, hard "
        "(tiny/huge/off-centre, 8–30 px pen) |\n|---|---|---|---|---|"
    )
    for name in names:
        secs, test_acc = timing[name]
        print(
            f"| {name} | {test_acc:.2%} | {secs:.2f} s | {acc[name]['normal']:.2%} | "
            f"{acc[name]['hard']:.2%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

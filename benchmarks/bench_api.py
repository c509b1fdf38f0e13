#!/usr/bin/env python
"""How long ``digitpad.read`` takes: the first call in a fresh process (models loaded), then
each call after it, for a 280×280 drawing (array) and for a PNG file.

    .venv/bin/python benchmarks/bench_api.py            # prints a Markdown table
    .venv/bin/python benchmarks/bench_api.py --runs 3   # fewer fresh processes

Medians over repeated runs; the verdict is whatever ``digitpad.reading.verdict`` does today.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import digitpad  # noqa: E402
from digitpad.synthetic import drawn  # noqa: E402

FIRST = (
    "import time; t = time.perf_counter(); import numpy as np; import digitpad; "
    "from digitpad.synthetic import drawn; "
    "image = drawn.render(drawn.make_drawings(1, seed=11)[0]); t1 = time.perf_counter(); "
    "digitpad.read(image); print(time.perf_counter() - t1, t1 - t)"
)


def first_call(runs: int) -> tuple[float, float]:
    """Median seconds of the first ``digitpad.read`` in a fresh process (and of the imports
    and the drawing before it)."""
    firsts, before = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", FIRST], capture_output=True, text=True, cwd=ROOT, check=True
        )
        a, b = (float(v) for v in out.stdout.split())
        firsts.append(a)
        before.append(b)
    return statistics.median(firsts), statistics.median(before)


def per_call(images: list, repeat: int = 1) -> tuple[float, float]:
    """Median and 99th percentile milliseconds of one ``digitpad.read``, models loaded."""
    digitpad.read(images[0])
    times = []
    for _ in range(repeat):
        for image in images:
            t = time.perf_counter()
            digitpad.read(image)
            times.append(1000 * (time.perf_counter() - t))
    return statistics.median(times), float(np.percentile(times, 99))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5, help="fresh processes for the first call")
    ap.add_argument("--n", type=int, default=300, help="drawings for the per-call figure")
    args = ap.parse_args()
    first, imports = first_call(args.runs)
    drawings = [drawn.render(d) for d in drawn.make_drawings(args.n, seed=12)]
    array_ms = per_call(drawings)
    with tempfile.TemporaryDirectory() as d:
        from PIL import Image

        paths = []
        for i, image in enumerate(drawings[:100]):
            paths.append(Path(d) / f"{i}.png")
            Image.fromarray(image).save(paths[-1])
        file_ms = per_call(paths)
    print("| figure | median | p99 |")
    print("|---|---|---|")
    n_models = len(digitpad.read(drawings[0]).answers)
    print(
        f"| first `digitpad.read` in a fresh process (loads the {n_models} models; "
        f"{args.runs} runs) | {first:.2f} s (imports before it: {imports:.2f} s) | |"
    )
    print(
        f"| each call after it, a 280×280 drawing as an array ({args.n} drawings) "
        f"| {array_ms[0]:.1f} ms | {array_ms[1]:.1f} ms |"
    )
    print(
        "| each call after it, a 280×280 PNG file (100 files) "
        f"| {file_ms[0]:.1f} ms | {file_ms[1]:.1f} ms |"
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""``digitpad evaluate --csv`` on a Kaggle-sized labelled CSV, as a whole process (goal ≤ 3 s).

    .venv/bin/python benchmarks/bench_cli.py              # cnn, median of 3 runs
    .venv/bin/python benchmarks/bench_cli.py --model logistic --runs 5

The CSV has 28,000 rows, as many as Kaggle's test.csv: the MNIST test digits repeated and cut,
with their labels, written in a temporary folder. Each run is a fresh ``python -m digitpad``
(interpreter start, imports, reading the CSV, loading the model, predicting, printing); one
warm-up run first puts the files in the disk cache. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from digitpad.data import kaggle, mnist  # noqa: E402

ROWS = 28_000
GOAL_S = 3.0


def write_csv(path: Path, rows: int = ROWS) -> None:
    """``rows`` labelled MNIST test digits, repeated as often as needed, as a Kaggle CSV."""
    x, y = mnist.load_mnist("test")
    index = np.arange(rows) % len(x)
    kaggle.write_kaggle_csv(path, x[index], y[index])


def run_once(csv: Path, model: str) -> tuple[float, float]:
    """(wall seconds of the whole process, the seconds it reports for predicting)."""
    cmd = [sys.executable, "-m", "digitpad", "evaluate", "--csv", str(csv), "--model", model]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT).stdout
    wall = time.perf_counter() - t0
    return wall, float(re.search(r"predicted in ([0-9.]+) s", out).group(1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="cnn")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        csv = Path(folder) / "labelled.csv"
        write_csv(csv)
        run_once(csv, args.model)  # warm-up: files in the disk cache
        results = [run_once(csv, args.model) for _ in range(args.runs)]
    walls = [w for w, _ in results]
    predicts = [p for _, p in results]
    median = statistics.median(walls)
    print(f"| evaluate --csv ({ROWS:,} rows), model | median of {args.runs} | runs | predict |")
    print("|---|---|---|---|")
    runs = ", ".join(f"{w:.2f}" for w in walls)
    print(
        f"| {args.model} | {median:.2f} s ({'meets' if median <= GOAL_S else 'misses'} the "
        f"{GOAL_S:.0f} s goal) | {runs} s | {statistics.median(predicts):.2f} s |"
    )


if __name__ == "__main__":
    main()

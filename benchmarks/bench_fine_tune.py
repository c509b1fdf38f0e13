#!/usr/bin/env python
"""Fine-tuning on one person's handwriting: accuracy on that hand before and after, what MNIST
loses, and how long it takes, TensorFlow's import included.

    .venv/bin/python benchmarks/bench_fine_tune.py                 # 3 runs, held-out drawings
    .venv/bin/python benchmarks/bench_fine_tune.py --runs 5
    .venv/bin/python benchmarks/bench_fine_tune.py --draw tuning   # to choose a recipe on
    .venv/bin/python benchmarks/bench_fine_tune.py --from lenet5

Each run is what Teach ▸ Fine-tune does: 5 drawings per digit of the personal style
(``digitpad.synthetic.personal_style``, the teach draw) are labelled into a fresh, temporary
data folder through ``data.drawings`` (the Teach menu's PNGs), then the training helper
(``python -m digitpad.training.helper``, the window's own process) runs the ``fine_tune`` job
and saves ``my-cnn-tuned-1``. Wall time runs from starting the helper to its "done" message
(Python's start, TensorFlow's import, the training, the export, scoring the 10,000 test images
and the atomic save); CPU time is the helper's user + system time; the load average is the
machine's, read before and after, since other work on a shared machine slows a run.

The accuracy figures: ``--draw held-out`` (default) 1,000 drawings of the style from a seed of
their own, never taught and never used to choose the recipe; ``--draw tuning`` another 1,000
from the tuning seed, which the recipe was chosen on. MNIST: the 10,000 test images (the saved
model's ``test_accuracy``) and the fixed validation split of the training set. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DIGITPAD_DATA_DIR"] = tempfile.mkdtemp(prefix="digitpad-bench-fine-tune-")

from digitpad import models, paths  # noqa: E402
from digitpad.data import drawings, mnist  # noqa: E402
from digitpad.synthetic import personal_style as ps  # noqa: E402

SEEDS = {"held-out": ps.HELD_OUT_SEED, "tuning": ps.TUNING_SEED}


def teach(per_digit: int) -> None:
    """Label ``per_digit`` drawings of each digit of the teach draw, as Teach ▸ Label does."""
    taught = ps.make_drawings(10 * per_digit, seed=ps.TEACH_SEED)
    for image, label in zip(ps.images(taught), ps.labels(taught), strict=True):
        drawings.add(image, int(label))


def start_helper(job: dict) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitpad.training.helper"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    proc.stdin.write(json.dumps(job) + "\n")
    proc.stdin.flush()
    return proc


def cancel_time(source: str) -> tuple[float, float, bool]:
    """Cancel a fine-tune at its first training step, as Train ▸ Cancel does: seconds until
    the helper says "cancelled", until it has exited, and whether nothing was saved."""
    proc = start_helper({"kind": "fine_tune", "source": source, "name": "my-cancelled"})
    for line in proc.stdout:
        if json.loads(line)["info"].get("stage", "").startswith("step"):
            break
    t0 = time.perf_counter()
    proc.stdin.write("cancel\n")
    proc.stdin.flush()
    answered = json.loads(proc.stdout.readline())["event"] == "cancelled"
    said = time.perf_counter() - t0
    proc.wait()
    gone = time.perf_counter() - t0
    saved = models.user_dir().exists() and any(models.user_dir().glob("*my-cancelled*"))
    return (said if answered else float("nan")), gone, not saved


def run_helper(job: dict) -> dict:
    """One helper process: its result, wall and CPU seconds, when training began and ended."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = start_helper(job)
    first_step = last_step = None
    result = None
    for line in proc.stdout:
        message = json.loads(line)
        now = time.perf_counter() - t0
        if message["event"] == "progress" and message["info"].get("stage", "").startswith("step"):
            first_step = first_step or now
            last_step = now
        elif message["event"] == "done":
            result = message["result"]
            wall = now
            break
        elif message["event"] in ("error", "cancelled"):
            raise SystemExit(f"the fine-tune failed: {message}")
    proc.stdin.close()
    proc.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "meta": result,
        "wall": wall,
        "cpu": cpu,
        "first_step": first_step,
        "last_step": last_step,
        "load": (load0, os.getloadavg()[0]),
    }


def accuracy(name: str, x: np.ndarray, y: np.ndarray) -> float:
    return float((models.load(name).predict(x) == y).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--draw", choices=tuple(SEEDS), default="held-out")
    ap.add_argument("--count", type=int, default=1000, help="drawings to score on")
    ap.add_argument("--per-digit", type=int, default=5, help="drawings taught per digit")
    ap.add_argument("--from", dest="source", default="cnn")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--no-cancel", action="store_true", help="skip the cancel measurement")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    args = ap.parse_args()

    teach(args.per_digit)
    style = ps.make_drawings(args.count, seed=SEEDS[args.draw])
    sx, sy = ps.images(style), ps.labels(style)
    train_x, train_y = mnist.load_mnist("train")
    _, val = mnist.validation_split()
    vx, vy = train_x[val], train_y[val]
    base_meta = models.load(args.source).meta
    before = (accuracy(args.source, sx, sy), accuracy(args.source, vx, vy))
    print(f"data folder {paths.data_dir()}; {drawings.count()} drawings taught; scored on "
          f"{args.count} {args.draw} drawings of the personal style")  # fmt: skip
    print(
        f"\n{args.source} before: style {before[0]:.2%}, MNIST test "
        f"{base_meta['test_accuracy']:.2%}, validation split {before[1]:.2%}\n"
    )
    print("| run | style after | MNIST test after | validation after | wall | CPU | "
          "until 1st step | training | export, score, save | load avg (start → end) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for run in range(args.runs):
        job = {"kind": "fine_tune", "source": args.source, "seed": run, "steps": args.steps}
        job["name"] = f"my-bench-tuned-{run + 1}"
        r = run_helper(job)
        name = r["meta"]["name"]
        row = {
            "style": accuracy(name, sx, sy),
            "test": r["meta"]["test_accuracy"],
            "val": accuracy(name, vx, vy),
            **r,
        }
        rows.append(row)
        print(
            f"| {run + 1} | {row['style']:.2%} | {row['test']:.2%} | {row['val']:.2%} | "
            f"{r['wall']:.1f} s | {r['cpu']:.1f} s | {r['first_step']:.1f} s | "
            f"{r['last_step'] - r['first_step']:.1f} s | {r['wall'] - r['last_step']:.1f} s | "
            f"{r['load'][0]:.1f} → {r['load'][1]:.1f} |",
            flush=True,
        )
    med = {
        k: statistics.median(row[k] for row in rows)
        for k in ("style", "test", "val", "wall", "cpu")
    }
    spread = {k: (min(row[k] for row in rows), max(row[k] for row in rows)) for k in med}
    print(
        f"\nmedian of {args.runs}: style {before[0]:.2%} → {med['style']:.2%} "
        f"({spread['style'][0]:.2%}–{spread['style'][1]:.2%}); MNIST test "
        f"{base_meta['test_accuracy']:.2%} → {med['test']:.2%} "
        f"({spread['test'][0]:.2%}–{spread['test'][1]:.2%}); validation {before[1]:.2%} → "
        f"{med['val']:.2%}; wall {med['wall']:.1f} s ({spread['wall'][0]:.1f}–"
        f"{spread['wall'][1]:.1f}), CPU {med['cpu']:.1f} s ({spread['cpu'][0]:.1f}–"
        f"{spread['cpu'][1]:.1f})"
    )
    if not args.no_cancel:
        said, gone, clean = cancel_time(args.source)
        print(
            f"cancel at the first step: 'cancelled' after {said:.2f} s, helper gone after "
            f"{gone:.2f} s, {'nothing saved' if clean else 'SOMETHING WAS SAVED'}"
        )


if __name__ == "__main__":
    try:
        main()
    finally:
        if "--keep" not in sys.argv:
            shutil.rmtree(paths.data_dir(), ignore_errors=True)

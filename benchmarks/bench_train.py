#!/usr/bin/env python
"""Training from the window: event-loop stalls while each family trains, cancel and close times.

    .venv/bin/python benchmarks/bench_train.py                 # every family on 2,000 images
    .venv/bin/python benchmarks/bench_train.py --size 60000    # ... on all 60,000
    .venv/bin/python benchmarks/bench_train.py --full          # the bundled recipe on 60,000
    .venv/bin/python benchmarks/bench_train.py --only mlp lenet5 --epochs 2
    .venv/bin/python benchmarks/bench_train.py --recipe cnn --runs 3   # the default recipe

``--recipe FAMILY --runs N`` trains FAMILY's default recipe N times (seeds 0, 1, ...) in the
helper process the window starts (``python -m digitpad.training.helper``, a ``train`` job on
all the training images: for a network, the 55,000 outside ``mnist.validation_split()``, its
curve on the 5,000 of the split) and prints, per run, the wall time from starting the process
to the saved model (TensorFlow's import and the test scoring included), the process's CPU time
(user + sys), the load average, the final validation and test accuracy; then the median and
the spread (min–max) of each.

Each family is trained through ``MainWindow.train`` (the helper process) while a 5 ms QTimer
ticks on the GUI thread; the longest gap between two ticks, from the call to ``train`` until
the new model is listed and loaded, is the longest stall of the event loop (TensorFlow's
import included: it happens in the helper). Then: cancel → idle (the cancel call until
``training_finished``, once during TensorFlow's import, once mid-epoch) and close → helper
gone. Prints Markdown tables. Headless (offscreen) unless a display is set; the user data
folder is a temporary one. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
if "--data-dir" in sys.argv:  # keep the models trained (read before anything imports digitpad)
    os.environ["DIGITPAD_DATA_DIR"] = sys.argv[sys.argv.index("--data-dir") + 1]
else:
    os.environ["DIGITPAD_DATA_DIR"] = tempfile.mkdtemp(prefix="digitpad-bench-train-")

from PySide6.QtCore import QElapsedTimer, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad.models.families import NAMES as FAMILIES  # noqa: E402

TICK_MS = 5


class StallMeter:
    """A 5 ms timer on the GUI thread; ``longest()`` is the largest gap between two ticks."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setTimerType(self.timer.timerType().PreciseTimer)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.clock = QElapsedTimer()
        self.gaps: list[int] = []

    def start(self) -> None:
        self.gaps = []
        self.clock.start()
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def _tick(self) -> None:
        self.gaps.append(self.clock.restart())

    def longest(self) -> int:
        return max(self.gaps, default=0)

    def over(self, ms: int) -> int:
        return sum(g > ms for g in self.gaps)


def wait_until(app: QApplication, done, timeout_s: float) -> bool:
    end = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > end:
            return False
        app.processEvents()
        time.sleep(0.001)
    return True


def new_window(app: QApplication):
    from digitpad.gui import MainWindow

    w = MainWindow()
    w.show()
    wait_until(app, lambda: not any(w.shelf.is_pending(n) for n in w.shelf.names), 60)
    wait_until(app, lambda: False, 2.5)  # first paints, the training window built off screen
    return w


def train_one(app, family: str, size: int | None, epochs: int | None, meter: StallMeter) -> dict:
    w = new_window(app)
    result: dict = {}
    w.training_finished.connect(lambda name, metrics: result.update(name=name, metrics=metrics))
    meter.start()
    t0 = time.perf_counter()
    w.train(family, size, epochs)
    wait_until(app, lambda: "name" in result, 24 * 3600)
    seconds = time.perf_counter() - t0
    name = result["name"]
    wait_until(app, lambda: name in w.shelf.loaded(), 60)  # listed and loaded for reading
    meter.stop()
    metrics = result["metrics"] or {}
    w.close()
    return {
        "family": family,
        "seconds": seconds,
        "fit_seconds": metrics.get("fit_seconds"),
        "accuracy": metrics.get("test_accuracy"),
        "train_size": metrics.get("train_size"),
        "stall_ms": meter.longest(),
        "over_50": meter.over(50),
    }


def cancel_time(app, family: str, when: str) -> tuple[float, bool]:
    """Seconds from cancel_training() to training_finished; and whether the helper is gone."""
    w = new_window(app)
    stages: list[str] = []
    done: list = []
    w.trainer.helper.progress.connect(lambda f, info: stages.append(info.get("stage", "")))
    w.training_finished.connect(lambda name, metrics: done.append(metrics))
    w.train(family, 60_000, 100)
    pid = w.trainer.helper.pid()
    if when == "import":
        wait_until(app, lambda: "loading TensorFlow" in stages, 60)
        wait_until(app, lambda: False, 0.3)
    else:
        wait_until(app, lambda: any(s.startswith(("fit", "refit")) for s in stages), 600)
    t0 = time.perf_counter()
    w.cancel_training()
    wait_until(app, lambda: bool(done), 10)
    seconds = time.perf_counter() - t0
    w.close()
    return seconds, _gone(pid)


def close_time(app, family: str) -> tuple[float, bool]:
    w = new_window(app)
    stages: list[str] = []
    w.trainer.helper.progress.connect(lambda f, info: stages.append(info.get("stage", "")))
    w.train(family, 60_000, 100)
    pid = w.trainer.helper.pid()
    wait_until(app, lambda: "fit" in stages, 120)
    t0 = time.perf_counter()
    w.close()
    while not _gone(pid) and time.perf_counter() - t0 < 10:
        time.sleep(0.001)
    return time.perf_counter() - t0, _gone(pid)


def _gone(pid: int | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def recipe_run(family: str, seed: int, name: str) -> dict:
    """One ``train`` job of ``family``'s default recipe in a fresh helper process."""
    import json
    import resource
    import subprocess

    job = {"kind": "train", "family": family, "name": name, "train_size": None, "seed": seed}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    # Standard input stays open while it trains: its end means "the window is gone, cancel".
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitpad.training.helper"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    proc.stdin.write(json.dumps(job) + "\n")
    proc.stdin.flush()
    last = {"event": "none"}
    for line in proc.stdout:
        last = json.loads(line)
        if last["event"] in ("done", "error", "cancelled"):
            break
    proc.stdin.close()
    proc.wait()
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if last["event"] != "done":
        raise SystemExit(f"run {name} failed: {last}")
    meta = last["result"]
    return {
        "seed": seed,
        "wall_s": wall,
        "cpu_s": cpu,
        "load": os.getloadavg()[0],
        "fit_s": meta["fit_seconds"],
        "val": meta["history"]["val_accuracy"][-1],
        "test": meta["test_accuracy"],
        "params": meta["hyperparameters"].get("parameters"),
        "epochs": meta["hyperparameters"].get("epochs"),
    }


def recipe(family: str, runs: int, first_seed: int = 0) -> None:
    import statistics

    rows = []
    for k in range(first_seed, first_seed + runs):
        row = recipe_run(family, k, f"bench-{family}-seed{k}-{os.getpid()}")
        rows.append(row)
        print(f"# run with seed {k}: {row}", file=sys.stderr, flush=True)
    print(f"\n### {family}'s default recipe, {runs} runs (helper process, all training images)\n")
    print("| seed | wall (import included) | CPU user+sys | load avg | fit | validation | test |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['seed']} | {r['wall_s']:.0f} s | {r['cpu_s']:.0f} s | {r['load']:.1f} "
            f"| {r['fit_s']:.0f} s | {r['val']:.2%} | {r['test']:.2%} |"
        )
    for key, fmt in (("wall_s", "{:.0f} s"), ("cpu_s", "{:.0f} s"), ("val", "{:.2%}"),
                     ("test", "{:.2%}")):  # fmt: skip
        values = [r[key] for r in rows]
        print(
            f"| **{key}** median {fmt.format(statistics.median(values))}, spread "
            f"{fmt.format(min(values))}–{fmt.format(max(values))} |"
        )
    print(f"\nparameters: {rows[0]['params']:,}, epochs: {rows[0]['epochs']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=2000, help="training images (default 2,000)")
    ap.add_argument("--epochs", type=int, default=2, help="epochs for the networks (default 2)")
    ap.add_argument(
        "--full", action="store_true", help="all 60,000 images with each family's bundled epochs"
    )
    ap.add_argument("--only", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    ap.add_argument("--skip-cancel", action="store_true", help="no cancel and close figures")
    ap.add_argument("--recipe", choices=FAMILIES, help="time FAMILY's default recipe instead")
    ap.add_argument("--runs", type=int, default=3, help="runs of --recipe (default 3)")
    ap.add_argument("--first-seed", type=int, default=0, help="seed of the first run")
    ap.add_argument("--data-dir", help="user data folder to keep the models in (default: temp)")
    args = ap.parse_args()
    if args.recipe:
        recipe(args.recipe, args.runs, args.first_seed)
        return
    size, epochs = (None, None) if args.full else (args.size, args.epochs)
    app = QApplication.instance() or QApplication([])
    meter = StallMeter()
    rows = []
    for family in args.only:
        row = train_one(app, family, size, epochs, meter)
        rows.append(row)
        print(f"# {family}: {row}", file=sys.stderr, flush=True)
    images = "60,000" if size is None else f"{size:,}"
    print(f"\n### Training each family on {images} images from the window ({TICK_MS} ms timer)\n")
    print(
        "| family | epochs | longest event-loop stall | ticks > 50 ms | train → listed "
        "| fit | test accuracy |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        from digitpad.models import families

        e = "–"
        if families.family(r["family"]).network:
            e = str(epochs or families.family(r["family"]).defaults["epochs"])
        acc = "failed" if r["accuracy"] is None else f"{r['accuracy']:.2%}"
        fit = "–" if r["fit_seconds"] is None else f"{r['fit_seconds']:.1f} s"
        print(
            f"| {r['family']} | {e} | {r['stall_ms']} ms | {r['over_50']} "
            f"| {r['seconds']:.1f} s | {fit} | {acc} |"
        )
    if args.skip_cancel:
        return
    print("\n### Cancel and close while training (lenet5, TensorFlow in the helper)\n")
    print("| what | seconds | helper gone |")
    print("| --- | --- | --- |")
    for label, (seconds, gone) in (
        ("cancel during TensorFlow's import → idle", cancel_time(app, "lenet5", "import")),
        ("cancel mid-epoch → idle", cancel_time(app, "lenet5", "fit")),
        ("cancel rbf_svm mid-fit (SVC cannot stop) → idle", cancel_time(app, "rbf_svm", "fit")),
        ("close the window mid-epoch → helper gone", close_time(app, "lenet5")),
    ):
        print(f"| {label} | {seconds:.2f} | {'yes' if gone else 'NO'} |")


if __name__ == "__main__":
    main()

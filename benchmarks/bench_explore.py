#!/usr/bin/env python
"""Explore-panel figures: filters over 70,000, model switch, block averages, heatmaps, start-up.

    .venv/bin/python benchmarks/bench_explore.py            # everything; prints a Markdown table
    .venv/bin/python benchmarks/bench_explore.py --quick    # fewer repetitions
    .venv/bin/python benchmarks/bench_explore.py --full-threshold   # every pair of 70,000 (long)

Runs headless (QT_QPA_PLATFORM=offscreen unless a display is set). Times are medians of wall-clock
times over repeated runs; run it on an otherwise idle machine. "Longest stall" is the longest gap
between ticks of a 5 ms QTimer on the GUI thread while the work runs: how long the window could
not answer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

STARTUP_CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from PySide6.QtWidgets import QApplication
app = QApplication([])
from digitpad.data import mnist, kaggle
from digitpad.gui import MainWindow, window
if sys.argv[1] == "without":  # the baseline: the same window with no explore tabs at all
    class NoTabs:
        def __init__(self, *args): pass
        def open_samples(self, *args): pass
        def built(self): return ()
        def shutdown(self): pass
    window.ExploreTabs = NoTabs
w = MainWindow()
w.show()
app.processEvents()
shown = time.perf_counter() - t0
mnist = mnist.splits_in_memory()
if sys.argv[1] == "without":
    print(json.dumps({"shown": shown}))
    sys.exit(0)
t1 = time.perf_counter()
w.tabs.setCurrentIndex(1)
while not w.explore.data.is_loaded():
    app.processEvents()
    time.sleep(0.002)
w.explore.browser.mosaic.grab()
browse = time.perf_counter() - t1
print(json.dumps({"shown": shown, "browse": browse, "mnist_before_tab": mnist}))
w.close()
app.quit()
"""


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def seconds(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} s"


class StallMeter:
    """Longest gap between ticks of a 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.longest = 0.0
        self._last = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self._last)
        self._last = now

    def start(self) -> None:
        self.longest = 0.0
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        self._tick()
        return self.longest


def wait_for(app, condition, timeout: float = 120.0) -> None:
    end = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > end:
            raise TimeoutError("the panel did not finish in time")
        app.processEvents()
        time.sleep(0.001)


def bench_core(rows: list, repeat: int) -> None:
    from digitpad import analysis
    from digitpad.data.samples import load_samples

    t = time.perf_counter()
    samples = load_samples()
    rows.append(
        (
            "Load MNIST (70,000) and every model's cached answers",
            "",
            seconds([time.perf_counter() - t]),
        )
    )
    x, y = samples.images[:70_000], samples.labels[:70_000]
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        analysis.block_averages(x, y)
        times.append(time.perf_counter() - t)
    rows.append(("`class_block_averages` over all 70,000, exact", "≤ 1 s", median_ms(times)))
    model = next(iter(samples.probabilities), None)
    predicted = samples.predicted(model)
    combos = {
        "label 3": dict(label=3),
        "test, wrong": dict(sources=[1], correct=False),
        "test, label 4, predicted 9": dict(sources=[1], label=4, predicted_label=9),
    }
    for name, kwargs in combos.items():
        times = []
        for _ in range(repeat * 5):
            t = time.perf_counter()
            analysis.filter_samples(samples.source, samples.labels, predicted, **kwargs)
            times.append(time.perf_counter() - t)
        rows.append((f"Filter over 70,000 ({name})", "≤ 100 ms", median_ms(times)))
    for name, score_of in (("confidence", samples.confidence), ("loss", samples.loss)):
        times = []
        for _ in range(repeat * 5):
            t = time.perf_counter()
            analysis.sort_samples(np.arange(len(samples)), score_of(model))
            times.append(time.perf_counter() - t)
        rows.append(
            (f"Sort all 70,000 by {name} (computing it included)", "≤ 100 ms", median_ms(times))
        )


def bench_panels(rows: list, repeat: int, sizes: list[int]) -> None:
    from PySide6.QtWidgets import QApplication

    from digitpad.gui.explore.browser import BrowserPanel
    from digitpad.gui.explore.confusion import ConfusionPanel
    from digitpad.gui.explore.correlation import CorrelationPanel
    from digitpad.gui.explore.data import ExploreData, load_samples

    app = QApplication.instance() or QApplication([])
    data = ExploreData()
    data.samples = load_samples()
    meter = StallMeter()

    browser = BrowserPanel(data)
    browser.resize(1200, 800)
    browser.show()
    app.processEvents()
    refresh, filtering = [], []
    for k in range(repeat):
        for label in ("3", "Any"):
            t = time.perf_counter()
            browser.label_box.setCurrentText(label)  # filter, mosaic, image
            browser.mosaic.grab()  # and paint it
            refresh.append(time.perf_counter() - t)
            filtering.append(browser.last_filter_ms / 1000)
        browser.sort_box.setCurrentIndex(1 + k % 3)
    rows.append(
        (
            "Browser filter + sort, controls to indices (70,000 / 7,141)",
            "≤ 100 ms",
            median_ms(filtering),
        )
    )
    rows.append(
        (
            "Browser filter → grid redrawn and painted (70,000 / 7,141 digits)",
            "",
            median_ms(refresh),
        )
    )

    confusion = ConfusionPanel(data)
    confusion.resize(800, 700)
    confusion.show()
    app.processEvents()
    names = list(data.samples.probabilities)
    switch = []
    for k in range(repeat * 2):
        name = names[k % len(names)] if len(names) > 1 else names[0]
        t = time.perf_counter()
        confusion.show_model(name)
        confusion.heatmap.grab()
        switch.append(time.perf_counter() - t)
    rows.append(
        (
            f"Confusion matrix: switch model and repaint ({len(names)} models)",
            "≤ 0.2 s",
            median_ms(switch),
        )
    )

    panel = CorrelationPanel(data)
    panel.resize(1280, 800)
    panel.show()
    wait_for(app, lambda: panel.heatmap is not None)
    for n in sizes:
        panel.count_box.setValue(n)
        shown, stalls, thresholded = [], [], []
        for _ in range(max(1, repeat // (2 if n > 5000 else 1))):
            panel.set_threshold(None)
            wait_for(app, lambda: not panel.busy())
            before = panel.heatmap
            meter.start()
            t = time.perf_counter()
            panel.compute()
            wait_for(app, lambda b=before: panel.heatmap is not b and not panel.busy())
            panel.plot_widget.grab()
            shown.append(time.perf_counter() - t)
            stalls.append(meter.stop())
            t = time.perf_counter()
            panel.set_threshold(0.5)
            wait_for(app, lambda: not panel.busy())
            panel.plot_widget.grab()
            thresholded.append(time.perf_counter() - t)
        target = "≤ 3 s" if n == 10_000 else ""
        rows.append((f"Correlation heatmap, {n:,}×{n:,}: Show → painted", target, seconds(shown)))
        rows.append(("… longest GUI stall meanwhile", "responsive", median_ms(stalls)))
        rows.append(("… threshold 0.5 applied → painted", "", seconds(thresholded)))
    panel.set_threshold(None)


def bench_threshold_all(rows: list, full: bool) -> None:
    from digitpad import analysis
    from digitpad.data.samples import load_samples

    samples = load_samples()
    x, y = samples.images[:70_000], samples.labels[:70_000]
    steps = analysis.iter_class_block_averages(x, y, 0.5)
    t = time.perf_counter()
    done = total = 0
    blocks = 0
    try:
        while True:
            done, total = next(steps)
            blocks += 1
            elapsed = time.perf_counter() - t
            if not full and elapsed > 30:
                break
    except StopIteration:
        pass
    elapsed = time.perf_counter() - t
    if full or done == total:
        rows.append(
            (
                "Thresholded block averages, all 70,000 (every pair, streamed)",
                "",
                f"{elapsed:.0f} s",
            )
        )
    else:
        estimate = elapsed * total / done
        rows.append(
            (
                "Thresholded block averages, all 70,000 (every pair, streamed)",
                "",
                f"≈ {estimate:.0f} s (from the first {blocks} blocks, "
                f"{done / total:.1%} of the pairs)",
            )
        )


def bench_startup(rows: list, repeat: int) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    runs: dict[str, list[dict]] = {"with": [], "without": []}
    for _ in range(repeat):
        for mode in ("without", "with"):  # interleaved, so that both see the same machine
            out = subprocess.run(
                [sys.executable, "-c", STARTUP_CHILD, mode],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=300,
            )
            runs[mode].append(json.loads(out.stdout.strip().splitlines()[-1]))
    with_tabs = [r["shown"] for r in runs["with"]]
    without = [r["shown"] for r in runs["without"]]
    rows.append(
        (
            "Window start-up, process start → shown, with the explore tabs",
            "≤ 1 s",
            seconds(with_tabs),
        )
    )
    rows.append(("… the same window without them (baseline)", "", seconds(without)))
    rows.append(
        (
            "MNIST splits loaded before an explore tab is opened",
            "0",
            str(max(r["mnist_before_tab"] for r in runs["with"])),
        )
    )
    rows.append(
        (
            "Browse tab opened → 70,000 digits loaded and painted",
            "",
            seconds([r["browse"] for r in runs["with"]]),
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--full-threshold",
        action="store_true",
        help="run the thresholded 70,000 block averages to the end",
    )
    parser.add_argument(
        "--only", nargs="*", default=None, choices=["core", "panels", "threshold", "startup"]
    )
    args = parser.parse_args()
    repeat = 3 if args.quick else 7
    sections = args.only or ["core", "panels", "threshold", "startup"]
    rows: list[tuple[str, str, str]] = []
    if "core" in sections:
        bench_core(rows, repeat)
    if "panels" in sections:
        bench_panels(rows, repeat, [200, 2_000, 10_000])
    if "threshold" in sections:
        bench_threshold_all(rows, args.full_threshold)
    if "startup" in sections:
        bench_startup(rows, repeat)
    print(f"Explore panels: medians of {repeat} runs, {os.cpu_count()} CPU cores\n")
    print("| figure | target | measured |")
    print("| --- | --- | --- |")
    for figure, target, measured in rows:
        print(f"| {figure} | {target} | {measured} |")


if __name__ == "__main__":
    main()

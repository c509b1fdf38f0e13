#!/usr/bin/env python
"""Cancel at random moments while each family trains, and close the window at random moments.

    .venv/bin/python benchmarks/bench_faults.py            # 20 of each; prints Markdown tables
    .venv/bin/python benchmarks/bench_faults.py --runs 5

Every time: the helper process must be gone, the user's previous model byte-for-byte intact, no
temporary file left in the data folder, and the window idle (or, after a close, gone) in time.
A training that finishes before its random moment is deleted and counted as "finished first".
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["DIGITPAD_DATA_DIR"] = tempfile.mkdtemp(prefix="digitpad-bench-faults-")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from digitpad import models  # noqa: E402
from digitpad.models.families import NAMES as FAMILIES  # noqa: E402
from digitpad.paths import data_dir  # noqa: E402

SPAN_S = {"logistic": 3.0, "linear_svm": 3.0, "rbf_svm": 3.0, "mlp": 8.0, "lenet5": 8.0, "cnn": 8.0}


def wait(app, done, timeout_s: float) -> bool:
    end = time.perf_counter() + timeout_s
    while not done():
        if time.perf_counter() > end:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def fingerprint() -> dict[str, str]:
    root = models.user_dir()
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def leftovers() -> list[str]:
    return [str(p) for p in data_dir().rglob(".*")]


def previous_model() -> None:
    dest = models.user_dir() / "previous"
    shutil.copytree(models.bundled_dir() / "logistic", dest)
    meta = json.loads((dest / "meta.json").read_text())
    meta["name"] = "previous"
    (dest / "meta.json").write_text(json.dumps(meta))


def trial(app, w, family: str, delay: float, close: bool) -> dict:
    result: dict = {}
    w.training_finished.connect(lambda name, metrics: result.update(name=name, metrics=metrics))
    before = fingerprint()
    assert w.train(family, train_size=1000, epochs=3)
    pid = w.trainer.helper.pid()
    wait(app, lambda: "name" in result, delay)
    if "name" in result:  # finished before the chosen moment
        if result["metrics"] is not None:
            models.delete(result["name"])
            w.refresh_models()
        return {"outcome": "finished first", "ok": True, "seconds": 0.0}
    t0 = time.perf_counter()
    if close:
        w.close()
        ok_time = wait(app, lambda: gone(pid), 2.0)
    else:
        w.cancel_training()
        ok_time = wait(app, lambda: "name" in result and not w.trainer.is_running(), 1.0)
    seconds = time.perf_counter() - t0
    wait(app, lambda: gone(pid), 2.0)
    ok = (
        ok_time
        and gone(pid)
        and fingerprint() == before
        and not leftovers()
        and result.get("metrics") is None
    )
    return {"outcome": "stopped", "ok": bool(ok), "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--only", nargs="+", choices=FAMILIES, default=list(FAMILIES))
    args = ap.parse_args()
    from digitpad.gui import MainWindow

    app = QApplication([])
    previous_model()
    rng = np.random.default_rng(2026)
    rows = []
    w = MainWindow()
    w.show()
    wait(app, lambda: not any(w.shelf.is_pending(n) for n in w.shelf.names), 60)
    for family in args.only:
        trials = [
            trial(app, w, family, rng.uniform(0, SPAN_S[family]), close=False)
            for _ in range(args.runs)
        ]
        rows.append((f"cancel · {family}", trials))
        print(f"# {family} done", file=sys.stderr, flush=True)
    w.close()
    closes = []
    for k in range(args.runs):
        w = MainWindow()
        w.show()
        wait(app, lambda w=w: not any(w.shelf.is_pending(n) for n in w.shelf.names), 60)
        family = args.only[k % len(args.only)]
        closes.append(trial(app, w, family, rng.uniform(0, SPAN_S[family]), close=True))
    rows.append(("close the window · families in turn", closes))
    print(f"\n### Random cancels and closes while training ({args.runs} of each)\n")
    print("| what | stopped | finished first | all clean | median s | max s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for what, trials in rows:
        stopped = [t for t in trials if t["outcome"] == "stopped"]
        secs = [t["seconds"] for t in stopped] or [0.0]
        print(
            f"| {what} | {len(stopped)} | {len(trials) - len(stopped)} | "
            f"{'yes' if all(t['ok'] for t in trials) else 'NO'} | "
            f"{statistics.median(secs):.2f} | {max(secs):.2f} |"
        )
    intact = models.load("previous").predict_proba(np.zeros((1, 28, 28), np.float32)).shape
    print(f"\nPrevious model still loads: {intact == (1, 10)}.")


if __name__ == "__main__":
    main()

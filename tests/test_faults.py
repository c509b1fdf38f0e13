"""SIGKILL at random moments while a model and labelled drawings are being saved: afterwards the
previous model or the new one loads, every kept drawing reads, never a broken file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from digitpad import models
from digitpad.data import drawings, mnist

ROOT = Path(__file__).resolve().parents[1]
KILLS = 20
NAME = "my-logistic-1"

# Saves the same user model over and over (each save a new generation in its meta.json) and
# keeps a drawing after each, as fast as it can; says "ready" once the first save is complete.
CHILD = r"""
import sys
import numpy as np
from digitpad import models
from digitpad.data import drawings
from digitpad.models import store
src = models.bundled_dir() / "logistic"
meta = store.read_meta(src)
files = {n: store.read_file(src, n, meta) for n in meta["files"]}
dest = models.user_dir() / sys.argv[1]
rng = np.random.default_rng(int(sys.argv[2]))
generation = 0
while True:
    generation += 1
    store.write_model_dir(dest, files, {**meta, "name": sys.argv[1], "generation": generation})
    drawings.add(rng.random((28, 28), dtype=np.float32), generation % 10)
    if generation == 1:
        print("ready", flush=True)
"""


@pytest.mark.usefixtures("isolated_settings")
def test_killing_a_save_never_leaves_a_broken_model_or_drawing():
    x, y = mnist.load_mnist("test")
    rng = np.random.default_rng(7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    generations, mid_save = [], 0
    for kill in range(KILLS):
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, NAME, str(kill)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        parent = models.user_dir()
        mid_save += any(p.name.startswith(".") for p in parent.iterdir())
        # What the app does at start: available() undoes a half-done swap, drops the rest.
        assert NAME in models.available()
        assert not any(p.name.startswith(".") for p in parent.iterdir())
        clf = models.load(NAME)
        assert (clf.predict(x[:300]) == y[:300]).mean() > 0.9
        generations.append(clf.meta["generation"])
        images, labels = drawings.load()
        assert len(images) == len(labels) == drawings.count() > 0
    assert len(set(generations)) > 1  # the kills did land at different moments
    # How many kills caught a save between its first write and its last rename (for the README).
    print(f"{KILLS} kills, {mid_save} in the middle of a model save, 0 broken")


def test_a_damaged_model_of_yours_is_named_and_can_be_removed(qtbot, isolated_settings):
    import shutil

    from PySide6.QtWidgets import QMessageBox

    from digitpad.gui import MainWindow

    dest = models.user_dir() / NAME
    shutil.copytree(models.bundled_dir() / "logistic", dest)
    (dest / "meta.json").write_text(
        (dest / "meta.json").read_text().replace('"name": "logistic"', f'"name": "{NAME}"')
    )
    weights = dest / "model.npz"
    weights.write_bytes(weights.read_bytes()[:1000])  # damaged on disk
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitUntil(lambda: getattr(w, "damaged_box", None) is not None, timeout=20_000)
    text = w.damaged_box.text()
    assert NAME in text and "model.npz" in text
    assert NAME in w.shelf.failed()
    # The bundled models still read the canvas.
    qtbot.waitUntil(lambda: "cnn" in w.shelf.loaded(), timeout=20_000)
    w.canvas.set_ink(mnist.load_mnist("test")[0][0])
    assert int(w.current_probabilities().argmax()) == 7
    yes = w.damaged_box.button(QMessageBox.StandardButton.Yes)
    yes.click()
    assert not dest.exists()
    assert NAME not in models.available() and NAME not in w.shelf.names
    assert NAME in w.statusBar().currentMessage()

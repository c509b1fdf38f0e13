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
# keeps a drawing after each, as fast as it can; says "ready" once the first save is complete,
# then announces the start and the end of every save, so that the last line it got out before
# the kill says whether the kill landed in the middle of one.
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
    print("model start", flush=True)
    store.write_model_dir(dest, files, {**meta, "name": sys.argv[1], "generation": generation})
    print("model end", flush=True)
    print("drawing start", flush=True)
    drawings.add(rng.random((28, 28), dtype=np.float32), generation % 10)
    print("drawing end", flush=True)
    if generation == 1:
        print("ready", flush=True)
"""


def _kill_while_saving(kill: int, delay: float) -> tuple[str, bool]:
    """Start the saving child, SIGKILL it ``delay`` s after its first save; returns what it was
    doing then ("model", "drawing" or "between") and whether a model's temporary folder was
    left behind (the kill came between the save's first write and its last rename)."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, NAME, str(kill)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    while (line := child.stdout.readline().strip()) != "ready":
        assert line, "the child ended before its first save"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)
    said = child.stdout.read().split()  # everything it printed up to the kill
    child.stdout.close()
    doing = said[-2] if said[-1:] == ["start"] else "between"
    left = any(p.name.startswith(".") for p in models.user_dir().iterdir())
    return doing, left


@pytest.mark.usefixtures("isolated_settings")
def test_killing_a_save_never_leaves_a_broken_model_or_drawing():
    x, y = mnist.load_mnist("test")
    rng = np.random.default_rng(7)
    generations, doing, temporary = [], [], 0
    for kill in range(KILLS):
        what, left = _kill_while_saving(kill, rng.uniform(0.0, 0.15))
        doing.append(what)
        temporary += left
        parent = models.user_dir()
        # What the app does at start: available() undoes a half-done swap, drops the rest.
        assert NAME in models.available()
        assert not any(p.name.startswith(".") for p in parent.iterdir())
        clf = models.load(NAME)
        assert (clf.predict(x[:300]) == y[:300]).mean() > 0.9
        generations.append(clf.meta["generation"])
        images, labels = drawings.load()
        assert len(images) == len(labels) == drawings.count() > 0
    assert len(set(generations)) > 1  # the kills did land at different moments
    # The kills did land in the middle of saves: the checks above saw the aftermath of
    # interrupted writes, not only of finished ones (here nearly every kill lands in one; 3 to
    # 11 of the 20 in a drawing's, too few to ask for every time).
    mid_model, mid_drawing = doing.count("model"), doing.count("drawing")
    assert mid_model + mid_drawing >= KILLS // 2, doing
    assert mid_model >= 3, doing
    assert temporary >= 3, f"{temporary} kills left a model's temporary folder"
    print(
        f"{KILLS} kills: {mid_model} during a model save ({temporary} left its temporary "
        f"folder), {mid_drawing} during a drawing's, 0 broken"
    )


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

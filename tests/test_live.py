"""The live reader without Qt: the bundled models reading real MNIST test digits."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from digitpad import models
from digitpad.data import mnist
from digitpad.reading import verdict
from digitpad.reading.live import (
    PREFERENCE,
    Complete,
    FirstAnswer,
    Known,
    LiveReader,
    ReadKey,
    Waiting,
    pick_driver,
    read,
)

NAMES = ("logistic", "mlp", "cnn")  # in the order models.available() lists them


class Counting:
    """A bundled classifier that counts how often it is asked."""

    def __init__(self, name: str) -> None:
        self.inner = models.load(name)
        self.calls = 0

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        self.calls += 1
        return self.inner.predict_proba(x)


class Picture:
    """What the canvas holds: gives ``digit`` (28, 28) float32 or None, and counts the asks."""

    def __init__(self, digit: np.ndarray | None) -> None:
        self.digit = digit
        self.asked = 0

    def __call__(self) -> np.ndarray | None:
        self.asked += 1
        return self.digit


@pytest.fixture(scope="module")
def digits():
    x, y = mnist.load_mnist("test")
    return x[:3], y[:3]


@pytest.fixture
def loaded():
    """Fresh counts for every test; the models themselves are loaded once per test (small)."""
    return {name: Counting(name) for name in NAMES}


def calls(classifiers: dict[str, Counting]) -> dict[str, int]:
    return {name: clf.calls for name, clf in classifiers.items()}


def test_the_driver_answers_first_and_the_others_complete_the_reading(loaded, digits):
    x, y = digits
    reader = LiveReader("cnn")
    picture = Picture(x[0])
    first = reader.read(1, loaded, picture, driver_first=True)
    assert isinstance(first, FirstAnswer)
    assert first.key == ReadKey(1, "cnn", NAMES) and reader.driver == "cnn"
    assert calls(loaded) == {"logistic": 0, "mlp": 0, "cnn": 1}
    assert np.array_equal(first.probabilities, loaded["cnn"].inner.predict_proba(x[0])[0])
    assert first.digit is picture.digit and reader.reading is None
    assert reader.rest_due(1, loaded)

    rest = reader.read(1, loaded, picture)
    assert isinstance(rest, Complete) and rest.key == first.key
    assert calls(loaded) == {"logistic": 1, "mlp": 1, "cnn": 1}  # the driver is not asked again
    assert picture.asked == 1  # nor is the canvas: the picture the driver read is reused
    reading = rest.reading
    assert reading is reader.reading and reading.driver == "cnn"
    assert reading.probabilities["cnn"] is first.probabilities
    assert list(reading.probabilities) == list(NAMES)
    plain = read(x[0], {n: c.inner for n, c in loaded.items()}, "cnn")
    for name in NAMES:
        assert np.allclose(reading.probabilities[name], plain.probabilities[name], atol=1e-6)
    assert reading.verdict == verdict.judge(reading.probabilities, "cnn", x[0])
    assert reading.verdict.digit == y[0]
    assert not reader.rest_due(1, loaded)


def test_the_same_picture_by_the_same_models_is_read_once(loaded, digits):
    x, _ = digits
    reader = LiveReader("mlp")
    picture = Picture(x[1])
    done = reader.read(7, loaded, picture)
    assert isinstance(done, Complete)
    assert calls(loaded) == dict.fromkeys(NAMES, 1)
    for driver_first in (False, True):
        again = reader.read(7, loaded, picture, driver_first)
        assert isinstance(again, Known) and again.reading is done.reading
    assert calls(loaded) == dict.fromkeys(NAMES, 1) and picture.asked == 1
    assert reader.is_current(7) and not reader.is_current(8)
    # A new revision is a new picture, even if its pixels are the same.
    assert isinstance(reader.read(8, loaded, picture), Complete)
    assert calls(loaded) == dict.fromkeys(NAMES, 2) and picture.asked == 2
    # Forgetting (the models on disk changed) reads the same revision again.
    reader.forget()
    assert isinstance(reader.read(8, loaded, picture), Complete)
    assert calls(loaded) == dict.fromkeys(NAMES, 3)


def test_asking_for_the_driver_first_twice_asks_it_once(loaded, digits):
    x, _ = digits
    reader = LiveReader("cnn")
    one = reader.read(3, loaded, Picture(x[0]), driver_first=True)
    two = reader.read(3, loaded, Picture(x[0]), driver_first=True)
    assert isinstance(two, FirstAnswer) and two is one
    assert calls(loaded) == {"logistic": 0, "mlp": 0, "cnn": 1}


def test_one_model_answers_in_one_step(loaded, digits):
    x, y = digits
    only = {"mlp": loaded["mlp"]}
    step = LiveReader("cnn").read(1, only, Picture(x[2]), driver_first=True)
    assert isinstance(step, Complete) and step.reading.driver == "mlp"
    assert calls(loaded)["mlp"] == 1
    assert int(step.reading.driver_probabilities().argmax()) == y[2]


def test_the_best_loaded_model_drives_when_the_wanted_one_is_not_loaded(loaded, digits):
    x, _ = digits
    without_cnn = {n: c for n, c in loaded.items() if n != "cnn"}
    best = next(n for n in PREFERENCE if n in without_cnn)
    reader = LiveReader("cnn")
    step = reader.read(1, without_cnn, Picture(x[0]), driver_first=True)
    assert isinstance(step, FirstAnswer) and step.key.driver == best == reader.driver
    assert calls(loaded)[best] == 1 and sum(calls(loaded).values()) == 1
    assert reader.wanted == "cnn"  # still wanted: it drives once it is loaded
    # A wanted model that does not exist at all: the best loaded one drives.
    assert LiveReader("no-such-model").key(1, without_cnn).driver == best
    assert pick_driver("no-such-model", list(without_cnn)) == best


def test_a_model_arriving_later_gets_its_own_reading(loaded, digits):
    x, _ = digits
    early = {n: c for n, c in loaded.items() if n != "cnn"}
    reader = LiveReader("cnn")
    picture = Picture(x[0])
    first = reader.read(1, early, picture, driver_first=True)
    assert isinstance(first, FirstAnswer) and first.key.driver != "cnn"
    # The wanted model arrives before the others have answered: the old first answer is stale.
    assert not reader.rest_due(1, loaded)
    newer = reader.read(1, loaded, picture, driver_first=True)
    assert isinstance(newer, FirstAnswer) and newer.key == ReadKey(1, "cnn", NAMES)
    assert reader.driver == "cnn" and loaded["cnn"].calls == 1
    done = reader.read(1, loaded, picture)
    assert isinstance(done, Complete) and set(done.reading.probabilities) == set(NAMES)
    assert done.reading.probabilities["cnn"] is newer.probabilities


def test_an_empty_picture_is_no_reading_and_asks_no_model(loaded):
    reader = LiveReader("cnn")
    empty = Picture(None)
    for driver_first in (True, False):
        step = reader.read(5, loaded, empty, driver_first)
        assert isinstance(step, Complete if driver_first else Known) and step.reading is None
    assert empty.asked == 1 and sum(calls(loaded).values()) == 0
    assert reader.reading is None and reader.is_current(5)
    # No model loaded and nothing drawn: still nothing to wait for.
    assert isinstance(LiveReader("cnn").read(1, {}, Picture(None)), Complete)


def test_a_picture_waits_while_no_model_is_loaded(loaded, digits):
    x, _ = digits
    reader = LiveReader("cnn")
    picture = Picture(x[0])
    for _ in range(2):  # not remembered: the next read tries again
        step = reader.read(1, {}, picture, driver_first=True)
        assert isinstance(step, Waiting) and step.digit is picture.digit and step.key.driver is None
    assert picture.asked == 2 and reader.driver is None and not reader.is_current(1)
    step = reader.read(1, loaded, picture, driver_first=True)
    assert isinstance(step, FirstAnswer) and reader.driver == "cnn"


def test_news_is_what_differs_from_the_last_announced(digits, loaded):
    reader = LiveReader("cnn")
    p = loaded["cnn"].predict_proba(digits[0][0])[0]
    assert not reader.news(None)  # nothing announced yet means None
    assert reader.news(p)
    assert not reader.news(p.copy())
    p[0] += 0.5  # the reader kept its own copy
    assert reader.news(p)
    assert reader.news(None) and not reader.news(None)


def test_the_live_reader_does_not_import_qt():
    code = (
        "import sys\n"
        "import digitpad.reading.live\n"
        "print(sorted(m for m in ('PySide6', 'pyqtgraph', 'superqt') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"

"""Number mode's reading without the window (``reading.live_number``): strokes grouped into
digits, each model asked once per picture, live readings built on the settled one, settled
readings exactly ``read_number``'s."""

from __future__ import annotations

import numpy as np
import pytest

import digitpad
from digitpad.reading import api
from digitpad.reading.live_number import (
    LiveNumber,
    PenStroke,
    Remembered,
    Settled,
    group_strokes,
)
from digitpad.synthetic import drawn, numbers


@pytest.fixture(scope="module")
def classifiers():
    return api.usable_models()


class Counting:
    """A classifier that counts the pictures it is asked about."""

    def __init__(self, clf) -> None:
        self.clf = clf
        self.temperature = getattr(clf, "temperature", 1.0)
        self.asked = 0

    def predict_proba(self, x):
        x = np.asarray(x, np.float32).reshape(-1, 28, 28)
        self.asked += len(x)
        return self.clf.predict_proba(x)


def _strokes(sample, upto=None) -> list[PenStroke]:
    return [
        PenStroke(np.asarray(s, float), sample.pen, key=(i, len(s)))
        for i, s in enumerate(sample.strokes[:upto])
    ]


def _ink(sample, upto=None) -> np.ndarray:
    strokes = [np.asarray(s) for s in sample.strokes[:upto]]
    return drawn.render_strokes(strokes, sample.pen, sample.image.shape)


def test_strokes_sharing_columns_are_one_digit():
    def line(x0, x1, key):
        return PenStroke(np.array([[x0, 10.0], [x1, 100.0]]), 10.0, key=key)

    # a 4 in two strokes, then a 1, then a 7 and its crossbar
    strokes = [line(10, 60, 1), line(45, 45, 2), line(120, 122, 3), line(200, 240, 4)]
    strokes.append(PenStroke(np.array([[205.0, 50], [235, 50]]), 10.0, key=5))
    assert group_strokes(strokes) == [[0, 1], [2], [3, 4]]
    assert group_strokes([]) == []


def test_a_remembered_model_asks_about_each_picture_once(classifiers):
    counting = Counting(classifiers["cnn"])
    remembered = Remembered(counting)
    images = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    first = remembered.predict_proba(images)
    np.testing.assert_array_equal(first, counting.clf.predict_proba(images))
    again = remembered.predict_proba(images[[2, 0]])
    np.testing.assert_array_equal(again, first[[2, 0]])
    assert counting.asked == 3
    remembered.predict_proba(images[0])  # one (28, 28) picture
    assert counting.asked == 3 and remembered.temperature == counting.temperature


def test_the_settled_reading_is_read_numbers(classifiers):
    live = LiveNumber()
    for sample in numbers.make_numbers(4, seed=numbers.HELD_OUT_SEED, length=3):
        settled = live.settle(sample.image, classifiers, "cnn")
        expected = digitpad.read_number(sample.image)
        assert settled.text == expected.text
        assert [d.box for d in settled.digits] == [d.box for d in expected.digits]
    assert live.settle(np.zeros((280, 840), np.uint8), classifiers, "cnn") is None


def test_live_readings_of_separate_digits_give_the_number(classifiers):
    right = 0
    samples = numbers.make_numbers(10, seed=numbers.HELD_OUT_SEED, gap="wide")
    for sample in samples:
        reading = LiveNumber().live(sample.image, _strokes(sample), classifiers, "cnn")
        assert len(reading.digits) == len(sample.text)
        right += reading.text == sample.text
    assert right >= 9


def test_a_live_reading_reads_only_the_digit_under_the_pen(classifiers):
    sample = numbers.make_numbers(1, seed=numbers.HELD_OUT_SEED, length=4, gap="wide")[0]
    live = LiveNumber()
    counting = {"cnn": Counting(classifiers["cnn"])}
    last = len(sample.strokes) - 1
    done = _strokes(sample, last)
    settled = live.settle(_ink(sample, last), classifiers, "cnn")
    live.accept(Settled(tuple(s.key for s in done), settled))
    stroke = np.asarray(sample.strokes[last], float)
    shown = []
    for k in (2, len(stroke) // 2, len(stroke)):
        pen = PenStroke(stroke[:k], sample.pen, key=(last, k))
        ink = drawn.render_strokes([*(s.points for s in done), stroke[:k]], sample.pen, (280, 840))
        before = counting["cnn"].asked
        shown.append(live.live(ink, [*done, pen], counting, "cnn"))
        assert counting["cnn"].asked - before <= 1  # the digit under the pen, nothing else
    kept = [d for d in shown[-1].digits if d in settled.digits]
    assert len(kept) >= len(settled.digits) - 1  # the settled digits stay as they were read
    assert shown[-1].text == sample.text


def test_strokes_not_of_the_settled_reading_are_all_read(classifiers):
    # After an undo the settled reading is of other strokes: the live one reads every stroke.
    sample = numbers.make_numbers(1, seed=numbers.HELD_OUT_SEED, length=3, gap="wide")[0]
    live = LiveNumber()
    live.accept(Settled(("someone", "else"), live.settle(sample.image, classifiers, "cnn")))
    reading = live.live(sample.image, _strokes(sample), classifiers, "cnn")
    assert reading.text == sample.text

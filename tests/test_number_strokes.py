"""A number read from its pen strokes (``digitpad.read_number(strokes=...)``,
``reading.strokes``): digits that cross come apart, a digit of several strokes stays one, an
eraser's strokes count, a blank is the usual error; the window's Number mode reads its strokes."""

from __future__ import annotations

import numpy as np
import pytest

import digitpad
from digitpad.reading import live_number
from digitpad.reading.strokes import PenStroke
from digitpad.synthetic import drawn

PEN = 16.0  # px, the canvas's pen at the drawn-numbers set's scale
HEIGHT = 150.0  # px, each digit's height on a 280 px high canvas


def _placed(
    digit: int, seed: int, left: float, style: str | None = None
) -> tuple[list[np.ndarray], float]:
    """A synthetic drawing of ``digit`` (in ``style``) scaled to ``HEIGHT`` with its left at
    ``left``: its strokes and its width."""
    d = drawn.make_drawing(digit, np.random.default_rng(seed), style=style)
    points = np.vstack(d.strokes)
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = HEIGHT / (hi[1] - lo[1])
    return [(s - lo) * scale + (left, 60.0) for s in d.strokes], float((hi[0] - lo[0]) * scale)


def _crossing(first: int, second: int, seed: int) -> list[np.ndarray]:
    """``first`` then ``second`` drawn with the second's left 55 % across the first: their
    strokes cross deep inside each other, so the picture is one mark."""
    rng = np.random.default_rng(seed)
    a, b = (int(v) for v in rng.integers(0, 10_000, 2))
    strokes, width = _placed(first, a, 100.0)
    return strokes + _placed(second, b, 100.0 + 0.55 * width)[0]


def test_crossing_digits_come_apart_that_the_picture_cannot_part():
    wrong_from_picture = 0
    for seed in range(3):
        strokes = _crossing(0, 8, seed)
        n = digitpad.read_number(strokes=strokes, pen=PEN)
        assert n.text == "08" and len(n.digits) == 2
        assert n.digits[0].box[0] < n.digits[1].box[0] < n.digits[0].box[0] + n.digits[0].box[2]
        picture = drawn.render_strokes(strokes, PEN, (280, 840))
        wrong_from_picture += digitpad.read_number(picture).text != "08"
    assert wrong_from_picture >= 1  # the seams cannot follow strokes that cross this deep


@pytest.mark.parametrize(("digit", "style"), [(4, "4-open"), (5, "5-three-strokes")])
def test_a_digit_of_several_strokes_stays_one_digit(digit, style):
    d = drawn.make_drawing(digit, np.random.default_rng(2), style=style)
    assert len(d.strokes) >= 2
    n = digitpad.read_number(strokes=d.strokes, pen=d.pen_width)
    assert n.text == str(digit) and len(n.digits) == 1


def test_a_flag_or_a_bar_put_on_after_the_next_digit_joins_its_digit():
    for seed in range(2):
        five, width = _placed(5, 10 + seed, 100.0, "5-two-strokes")
        three, _ = _placed(3, 20 + seed, 100.0 + width + 30.0, "3-bumps")
        seven, _ = _placed(7, 30 + seed, 100.0 + width + 200.0, "7-crossbar")
        late = [five[0], *three, seven[0], five[1], seven[1]]  # the flag and the bar come last
        n = digitpad.read_number(strokes=late, pen=PEN)
        assert n.text == "537" and len(n.digits) == 3


def test_a_digit_rubbed_out_is_gone_and_a_blank_is_the_usual_error():
    one, width = _placed(1, 3, 100.0)
    seven, _ = _placed(7, 4, 100.0 + width + 80.0)
    pens = [PenStroke(s, PEN) for s in one + seven]
    assert digitpad.read_number(strokes=pens).text == "17"
    rows = np.arange(40.0, 240.0, 10.0)
    rub = np.stack([np.full_like(rows, 100.0 + width / 2), rows], axis=1)  # over the 1
    eraser = PenStroke(rub, 3 * width + 60, erase=True)
    assert digitpad.read_number(strokes=[*pens, eraser]).text == "7"
    with pytest.raises(ValueError, match=r"^the picture is empty \(no ink\)"):
        digitpad.read_number(strokes=[], pen=PEN)
    with pytest.raises(ValueError, match=r"^the picture is empty \(no ink\)"):
        digitpad.read_number(strokes=[PenStroke(s, PEN) for s in one] + [eraser])
    with pytest.raises(ValueError, match="pen"):
        digitpad.read_number(strokes=one)  # arrays need the pen's width
    with pytest.raises(ValueError, match="not both"):
        digitpad.read_number(np.zeros((280, 840)), strokes=one, pen=PEN)


def test_the_window_settles_the_number_from_its_strokes(shown_window, qtbot, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from digitpad.gui.replay import replay_stroke
    from digitpad.gui.window import NUMBER_ASPECT

    window = shown_window
    read = []
    original = live_number.read_pen_number

    def spy(strokes, *args, **kwargs):
        read.append(len(strokes))
        return original(strokes, *args, **kwargs)

    monkeypatch.setattr(live_number, "read_pen_number", spy)
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    QApplication.processEvents()
    strokes = _crossing(0, 8, 0)
    scale = window.canvas.scale() / 280
    window.canvas.set_pen_width(PEN * scale)
    for s in strokes:
        replay_stroke(window.canvas, s * scale, QApplication.processEvents)
    qtbot.waitUntil(window.numbers.settled, timeout=20_000)
    reading = window.number_reading()
    assert reading.text == "08"
    assert read and read[-1] == len(strokes)  # read from every stroke on the canvas
    again = digitpad.read_number(strokes=window.numbers.strokes())
    assert again.text == reading.text
    assert [d.box for d in again.digits] == [d.box for d in reading.digits]

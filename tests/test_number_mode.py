"""Number mode in the window (offscreen): the wide canvas, remembered; a number drawn with
synthetic strokes read live and settled, with a box and an answer over each digit; a press on
an answer shows that digit's bars; single-digit mode still says "not sure" for two digits."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

import digitpad
from digitpad.gui.canvas import MIN_SIDE
from digitpad.gui.replay import replay_number, replay_stroke, send_mouse
from digitpad.gui.window import NUMBER_ASPECT, MainWindow
from digitpad.synthetic import numbers


@pytest.fixture
def window(shown_window):
    return shown_window


def _number(digits: int = 2, index: int = 0, gap: str = "wide") -> numbers.DrawnNumber:
    return numbers.make_numbers(index + 1, seed=numbers.HELD_OUT_SEED, length=digits, gap=gap)[
        index
    ]


def _settle(window, qtbot) -> digitpad.NumberReading:
    qtbot.waitUntil(window.numbers.settled, timeout=20_000)
    return window.number_reading()


def test_the_mode_widens_and_narrows_the_canvas_and_is_remembered(qtbot, isolated_settings):
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    assert not w.number_mode() and not w.number_action.isChecked()
    square = w.canvas.ink().shape
    assert square[0] == square[1]
    w.number_action.trigger()
    QApplication.processEvents()
    qtbot.waitUntil(lambda: w.canvas.ink().shape[1] == NUMBER_ASPECT * w.canvas.ink().shape[0])
    h, wide = w.canvas.ink().shape
    assert h >= MIN_SIDE and wide >= NUMBER_ASPECT * MIN_SIDE
    assert w.number_mode() and w.number_row.isVisible()
    w.close()
    again = MainWindow()  # the next start opens in Number mode
    qtbot.addWidget(again)
    again.show()
    qtbot.waitExposed(again)
    assert again.number_mode() and again.number_action.isChecked()
    qtbot.waitUntil(lambda: again.canvas.ink().shape[1] == NUMBER_ASPECT * again.canvas.scale())
    again.number_action.trigger()
    qtbot.waitUntil(lambda: again.canvas.ink().shape[0] == again.canvas.ink().shape[1])
    assert not again.number_row.isVisible() and again.models_column.isVisible()
    again.close()
    third = MainWindow()
    qtbot.addWidget(third)
    assert not third.number_mode()


def test_two_digits_show_two_boxes_and_the_number(window, qtbot):
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    QApplication.processEvents()
    sample = _number()
    replay_number(window.canvas, sample, between=QApplication.processEvents)
    reading = _settle(window, qtbot)
    assert reading.text == sample.text
    # read_number's reading of the very strokes on the canvas
    assert reading.text == digitpad.read_number(strokes=window.numbers.strokes()).text
    boxes = window.canvas.number_boxes()
    assert [b.answer for b in boxes] == list(sample.text) and len(boxes) == 2
    assert all(b.sure for b in boxes)
    assert window.number_label.number() == sample.text
    lefts = [b.box[0] for b in boxes]
    assert lefts == sorted(lefts)


def test_the_number_is_read_while_the_pen_moves(window, qtbot):
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    sample = _number(3, index=1)
    replay_number(window.canvas, sample, between=QApplication.processEvents, strokes=-1)
    _settle(window, qtbot)
    shown = []
    window.numbers.number_changed.connect(lambda r: shown.append(window.numbers.settled()))
    scale = window.canvas.scale() / sample.image.shape[0]
    last = np.asarray(sample.strokes[-1]) * scale
    send_mouse(window.canvas, QEvent.Type.MouseButtonPress, *last[0])
    for x, y in last[1:]:
        send_mouse(window.canvas, QEvent.Type.MouseMove, x, y)
        QApplication.processEvents()
    assert window.canvas.current_stroke() is not None  # the pen is still down
    assert shown and not any(shown)  # live readings only, while drawing
    live = window.number_reading()
    assert live is not None and len(live.digits) == len(sample.text)
    send_mouse(window.canvas, QEvent.Type.MouseButtonRelease, *last[-1])
    assert (
        _settle(window, qtbot).text == digitpad.read_number(strokes=window.numbers.strokes()).text
    )


def test_pressing_a_digits_answer_shows_its_bars_and_draws_nothing(window, qtbot):
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    replay_number(window.canvas, _number(index=1), between=QApplication.processEvents)
    reading = _settle(window, qtbot)
    qtbot.waitUntil(lambda: window.bars.plot is not None)
    strokes = len(window.canvas.strokes())
    for i in (0, 1):
        chip = window.canvas.chip_rect(i).center()
        QTest.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=chip)
        digit = reading.digits[i].reading
        assert window.numbers.selected == i
        assert [b.selected for b in window.canvas.number_boxes()] == [i == 0, i == 1]
        heights = window.bars.plot.bars.opts["height"]
        np.testing.assert_allclose(heights, digit.probabilities, atol=1e-6)
        assert window.answer.digit.text() == str(digit.digit)
        assert digit.model in window.answer.detail.text()
    assert len(window.canvas.strokes()) == strokes  # a press on an answer is no stroke


def test_a_digit_not_sure_shows_a_question_mark_and_its_reason(window, qtbot):
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    sample = _number()
    replay_number(window.canvas, sample, between=QApplication.processEvents)
    scale = window.canvas.scale() / sample.image.shape[0]
    right = max(b[0] + b[2] for b in sample.boxes) * scale
    x0 = right + 40 if right + 180 < window.canvas.width() else min(sample.boxes)[0] * scale - 180
    y0 = window.canvas.scale() / 2 - 60
    window.canvas.set_pen_width(50)
    for dy in range(0, 120, 20):  # a filled square: no digit
        replay_stroke(window.canvas, [(x0, y0 + dy), (x0 + 120, y0 + dy)])
    QApplication.processEvents()
    reading = _settle(window, qtbot)
    unsure = [i for i, d in enumerate(reading.digits) if not d.sure]
    assert unsure and "?" in window.number_label.number()
    chip = window.canvas.chip_rect(unsure[0]).center()
    QTest.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=chip)
    assert window.answer.digit.text() == "?"
    assert window.answer.detail.text() == f"Not sure: {reading.digits[unsure[0]].reason}"


def test_without_number_mode_two_digits_are_not_sure(window, qtbot):
    assert not window.number_mode()
    side = window.canvas.scale()
    sample = numbers.make_number([3, 8], "wide", np.random.default_rng(3), shape=(side, side))
    replay_number(window.canvas, sample, between=QApplication.processEvents)
    reading = window.current_reading()
    assert reading is not None and reading.verdict.digit is None
    assert window.answer.detail.text().startswith("Not sure")
    assert window.canvas.number_boxes() == []


def test_the_shortcut_is_f4_and_clashes_with_no_other(window, qtbot):
    assert [s.toString() for s in window.number_action.shortcuts()] == ["F4"]
    assert window.number_action in window.view_menu.actions()
    bar = window.findChild(type(window.addToolBar("x")), "tools")
    assert window.number_action in bar.actions()
    seen: dict[str, str] = {}
    for action in window.findChildren(QAction):
        for key in action.shortcuts():
            name = key.toString(QKeySequence.SequenceFormat.PortableText)
            assert name not in seen, f"{name}: {seen.get(name)} and {action.text()}"
            seen[name] = action.text()
    QTest.keyClick(window, Qt.Key.Key_F4)
    assert window.number_mode()
    QTest.keyClick(window, Qt.Key.Key_F4)
    assert not window.number_mode()


def test_undo_and_clear_read_the_number_again(window, qtbot):
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    sample = _number(3, index=2)
    replay_number(window.canvas, sample, between=QApplication.processEvents)
    assert _settle(window, qtbot).text == sample.text
    while len(window.number_reading().digits) == len(sample.text):
        window.canvas.undo()
        _settle(window, qtbot)
    assert (
        window.number_reading().text == digitpad.read_number(strokes=window.numbers.strokes()).text
    )
    window.canvas.clear()
    qtbot.waitUntil(lambda: window.number_reading() is None)
    assert window.canvas.number_boxes() == [] and window.number_label.number() == ""


def test_an_image_of_a_number_opens_in_number_mode(window, qtbot, tmp_path):
    from PIL import Image

    sample = _number(3, index=3)
    path = tmp_path / "number.png"
    Image.fromarray(255 - sample.image).save(path)  # dark ink on white paper
    assert not window.open_image(path) or window.current_reading().verdict.digit is None
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    assert window.open_image(path)
    reading = _settle(window, qtbot)
    assert reading.text == digitpad.read_number(path).text == sample.text


def _number_on_canvas(window, qtbot, digits: int = 3, index: int = 0) -> numbers.DrawnNumber:
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    qtbot.waitUntil(lambda: window.canvas.ink().shape[1] == NUMBER_ASPECT * window.canvas.scale())
    QApplication.processEvents()
    sample = _number(digits, index=index)
    replay_number(window.canvas, sample, between=QApplication.processEvents)
    return sample


def test_current_reading_is_one_digit_of_the_number_and_current_number_the_number(window, qtbot):
    from digitpad.reading.live import Reading

    assert window.current_number() is None  # Number mode off
    sample = _number_on_canvas(window, qtbot)
    number = window.current_number()  # settled now, without waiting for the worker
    assert window.numbers.settled()
    assert number.text == digitpad.read_number(strokes=window.numbers.strokes()).text == sample.text
    chip = window.canvas.chip_rect(1).center()
    QTest.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=chip)
    reading = window.current_reading()
    assert isinstance(reading, Reading)
    digit = number.digits[1].reading
    assert reading.verdict.digit == digit.digit == int(sample.text[1])
    assert reading.driver == digit.model
    np.testing.assert_allclose(reading.driver_probabilities(), digit.probabilities, atol=1e-6)
    np.testing.assert_allclose(reading.digit, digit.picture)
    np.testing.assert_allclose(window.current_probabilities(), digit.probabilities, atol=1e-6)
    window.canvas.clear()
    assert window.current_reading() is None and window.current_number() is None


def test_single_mode_current_reading_is_still_the_whole_canvas(window, qtbot):
    from digitpad.reading.live import Reading

    side = window.canvas.scale()
    sample = numbers.make_number([7], "wide", np.random.default_rng(1), shape=(side, side))
    replay_number(window.canvas, sample, between=QApplication.processEvents)
    reading = window.current_reading()
    assert isinstance(reading, Reading) and reading.verdict.digit == 7
    assert window.current_number() is None


def test_teach_is_off_in_number_mode_and_says_why(window, qtbot, monkeypatch):
    from digitpad.data import drawings

    kept = []
    monkeypatch.setattr(drawings, "add", lambda digit, label: kept.append(label))
    trainer = window.trainer
    assert all(a.isEnabled() for a in trainer.label_actions)
    _number_on_canvas(window, qtbot, digits=2)
    _settle(window, qtbot)
    assert not any(a.isEnabled() for a in trainer.label_actions)
    for action in trainer.label_actions:
        assert "switch Number mode off" in action.toolTip()
        assert "switch Number mode off" in action.statusTip()
    strokes = len(window.canvas.strokes())
    assert trainer.label_drawing(3) is None  # asked anyway: nothing kept, nothing cleared
    assert kept == [] and len(window.canvas.strokes()) == strokes
    assert "switch Number mode off" in window.statusBar().currentMessage()
    window.canvas.clear()
    window.set_number_mode(False)
    assert all(a.isEnabled() for a in trainer.label_actions)
    assert trainer.label_actions[3].toolTip().startswith("Keep the drawing as a 3")


def test_the_map_star_follows_the_digit_shown(window, qtbot):
    panel = window.explore.show_tab("Map")
    sample = _number_on_canvas(window, qtbot, digits=3, index=4)
    number = _settle(window, qtbot)
    assert number.text == sample.text and len(number.digits) == 3
    for i in (0, 2):
        chip = window.canvas.chip_rect(i).center()
        QTest.mouseClick(window.canvas, Qt.MouseButton.LeftButton, pos=chip)
        caption = f"your {number.digits[i].digit} (digit {i + 1} of 3)"
        qtbot.waitUntil(lambda c=caption: panel.marker_caption() == c, timeout=20_000)
        assert panel.marker_position() is not None
    window.canvas.clear()
    qtbot.waitUntil(lambda: panel.marker_position() is None)


def test_switching_number_mode_off_clears_a_wide_number_in_one_undoable_step(window, qtbot):
    sample = _number_on_canvas(window, qtbot, digits=4, index=5)
    number = _settle(window, qtbot)
    assert window.canvas.ink_beyond(1)
    strokes = window.canvas.strokes()
    window.set_number_mode(False)
    qtbot.waitUntil(lambda: window.canvas.ink().shape[0] == window.canvas.ink().shape[1])
    assert window.canvas.is_empty() and not window.canvas.ink().any()  # nothing hidden
    assert "Ctrl+Z brings it back" in window.statusBar().currentMessage()
    assert window.current_reading() is None
    window.undo_action.trigger()  # the number comes back, in Number mode
    assert window.number_mode() and window.number_action.isChecked()
    assert window.canvas.strokes() == strokes
    qtbot.waitUntil(lambda: window.canvas.ink().shape[1] == NUMBER_ASPECT * window.canvas.scale())
    assert _settle(window, qtbot).text == number.text == sample.text


def test_switching_number_mode_off_keeps_a_drawing_that_fits_the_square(window, qtbot):
    window.set_number_mode(True)
    qtbot.waitUntil(lambda: window.canvas.aspect() == NUMBER_ASPECT)
    qtbot.waitUntil(lambda: window.canvas.ink().shape[1] == NUMBER_ASPECT * window.canvas.scale())
    side = window.canvas.scale()
    sample = numbers.make_number([7], "wide", np.random.default_rng(1), shape=(side, side))
    replay_number(window.canvas, sample, between=QApplication.processEvents)
    strokes = window.canvas.strokes()
    assert not window.canvas.ink_beyond(1)
    window.set_number_mode(False)
    assert window.canvas.strokes() == strokes and not window.number_mode()
    assert window.current_reading().verdict.digit == 7


def test_a_digit_the_sequence_reader_read_shows_its_answer_in_the_bars():
    """A digit of touching ones whose piece the models read otherwise: the bars of the model in
    charge are the digit's own probabilities (the sequence reader's), every other model's its
    own answer on the piece."""
    from digitpad.data import mnist
    from digitpad.gui import window as window_module
    from digitpad.reading import number

    x, y = mnist.load_mnist("test")
    reading = digitpad.read(np.round(x[0] * 255).astype(np.uint8))
    told = np.full(10, 0.005, np.float32)
    told[(int(y[0]) + 1) % 10] = 0.955
    digit = number._as_told(reading, told)
    shown = window_module._as_reading(digit)
    assert shown.verdict.digit == digit.digit
    assert np.allclose(shown.probabilities[digit.model], told)
    others = [name for name in reading.answers if name != digit.model]
    assert others and all(
        np.allclose(shown.probabilities[n], reading.answers[n].probabilities) for n in others
    )

"""The answer panel says what the verdict says, and when the verdict rests on its rules alone."""

from __future__ import annotations

import numpy as np

from digitpad.reading import live
from digitpad.reading.verdict import Verdict


def _reading(verdict: Verdict) -> live.Reading:
    return live.Reading(np.zeros((28, 28), np.float32), {"cnn": np.full(10, 0.1)}, "cnn", verdict)


def test_the_answer_says_when_only_the_shape_rules_judged_it(qtbot):
    from digitpad.gui.panels import AnswerPanel, ModelInputView

    panel = AnswerPanel(ModelInputView())
    qtbot.addWidget(panel)
    panel.show_reading(_reading(Verdict(3, 0.93, 0.9)))
    assert panel.digit.text() == "3"
    assert panel.detail.text() == "93% sure · cnn"
    note = "only the shape rules apply: verdict.npz is damaged; run python train_models.py"
    panel.show_reading(_reading(Verdict(3, 0.93, 0.9, note=note)))
    assert panel.detail.text() == f"93% sure · cnn ({note})"  # whole, in the tooltip too
    panel.show_reading(_reading(Verdict(None, 0.4, 0.3, "a filled blob, not strokes", note=note)))
    assert panel.digit.text() == "?"
    assert panel.detail.text().startswith("Not sure: a filled blob, not strokes (only the shape")

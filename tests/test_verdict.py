"""The "not sure" rule and the non-digit drawings it is measured on (no Qt here)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitpad import models
from digitpad.preprocess import to_mnist
from digitpad.reading import verdict
from digitpad.synthetic import drawn, scribbles


def _digit(draw_fn, size: int = 280) -> np.ndarray:
    """(28, 28) MNIST picture of something drawn with PIL on a black 280 px canvas."""
    img = Image.new("L", (size, size), 0)
    draw_fn(ImageDraw.Draw(img))
    return to_mnist(np.asarray(img))


def test_shape_counts_pieces_holes_and_sees_blobs_and_pairs():
    one = verdict.shape_of(_digit(lambda d: d.line((140, 40, 140, 240), fill=255, width=18)))
    assert (one.pieces, one.holes, one.side_by_side) == (1, 0, False)
    assert one.aspect < 0.4
    ring = verdict.shape_of(_digit(lambda d: d.ellipse((70, 40, 210, 240), outline=255, width=18)))
    assert (ring.pieces, ring.holes) == (1, 1)
    eight = verdict.shape_of(
        _digit(
            lambda d: (
                d.ellipse((90, 30, 190, 130), outline=255, width=16),
                d.ellipse((80, 124, 200, 244), outline=255, width=16),
            )
        )
    )
    assert (eight.pieces, eight.holes) == (1, 2)
    blob = verdict.shape_of(_digit(lambda d: d.ellipse((60, 60, 220, 220), fill=255)))
    assert blob.thickness > verdict.MAX_THICKNESS
    pair = verdict.shape_of(
        _digit(
            lambda d: (
                d.line((60, 80, 60, 200), fill=255, width=16),
                d.ellipse((150, 80, 250, 200), outline=255, width=16),
            )
        )
    )
    assert pair.pieces == 2 and pair.side_by_side
    assert verdict.shape_problem(pair) and verdict.shape_problem(blob)
    assert not verdict.shape_problem(one) and not verdict.shape_problem(eight)


def test_five_with_a_detached_flag_is_not_two_digits():
    five = _digit(
        lambda d: (
            d.line((100, 40, 200, 40), fill=255, width=16),
            d.line((100, 70, 96, 135), fill=255, width=16),
            d.arc((60, 110, 200, 250), 250, 140, fill=255, width=16),
        )
    )
    shape = verdict.shape_of(five)
    assert shape.pieces == 2 and not shape.side_by_side
    assert not verdict.shape_problem(shape)


def test_judge_answers_when_models_back_it_and_says_why_not_otherwise():
    digit = _digit(lambda d: d.line((140, 40, 140, 240), fill=255, width=18))
    sure = np.eye(10, dtype=np.float32)[1] * 0.97 + 0.003
    v = verdict.judge({"a": sure, "b": sure}, "a", digit)
    assert v.digit == 1 and v.reason == "" and v.confidence == pytest.approx(0.973)
    split = {"a": sure, "b": np.eye(10, dtype=np.float32)[7], "c": np.eye(10, dtype=np.float32)[4]}
    v = verdict.judge(split, "a", digit)
    assert v.digit is None and "disagree" in v.reason
    assert v.confidence == pytest.approx(0.973)
    flat = np.full(10, 0.1, np.float32)
    v = verdict.judge({"a": flat}, "a", digit)
    assert v.digit is None and v.reason


def test_scribbles_are_reproducible_mouse_drawings_of_every_kind():
    things = scribbles.make_scribbles(35, seed=1)
    again = scribbles.make_scribbles(35, seed=1)
    assert [t.style for t in things] == [t.style for t in again]
    assert all(
        np.array_equal(a, b)
        for t, u in zip(things, again, strict=True)
        for a, b in zip(t.strokes, u.strokes, strict=True)
    )
    assert {t.style.split(":")[0] for t in things} == set(scribbles.KINDS)
    for t in things:
        assert t.label == scribbles.NOT_A_DIGIT and t.size == 280
        pts = np.vstack(t.strokes)
        assert pts.min() >= t.pen_width / 2 - 1e-9 and pts.max() <= 280 - t.pen_width / 2 + 1e-9
        assert drawn.render(t).max() == 255
    with pytest.raises(ValueError):
        scribbles.make_scribble("doodle", np.random.default_rng(0))


def test_no_letter_that_is_written_like_a_digit():
    assert not set(scribbles.LETTERS) & set("OoIlZzSsBGbgq")


@pytest.fixture(scope="module")
def loaded():
    return {n: models.load(n) for n in models.available()}


def _verdicts(things, loaded):
    from digitpad.reading.live import pick_driver

    driver = pick_driver(None, list(loaded))
    x = np.stack([to_mnist(drawn.render(t)) for t in things])
    probs = {n: c.predict_proba(x) for n, c in loaded.items()}
    return [verdict.judge({n: p[i] for n, p in probs.items()}, driver, x[i]) for i in range(len(x))]


def test_the_rule_keeps_real_digits_and_catches_most_non_digits(loaded):
    # Small samples of the figures in benchmarks/bench_gui.py (which uses 1,000 of each).
    digits = drawn.make_drawings(150, seed=515) + drawn.make_drawings(50, seed=515, variant="hard")
    things = scribbles.make_scribbles(140, seed=515)
    rejected = np.mean([v.digit is None for v in _verdicts(digits, loaded)])
    caught = np.mean([v.digit is None for v in _verdicts(things, loaded)])
    assert rejected <= 0.04
    assert caught >= 0.65

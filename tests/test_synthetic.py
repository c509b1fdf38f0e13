"""Tests for the synthetic mouse-drawn digits in digitpad.synthetic.drawn."""

from __future__ import annotations

import numpy as np
import pytest

from digitpad.synthetic.drawn import STYLES, Drawing, make_drawing, make_drawings, render


def _all_points(drawing: Drawing) -> np.ndarray:
    return np.vstack(drawing.strokes)


def _same(a: Drawing, b: Drawing) -> bool:
    same_fields = (a.label, a.style, a.pen_width, a.size) == (
        b.label,
        b.style,
        b.pen_width,
        b.size,
    )
    return same_fields and (
        len(a.strokes) == len(b.strokes)
        and all(np.array_equal(s, t) for s, t in zip(a.strokes, b.strokes, strict=True))
    )


@pytest.mark.parametrize("variant", ["normal", "hard"])
def test_same_seed_gives_same_drawings_and_other_seed_does_not(variant: str) -> None:
    first = make_drawings(20, seed=3, variant=variant)
    again = make_drawings(20, seed=3, variant=variant)
    other = make_drawings(20, seed=4, variant=variant)
    assert all(_same(a, b) for a, b in zip(first, again, strict=True))
    assert not any(_same(a, b) for a, b in zip(first, other, strict=True))
    prefix = make_drawings(7, seed=3, variant=variant)
    assert all(_same(a, b) for a, b in zip(prefix, first[:7], strict=True))


def test_labels_are_balanced_round_robin() -> None:
    drawings = make_drawings(53, seed=1)
    labels = [d.label for d in drawings]
    assert labels == [i % 10 for i in range(53)]
    assert np.bincount(labels, minlength=10).min() == 5


@pytest.mark.parametrize("variant", ["normal", "hard"])
def test_strokes_are_mouse_events_inside_the_canvas(variant: str) -> None:
    for d in make_drawings(100, seed=2, variant=variant):
        assert d.size == 280 and d.strokes
        for stroke in d.strokes:
            assert stroke.dtype == np.float64 and stroke.ndim == 2 and stroke.shape[1] == 2
            assert not stroke.flags.writeable
            steps = np.linalg.norm(np.diff(stroke, axis=0), axis=1)
            assert steps.max() <= 6.0 + 1e-9
            if len(steps) > 5:
                assert 2.0 <= np.median(steps) <= 6.0
        points = _all_points(d)
        # The whole round pen stays on the canvas: nothing is cut off at the border.
        assert points.min() >= d.pen_width / 2 - 1e-9
        assert points.max() <= d.size - d.pen_width / 2 + 1e-9


def test_normal_digits_are_upright_sized_and_roughly_centred() -> None:
    for d in make_drawings(100, seed=5):
        points = _all_points(d)
        lo, hi = points.min(axis=0), points.max(axis=0)
        assert 0.38 * d.size <= hi[1] - lo[1] <= 0.85 * d.size
        assert np.all(np.abs((lo + hi) / 2 - d.size / 2) <= 0.2 * d.size)
        assert 14 <= d.pen_width <= 22
        if d.style == "1-bar":
            assert hi[0] - lo[0] < 0.6 * (hi[1] - lo[1])


def test_hard_digits_include_tiny_huge_and_extreme_pens() -> None:
    drawings = make_drawings(200, seed=6, variant="hard")
    heights = np.array([np.ptp(_all_points(d)[:, 1]) / d.size for d in drawings])
    pens = np.array([d.pen_width for d in drawings])
    assert heights.min() < 0.25 and heights.max() > 0.8
    assert pens.min() < 11 and pens.max() > 25 and pens.min() >= 8 and pens.max() <= 30


def test_every_style_of_every_digit_can_be_drawn() -> None:
    rng = np.random.default_rng(0)
    for digit, styles in STYLES.items():
        assert len(styles) >= 3
        for style in styles:
            d = make_drawing(digit, rng, style=style)
            assert (d.label, d.style) == (digit, style)
            assert render(d).max() == 255


def test_bad_arguments_are_refused() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="variant"):
        make_drawings(10, variant="weird")
    with pytest.raises(ValueError, match="digit"):
        make_drawing(10, rng)
    with pytest.raises(ValueError, match="style"):
        make_drawing(4, rng, style="7-plain")


@pytest.mark.parametrize("variant", ["normal", "hard"])
def test_render_is_anti_aliased_white_ink_on_black(variant: str) -> None:
    for d in make_drawings(20, seed=7, variant=variant):
        image = render(d)
        assert image.dtype == np.uint8 and image.shape == (d.size, d.size)
        ink = (image > 127).mean()
        assert 0.002 < ink < 0.4
        assert image[0, 0] == 0 and image.max() == 255
        assert np.any((image > 0) & (image < 255))  # soft edges


def test_render_puts_ink_exactly_along_the_strokes() -> None:
    d = make_drawings(4, seed=8)[3]
    image = render(d)
    points = _all_points(d)
    cols, rows = np.floor(points).astype(int).T  # (x, y) -> image[row=y, col=x]
    assert np.all(image[rows, cols] == 255)
    ys, xs = np.mgrid[0 : d.size, 0 : d.size]
    centres = np.stack([xs.ravel() + 0.5, ys.ravel() + 0.5], axis=1)
    dist2 = np.full(len(centres), np.inf)
    # Events are <= 6 px apart: the nearest one is <= 3 px from the nearest ink centre.
    for point in points:
        np.minimum(dist2, ((centres - point) ** 2).sum(axis=1), out=dist2)
    far = np.sqrt(dist2).reshape(d.size, d.size) > d.pen_width / 2 + 3.5
    assert np.all(image[far] == 0)


def test_render_invert_gives_black_ink_on_white() -> None:
    d = make_drawings(1, seed=9)[0]
    assert np.array_equal(render(d, invert=True), 255 - render(d))


def test_other_canvas_sizes_scale_the_drawing() -> None:
    for d in make_drawings(10, seed=10, size=140):
        image = render(d)
        assert image.shape == (140, 140) and image.max() == 255
        assert _all_points(d).max() <= 140 - d.pen_width / 2 + 1e-9
        assert 7 <= d.pen_width <= 11

"""Synthetic mouse-drawn digits, to measure how well models read real drawings.

Nothing here comes from MNIST: each digit style is a handful of hand-placed control
points per stroke (how people draw it: which strokes, in which order, where the
corners are). A drawing perturbs those points, smooths them into curves, slants,
rotates and stretches the result, adds slow hand wobble, places it on the canvas and
samples it like mouse-move events. Strokes are in canvas pixels, so they can be
replayed as mouse events on a Qt canvas as they are.

    >>> drawings = make_drawings(100, seed=0)
    >>> [[d.label for d in drawings].count(digit) for digit in range(10)]  # 10 of each digit
    [10, 10, 10, 10, 10, 10, 10, 10, 10, 10]
    >>> image = render(drawings[0])  # white ink on black
    >>> image.shape, image.dtype, drawings[0].label
    ((280, 280), dtype('uint8'), 0)
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from PIL import Image, ImageDraw

CANVAS_SIZE = 280
VARIANTS = ("normal", "hard")
_SUPERSAMPLE = 4
_REFERENCE_SIZE = 280  # pixel quantities below (pen, wobble) are for a 280 px canvas

# One line per style: its name, then its strokes separated by "/". Points are "x,y"
# in percent of the digit height (x right, y down), in drawing order; "*" marks a
# sharp corner, elsewhere the points are joined by a smooth curve. An indented line
# continues the style above.
_TEMPLATES = """
0-oval               40,2 18,10 5,35 4,62 14,88 35,99 56,90 68,62 66,30 56,9 39,2
0-open               42,4 20,10 6,35 4,62 14,88 35,99 56,90 68,62 66,30 60,15
0-overlap            46,3 22,8 6,32 4,62 14,88 35,99 56,90 68,62 66,30 55,8 36,2
                     22,12
0-narrow             32,1 14,14 5,48 10,84 28,99 46,88 55,52 48,14 31,1
1-bar                50,0 49,50 47,100
1-flag               30,20 52,0* 50,50 48,100
1-flag-base          30,20 52,0* 50,50 48,98 / 26,100 74,99
2-curvy              8,24 18,8 36,1 55,5 65,20 62,38 48,56 28,76 6,97* 36,96 70,98
2-loop               8,24 18,8 36,1 55,5 65,20 62,38 48,56 30,72 16,86 10,97 2,92
                     2,80 12,76 24,84 36,95 70,97
2-sharp              8,16 28,2 52,3 64,20 56,42 8,96* 70,96
3-bumps              8,14 28,2 50,3 62,16 58,34 44,44 30,47* 46,50 62,60 66,76 58,92
                     38,100 18,98 4,88
3-flat-top           6,3 62,3* 34,40* 52,44 64,58 64,78 54,94 34,100 16,97 4,86
3-round-middle       10,12 30,1 52,4 62,20 52,38 34,46 52,52 64,68 60,88 40,99 8,92
4-open               14,0 7,60* 74,60 / 56,10 54,100
4-open-slanted       32,0 5,58* 72,58 / 54,12 52,100
4-closed             56,100 56,50 56,0* 4,62* 74,62
4-closed-two-strokes 56,0 4,62* 74,62 / 55,2 54,100
5-two-strokes        14,2 10,44* 30,38 52,42 64,58 64,78 54,93 34,100 16,98 3,88 /
                     14,2 66,0
5-three-strokes      14,2 10,44 / 10,44 30,38 52,42 64,58 64,78 54,93 34,100 16,98
                     3,88 / 14,2 66,0
5-one-stroke         66,1 14,2* 10,44* 30,38 52,42 64,58 64,78 54,93 34,100 16,98
                     3,88
6-loop               58,2 34,14 16,36 8,62 12,84 28,98 48,98 62,84 62,66 48,54 28,54
                     12,66 10,76
6-straight           50,0 32,26 16,52 8,74 14,92 32,100 52,94 60,78 52,62 32,58
                     14,68
6-small-loop         62,0 38,18 20,44 12,68 14,88 28,99 46,96 54,82 46,70 28,68
                     14,78
7-plain              6,6 68,4* 46,50 30,100
7-crossbar           6,6 68,4* 46,50 30,100 / 28,52 66,50
7-curved             6,6 70,4* 56,30 44,60 40,100
7-hook               4,16 6,4* 70,4* 46,50 32,100
8-figure             60,10 38,0 14,6 10,22 24,38 44,50 60,64 62,84 46,98 22,98 8,84
                     12,64 30,50 50,38 60,24 58,12 48,4
8-snowman            36,46 20,36 16,16 32,2 50,8 54,28 38,46 18,60 10,80 22,97
                     44,100 60,86 58,64 38,46
8-two-circles        36,2 14,8 10,26 22,44 36,48 52,42 58,24 52,8 36,2 / 34,48 12,58
                     6,78 18,96 38,100 58,92 64,72 54,54 34,48
9-straight           62,10 44,1 20,4 8,20 12,36 30,44 50,38 62,22 62,8* 62,40 60,70
                     58,100
9-curved             62,10 44,1 20,4 8,20 12,36 30,44 50,38 62,22 62,8* 62,40 58,70
                     46,92 28,100
9-two-strokes        60,12 40,1 16,6 8,24 20,40 42,42 58,30 60,12 / 62,4 60,100
"""


def parse_strokes(spec: str) -> tuple[tuple[np.ndarray, tuple[int, ...]], ...]:
    """One style's strokes: ((K, 2) float64 points in digit heights, corner indices)."""
    strokes = []
    for part in spec.split("/"):
        points, corners = [], []
        for i, token in enumerate(part.split()):
            if token.endswith("*"):
                corners.append(i)
            x, y = token.rstrip("*").split(",")
            points.append((float(x) / 100, float(y) / 100))
        strokes.append((np.array(points), tuple(corners)))
    return tuple(strokes)


def _parse_templates(table: str) -> dict[int, tuple[tuple[str, tuple], ...]]:
    """{digit: ((style name, parsed strokes), ...)} from the `_TEMPLATES` table."""
    specs: dict[str, str] = {}
    name = ""
    for line in table.strip("\n").splitlines():
        if not line[:1].isspace():
            name, line = line.split(maxsplit=1)
            specs[name] = ""
        specs[name] += " " + line.strip()
    parsed: dict[int, list] = {digit: [] for digit in range(10)}
    for name, spec in specs.items():
        parsed[int(name[0])].append((name, parse_strokes(spec)))
    return {digit: tuple(styles) for digit, styles in parsed.items()}


PARSED = _parse_templates(_TEMPLATES)
STYLES: dict[int, tuple[str, ...]] = {
    digit: tuple(name for name, _ in styles) for digit, styles in PARSED.items()
}


@dataclass(frozen=True, eq=False)  # eq=False: comparing tuples of arrays is ambiguous
class Drawing:
    """One mouse-drawn digit.

    strokes: each a read-only (K, 2) float64 array of (x, y) canvas pixel coordinates
        in drawing order, 2-6 px apart like mouse-move events; every point lies in
        [pen_width / 2, size - pen_width / 2], so the pen never leaves the canvas.
    label: the digit 0-9. pen_width: pen diameter in px. size: canvas side in px.
    style: template name, e.g. "4-open".
    """

    strokes: tuple[np.ndarray, ...]
    label: int
    pen_width: float
    size: int = CANVAS_SIZE
    style: str = ""


def _catmull_rom(points: np.ndarray, step: float = 0.005) -> np.ndarray:
    """Centripetal Catmull-Rom curve through (P, 2) points, sampled every ~`step` units.

    Centripetal knots keep the curve from looping or cusping between close points.
    Returns (M, 2) float64 starting at points[0] and ending at points[-1].
    """
    ends = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    out = [points[:1]]
    for i in range(len(points) - 1):
        p0, p1, p2, p3 = ends[i : i + 4]
        knots = np.cumsum(
            [0.0]
            + [max(np.linalg.norm(b - a) ** 0.5, 1e-6) for a, b in ((p0, p1), (p1, p2), (p2, p3))]
        )
        t0, t1, t2, t3 = knots
        n = max(2, int(np.ceil(np.linalg.norm(p2 - p1) / step)) + 1)
        t = np.linspace(t1, t2, n)[:, None]
        a1 = ((t1 - t) * p0 + (t - t0) * p1) / (t1 - t0)
        a2 = ((t2 - t) * p1 + (t - t1) * p2) / (t2 - t1)
        a3 = ((t3 - t) * p2 + (t - t2) * p3) / (t3 - t2)
        b1 = ((t2 - t) * a1 + (t - t0) * a2) / (t2 - t0)
        b2 = ((t3 - t) * a2 + (t - t1) * a3) / (t3 - t1)
        out.append((((t2 - t) * b1 + (t - t1) * b2) / (t2 - t1))[1:])
    return np.vstack(out)


def smooth_stroke(points: np.ndarray, corners: tuple[int, ...]) -> np.ndarray:
    """(P, 2) control points -> dense (M, 2) polyline, smooth between the corners."""
    cuts = sorted({0, len(points) - 1, *corners})
    pieces = [_catmull_rom(points[a : b + 1]) for a, b in pairwise(cuts)]
    return np.vstack([pieces[0]] + [piece[1:] for piece in pieces[1:]])


def _move_end(line: np.ndarray, delta: float) -> np.ndarray:
    """Overshoot (delta > 0: straight on along the end tangent) or stop short (< 0).

    line: (M, 2) dense polyline; delta in the line's units. Returns a new (M', 2).
    """
    arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(line, axis=0), axis=1))])
    length = arc[-1]
    if length < 1e-9:
        return line
    if delta >= 0:
        back = line[np.searchsorted(arc, max(length - 0.04, 0.0))]
        direction = line[-1] - back
        norm = np.linalg.norm(direction)
        return line if norm < 1e-9 else np.vstack([line, line[-1] + direction / norm * delta])
    keep_to = length + max(delta, -0.3 * length)
    cut = np.searchsorted(arc, keep_to)
    end = [np.interp(keep_to, arc, line[:, k]) for k in range(2)]
    return np.vstack([line[:cut], end])


def unit_strokes(template: tuple, rng: np.random.Generator) -> list[np.ndarray]:
    """Perturb a style's control points and smooth them: (M, 2) in digit heights."""
    # Moves the waist of the digit up or down: bigger or smaller top / bottom loops.
    lean = rng.uniform(-0.07, 0.07)
    strokes = []
    for points, corners in template:
        pts = points + rng.normal(0.0, 0.022, points.shape)
        pts[:, 1] += lean * np.sin(np.pi * np.clip(points[:, 1], 0.0, 1.0))
        line = smooth_stroke(pts, corners)
        line = _move_end(line, rng.uniform(-0.03, 0.05))
        line = _move_end(line[::-1], rng.uniform(-0.03, 0.05))[::-1]
        strokes.append(line)
    return strokes


def shape_strokes(
    strokes: list[np.ndarray],
    height_px: float,
    slant_deg: float,
    rotation_deg: float,
    aspect: float,
) -> list[np.ndarray]:
    """Stretch x by `aspect`, slant (> 0 leans right), rotate, scale to `height_px`.

    Returns (M, 2) px polylines centred on the origin.
    """
    rot = np.deg2rad(rotation_deg)
    matrix = (
        np.array([[np.cos(rot), -np.sin(rot)], [np.sin(rot), np.cos(rot)]])
        @ np.array([[1.0, -np.tan(np.deg2rad(slant_deg))], [0.0, 1.0]])
        @ np.diag([aspect, 1.0])
    )
    shaped = [s @ matrix.T for s in strokes]
    lo, hi = _bounds(shaped)
    scale = height_px / max(hi[1] - lo[1], 1e-9)
    return [(s - (lo + hi) / 2) * scale for s in shaped]


def _bounds(strokes: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(min xy, max xy) over all points of all strokes, each a (2,) array."""
    allpts = np.vstack(strokes)
    return allpts.min(axis=0), allpts.max(axis=0)


def wobble(
    strokes: list[np.ndarray], amplitude: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """Add slow hand tremor: smooth noise along the pen's path, about `amplitude` px."""
    lengths = [np.linalg.norm(np.diff(s, axis=0), axis=1) for s in strokes]
    offset, out = 0.0, []
    waves = rng.uniform(50.0, 180.0, (2, 3))
    phases = rng.uniform(0.0, 2 * np.pi, (2, 3))
    weights = rng.dirichlet(np.ones(3), 2) * amplitude
    for stroke, seg in zip(strokes, lengths, strict=True):
        arc = offset + np.concatenate([[0.0], np.cumsum(seg)])
        noise = (
            weights[:, None, :]
            * np.sin(2 * np.pi * arc[None, :, None] / waves[:, None, :] + phases[:, None, :])
        ).sum(axis=2)
        out.append(stroke + noise.T)
        offset = arc[-1] + 30.0  # the hand keeps moving between strokes
    return out


def place(
    strokes: list[np.ndarray], pen: float, size: int, offset: tuple[float, float]
) -> list[np.ndarray]:
    """Put origin-centred px strokes on the canvas, `offset` (fractions of size) off
    centre. Shrinks the digit if it would not fit and slides it back inside, so that
    every point keeps a pen radius from the border.
    """
    lo, hi = _bounds(strokes)
    room = size - pen
    shrink = min(1.0, room / max(hi[0] - lo[0], 1e-9), room / max(hi[1] - lo[1], 1e-9))
    strokes = [s * shrink for s in strokes]
    lo, hi = lo * shrink, hi * shrink
    centre = size / 2 + np.asarray(offset) * size
    shift = np.clip(centre, pen / 2 - lo, size - pen / 2 - hi)
    return [s + shift for s in strokes]


def mouse_events(line: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Resample a dense (M, 2) px polyline as mouse-move events: (K, 2), 2-6 px apart.

    Events come at a steady rate, so their spacing follows the hand's speed: slow at the
    start and end of a stroke, fastest in the middle.
    """
    seg = np.linalg.norm(np.diff(line, axis=0), axis=1)
    line = np.vstack([line[:1], line[1:][seg > 1e-9]])
    seg = seg[seg > 1e-9]
    if len(seg) == 0:
        return line[:1]
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    mid = (arc[:-1] + arc[1:]) / (2 * arc[-1])
    speed = np.clip(rng.uniform(4.5, 6.5) * (0.3 + 0.7 * np.sin(np.pi * mid) ** 0.5), 2.0, 6.0)
    time = np.concatenate([[0.0], np.cumsum(seg / speed)])
    ticks = np.linspace(0.0, time[-1], max(2, int(np.ceil(time[-1])) + 1))
    where = np.interp(ticks, time, arc)
    return np.column_stack([np.interp(where, arc, line[:, k]) for k in range(2)])


def _normal_look(rng: np.random.Generator) -> dict:
    """How a person draws on a 280 px canvas most of the time (px values for 280 px)."""
    return {
        "height": rng.uniform(0.45, 0.80),
        "offset": rng.uniform(-0.15, 0.15, 2),
        "slant": rng.uniform(-15.0, 20.0),
        "rotation": rng.uniform(-8.0, 8.0),
        "aspect": rng.uniform(0.85, 1.15),
        "pen": float(np.clip(rng.normal(18.0, 2.0), 14, 22)),
        "wobble": rng.uniform(1.0, 3.0),
    }


def _hard_look(rng: np.random.Generator) -> dict:
    """The awkward cases: tiny, huge, far off-centre, or a very thin / thick pen."""
    look = {
        "height": rng.uniform(0.45, 0.80),
        "offset": rng.uniform(-0.15, 0.15, 2),
        "slant": rng.uniform(-20.0, 25.0),
        "rotation": rng.uniform(-10.0, 10.0),
        "aspect": rng.uniform(0.8, 1.2),
        "pen": rng.uniform(8.0, 30.0),
        "wobble": rng.uniform(1.0, 3.5),
    }
    mode = rng.integers(4)
    if mode == 0:  # tiny, anywhere, corners included (place slides it back inside)
        look["height"], look["offset"] = (
            rng.uniform(0.12, 0.25),
            rng.uniform(-0.5, 0.5, 2),
        )
    elif mode == 1:  # huge: touches the edges at most
        look["height"], look["offset"] = (
            rng.uniform(0.85, 0.98),
            rng.uniform(-0.05, 0.05, 2),
        )
    elif mode == 2:  # far off-centre
        angle = rng.uniform(0.0, 2 * np.pi)
        look["height"] = rng.uniform(0.35, 0.60)
        look["offset"] = rng.uniform(0.25, 0.5) * np.array([np.cos(angle), np.sin(angle)])
    else:  # extreme pen
        look["pen"] = rng.uniform(8.0, 11.0) if rng.random() < 0.5 else rng.uniform(25.0, 30.0)
    # A thick pen on a tiny digit is a blob no one could read; people don't draw that.
    look["pen"] = min(look["pen"], max(8.0, 0.3 * look["height"] * _REFERENCE_SIZE))
    return look


def make_drawing(
    label: int,
    rng: np.random.Generator,
    variant: str = "normal",
    size: int = CANVAS_SIZE,
    style: str | None = None,
) -> Drawing:
    """Draw the digit `label` (0-9) in a random style or in `style` (in STYLES[label]).

    All randomness comes from `rng`; `variant` and `size` are as in `make_drawings`.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    if label not in PARSED:
        raise ValueError(f"label must be a digit 0-9, not {label!r}")
    styles = PARSED[label]
    if style is None:
        name, template = styles[rng.integers(len(styles))]
    else:
        name, template = next((s for s in styles if s[0] == style), (None, None))
        if name is None:
            raise ValueError(f"no style {style!r} for digit {label}; known: {STYLES[label]}")
    look = _normal_look(rng) if variant == "normal" else _hard_look(rng)
    px = size / _REFERENCE_SIZE
    pen = look["pen"] * px
    strokes = shape_strokes(
        unit_strokes(template, rng),
        look["height"] * size,
        look["slant"],
        look["rotation"],
        look["aspect"],
    )
    strokes = wobble(strokes, look["wobble"] * px, rng)
    strokes = place(strokes, pen, size, tuple(look["offset"]))
    events = []
    for stroke in strokes:
        points = np.clip(mouse_events(stroke, rng), pen / 2, size - pen / 2)
        points.flags.writeable = False
        events.append(points)
    return Drawing(tuple(events), int(label), float(pen), int(size), name)


def make_drawings(
    n: int, seed: int = 0, variant: str = "normal", size: int = CANVAS_SIZE
) -> list[Drawing]:
    """`n` drawings labelled 0, 1, ..., 9, 0, 1, ...; the same seed gives the same ones.

    variant "normal": height 45-80 % of the canvas, within 15 % of the centre, slant
    -15..+20 degrees, rotation +-8, width +-15 %, pen 14-22 px, 1-3 px hand wobble.
    variant "hard": tiny (12-25 %) anywhere, huge (85-98 %), far off-centre, or pen
    8-30 px; slant -20..+25 degrees. Drawing i depends on (seed, variant, i), not on n.
    Pixel sizes are for a 280 px canvas and scale with `size`.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, not {variant!r}")
    stream = VARIANTS.index(variant)
    return [
        make_drawing(i % 10, np.random.default_rng([seed, stream, i]), variant, size)
        for i in range(n)
    ]


def render(drawing: Drawing, invert: bool = False) -> np.ndarray:
    """Rasterise with a round, anti-aliased pen: (size, size) uint8, ink 255 on 0.

    invert=True gives black ink on white. Drawn 4x larger and box-filtered down, so
    the edges are anti-aliased like a canvas painted with antialiasing.
    """
    pixels = render_strokes(drawing.strokes, drawing.pen_width, (drawing.size, drawing.size))
    return 255 - pixels if invert else pixels


def render_strokes(
    strokes: tuple[np.ndarray, ...] | list[np.ndarray], pen_width: float, shape: tuple[int, int]
) -> np.ndarray:
    """Strokes ((K, 2) x, y canvas pixels each) drawn as :func:`render` draws a drawing's, on
    a canvas of ``shape`` (height, width): (H, W) uint8, ink 255 on 0."""
    image = Image.new("L", (shape[1] * _SUPERSAMPLE, shape[0] * _SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(image)
    width = pen_width * _SUPERSAMPLE
    radius = width / 2
    for stroke in strokes:
        # Pixel i covers [i, i + 1); its supersampled pixels cover [4i, 4i + 4).
        points = np.asarray(stroke) * _SUPERSAMPLE
        if len(points) > 1:
            draw.line(points.ravel().tolist(), fill=255, width=round(width))
        for x, y in points.tolist():
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(image.reduce(_SUPERSAMPLE)).copy()

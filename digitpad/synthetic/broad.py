"""Broad, procedural non-digits for the *tuning* part of ``synthetic.negatives`` only.

The outlier-exposure network of the verdict learnt its tuning sources rather than "not a
digit" when each kind had a handful of sources (shapes 94.5 % caught on the tuning part, 71 %
on the held-out one). These generators draw their parameters broadly, so that the held-out
sources (other fonts, other shapes and objects, another photo) are new to it but not out of
its reach. None of them copies a held-out source:

- ``letters``: more fonts of the tuning families and three more scripts (CJK ideographs,
  Hangul, Armenian; DroidSansFallback, DejaVu Sans), thin or bold, narrower or wider
  (``squeezed``), elastically distorted as a hand would;
- ``symbols``: dingbats (D050000L) and mathematical signs (DejaVu Math), distorted likewise;
- of both, ``TRACED`` (0.4) gone over with a mouse's pen: the glyph's skeleton drawn with one
  round pen of 8–24 px (``traced``), as someone drawing the letter would;
- ``scribbles``: random compositions of one to four smooth or cornered strokes;
- ``blobs``: filled random shapes (smooth lumps, stars, hulls, several at once), of any size;
- ``shapes``: irregular polygon outlines (never four corners: the held-out part has
  quadrilaterals) and lumpy closed curves, with or without marks inside, and as many
  common doodles (``DOODLES``: hearts, stars, faces, clouds, loops with deep notches, bars,
  triangles, curved arrows, targets), each from a formula with broad parameters, none from a
  stroke template;
- ``objects``: random compositions of three to six primitives (lines, arcs, loops, boxes,
  triangles, dots, wavy lines) and a dozen more object templates (chair, lamp, bottle, …);
- ``photos``: made-up photographs (coloured lumps, gradients, edges, noise) and crops of the
  tuning photo turned, mirrored, recoloured, relit and blurred, opened as a photo file is;
- ``two digits`` and ``textures`` keep their own tuning sources (already caught ≥ 98 %).

Characters written like a digit are left out of the new scripts as in ``negatives``.
Each maker takes (rng, i) and returns (280×280 canvas, source name), like ``negatives``'.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .. import preprocess
from . import drawn, scribbles

SIZE = drawn.CANVAS_SIZE

# More fonts of the tuning families (never a held-out family: serif, mono, gothic, script,
# narrow, C059, P052), and fonts with other scripts or signs.
MORE_FONTS = (
    "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansCondensed-Bold.ttf",
    "DejaVuSansCondensed-Oblique.ttf",
    "NimbusSans-Bold.otf",
    "NimbusSans-BoldItalic.otf",
    "NimbusRoman-Italic.otf",
    "NimbusRoman-BoldItalic.otf",
    "URWBookman-Demi.otf",
    "URWBookman-LightItalic.otf",
)
SCRIPT_FONT = "DroidSansFallbackFull.ttf"
DINGBAT_FONT = "D050000L.otf"
MATH_FONT = "DejaVuMathTeXGyre.ttf"
LATIN_MORE = "ÆŒÞÐßŁŊÇÑĦŦƩƱΔΦΨ¿ĆĐ"
ARMENIAN = "ԱԲԳԴԵԶԷԸԹԺԻԼԽԾԿՀՃՄՆՈՉՊՋՌՍՎՏՐՓՔՖաբդեէըթժիխծկհճմնշոչպջռվտրփքֆ"
# Left out as written like a digit: Ȣ Ž ¡; Armenian Յ Շ Ձ Ղ Ց Ւ Օ and գ զ ձ ղ ց ւ օ ս յ.
# Not ∫ nor the floor and ceiling brackets ⌈ ⌉ ⌊ ⌋ (a 1 or a 7).
MATH = "∮∯⊕⊗⊙⊘⊥∠∡△▽□◇◆▲▼◀▶⊂⊃⊆⊇∈∉∋∪∩∧∨¬∀∃∄∅∝∴∵≡≅≪≫⊢⊨⋈⟨⟩♭♮♯"


def _chars(lo: int, hi: int, skip: str = "") -> str:
    return "".join(chr(c) for c in range(lo, hi + 1) if chr(c) not in skip)


# Dingbats (D050000L keeps them at the ASCII codes): scissors, pencils, crosses, stars,
# flowers, boxes; not its circles (l, m) nor its vertical bars (x, y, z: a 1).
DINGBATS = _chars(0x21, 0x7E, "lmxyz")


@functools.cache
def _cjk(n: int = 600) -> str:
    """``n`` CJK ideographs and Hangul syllables spread over their blocks (not the few
    simplest, such as 一 二 十 口 乙, which are a dash, an equals sign, a plus, a box, a 2)."""
    ideo = [chr(c) for c in np.linspace(0x4E10, 0x9F00, n // 2).astype(int)]
    hangul = [chr(c) for c in np.linspace(0xAC00, 0xD7A0, n // 2).astype(int)]
    return "".join(ideo + hangul)


def elastic(canvas: np.ndarray, rng: np.random.Generator, amount: float | None = None):
    """``canvas`` (SIZE, SIZE) uint8 warped by a smooth random displacement, as a hand warps
    a printed shape (Simard et al. 2003)."""
    import cv2  # a dependency; imported here, build / benchmark time only
    from scipy.ndimage import gaussian_filter

    amount = rng.uniform(4.0, 16.0) if amount is None else amount
    sigma = rng.uniform(18.0, 40.0)
    dx, dy = (gaussian_filter(rng.normal(0, 1, (SIZE, SIZE)), sigma) for _ in range(2))
    scale = amount / max(np.abs(dx).max(), np.abs(dy).max(), 1e-9)
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    return cv2.remap(
        canvas,
        (x + scale * dx).astype(np.float32),
        (y + scale * dy).astype(np.float32),
        cv2.INTER_LINEAR,
    )


def thin(mask: np.ndarray) -> np.ndarray:
    """The skeleton of a boolean picture, one pixel wide (Zhang and Suen 1984).

    Hand-written rather than scikit-image's ``skeletonize`` (no dependency of DigitPad); it
    runs at build time only, on the tuning pictures, a few milliseconds each."""
    img = np.pad(mask.astype(bool), 1)
    while True:
        changed = False
        for first in (True, False):
            p = [np.roll(np.roll(img, -dy, 0), -dx, 1) for dy, dx in _RING]  # P2 … P9
            n = np.sum(p, axis=0)
            ring = p + p[:1]
            a = np.sum([(~ring[k]) & ring[k + 1] for k in range(8)], axis=0)
            if first:
                c = ~(p[0] & p[2] & p[4]) & ~(p[2] & p[4] & p[6])
            else:
                c = ~(p[0] & p[2] & p[6]) & ~(p[0] & p[4] & p[6])
            gone = img & (n >= 2) & (n <= 6) & (a == 1) & c
            if gone.any():
                img &= ~gone
                changed = True
        if not changed:
            return img[1:-1, 1:-1]


# P2 … P9 of Zhang and Suen: north, then clockwise
_RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


def traced(canvas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A printed glyph as a mouse would draw it: its skeleton gone over with one round pen
    (8–24 px on the 280 px canvas, the window's pens), softened at the edge."""
    import cv2  # a dependency; imported here, build / benchmark time only

    skeleton = thin(canvas > 127).astype(np.uint8) * 255
    width = int(rng.integers(8, 25))
    pen = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
    return cv2.GaussianBlur(cv2.dilate(skeleton, pen), (3, 3), 0)


def _glyph(chars, font_names, rng, i, render_glyph, glyphs):
    name = font_names[i % len(font_names)]
    have = glyphs(name, chars)
    char = have[int(rng.integers(len(have)))]
    canvas = render_glyph(char, name, rng)
    style = ""
    if rng.random() < SQUEEZED:
        canvas = squeezed(canvas, rng)
    if rng.random() < TRACED:
        canvas, style = traced(canvas, rng), "traced:"
    if rng.random() < 0.7:
        canvas = elastic(canvas, rng)
    return canvas, f"{style}{name}:{char}"


def squeezed(canvas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``canvas`` narrower or wider by up to 1.8× (one side shrunk, kept centred), as a hand
    writes a letter narrow or broad, whatever the font."""
    import cv2  # a dependency; imported here, build / benchmark time only

    f = float(np.exp(rng.uniform(np.log(0.55), np.log(1.8))))
    w, h = (round(SIZE * f), SIZE) if f < 1 else (SIZE, round(SIZE / f))
    small = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
    out = np.zeros_like(canvas)
    y, x = (SIZE - h) // 2, (SIZE - w) // 2
    out[y : y + h, x : x + w] = small
    return out


#: Share of the broad glyphs made narrower or wider (``squeezed``): the held-out part's narrow
#: and geometric fonts were missed most among the printed letters.
SQUEEZED = 0.4

#: Share of the broad glyphs gone over with a pen (``traced``): the held-out part's mouse-drawn
#: letters were missed most, and the tuning part's own drawn letters are a few templates.
TRACED = 0.4


def make_letters(rng, i, render_glyph, glyphs, base_chars, have):
    """Font letters of more fonts and scripts. ``render_glyph``, ``glyphs``: negatives'."""
    pick = i % 3
    if pick == 0 and SCRIPT_FONT in have:
        return _glyph(_cjk(), [SCRIPT_FONT], rng, i, render_glyph, glyphs)
    if pick == 1 and "DejaVuSans.ttf" in have:
        return _glyph(ARMENIAN + LATIN_MORE, ["DejaVuSans.ttf"], rng, i, render_glyph, glyphs)
    fonts = [f for f in MORE_FONTS if f in have] or ["DejaVuSans.ttf"]
    return _glyph(base_chars + LATIN_MORE, fonts, rng, i, render_glyph, glyphs)


def make_symbols(rng, i, render_glyph, glyphs, base_chars, have):
    pick = i % 3
    if pick == 0 and DINGBAT_FONT in have:
        return _glyph(DINGBATS, [DINGBAT_FONT], rng, i, render_glyph, glyphs)
    if pick == 1 and MATH_FONT in have:
        return _glyph(MATH, [MATH_FONT], rng, i, render_glyph, glyphs)
    fonts = [f for f in MORE_FONTS if f in have] or ["DejaVuSans.ttf"]
    return _glyph(base_chars, fonts, rng, i, render_glyph, glyphs)


# ------------------------------------------------------------------------------- strokes


def _draw(unit, rng, style, **look) -> tuple[np.ndarray, str]:
    drawing = scribbles.finish(unit, scribbles.pen_look(rng, **look), SIZE, style, rng)
    return drawn.render(drawing), style


def _curve(rng, k=None, corners=False) -> np.ndarray:
    k = int(rng.integers(3, 9)) if k is None else k
    pts = rng.uniform(0, 1, (k, 2))
    sharp = tuple(j for j in range(1, k - 1) if corners and rng.random() < 0.5)
    return drawn.smooth_stroke(pts, sharp)


def make_scribbles(rng, i):
    n = int(rng.integers(1, 5))
    # One stroke through three or four points may be a 1, a 7 or an L: a lone one has more.
    least = 6 if n == 1 else 3
    strokes = [
        _curve(rng, int(rng.integers(least, 9)), corners=rng.random() < 0.5) for _ in range(n)
    ]
    return _draw(strokes, rng, f"strokes:{len(strokes)}", height=rng.uniform(0.4, 0.9))


def _primitive(rng) -> tuple[str, np.ndarray]:
    kind = ("line", "arc", "loop", "box", "triangle", "dot", "wave", "polyline")[
        int(rng.integers(8))
    ]
    c = rng.uniform(0.15, 0.85, 2)
    r = rng.uniform(0.08, 0.35, 2)
    if kind == "line":
        a = rng.uniform(0, np.pi)
        d = np.array([np.cos(a), np.sin(a)]) * r[0] * 1.5
        return kind, np.array([c - d, c + d])
    if kind in ("arc", "loop"):
        t0 = rng.uniform(0, 2 * np.pi)
        span = rng.uniform(1.0, 4.5) if kind == "arc" else 2 * np.pi
        t = t0 + np.linspace(0, span, 40)
        return kind, c + np.column_stack([np.cos(t), np.sin(t)]) * r
    if kind in ("box", "triangle"):
        k = 4 if kind == "box" else 3
        t = rng.uniform(0, 2 * np.pi) + np.arange(k + 1) * 2 * np.pi / k
        return kind, c + np.column_stack([np.cos(t), np.sin(t)]) * r
    if kind == "dot":
        return kind, c[None, :] + rng.normal(0, 0.005, (2, 2))
    if kind == "wave":
        x = np.linspace(-1, 1, 40)
        y = np.sin(x * rng.uniform(4, 12)) * rng.uniform(0.1, 0.3)
        return kind, c + np.column_stack([x * r[0] * 1.5, y * r[1] * 2])
    pts = c + rng.uniform(-1, 1, (int(rng.integers(3, 6)), 2)) * r
    return kind, pts


def make_composition(rng, i, lo=3, hi=7):
    """Three to six primitives anywhere in the box: a made-up object or sign (two lines may
    make a 7, a line and a loop a 6 or a 9)."""
    parts = [_primitive(rng) for _ in range(int(rng.integers(lo, hi)))]
    names = "+".join(sorted({k for k, _ in parts}))
    return _draw([p for _, p in parts], rng, f"composition:{names}", height=rng.uniform(0.45, 0.9))


def _polygon(rng, k: int) -> np.ndarray:
    """A closed irregular polygon of ``k`` corners, never a sliver (a thin one is a 1)."""
    for _ in range(20):
        t = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(0.3, 1.0, k)
        pts = np.column_stack([rad * np.cos(t), rad * np.sin(t)])
        x, y = pts[:, 0], pts[:, 1]
        area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
        span = np.ptp(pts, axis=0)
        if area >= 0.35 * span.max() ** 2:
            break
    return np.vstack([pts, pts[:1]])


def _lumpy(rng) -> np.ndarray:
    """A closed curve far from an ellipse: harmonics 2–5 of a circle, strongly."""
    t = np.linspace(0, 2 * np.pi, 120)
    rad = np.ones_like(t)
    for h in range(2, 6):
        rad += rng.uniform(0.05, 0.3) * np.cos(h * t + rng.uniform(0, 2 * np.pi))
    return np.column_stack([rad * np.cos(t), rad * np.sin(t)])


def _closed(x: np.ndarray, y: np.ndarray, rng) -> np.ndarray:
    """A closed curve as a hand draws it: begun anywhere, ending a little short or past."""
    pts = np.column_stack([x, y])[:-1]
    pts = np.roll(pts, -int(rng.integers(len(pts))), axis=0)
    extra = int(len(pts) * rng.uniform(-0.04, 0.06))
    return pts[: len(pts) + extra] if extra < 0 else np.vstack([pts, pts[: extra + 1]])


def _heart(rng) -> list[np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 121)
    x = 16 * np.sin(t) ** 3 * rng.uniform(0.8, 1.25)
    y = -(13 * np.cos(t) - rng.uniform(3, 7) * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t))
    if rng.random() < 0.4:  # two strokes, from the dip to the tip on each side
        return [np.column_stack([x[:61], y[:61]]), np.column_stack([x[60:], y[60:]])[::-1]]
    return [_closed(x, y, rng)]


def _star(rng) -> list[np.ndarray]:
    k = int(rng.integers(5, 9))
    a0 = rng.uniform(0, 2 * np.pi)
    if rng.random() < 0.4 and k in (5, 7):  # drawn without lifting the pen: {k/2}
        t = a0 + np.arange(k + 1) * 4 * np.pi / k
        rad = rng.uniform(0.9, 1.1, k + 1)
    else:  # the outline of a k-pointed star
        t = a0 + np.arange(2 * k + 1) * np.pi / k
        rad = np.where(np.arange(2 * k + 1) % 2 == 0, 1.0, rng.uniform(0.35, 0.6))
        rad = rad * rng.uniform(0.9, 1.1, 2 * k + 1)
    rad[-1] = rad[0]
    return [np.column_stack([rad * np.cos(t), rad * np.sin(t)])]


def _face(rng) -> list[np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 81)
    outline = _closed(np.cos(t) * rng.uniform(0.85, 1.15), np.sin(t), rng)
    eye_y, eye_x = rng.uniform(-0.45, -0.2), rng.uniform(0.25, 0.45)
    if rng.random() < 0.5:  # dots
        eyes = [np.array([[s * eye_x, eye_y], [s * eye_x + 0.01, eye_y + 0.01]]) for s in (-1, 1)]
    else:  # short dashes or little rings
        r = rng.uniform(0.06, 0.12)
        u = np.linspace(0, 2 * np.pi, 16)
        ring = rng.random() < 0.5
        eyes = [
            np.column_stack([s * eye_x + r * np.cos(u), eye_y + r * np.sin(u)])
            if ring
            else np.array([[s * eye_x, eye_y - r], [s * eye_x, eye_y + r]])
            for s in (-1, 1)
        ]
    u = np.linspace(-1, 1, 20) * rng.uniform(0.3, 0.55)
    mouth = np.column_stack([u, rng.uniform(0.3, 0.5) + rng.uniform(-0.5, 0.6) * (0.3 - u**2)])
    return [outline, *eyes, mouth]


def _cloud(rng) -> list[np.ndarray]:
    n = int(rng.integers(4, 9))
    t = np.linspace(0, 2 * np.pi, 30 * n + 1)
    rad = 1 + rng.uniform(0.12, 0.3) * np.abs(np.sin(n * (t + rng.uniform(0, 1)) / 2))
    x, y = 1.5 * rad * np.cos(t), rad * np.sin(t)
    if rng.random() < 0.6:  # a flat underside
        y = np.minimum(y, rng.uniform(0.4, 0.8))
    return [_closed(x, y, rng)]


def _notched(rng) -> list[np.ndarray]:
    """A closed loop with one to four sharp notches on one side (bumps between them), and
    sometimes a pointed tip across from them: hearts, clouds, bitten apples, lemons as
    formulas, none a template. The notches are 0.4–0.65 of the radius deep and never across
    from each other (a waisted loop is an 8 to some writers)."""
    t = np.linspace(0, 2 * np.pi, 241)
    k = int(rng.integers(1, 5))
    side = rng.uniform(0, 2 * np.pi)
    angles = side + rng.uniform(-0.45, 0.45, k) * (np.pi if k > 1 else 0.0)  # one: at side
    rad = np.ones_like(t)
    for a in angles:
        gap = np.abs(np.angle(np.exp(1j * (t - a))))
        width = rng.uniform(0.3, 0.6)
        rad -= rng.uniform(0.4, 0.65) * np.clip(1 - gap / width, 0, None) ** rng.uniform(1.0, 2.0)
    if rng.random() < 0.5:  # a pointed tip across from the notches
        gap = np.abs(np.angle(np.exp(1j * (t - side - np.pi))))
        rad += rng.uniform(0.2, 0.5) * np.clip(1 - gap / rng.uniform(0.6, 1.2), 0, None) ** 1.5
    rad = np.maximum(rad, 0.3)
    x, y = rng.uniform(0.7, 1.6) * rad * np.cos(t), rad * np.sin(t)
    if k > 1 and rng.random() < 0.4:  # a flat underside, across from the notches
        along = x * np.cos(side) + y * np.sin(side)
        floor = rng.uniform(0.5, 0.8)
        across = np.maximum(along, -floor) - along
        x, y = x + across * np.cos(side), y + across * np.sin(side)
    return [_closed(x, y, rng)]


def _bars(rng) -> list[np.ndarray]:
    """Two to four bars one above the other (= ≡ ≈), never upright (that would be 11)."""
    n = int(rng.integers(2, 4))
    a = rng.uniform(-0.35, 0.35)
    u = np.linspace(-1, 1, 24)
    wavy = rng.random() < 0.3
    bars = []
    for j in range(n):
        length = rng.uniform(0.8, 1.2)
        v = j * rng.uniform(0.5, 0.9) + (0.12 * np.sin(u * 6) if wavy else 0 * u)
        bx, by = u * length + rng.uniform(-0.1, 0.1), v
        bars.append(
            np.column_stack([bx * np.cos(a) - by * np.sin(a), bx * np.sin(a) + by * np.cos(a)])
        )
    return bars


def _triangle(rng) -> list[np.ndarray]:
    for _ in range(20):
        pts = rng.uniform(-1, 1, (3, 2))
        (ax, ay), (bx, by) = pts[1] - pts[0], pts[2] - pts[0]
        area = 0.5 * abs(ax * by - ay * bx)
        if area >= 0.35 * np.ptp(pts, axis=0).max() ** 2:
            break
    if rng.random() < 0.3:  # three strokes
        return [np.array([pts[j], pts[(j + 1) % 3]]) for j in range(3)]
    closing = pts[0] + (pts[1] - pts[0]) * rng.uniform(-0.05, 0.15)
    return [np.vstack([pts, closing])]


def _curved_arrow(rng) -> list[np.ndarray]:
    t = rng.uniform(0, 2 * np.pi) + np.linspace(0, rng.uniform(1.5, 4.5), 40)
    arc = np.column_stack([np.cos(t), np.sin(t)])
    tip, back = arc[-1], arc[-4]
    d = (tip - back) / np.linalg.norm(tip - back)
    side = np.array([-d[1], d[0]])
    size = rng.uniform(0.3, 0.5)
    head = np.array([tip - size * (d + 0.7 * side), tip, tip - size * (d - 0.7 * side)])
    return [arc, head] if rng.random() < 0.6 else [np.vstack([arc, head[:1]])[:-1], head]


def _target(rng) -> list[np.ndarray]:
    """Two or three rings one inside the other, apart enough for the pen."""
    t = np.linspace(0, 2 * np.pi, 61)
    k = int(rng.integers(2, 4))
    radii = np.linspace(1, rng.uniform(0.3, 0.45) if k == 3 else rng.uniform(0.3, 0.6), k)
    rings = [np.column_stack([np.cos(t), np.sin(t)]) * r for r in radii]
    if rng.random() < 0.5:  # and a dot in the middle
        rings.append(np.array([[0.0, 0.0], [0.01, 0.01]]))
    return rings


#: Common doodles, each drawn from its own formula with broad parameters (not from the
#: held-out part's stroke templates): hearts, stars, faces, clouds, bars (= ≡ ≈), triangles,
#: curved arrows and targets.
DOODLES = {
    "heart": _heart,
    "star": _star,
    "face": _face,
    "cloud": _cloud,
    "notched loop": _notched,
    "bars": _bars,
    "triangle": _triangle,
    "curved arrow": _curved_arrow,
    "target": _target,
}


def make_doodle(rng, i):
    name = list(DOODLES)[(i // 3) % len(DOODLES)]
    return _draw(DOODLES[name](rng), rng, f"doodle:{name}")


def make_shapes(rng, i):
    if i % 2 == 1:  # half are doodles
        return make_doodle(rng, i // 2)
    if i % 4 == 0:
        k = (3, 5, 6, 7, 8, 9)[int(rng.integers(6))]  # not 4: quadrilaterals are held out
        outline, style = _polygon(rng, k), f"irregular polygon:{k}"
    else:
        outline, style = _lumpy(rng), "lumpy curve"
    strokes = [drawn.smooth_stroke(outline, tuple(range(len(outline))))]
    if style == "lumpy curve":
        strokes = [outline]
    marks = int(rng.integers(0, 4))
    for _ in range(marks):  # things inside: dots, dashes, a curve
        _, p = _primitive(rng)
        strokes.append((p - 0.5) * rng.uniform(0.5, 1.0))
    return _draw(strokes, rng, f"{style}+{marks}")


def make_blobs(rng, i):
    img = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(img)
    count = 1 if rng.random() < 0.6 else int(rng.integers(2, 5))
    style = ("lump", "star", "hull", "box")[i % 4]
    for _ in range(count):
        c = rng.uniform(40, 240, 2)
        # Never a thin bar (a filled bar is a 1): the sides stay within 1:2.
        r = rng.uniform(10, 110 if count == 1 else 50) * np.array([1.0, rng.uniform(0.5, 2.0)])
        if style == "lump":
            pts = _lumpy(rng)
        elif style == "star":
            k = int(rng.integers(4, 9))
            t = np.arange(2 * k) * np.pi / k + rng.uniform(0, np.pi)
            rad = np.where(np.arange(2 * k) % 2 == 0, 1.0, rng.uniform(0.3, 0.7))
            pts = np.column_stack([rad * np.cos(t), rad * np.sin(t)])
        elif style == "hull":
            pts = _polygon(rng, int(rng.integers(3, 12)))
        else:
            pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], float)
        xy = c + pts * r
        draw.polygon([tuple(p) for p in xy.tolist()], fill=255)
    out = np.asarray(img)
    if rng.random() < 0.5:
        out = elastic(out, rng)
    return out, f"filled {style}:{count}"


# Drawings of things no held-out object is (same format as negatives.OBJECTS).
OBJECTS = {
    "chair": "20,0 20,100 / 20,55 80,55* 80,100 / 20,55 20,0* 70,0* 70,55",
    "table": "0,30 100,30 / 10,30 10,100 / 90,30 90,100 / 0,30 10,20* 90,20* 100,30",
    "lamp": "30,0 70,0* 90,40* 10,40* 30,0 / 50,40 50,90 / 25,100 75,100",
    "bottle": "40,0 60,0* 60,25* 75,40 75,100* 25,100* 25,40 40,25* 40,0",
    "hat": "0,80 100,80 / 20,80 25,30 50,20 75,30 80,80",
    "shirt": "30,0 0,20* 12,40* 25,32* 25,100* 75,100* 75,32* 88,40* 100,20* 70,0* 50,15 30,0",
    "book": "0,10 50,20* 100,10* 100,90* 50,100* 0,90* 0,10 / 50,20 50,100",
    "clock": "50,0 20,8 2,35 5,70 25,95 55,100 85,88 100,55 92,20 70,3 50,0 / 50,50 50,20 "
    "/ 50,50 72,60",
    "kite": "50,0 90,35* 50,100* 10,35* 50,0 / 10,35 90,35 / 50,100 40,115 60,125 45,140",
    "mushroom": "0,50 10,20 50,0 90,20 100,50* 0,50 / 35,50 32,100* 68,100* 65,50",
    "rocket": "50,0 70,30* 70,80* 30,80* 30,30* 50,0 / 30,60 10,90* 30,80 / 70,60 90,90* 70,80",
    "leaf": "0,100 20,50 50,15 100,0 85,50 50,85 0,100 / 0,100 70,30",
    "pencil": "0,90 10,70* 80,0* 100,20* 30,90* 0,90 / 10,70 30,90",
    "flag": "10,100 10,0* 90,15* 10,40",
    "bed": "0,30 0,100 / 0,70 100,70* 100,100 / 0,50 100,50* 100,70 / 10,50 10,38 30,38 30,50",
    "scissors": "10,10 30,30 40,50 30,70 10,90 / 60,10 40,50 60,90 / 10,10 5,0 0,15 10,10",
}
_PARSED = {k: drawn.parse_strokes(v) for k, v in OBJECTS.items()}


def make_objects(rng, i):
    if i % 2 == 0:
        return make_composition(rng, i)
    name = list(OBJECTS)[(i // 2) % len(OBJECTS)]
    unit = drawn.unit_strokes(_PARSED[name], rng)
    return _draw(unit, rng, name, height=rng.uniform(0.5, 0.85))


@functools.cache
def sample_photo(name: str) -> Image.Image:
    """One of scikit-learn's sample photographs (``china.jpg`` tunes, ``flower.jpg`` is held
    out)."""
    from sklearn.datasets import load_sample_image  # build/benchmark time only

    return Image.fromarray(load_sample_image(name))


def square_crop(img: Image.Image, rng: np.random.Generator, smallest: float) -> Image.Image:
    """A random square of ``img``, ``smallest``–1 of its shorter side, resized to the canvas."""
    w, h = img.size
    side = int(rng.uniform(smallest, 1.0) * min(w, h))
    x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
    return img.crop((x, y, x + side, y + side)).resize((SIZE, SIZE), Image.Resampling.BOX)


_TURNS = (
    None,
    Image.Transpose.FLIP_LEFT_RIGHT,
    Image.Transpose.FLIP_TOP_BOTTOM,
    Image.Transpose.ROTATE_90,
    Image.Transpose.ROTATE_180,
    Image.Transpose.ROTATE_270,
    Image.Transpose.TRANSPOSE,
)


def opened(img: Image.Image) -> np.ndarray:
    """What opening ``img`` as a photo file gives the verdict (nothing, when it is refused)."""
    try:
        return preprocess.ink_from_pil(img)
    except ValueError:  # page.NoDigit / SeveralDigits: the loader refuses it, nothing to read
        return np.zeros((SIZE, SIZE), np.float32)


def make_varied_crop(rng, i) -> tuple[np.ndarray, str]:
    """A crop of the tuning photo turned or mirrored, its colours swapped, its light and
    contrast changed, sometimes blurred: other pictures than the tuning crops' own, so that
    the detector learns photographs rather than that photo."""
    crop = square_crop(sample_photo("china.jpg"), rng, 0.1)  # the tuning part's own photo
    turn = _TURNS[int(rng.integers(len(_TURNS)))]
    if turn is not None:
        crop = crop.transpose(turn)
    arr = np.asarray(crop, np.float32)[..., rng.permutation(3)] / 255
    arr = arr ** float(np.exp(rng.uniform(np.log(0.5), np.log(2.0))))
    arr = (arr - arr.mean()) * rng.uniform(0.6, 1.6) + arr.mean()
    crop = Image.fromarray((np.clip(arr, 0, 1) * 255).astype(np.uint8), "RGB")
    if rng.random() < 0.5:
        crop = crop.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 3))))
    return opened(crop), "varied photo crop"


def make_photo(rng, i) -> tuple[np.ndarray, str]:
    """A made-up photograph: a gradient, coloured lumps and boxes, blur and grain, opened as
    a photo file is (``preprocess.ink_from_pil``); every other one a varied crop of the tuning
    photo (``make_varied_crop``)."""
    if i % 2 == 1:
        return make_varied_crop(rng, i)
    g = np.linspace(0, 1, SIZE)
    base = rng.uniform(0, 255, 3)
    tilt = rng.uniform(-120, 120, 3)
    arr = base + tilt * g[:, None, None] * np.ones((1, SIZE, 1))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(2, 12))):
        c = rng.uniform(0, SIZE, 2)
        r = rng.uniform(10, 120, 2)
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        box = (c[0] - r[0], c[1] - r[1], c[0] + r[0], c[1] + r[1])
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0, 6))))
    noisy = np.asarray(img, np.float32) + rng.normal(0, rng.uniform(0, 20), (SIZE, SIZE, 3))
    img = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")
    return opened(img), "made-up photo"

"""Pictures that are not one digit, by kind, each split into a tuning part and a held-out part.

What a user may draw or open that is no digit, to measure how often the "not sure" verdict
catches it (``benchmarks/bench_verdict.py``) and to choose its thresholds (on the tuning part
only). Every picture is what the window or ``load_image`` would make of it, a (28, 28) float32
model input: canvas pictures (white ink on black, 280×280) go through ``preprocess.to_mnist``,
photographs through ``preprocess.ink_from_pil`` first, as an opened file does.

The two parts never share a source: different fonts, glyphs, templates, images or seeds.

- ``letters``: Latin capitals and small letters, Greek, Cyrillic and Hebrew letters rendered
  from the fonts on this machine (tuning: sans and roman fonts; held-out: other families,
  serif, mono, gothic, script), with a pen-like outline of random width, slanted, rotated,
  placed anywhere; plus the hand-drawn letters of ``scribbles.LETTERS`` (every other glyph in
  each part). Letters written like a digit are left out (O, I, l, Z, S, B, b, G, g, q, Θ, θ,
  З, з, Ч, ч, б, ו, …).
- ``symbols``: signs and symbols (+ × ÷ = # % & @ ? ← → ♥ ★ ♪ √ ∞ …) from the same fonts,
  split by font as the letters are.
- ``scribbles``: tangles and zig-zags (``scribbles``), split by seed.
- ``blobs``: coloured-in areas and dots (``scribbles``), filled ellipses and polygons.
- ``shapes``: ``scribbles``' shapes (triangle, star, heart, …; split by shape) and outlines
  of triangles and pentagons (tuning) or quadrilaterals (held-out).
- ``two digits``: two or three drawn digits side by side (``scribbles``, by seed), and two
  MNIST digits side by side (tuning: the validation split; held-out: the test set).
- ``objects``: drawings of things (house, cup, tree, car, fish, …), split by object.
- ``photos``: crops of the photographs that ship with scikit-learn (tuning: ``china.jpg``;
  held-out: ``flower.jpg``).
- ``textures``: procedural textures (noise, stripes, checks, grids, dots, waves, hatching,
  cells), split by generator.

Beside the kinds, ``pen_letters``: Latin letters of A. V. Hershey's single-stroke fonts
(``hershey``) written with the mouse's pen, split by font (``hershey.FONTS``): letters as a person
writes them, cursive hands among them, which the font glyphs above are not.

    >>> pics = make("letters", "tune", 12, seed=0)
    >>> len(pics), pics[0].image.shape, pics[0].image.dtype
    (12, (28, 28), dtype('float32'))
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .. import preprocess
from . import broad, drawn, hershey, scribbles

KINDS = (
    "letters",
    "symbols",
    "scribbles",
    "blobs",
    "shapes",
    "two digits",
    "objects",
    "photos",
    "textures",
)
PARTS = ("tune", "held-out")
SIZE = drawn.CANVAS_SIZE

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "C:/Windows/Fonts")
TUNE_FONTS = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSansCondensed.ttf",
    "NimbusSans-Regular.otf",
    "NimbusSans-Italic.otf",
    "NimbusRoman-Regular.otf",
    "NimbusRoman-Bold.otf",
    "URWBookman-Light.otf",
)
HELD_OUT_FONTS = (
    "DejaVuSerif.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSans-ExtraLight.ttf",
    "C059-Roman.otf",
    "P052-Italic.otf",
    "URWGothic-Book.otf",
    "NimbusMonoPS-Regular.otf",
    "Z003-MediumItalic.otf",
    "NimbusSansNarrow-Regular.otf",
)

LATIN = "ACDEFHJKLMNPQRTUVWXYacdefhkmnprtuvwxy"
GREEK = "ΓΔΛΞΠΣΦΨΩαβγεζηλμξπφψω"
CYRILLIC = "БГДЖИЙЛПФЦШЩЪЫЭЮЯвгджилпфцшщъыьэюя"
HEBREW = "אבגדהחטכלמנסעפצקרשת"
SYMBOLS = "+×÷=≠±#%&@?*~<>«»©®¶€¥←→↔↗♥♦♣♠★☆♪♫√∞∑∂∇≈≤≥☺☼✓✗⌘♀♂☯⚓"


@dataclass(frozen=True)
class Picture:
    """One non-digit: the model input (28, 28) float32 in [0, 1], its kind and its source."""

    image: np.ndarray
    kind: str
    source: str


def make(kind: str, part: str, n: int, seed: int = 0) -> list[Picture]:
    """``n`` pictures of ``kind`` (see ``KINDS``) from ``part`` ("tune" or "held-out").

    The same arguments give the same pictures. Pictures with no ink at all (a crop of a flat
    sky) are skipped: the app says "Draw a digit" or refuses the file for those. So are photos
    the loader refuses ("no digit found", "several digits"): the rates measured on this kind
    are on the photos that reach the verdict, the harder part.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, not {part!r}")
    held = part == "held-out"
    maker = _MAKERS[kind] if held else functools.partial(_tuning, kind)
    out: list[Picture] = []
    i = 0
    while len(out) < n and i < 4 * n + 10:
        rng = np.random.default_rng([seed, KINDS.index(kind), int(held), i])
        canvas, source = maker(rng, held, i)
        image = preprocess.to_mnist(canvas)
        if image is not None:
            out.append(Picture(image, kind, source))
        i += 1
    return out


def _tuning(kind: str, rng: np.random.Generator, held: bool, i: int) -> tuple[np.ndarray, str]:
    """The tuning part: every other picture from ``synthetic.broad``'s generators (for the
    kinds that have them), the rest from the tuning sources below."""
    if kind not in _BROAD:
        return _MAKERS[kind](rng, False, i)
    canvas, source = _BROAD[kind](rng, i // 2) if i % 2 == 1 else _MAKERS[kind](rng, False, i // 2)
    if kind == "photos" and _a_bar(canvas):  # a crop whose ink is one thin upright bar: a 1
        canvas = np.zeros_like(canvas)
    return canvas, source


def _a_bar(canvas: np.ndarray) -> bool:
    """True when the ink is one tall, thin piece (width at most a third of the height)."""
    ink = np.asarray(canvas) > 0.35 * (float(np.max(canvas)) or 1.0)
    if not ink.any():
        return False
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return (cols[-1] - cols[0] + 1) <= (rows[-1] - rows[0] + 1) / 3


# ------------------------------------------------------------------------------- glyphs


@functools.cache
def font_paths() -> dict[str, Path]:
    """Font file name → path, for the fonts found on this machine."""
    found: dict[str, Path] = {}
    for root in FONT_DIRS:
        if Path(root).is_dir():
            for p in sorted(Path(root).rglob("*")):
                if p.suffix.lower() in (".ttf", ".otf"):
                    found.setdefault(p.name, p)
    return found


@functools.cache
def _font(name: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_paths()[name]), 160)


@functools.cache
def _missing_mask(name: str) -> bytes:
    return bytes(_font(name).getmask("\ue000"))


@functools.cache
def glyphs(name: str, chars: str) -> tuple[str, ...]:
    """The characters of ``chars`` font ``name`` has a glyph for (not its "missing" box)."""
    font = _font(name)
    missing = _missing_mask(name)
    return tuple(c for c in chars if bytes(font.getmask(c)) != missing and font.getbbox(c)[2] > 0)


def fonts(held: bool) -> list[str]:
    wanted = HELD_OUT_FONTS if held else TUNE_FONTS
    have = font_paths()
    names = [f for f in wanted if f in have]
    if not names:
        raise RuntimeError(f"none of the fonts {wanted} is installed")
    return names


def missing_fonts() -> list[str]:
    """The fonts the sets draw glyphs from that this machine lacks. Their glyphs then come from
    the fonts that are there, so the sets differ from machine to machine: benchmarks and fits
    say which were missing (Debian: fonts-dejavu-core, fonts-dejavu-extra, fonts-urw-base35,
    fonts-droid-fallback)."""
    from . import broad

    wanted = (*TUNE_FONTS, *HELD_OUT_FONTS, *broad.MORE_FONTS)
    wanted += (broad.SCRIPT_FONT, broad.DINGBAT_FONT, broad.MATH_FONT)
    have = font_paths()
    return sorted({f for f in wanted if f not in have})


def render_glyph(char: str, font: str, rng: np.random.Generator) -> np.ndarray:
    """(SIZE, SIZE) uint8: ``char`` in ``font``, ink 255 on 0, with a pen-like outline of random
    width, scaled, rotated, sheared and placed as a person might draw it."""
    f = _font(font)
    stroke = int(rng.integers(0, 9))
    left, top, right, bottom = f.getbbox(char, stroke_width=stroke)
    w, h = right - left + 8, bottom - top + 8
    glyph = Image.new("L", (w, h), 0)
    ImageDraw.Draw(glyph).text(
        (4 - left, 4 - top), char, font=f, fill=255, stroke_width=stroke, stroke_fill=255
    )
    shear = rng.uniform(-0.25, 0.25)
    glyph = glyph.transform(
        (w + int(abs(shear) * h), h),
        Image.Transform.AFFINE,
        (1, shear, -max(shear, 0) * h, 0, 1, 0),
        resample=Image.Resampling.BILINEAR,
    )
    glyph = glyph.rotate(rng.uniform(-12, 12), resample=Image.Resampling.BILINEAR, expand=True)
    return _place(np.asarray(glyph), rng)


def _place(picture: np.ndarray, rng: np.random.Generator, lo=0.3, hi=0.85) -> np.ndarray:
    """``picture`` (h, w) uint8 scaled so its longer side is lo–hi of the canvas, placed at a
    random spot on a black SIZE×SIZE canvas."""
    h, w = picture.shape
    side = rng.uniform(lo, hi) * SIZE
    scale = side / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = np.asarray(Image.fromarray(picture).resize((nw, nh), Image.Resampling.BOX))
    canvas = np.zeros((SIZE, SIZE), np.uint8)
    y = int(rng.integers(0, SIZE - nh + 1))
    x = int(rng.integers(0, SIZE - nw + 1))
    canvas[y : y + nh, x : x + nw] = small
    return canvas


def _glyph_of(chars: str):
    def maker(rng: np.random.Generator, held: bool, i: int) -> tuple[np.ndarray, str]:
        names = fonts(held)
        name = names[i % len(names)]
        have = glyphs(name, chars) or glyphs(names[0], chars)
        char = have[int(rng.integers(len(have)))]
        return render_glyph(char, name, rng), f"{name}:{char}"

    return maker


_FONT_LETTERS = _glyph_of(LATIN + GREEK + CYRILLIC + HEBREW)
_SYMBOLS = _glyph_of(SYMBOLS)


def pen_letters(n: int, seed: int = 0, part: str = "held-out") -> list[Picture]:
    """``n`` Latin letters (``LATIN``) of the ``hershey.FONTS[part]`` written with the mouse's pen,
    through ``to_mnist``: letters as a person writes them, print, italic, cursive and gothic
    (``hershey.written``; a cursive Q and J, written like a 2 and an 8, left out). A set of its
    own beside the kinds: ``verdict_fit`` adds the tuning part to the letters, and
    ``benchmarks/bench_verdict.py`` gives it a row."""
    drawn_in = hershey.fonts(part)
    out = []
    for i in range(n):
        rng = np.random.default_rng([seed, len(KINDS), int(part == "held-out"), i])
        font = drawn_in[i % len(drawn_in)]
        chars = hershey.letters_of(font, LATIN)
        source = f"hershey:{font}:{chars[int(rng.integers(len(chars)))]}"
        image = preprocess.to_mnist(hershey.written(font, source[-1], rng))
        if image is not None:
            out.append(Picture(image, "letters", source))
    return out


def _letters(rng, held, i):
    if i % 4 == 3:  # a quarter are drawn with the mouse (the hand-made letter strokes)
        names = list(scribbles.LETTERS)[int(held) :: 2]
        name = names[int(rng.integers(len(names)))]
        unit = drawn.unit_strokes(drawn.parse_strokes(scribbles.LETTERS[name]), rng)
        return _draw(unit, scribbles.pen_look(rng), rng, f"drawn:{name}")
    return _FONT_LETTERS(rng, held, i)


# ------------------------------------------------------------------------------- strokes


def _draw(unit, look, rng, style) -> tuple[np.ndarray, str]:
    drawing = scribbles.finish(unit, look, SIZE, style, rng)
    return drawn.render(drawing), style


def _scribble_kind(names: tuple[str, ...]):
    """Drawings of ``scribbles``' kinds ``names``, each part from its own seeds."""

    def maker(rng, held, i):
        kind = names[i % len(names)]
        d = scribbles.make_scribble(kind, rng)
        return drawn.render(d), d.style

    return maker


def _blobs(rng, held, i):
    if i % 3 < 2:
        return _scribble_kind(("blob", "dots"))(rng, held, i)
    img = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(img)
    c = rng.uniform(70, 210, 2)
    r = rng.uniform(25, 100, 2)
    if held:  # a filled random polygon
        k = int(rng.integers(5, 12))
        t = np.sort(rng.uniform(0, 2 * np.pi, k))
        rad = rng.uniform(0.5, 1.0, k)
        pts = np.column_stack([c[0] + r[0] * rad * np.cos(t), c[1] + r[1] * rad * np.sin(t)])
        draw.polygon([tuple(p) for p in pts.tolist()], fill=255)
        return np.asarray(img), "polygon"
    draw.ellipse((c[0] - r[0], c[1] - r[1], c[0] + r[0], c[1] + r[1]), fill=255)
    return np.asarray(img), "ellipse"


def _shapes(rng, held, i):
    if i % 3 < 2:
        names = sorted(scribbles.SHAPES)[int(held) :: 2]
        name = names[int(rng.integers(len(names)))]
        unit = drawn.unit_strokes(drawn.parse_strokes(scribbles.SHAPES[name]), rng)
        look = scribbles.pen_look(rng)
        return _draw(unit, look, rng, f"shape:{name}")
    # Not 6 sides or more: a drawn octagon is a 0 to anyone.
    sides = (3, 5) if not held else (4,)
    k = sides[int(rng.integers(len(sides)))]
    t = rng.uniform(0, 2 * np.pi) + np.arange(k + 1) * 2 * np.pi / k
    pts = np.column_stack([np.cos(t), np.sin(t)]) * rng.uniform(0.8, 1.2, 2)
    unit = [pts + rng.normal(0, 0.02, pts.shape)]
    return _draw(unit, scribbles.pen_look(rng), rng, f"polygon:{k}")


def _two_digits(rng, held, i):
    if i % 2 == 0:
        d = scribbles.make_scribble("several", rng)
        return drawn.render(d), d.style
    from ..data import mnist

    if held:
        x, _ = mnist.load_mnist("test", as_float=False)
        pool = np.arange(len(x))
    else:
        x, _ = mnist.load_mnist("train", as_float=False)
        pool = _validation_indices()
    a, b = x[rng.choice(pool, 2, replace=False)]
    gap = int(rng.integers(0, 6))
    pair = np.hstack([a, np.zeros((28, gap), np.uint8), b])
    return _place(pair, rng, 0.5, 0.95), "mnist pair"


@functools.cache
def _validation_indices() -> np.ndarray:
    from ..data import mnist

    return mnist.validation_split()[1]


# Drawings of things; same format as ``drawn``'s templates (x,y in percent of the height).
OBJECTS = {
    "house": "0,40 50,0* 100,40* / 10,35 10,100* 90,100* 90,35 / 40,100 40,70* 60,70* 60,100",
    "cup": "0,10 8,90* 60,90* 68,10 / 66,30 86,32 90,50 84,66 63,68",
    "tree": "40,100 40,60 / 60,100 60,60 / 40,60 10,55 0,35 14,15 36,12 50,0 66,12 88,16 "
    "100,36 88,56 60,60",
    "car": "0,70 0,50* 20,48* 32,28* 70,28* 82,48* 100,52* 100,70* 0,70 / 22,70 24,82 34,86 "
    "42,80 40,70 / 66,70 68,82 78,86 86,80 84,70",
    "fish": "0,50 20,30 50,22 76,34 90,50 76,66 50,78 20,70 0,50 / 90,50 110,30* 108,70* "
    "90,50 / 24,44 25,46",
    "sun": "50,30 36,36 30,50 36,64 50,70 64,64 70,50 64,36 50,30 / 50,0 50,18 / 50,82 50,100 "
    "/ 0,50 18,50 / 82,50 100,50 / 16,16 28,28 / 72,72 84,84 / 84,16 72,28 / 16,84 28,72",
    "umbrella": "0,40 10,14 50,0 90,14 100,40* 80,32 66,40* 50,32 34,40* 20,32 0,40 / 50,34 "
    "50,90 44,100 36,92",
    "key": "0,40 12,26 26,30 30,44 24,56 10,58 0,46 / 30,44 100,44* 100,60 / 84,44 84,58",
    "envelope": "0,20 100,20* 100,90* 0,90* 0,20 / 0,20 50,60* 100,20",
    "boat": "0,60 100,60* 80,90* 20,90* 0,60 / 50,60 50,0 / 50,4 86,50* 50,50",
    "flower": "50,60 50,100 / 50,40 40,24 50,10 60,24 50,40 / 50,40 66,32 80,40 66,50 50,40 "
    "/ 50,40 34,50 20,40 34,32 50,40",
    "glasses": "0,40 4,60 20,66 36,60 40,40 20,36 0,40 / 40,44 60,44 / 60,40 64,60 80,66 "
    "96,60 100,40 80,36 60,40",
    "bell": "20,80 24,40 34,16 50,8 66,16 76,40 80,80* 20,80 / 46,84 50,92 54,84 / 50,8 50,0",
    "candle": "30,40 30,100* 70,100* 70,40* 30,40 / 50,40 50,30 / 50,30 42,18 50,0 58,18 50,30",
    "ladder": "20,0 20,100 / 70,0 70,100 / 20,16 70,16 / 20,40 70,40 / 20,64 70,64 / 20,88 70,88",
    "cat": "20,30 10,0* 36,20* 64,20* 90,0* 80,30 90,60 70,90 30,90 10,60 20,30 / 36,50 37,52 "
    "/ 64,50 65,52 / 44,68 50,74 56,68",
}
_PARSED_OBJECTS = {k: drawn.parse_strokes(v) for k, v in OBJECTS.items()}


def _objects(rng, held, i):
    names = list(OBJECTS)[int(held) :: 2]
    name = names[i % len(names)]
    unit = drawn.unit_strokes(_PARSED_OBJECTS[name], rng)
    return _draw(unit, scribbles.pen_look(rng, height=rng.uniform(0.5, 0.85)), rng, name)


# ------------------------------------------------------------------------------- pictures


@functools.cache
def _photos(rng, held, i):
    name = "flower.jpg" if held else "china.jpg"
    crop = broad.square_crop(broad.sample_photo(name), rng, 0.15)
    return broad.opened(crop), name  # what opening the photo as a file does


def _textures(rng, held, i):
    kinds = (
        ("noise", "stripes", "checks", "hatch") if not held else ("grid", "dots", "waves", "cells")
    )
    kind = kinds[i % len(kinds)]
    y, x = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32) / SIZE
    a = rng.uniform(0, np.pi)
    f = rng.uniform(3, 14)
    u = x * np.cos(a) + y * np.sin(a)
    v = -x * np.sin(a) + y * np.cos(a)
    if kind == "noise":
        from scipy.ndimage import gaussian_filter

        t = gaussian_filter(rng.random((SIZE, SIZE)), rng.uniform(2, 12))
        t = (t - t.min()) / (np.ptp(t) + 1e-9)
    elif kind == "stripes":
        t = (np.sin(2 * np.pi * f * u) > rng.uniform(-0.5, 0.5)).astype(np.float32)
    elif kind == "checks":
        t = ((np.floor(f * u) + np.floor(f * v)) % 2).astype(np.float32)
    elif kind == "hatch":
        t = np.zeros((SIZE, SIZE), np.float32)
        img = Image.new("L", (SIZE, SIZE), 0)
        draw = ImageDraw.Draw(img)
        for _ in range(int(rng.integers(8, 30))):
            p = rng.uniform(0, SIZE, 4)
            draw.line(p.tolist(), fill=255, width=int(rng.integers(4, 16)))
        t = np.asarray(img, np.float32) / 255
    elif kind == "grid":
        t = ((np.abs(np.sin(np.pi * f * u)) < 0.2) | (np.abs(np.sin(np.pi * f * v)) < 0.2)).astype(
            np.float32
        )
    elif kind == "dots":
        t = ((np.sin(np.pi * f * u) * np.sin(np.pi * f * v)) > rng.uniform(0.4, 0.8)).astype(
            np.float32
        )
    elif kind == "waves":
        t = 0.5 + 0.5 * np.sin(2 * np.pi * f * u + rng.uniform(1, 4) * np.sin(2 * np.pi * 3 * v))
    else:  # cells: distance to the nearest of some random points
        pts = rng.uniform(0, 1, (int(rng.integers(8, 40)), 2))
        d = np.min((x[..., None] - pts[:, 0]) ** 2 + (y[..., None] - pts[:, 1]) ** 2, axis=-1)
        t = np.sqrt(d)
        t = t / t.max()
    # A texture may cover the canvas or a patch of it.
    if rng.random() < 0.5:
        mask = np.zeros_like(t)
        s = int(rng.uniform(0.3, 0.8) * SIZE)
        oy, ox = rng.integers(0, SIZE - s + 1, 2)
        mask[oy : oy + s, ox : ox + s] = 1
        t = t * mask
    return t.astype(np.float32), kind


def _broad_glyphs(make, chars):
    return lambda rng, i: make(rng, i, render_glyph, glyphs, chars, font_paths())


_BROAD: dict[str, Callable] = {
    "letters": _broad_glyphs(broad.make_letters, LATIN + GREEK + CYRILLIC + HEBREW),
    "symbols": _broad_glyphs(broad.make_symbols, SYMBOLS),
    "scribbles": broad.make_scribbles,
    "blobs": broad.make_blobs,
    "shapes": broad.make_shapes,
    "objects": broad.make_objects,
    "photos": broad.make_photo,
}
_MAKERS: dict[str, Callable] = {
    "letters": _letters,
    "symbols": _SYMBOLS,
    "scribbles": _scribble_kind(("scribble", "zigzag")),
    "blobs": _blobs,
    "shapes": _shapes,
    "two digits": _two_digits,
    "objects": _objects,
    "photos": _photos,
    "textures": _textures,
}

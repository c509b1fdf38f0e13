"""Synthetic photos and scans of digits on paper, to measure how ``load_image`` reads them.

A photo here is a digit (a ``drawn`` mouse drawing or an MNIST digit, given by the caller)
written in black or blue ink on paper, and photographed: the paper may be ruled or squared,
lit unevenly (a light falloff across the page), crossed by a shadow, lie on a darker table
with its edge in the frame, be tilted or seen in perspective, the camera may blur it, and its
sensor adds grain; the picture is stored as a JPEG. Each *condition* turns on one of these (or
all of them, in "mixed"), so a benchmark can tell which one a reader fails on.

The scene is composed at most 1,600 px wide and then scaled to the photo's size, so a 50 MP
photo is as soft as a phone's, and grain is added at full size.

    >>> from digitpad.synthetic import drawn
    >>> d = drawn.make_drawings(1, seed=3)[0]
    >>> photo = make_photo(drawn.render(d), d.label, np.random.default_rng(0), "falloff",
    ...                    size=(800, 600))
    >>> photo.image.shape, photo.image.dtype, photo.label, photo.condition
    ((600, 800, 3), dtype('uint8'), 0, 'falloff')
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

# What each condition turns on (every photo also gets mild light and colour variation).
CONDITIONS = (
    "clean",  # a flat-lit scan: white paper, black ink, stored at JPEG quality 95
    "falloff",  # 20 % light falloff across a 3000×2250 page
    "grain",  # sensor grain of standard deviation 8 on a 12 MP photo
    "specks",  # dust and specks on the paper
    "ruled",  # ruled paper (blue lines, red margin)
    "squared",  # squared paper
    "blue",  # blue ballpoint ink
    "blur",  # out of focus
    "tilt",  # rotated by up to 12° and seen in perspective
    "shadow",  # a soft shadow across the page
    "edge",  # the page lies on a darker table, its edge in the frame
    "jpeg",  # strong JPEG compression (quality 35–60)
    "mixed",  # all of the above at once, in milder doses
    "large",  # "mixed" at 48–50 MP
)
# Pictures that show no digit, or several: the reader must say so.
NO_DIGIT = ("blank", "wall")
SEVERAL = "several"

_COMPOSE = 1600  # the longer side the scene is composed at (then scaled to the photo's size)
_SIZES = ((600, 450), (1024, 768), (1600, 1200), (2048, 1536), (3000, 2250), (4000, 3000))
_LARGE = ((8000, 6000), (8160, 6120))  # 48 and 50 MP


@dataclass(frozen=True, eq=False)
class Photo:
    """One generated photo.

    image: (H, W, 3) uint8 RGB. label: the digit shown (``None`` when there is none, or a
    string of digits for several). condition: one of CONDITIONS, NO_DIGIT or SEVERAL.
    quality: the JPEG quality it is stored at. source: "drawn" or "mnist" (or "" for none).
    """

    image: np.ndarray
    label: int | str | None
    condition: str
    quality: int = 92
    source: str = ""

    def jpeg(self) -> bytes:
        """The photo as a JPEG file's bytes, at its quality."""
        buf = io.BytesIO()
        Image.fromarray(self.image).save(buf, "JPEG", quality=self.quality)
        return buf.getvalue()


@dataclass
class _Look:
    """Every random choice for one photo."""

    size: tuple[int, int]
    falloff: float = 0.04
    grain: float = 1.5
    specks: int = 0
    lines: str = ""  # "", "ruled" or "squared"
    ink: tuple[float, float, float] = (0.08, 0.08, 0.09)  # reflectance per channel
    blur: float = 0.5  # Gaussian sigma in composed pixels
    rotation: float = 0.0
    perspective: float = 0.0
    shadow: float = 0.0  # how much the shadow darkens, 0–1
    edge: bool = False
    quality: int = 92
    digit_height: float = 0.4  # share of the frame's height


def _condition_look(condition: str, rng: np.random.Generator) -> _Look:
    size = _SIZES[rng.integers(len(_SIZES))]
    look = _Look(size=size, digit_height=rng.uniform(0.2, 0.6), quality=int(rng.integers(85, 96)))
    look.ink = _black_ink(rng)
    _TURN_ON[condition](look, rng)
    return look


def _black_ink(rng: np.random.Generator) -> tuple[float, float, float]:
    k = rng.uniform(0.04, 0.16)
    return (k, k, k * rng.uniform(1.0, 1.2))


def _blue_ink(rng: np.random.Generator) -> tuple[float, float, float]:
    return (rng.uniform(0.08, 0.2), rng.uniform(0.15, 0.3), rng.uniform(0.45, 0.7))


def _clean(look: _Look, rng: np.random.Generator) -> None:
    look.falloff, look.grain, look.blur, look.quality = 0.0, 0.0, 0.3, 95


def _falloff(look: _Look, rng: np.random.Generator) -> None:
    look.size, look.falloff = (3000, 2250), 0.2


def _grain(look: _Look, rng: np.random.Generator) -> None:
    look.size, look.grain = (4000, 3000), 8.0


def _specks(look: _Look, rng: np.random.Generator) -> None:
    look.specks = int(rng.integers(20, 80))


def _lines(kind: str):
    def turn_on(look: _Look, rng: np.random.Generator) -> None:
        look.lines = kind

    return turn_on


def _blue(look: _Look, rng: np.random.Generator) -> None:
    look.ink = _blue_ink(rng)


def _blur(look: _Look, rng: np.random.Generator) -> None:
    look.blur = rng.uniform(1.5, 3.5)


def _tilt(look: _Look, rng: np.random.Generator) -> None:
    look.rotation, look.perspective = rng.uniform(-12, 12), rng.uniform(0.03, 0.08)


def _shadow(look: _Look, rng: np.random.Generator) -> None:
    look.shadow = rng.uniform(0.25, 0.45)


def _edge(look: _Look, rng: np.random.Generator) -> None:
    look.edge, look.rotation = True, rng.uniform(-8, 8)


def _jpeg(look: _Look, rng: np.random.Generator) -> None:
    look.quality = int(rng.integers(35, 61))


def _mixed(look: _Look, rng: np.random.Generator) -> None:
    look.falloff, look.grain = rng.uniform(0.1, 0.25), rng.uniform(3, 9)
    look.specks = int(rng.integers(0, 30))
    look.lines = ("", "ruled", "squared")[rng.integers(3)]
    look.ink = _blue_ink(rng) if rng.random() < 0.5 else _black_ink(rng)
    look.blur = rng.uniform(0.5, 2.0)
    look.rotation, look.perspective = rng.uniform(-6, 6), rng.uniform(0.0, 0.05)
    look.shadow = rng.uniform(0.15, 0.35) if rng.random() < 0.3 else 0.0
    look.edge = bool(rng.random() < 0.3)
    look.quality = int(rng.integers(60, 93))


def _large(look: _Look, rng: np.random.Generator) -> None:
    _mixed(look, rng)
    look.size = _LARGE[rng.integers(len(_LARGE))]


_TURN_ON = {
    "clean": _clean,
    "falloff": _falloff,
    "grain": _grain,
    "specks": _specks,
    "ruled": _lines("ruled"),
    "squared": _lines("squared"),
    "blue": _blue,
    "blur": _blur,
    "tilt": _tilt,
    "shadow": _shadow,
    "edge": _edge,
    "jpeg": _jpeg,
    "mixed": _mixed,
    "large": _large,
}


# --------------------------------------------------------------------------- composing


def ink_of_mnist(digit: np.ndarray) -> np.ndarray:
    """A (28, 28) MNIST digit (floats in [0, 1] or uint8) as a pen drawing: (224, 224) float32
    coverage in [0, 1], smoothly enlarged and with sharp stroke edges, as ink on paper has."""
    a = np.asarray(digit, np.float32)
    a = a / 255.0 if a.max() > 1.0 else a
    big = cv2.resize(a, (224, 224), interpolation=cv2.INTER_CUBIC)
    return np.clip((big - 0.3) / 0.35, 0.0, 1.0).astype(np.float32)


def make_photo(
    ink: np.ndarray,
    label: int | str | None,
    rng: np.random.Generator,
    condition: str,
    size: tuple[int, int] | None = None,
    source: str = "",
) -> Photo:
    """Photograph the digit ``ink`` under ``condition`` (see CONDITIONS and NO_DIGIT).

    ink: (h, w) coverage, uint8 0–255 or float in [0, 1], bright where the pen went (a
    ``drawn.render`` or ``ink_of_mnist``; all zeros for no digit). size: (width, height),
    else the condition's. All randomness comes from ``rng``.
    """
    look = _condition_look(condition if condition in _TURN_ON else "mixed", rng)
    if condition in NO_DIGIT:
        look.digit_height = 0.0
    if size is not None:
        look.size = size
    cw, ch = _composed_size(look.size)
    paper, page = _paper(look, rng, (ch, cw))
    cover = _place_ink(ink, look, rng, (ch, cw))
    scene = paper * (1 - cover[..., None]) + np.asarray(look.ink, np.float32) * cover[..., None]
    scene = _surroundings(scene, page, look, rng)
    if condition == "wall":
        scene = _wall(rng, (ch, cw))
    scene = scene * _light(look, rng, (ch, cw))[..., None]
    image = _camera(scene, look, rng)
    return Photo(image, label, condition, look.quality, source)


def _composed_size(size: tuple[int, int]) -> tuple[int, int]:
    w, h = size
    s = min(1.0, _COMPOSE / max(w, h))
    return max(1, round(w * s)), max(1, round(h * s))


def _paper(look: _Look, rng: np.random.Generator, shape: tuple[int, int]):
    """The paper's reflectance (H, W, 3) with its lines, and where the page is (H, W) bool."""
    h, w = shape
    tint = np.array([0.9, 0.89, 0.86]) + rng.uniform(-0.03, 0.03, 3)
    paper = np.empty((h, w, 3), np.float32)
    paper[:] = tint
    spacing = look.digit_height * rng.uniform(0.35, 0.6) if look.digit_height else 1 / 12
    step = max(6, round(h * spacing))
    if look.lines:
        _draw_lines(paper, look.lines, step, rng)
    for _ in range(look.specks):
        y, x = int(rng.integers(h)), int(rng.integers(w))
        r = max(1, round(rng.uniform(0.5, 2.5) * w / 1000))
        cv2.circle(paper, (x, y), r, tuple(float(v) for v in rng.uniform(0.1, 0.5, 3)), -1)
    page = np.ones((h, w), bool)
    return paper, page


def _draw_lines(paper: np.ndarray, kind: str, step: int, rng: np.random.Generator) -> None:
    h, w = paper.shape[:2]
    colour = (rng.uniform(0.55, 0.7), rng.uniform(0.68, 0.8), rng.uniform(0.85, 0.95))
    thick = max(1, round(w / 800))
    offset = int(rng.integers(step))
    for y in range(offset, h, step):
        cv2.line(paper, (0, y), (w - 1, y), colour, thick, cv2.LINE_AA)
    if kind == "squared":
        for x in range(int(rng.integers(step)), w, step):
            cv2.line(paper, (x, 0), (x, h - 1), colour, thick, cv2.LINE_AA)
    else:
        margin = int(w * rng.uniform(0.05, 0.12))
        cv2.line(paper, (margin, 0), (margin, h - 1), (0.9, 0.45, 0.45), thick, cv2.LINE_AA)


def _place_ink(ink: np.ndarray, look: _Look, rng: np.random.Generator, shape: tuple[int, int]):
    """The ink's coverage (H, W) float32 on the page: the digit's ink box scaled to
    ``digit_height`` of the frame, near the centre."""
    h, w = shape
    cover = np.zeros((h, w), np.float32)
    a = np.asarray(ink, np.float32)
    a = a / 255.0 if a.max() > 1.0 else a
    rows, cols = np.nonzero(a > 0.05)
    if look.digit_height <= 0 or rows.size == 0:
        return cover
    a = a[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    moved = look.rotation or look.perspective or look.edge  # keep it inside the frame
    height, spread = (0.7 * look.digit_height, 0.08) if moved else (look.digit_height, 0.15)
    # A wide ink (a whole number) fills at most 80 % of the frame's width (60 % when the page is
    # turned, as the turn is overscanned 1.25 times), with a margin of 3 %: as a person frames it.
    scale = min(height * h / a.shape[0], (0.6 if moved else 0.8) * w / a.shape[1])
    dh, dw = max(1, round(a.shape[0] * scale)), max(1, round(a.shape[1] * scale))
    a = cv2.resize(a, (dw, dh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    my, mx = min(round(0.03 * h), (h - dh) // 2), min(round(0.03 * w), (w - dw) // 2)
    top = int(np.clip((h - dh) / 2 + rng.uniform(-spread, spread) * h, my, h - dh - my))
    left = int(np.clip((w - dw) / 2 + rng.uniform(-spread, spread) * w, mx, w - dw - mx))
    cover[top : top + dh, left : left + dw] = np.clip(a, 0, 1) * rng.uniform(0.85, 1.0)
    return cover


def _surroundings(scene, page, look: _Look, rng: np.random.Generator) -> np.ndarray:
    """Tilt and perspective of the page, and the table around it when its edge shows."""
    h, w = scene.shape[:2]
    if not (look.rotation or look.perspective or look.edge):
        return scene
    shrink = rng.uniform(0.7, 0.88) if look.edge else 1.0
    centre = np.array([w / 2, h / 2])
    corners = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float64)
    angle = np.deg2rad(look.rotation)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (corners - centre) @ rot.T * shrink + centre
    moved += rng.uniform(-1, 1, (4, 2)) * look.perspective * np.array([w, h])
    if not look.edge:  # a page that fills the frame: overscan so no table shows
        moved = (moved - centre) * 1.25 + centre
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), moved.astype(np.float32))
    table = np.array(
        [(0.35, 0.27, 0.2), (0.3, 0.3, 0.32), (0.55, 0.5, 0.45)][rng.integers(3)], np.float32
    )
    return cv2.warpPerspective(
        scene,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(float(v) for v in table),
    )


def _wall(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """A painted wall: a plain colour with a soft, blotchy texture and no marks."""
    h, w = shape
    colour = rng.uniform(0.45, 0.85, 3).astype(np.float32)
    blotch = cv2.resize(rng.normal(0, 1, (8, 8)).astype(np.float32), (w, h), cv2.INTER_CUBIC)
    return colour * (1 + 0.04 * blotch[..., None])


def _light(look: _Look, rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Illumination (H, W): the lamp's level, a falloff across the page, a shadow."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (xs - w / 2) * np.cos(angle) + (ys - h / 2) * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1.0)  # 0 → 1 across the frame
    light = rng.uniform(0.85, 1.05) * (1 - look.falloff * ramp)
    if look.shadow:
        a = rng.uniform(0, 2 * np.pi)
        d = (xs - w / 2) * np.cos(a) + (ys - h / 2) * np.sin(a) - rng.uniform(-0.3, 0.3) * w
        soft = max(2.0, rng.uniform(0.01, 0.06) * w)
        light = light * (1 - look.shadow / (1 + np.exp(-d / soft)))
    return light.astype(np.float32)


def _camera(scene: np.ndarray, look: _Look, rng: np.random.Generator) -> np.ndarray:
    """Blur, scale to the photo's size, sensor grain, 8-bit."""
    if look.blur > 0:
        scene = cv2.GaussianBlur(scene, (0, 0), look.blur)
    w, h = look.size
    if (w, h) != scene.shape[1::-1]:
        scene = cv2.resize(scene, (w, h), interpolation=cv2.INTER_LINEAR)
    out = scene * np.float32(255)
    if look.grain > 0:
        noise = rng.standard_normal((h, w), dtype=np.float32) * np.float32(look.grain)
        out += noise[..., None]
    return np.clip(out, 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- sets


def make_several(inks: list[np.ndarray], label: str, rng: np.random.Generator) -> Photo:
    """Several digits written side by side on one page, photographed as in "mixed"."""
    gap = 0.35
    height = max(i.shape[0] for i in inks)
    parts = []
    for ink in inks:
        a = np.asarray(ink, np.float32)
        a = a / 255.0 if a.max() > 1.0 else a
        cols = np.flatnonzero(a.max(axis=0) > 0.05)
        a = a[:, cols.min() : cols.max() + 1]
        parts += [a, np.zeros((a.shape[0], round(gap * height)), np.float32)]
    row = np.concatenate(parts[:-1], axis=1)
    look_size = (2048, 1536)
    photo = make_photo(row, label, rng, "mixed", size=look_size)
    return Photo(photo.image, label, SEVERAL, photo.quality, "drawn")

"""Find the digits on a photographed or scanned page (OpenCV; imported when a picture is read).

A phone photo of a digit on paper is lit unevenly, has grain, specks, ruled or squared lines,
shadows and perhaps the page's edge in it. The page is read in four steps:

1. **The paper's light.** The paper's brightness is estimated at a large scale (a morphological
   closing of a half-size copy: it fills in everything darker than the paper that is narrower
   than an eighth of the picture, such as strokes, and keeps the edges of what is larger, such
   as a shadow or the table around the page) and divided out, so every pixel gets its
   *contrast*: how much darker than the paper around it it is (0 = paper, 1 = black).
   A picture whose paper is evenly lit (a scan, a drawing saved as PNG: most pixels at one
   level, or a closing that hardly varies) keeps one level, and its digit may touch its edges.
2. **Marks.** Pixels with at least half the contrast of the strongest ink (and clearly above
   the grain) are marks; ruled and squared lines, shadows and grain stay below that.
3. **Components.** Connected marks (``connectedComponentsWithStats``) that are lines (long
   and thin), specks (tiny beside the largest mark) or, in a photo, the table or a shadow around
   the page (a mark touching the frame) are dropped; the rest are the marks that may be digits
   (``Page.components``).
4. **Digits.** Marks are gathered into digits: a piece that shares columns with a bigger one
   or sits close to it (the flag of a 5, the bar of a 7, a broken stroke) joins it
   (``digit_boxes``). One digit → its ink, with the grey levels the contrast gave it.

Everything is done at most ``WORK_SIDE`` px wide: a 48 MP JPEG is decoded at an eighth of its
size (``preprocess`` does that with Pillow's ``draft``), and a digit needs only 20 px.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

WORK_SIDE = 1000  # pages are analysed with their longer side at most this long (px)
_LIGHT_SIDE = 500  # the paper's light is estimated on a copy this long (px)
_CLOSING = 0.12  # the closing's window, as a share of the picture's longer side
_SAME_LEVEL = 0.5 / 255  # a picture with most pixels at one level (± this) is digital paper
_SMALL = 200  # pictures no longer than this (px) are read with one level for their paper
_FLAT = 0.03  # paper whose light varies less than this (5th–95th percentile) is evenly lit
MIN_CONTRAST = 0.3  # weaker marks are paper (grain, JPEG noise, ruled lines, soft shadows)
_MARK_SHARE = 0.5  # a mark has at least this share of the strongest ink's contrast
_SPECK = 0.04  # components smaller than this share of the largest one's area are specks
_MIN_DIGIT = 0.04  # the least height of a digit, as a share of the picture's shorter side
_JOIN = 0.3  # a piece this close to a digit (a share of its height) belongs to it
_DIGIT_SIZED = 0.6  # another digit is at least this share of the biggest one's height


class NoDigit(ValueError):
    """The picture shows no digit; the message says what it shows instead."""


class SeveralDigits(ValueError):
    """The picture shows several digits side by side."""


@dataclass(frozen=True)
class Box:
    """A rectangle on the page, in pixels of the analysed picture: (left, top, width, height),
    and the number of mark pixels in it."""

    left: int
    top: int
    width: int
    height: int
    area: int

    @property
    def right(self) -> int:
        return self.left + self.width

    @property
    def bottom(self) -> int:
        return self.top + self.height

    def union(self, other: Box) -> Box:
        left, top = min(self.left, other.left), min(self.top, other.top)
        right, bottom = max(self.right, other.right), max(self.bottom, other.bottom)
        return Box(left, top, right - left, bottom - top, self.area + other.area)


@dataclass(frozen=True)
class Page:
    """What a picture shows.

    contrast: (H, W) float32 in [0, 1], how much darker than the paper each pixel is.
    labels: (H, W) int32, the component each mark pixel belongs to (0: none).
    components: the marks that may be digits (lines, specks and the page's edge dropped), by
        label: label → Box. dropped: what was dropped, in words ("lines", "specks", …).
    threshold: the contrast from which a pixel is a mark. paper: "digital", "scan" or "photo"
        (see :func:`paper_contrast`).
    """

    contrast: np.ndarray
    labels: np.ndarray
    components: dict[int, Box]
    dropped: tuple[str, ...]
    threshold: float
    paper: str = "photo"


def paper_contrast(grey: np.ndarray) -> tuple[np.ndarray, str]:
    """(H, W) float32 in [0, 1] → contrast against the paper's light, dark ink on light paper,
    and what the paper is: "digital" (one exact level: a drawing, a font), "scan" (evenly lit:
    one level for all of it) or "photo" (its light estimated pixel by pixel).

    grey: (H, W) float32 in [0, 1], dark marks on light paper.
    """
    import cv2

    h, w = grey.shape
    sample = grey[::2, ::2]
    level = float(np.median(sample))
    digital = np.mean(np.abs(sample - level) <= _SAME_LEVEL) >= 0.5  # a drawing, a font
    if digital or max(h, w) <= _SMALL:  # a small picture is a scan of the digit alone
        paper = "digital" if digital else "scan"
        return np.clip(1.0 - grey / max(level, 1e-3), 0.0, 1.0), paper
    scale = min(1.0, _LIGHT_SIDE / max(h, w))
    small = grey
    if scale < 1:
        small = cv2.resize(
            grey, (max(1, round(w * scale)), max(1, round(h * scale))), cv2.INTER_AREA
        )
    side = max(3, round(_CLOSING * max(small.shape)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
    levels = np.rint(small * 255).astype(np.uint8)
    light = cv2.morphologyEx(levels, cv2.MORPH_CLOSE, kernel, borderType=cv2.BORDER_REPLICATE)
    lo, hi = np.percentile(light[::2, ::2], [5, 95]) / 255.0
    if hi - lo < _FLAT:  # evenly lit: one level for the whole paper, as a scan has
        level = max(float(np.median(light)) / 255.0, 1e-3)
        return np.clip(1.0 - grey / level, 0.0, 1.0), "scan"
    light = light.astype(np.float32) / np.float32(255)
    if scale < 1:
        light = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(1.0 - grey / np.maximum(light, 1e-3), 0.0, 1.0), "photo"


def analyse(grey: np.ndarray) -> Page:
    """The marks on a picture: grey (H, W) float32 in [0, 1], dark marks on light paper."""
    import cv2

    contrast, paper = paper_contrast(grey)
    smooth = cv2.GaussianBlur(contrast, (0, 0), max(0.7, max(grey.shape) / 1500))
    # The strongest ink: a high percentile (a few hot pixels do not count), every other pixel
    # of a large picture is enough for it.
    step = 2 if smooth.size > 200_000 else 1
    sample = smooth[::step, ::step]
    strongest = float(np.percentile(sample, 99.9)) if sample.size > 2000 else float(sample.max())
    threshold = max(MIN_CONTRAST, _MARK_SHARE * strongest)
    mask = (smooth >= threshold).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    boxes = {k: Box(*(int(v) for v in stats[k])) for k in range(1, n)}
    kept, dropped = _keep_marks(boxes, labels, photo=paper == "photo")
    return Page(contrast, labels, kept, dropped, threshold, paper)


def _keep_marks(boxes: dict[int, Box], labels: np.ndarray, photo: bool):
    """The marks that may be digits, and what the others were. In a photo (paper not evenly
    lit), a mark that touches the frame is the table or a shadow around the page. ``labels``:
    the components' label image, the analysed picture's size."""
    h, w = labels.shape
    dropped: list[str] = []
    kept = {}
    for k, b in boxes.items():
        why = _not_a_digit(b, h, w, photo, _frame_like(labels, k, b, photo))
        if why:
            dropped.append(why)
        else:
            kept[k] = b
    largest = max((b.area for b in kept.values()), default=0)
    smallest = max(6, round(_MIN_DIGIT * min(h, w)))  # no digit is shorter than this
    specks = {
        k
        for k, b in kept.items()
        if b.area < max(_SPECK * largest, 4) or max(b.height, b.width) < smallest
    }
    if specks:
        dropped.append("specks")
    return {k: b for k, b in kept.items() if k not in specks}, tuple(sorted(set(dropped)))


def _not_a_digit(b: Box, h: int, w: int, photo: bool, hugs: bool) -> str:
    """Why a mark is no digit (a line, the page's edge, a large dark area), or "". ``hugs``:
    the mark runs along all four sides of its box, as a frame does (``_hugs_its_box``)."""
    if _is_line(b, h, w):
        return "lines"
    touches = b.left == 0 or b.top == 0 or b.right == w or b.bottom == h
    if touches and photo:  # a drawing may touch its edges; a photo's digit lies on the page
        return "the page's edge or a shadow"
    if _is_frame(b, h, w) and hugs:
        return "the page's edge or a shadow"
    if photo and b.area > 0.3 * h * w:  # a scanned digit may fill its picture
        return "a large dark area"
    return ""


def _frame_like(labels: np.ndarray, k: int, b: Box, photo: bool) -> bool:
    """Whether mark ``k``, if it is as large as a frame, is one: in a photo always; on evenly
    lit paper only when it hugs its box (looked at only for a mark that large)."""
    if photo or not _is_frame(b, *labels.shape):
        return True
    return _hugs_its_box(labels, k, b)


def _is_frame(b: Box, h: int, w: int) -> bool:
    """Nearly as large as the picture and sparse: a frame or the page's edge, in a photo. On
    evenly lit paper (a drawing saved as PNG, a scan) a digit drawn big fills its picture too
    (14 of 2,000 hard drawings were refused as frames), so there it must also hug its box."""
    return b.width >= 0.95 * w and b.height >= 0.95 * h and b.area < 0.5 * b.width * b.height


_HUG_BAND = 0.04  # a frame's side lies within this share of its box's size of the box's edge
_HUG_SHARE = 0.6  # ... along at least this share of that side's length


def _hugs_its_box(labels: np.ndarray, k: int, b: Box) -> bool:
    """True when mark ``k`` covers most of each of the four sides of its box ``b`` (within a
    band of ``_HUG_BAND`` of the box's size), as a frame or a page's outline does; a digit as
    large as its picture touches its box's sides at a few places (the bar of a 7 is one side)."""
    mark = labels[b.top : b.bottom, b.left : b.right] == k
    bh, bw = max(1, round(_HUG_BAND * b.height)), max(1, round(_HUG_BAND * b.width))
    sides = (
        mark[:bh].any(axis=0),
        mark[-bh:].any(axis=0),
        mark[:, :bw].any(axis=1),
        mark[:, -bw:].any(axis=1),
    )
    return all(side.mean() >= _HUG_SHARE for side in sides)


def _is_line(b: Box, h: int, w: int) -> bool:
    """Ruled or squared lines, a margin, an edge: long and thin, or a sparse net."""
    long_side, short_side = max(b.width, b.height), max(1, min(b.width, b.height))
    if b.width >= 0.5 * w and b.height < 0.1 * h:
        return True
    if long_side >= 0.3 * max(h, w) and long_side > 25 * short_side:
        return True  # a "1" is rarely thinner than a tenth of its height
    if long_side / short_side > 12 and b.width > b.height:
        return True
    return b.area < 0.04 * b.width * b.height and long_side >= 0.5 * max(h, w)


def digit_boxes(page: Page) -> list[tuple[Box, tuple[int, ...]]]:
    """The digits on the page, left to right: each one's box and the component labels it is
    made of. Pieces that share columns with a bigger piece, or lie within a third of its height
    of it, join it (a 5's flag, a 7's bar, a broken stroke); what remains apart is a digit."""
    groups: list[tuple[Box, list[int]]] = []
    for k, b in sorted(page.components.items(), key=lambda kb: -kb[1].area):
        for i, (g, members) in enumerate(groups):
            if _belongs(b, g):
                groups[i] = (g.union(b), [*members, k])
                break
        else:
            groups.append((b, [k]))
    return [(g, tuple(m)) for g, m in sorted(groups, key=lambda gm: gm[0].left)]


def _belongs(piece: Box, digit: Box) -> bool:
    shared = min(piece.right, digit.right) - max(piece.left, digit.left)
    if shared >= 0.5 * min(piece.width, digit.width):
        return True
    if _digit_sized(piece, digit) and piece.area >= 0.2 * digit.area:
        return False  # big enough to be a digit of its own, and beside it
    gap_x = max(piece.left - digit.right, digit.left - piece.right, 0)
    gap_y = max(piece.top - digit.bottom, digit.top - piece.bottom, 0)
    return max(gap_x, gap_y) <= _JOIN * digit.height


def _digit_sized(piece: Box, digit: Box) -> bool:
    """Whether ``piece`` could be a digit beside ``digit``: nearly as tall, and not flat (the
    flag of a 5, the bar of a 7 are wider than tall)."""
    return piece.height >= _DIGIT_SIZED * digit.height and piece.height >= 0.7 * piece.width


def one_digit(grey: np.ndarray) -> np.ndarray:
    """The ink of the one digit on a page: (H, W) float32 in [0, 1], bright ink on black, the
    digit's grey levels kept and everything else (paper, lines, specks) zero.

    grey: (H, W) float32 in [0, 1], dark marks on light paper. Raises :class:`NoDigit` or
    :class:`SeveralDigits` (``ValueError``) with the reason in the user's words.
    """
    page = analyse(grey)
    digits = digit_boxes(page)
    if not digits:
        raise NoDigit(_nothing_found(page))
    box, members = max(digits, key=lambda bm: bm[0].area)
    tall = [b for b, _ in digits if b is box or _digit_sized(b, box)]
    if len(tall) > 1:
        raise SeveralDigits(
            f"several digits — use Number mode or `--number` ({len(tall)} side by side)"
        )
    return _ink_of(page, box, members)


def every_digit(grey: np.ndarray) -> np.ndarray:
    """The ink of every digit on a page (a number), as :func:`one_digit` gives one's. Raises
    :class:`NoDigit` when there is none."""
    page = analyse(grey)
    digits = digit_boxes(page)
    if not digits:
        raise NoDigit(_nothing_found(page))
    return np.max([_ink_of(page, box, members) for box, members in digits], axis=0)


def _nothing_found(page: Page) -> str:
    if page.dropped:
        return (
            "no digit found: the picture shows only "
            + " and ".join(page.dropped)
            + ", no mark the size of a digit"
        )
    return (
        "no digit found: the picture is plain (paper, a wall), with no mark darker than "
        "its surroundings"
    )


def _ink_of(page: Page, box: Box, members: tuple[int, ...]) -> np.ndarray:
    """The contrast of the digit's own pixels and their edges, rescaled from the level of what
    lies around them (grain, lines) to the digit's strongest ink."""
    import cv2

    pad = max(2, round(0.05 * box.height))
    top, left = max(0, box.top - pad), max(0, box.left - pad)
    window = (slice(top, box.bottom + pad), slice(left, box.right + pad))
    contrast = page.contrast[window]
    mine = np.isin(page.labels[window], members).astype(np.uint8)
    edge = max(2, round(0.03 * box.height))
    near = cv2.dilate(mine, np.ones((2 * edge + 1, 2 * edge + 1), np.uint8)).astype(bool)
    peak = float(contrast[mine.astype(bool)].max())
    if page.paper == "digital":  # exactly the drawing's grey levels
        level = np.clip(contrast / max(peak, 1e-3), 0, 1)
    elif page.paper == "scan":  # as scans were read before: under a fifth of the peak is paper
        level = np.clip(contrast / max(peak, 1e-3), 0, 1)
        level[level < 0.2] = 0
    else:
        around = contrast[~near]
        floor = float(np.percentile(around, 99)) if around.size else 0.0
        floor = min(floor, 0.6 * page.threshold)
        level = np.clip((contrast - floor) / max(peak - floor, 1e-3), 0, 1)
    ink = np.zeros(page.contrast.shape, np.float32)
    ink[window] = np.where(near, level, 0)
    return ink


def shrink(grey: np.ndarray) -> np.ndarray:
    """grey (H, W) float32 with its longer side brought down to ``WORK_SIDE`` px (area
    averaging) when it is longer; as it is otherwise."""
    import cv2

    h, w = grey.shape
    if max(h, w) <= WORK_SIDE:
        return grey
    f = WORK_SIDE / max(h, w)
    size = (max(1, round(w * f)), max(1, round(h * f)))
    return cv2.resize(grey, size, interpolation=cv2.INTER_AREA)

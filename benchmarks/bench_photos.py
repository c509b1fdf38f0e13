#!/usr/bin/env python
"""Photos and scans of digits: accuracy per condition, clean pictures, load times, libraries.

    .venv/bin/python benchmarks/bench_photos.py accuracy [--n 40] [--code DIR]
    .venv/bin/python benchmarks/bench_photos.py clean [--code DIR]
    .venv/bin/python benchmarks/bench_photos.py numbers [--n 5] [--conditions ...]
    .venv/bin/python benchmarks/bench_photos.py load
    .venv/bin/python benchmarks/bench_photos.py libraries

``accuracy``: photo-like pictures of one digit (``digitpad.synthetic.photos``), per condition,
read by the default model through ``load_image`` and ``digitpad.reading.live.read``: "argmax"
is the cnn's top answer, "verdict" is the honest answer (not sure counts as wrong). The set is
the held-out one: drawings of seed 9000 and MNIST *test* digits, photo seeds 9000+; the
reader was tuned on drawings of seed 100, the validation split of the MNIST training set and
photo seeds 100+ only. ``--code DIR`` measures the ``load_image`` of another checkout (the
photos are always made by this one), for a before/after comparison.

``clean``: pictures that were read well before (pen-drawn PNGs, printed and handwriting-style
font digits, small scanned MNIST digits), held out the same way.

``numbers``: photo-like pictures of whole numbers: the held-out drawn numbers of
``synthetic.numbers`` (seed 1; ``--n`` of each gap kind per condition, lengths 2–6 in turn) put
on paper and photographed as one digit is, read by ``digitpad.read_number`` from the JPEG file;
% entirely right per condition and per gap kind.

``load``: median of 5 loads of a 12 MP, 48 MP and 200 MP JPEG, with CPU time and the load
average, and the first load in a fresh process (OpenCV's import included).

``libraries``: the same page analysis with OpenCV and with scikit-image, on the same pictures
(scikit-image is no dependency of DigitPad: ``.venv/bin/pip install scikit-image`` first).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HELD_OUT_SEED = 9000  # photos, drawings and MNIST test digits never looked at while tuning
FONTS = (
    "dejavu/DejaVuSans.ttf",
    "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSansMono.ttf",
    "dejavu/DejaVuSans-Oblique.ttf",
    "noto/NotoSansMono-Regular.ttf",
)
HANDWRITING_FONTS = ("Z003-MediumItalic", "URWBookman-LightItalic", "URWGothic-BookOblique")


# --------------------------------------------------------------------------- making sets


def _sources(n: int, seed: int):
    """n (ink, label, source) pairs, half drawings, half MNIST test digits."""
    from digitpad.data import mnist
    from digitpad.synthetic import drawn, photos

    x, y = mnist.load_mnist("test")
    drawings = drawn.make_drawings(n, seed=seed)
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(y), size=n, replace=False)
    for i in range(n):
        if i % 2 == 0:
            yield drawn.render(drawings[i]), drawings[i].label, "drawn"
        else:
            yield photos.ink_of_mnist(x[picks[i]]), int(y[picks[i]]), "mnist"


def make_photo_set(folder: Path, n: int, conditions: list[str], seed: int) -> list[dict]:
    from digitpad.synthetic import photos

    rows = []
    for c, condition in enumerate(conditions):
        for i, (ink, label, source) in enumerate(_sources(n, seed + c)):
            rng = np.random.default_rng([seed, c, i])
            photo = photos.make_photo(ink, label, rng, condition, source=source)
            path = folder / f"{condition}-{i:03d}.jpg"
            path.write_bytes(photo.jpeg())
            rows.append({"path": str(path), "label": label, "group": condition})
    return rows


def make_clean_set(folder: Path, n: int, seed: int) -> list[dict]:
    from PIL import Image

    from digitpad.data import mnist
    from digitpad.synthetic import drawn

    rows = []
    for variant in drawn.VARIANTS:
        for i, d in enumerate(drawn.make_drawings(n, seed=seed, variant=variant)):
            path = folder / f"pen-{variant}-{i:03d}.png"
            Image.fromarray(drawn.render(d, invert=i % 2 == 1)).save(path)
            rows.append({"path": str(path), "label": d.label, "group": f"pen-drawn PNG, {variant}"})
    rows += _font_set(folder, FONTS, "printed font digits")
    rows += _font_set(folder, HANDWRITING_FONTS, "handwriting-style font digits")
    x, y = mnist.load_mnist("test")
    rng = np.random.default_rng(seed)
    for i, k in enumerate(rng.choice(len(y), size=n, replace=False)):
        side = int(rng.integers(28, 65))
        small = Image.fromarray((255 - x[k] * 255).astype(np.uint8)).resize((side, side))
        paper = np.asarray(small, np.float32) * rng.uniform(0.85, 0.97)
        paper += rng.normal(0, 3, paper.shape)
        path = folder / f"scan-{i:03d}.jpg"
        Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8)).save(path, quality=90)
        rows.append({"path": str(path), "label": int(y[k]), "group": "small scanned digits"})
    return rows


def _font_set(folder: Path, fonts: tuple[str, ...], group: str) -> list[dict]:
    from PIL import Image, ImageDraw, ImageFont

    rows = []
    for name in fonts:
        path = _font_path(name)
        if path is None:
            continue
        for size in (40, 120):
            font = ImageFont.truetype(str(path), size)
            for digit in range(10):
                img = Image.new("L", (size * 2, size * 2), 255)
                ImageDraw.Draw(img).text((size // 2, size // 4), str(digit), fill=0, font=font)
                out = folder / f"font-{path.stem}-{size}-{digit}.png"
                img.save(out)
                rows.append({"path": str(out), "label": digit, "group": group})
    return rows


def _font_path(name: str) -> Path | None:
    for base in (Path("/usr/share/fonts/truetype"), Path("/usr/share/fonts/opentype/urw-base35")):
        for candidate in (base / name, base / f"{name}.otf"):
            if candidate.exists():
                return candidate
    return None


# --------------------------------------------------------------------------- reading sets

READER = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from digitpad import models
from digitpad.preprocess import load_image
from digitpad.reading import live
clf = models.default()
out = []
for row in json.load(open(sys.argv[2])):
    try:
        digit = load_image(row["path"])
    except ValueError as e:
        out.append({"argmax": None, "verdict": None, "error": str(e).split(": ", 1)[-1]})
        continue
    r = live.read(digit, {clf.name: clf}, clf.name)
    out.append({"argmax": int(r.probabilities[clf.name].argmax()), "verdict": r.verdict.digit})
json.dump(out, open(sys.argv[3], "w"))
"""


def read_set(rows: list[dict], code: Path, folder: Path) -> list[dict]:
    """Each row read by the load_image of checkout ``code``, in a fresh process."""
    spec, result = folder / "set.json", folder / "read.json"
    spec.write_text(json.dumps(rows))
    subprocess.run([sys.executable, "-c", READER, str(code), str(spec), str(result)], check=True)
    return json.loads(result.read_text())


def table(rows: list[dict], results: list[dict]) -> None:
    groups = list(dict.fromkeys(r["group"] for r in rows))
    print("| set | pictures | argmax right | verdict right | refused |\n|---|---|---|---|---|")
    for group in [*groups, "all"]:
        pairs = [(r, o) for r, o in zip(rows, results, strict=True) if group in (r["group"], "all")]
        n = len(pairs)
        arg = sum(o["argmax"] == r["label"] for r, o in pairs)
        ver = sum(o["verdict"] == r["label"] for r, o in pairs)
        refused = sum(o["argmax"] is None for _, o in pairs)
        print(f"| {group} | {n} | {arg / n:.1%} | {ver / n:.1%} | {refused} |")
    errors = {}
    for o in results:
        if o.get("error"):
            errors[o["error"][:70]] = errors.get(o["error"][:70], 0) + 1
    if errors:
        print("\nRefusals: " + "; ".join(f"{k} ({v})" for k, v in errors.items()))
    print()


# --------------------------------------------------------------------------- load times


def write_large_jpeg(path: Path, size: tuple[int, int], seed: int) -> None:
    """A "mixed" photo of a digit at ``size``, built in strips (a 200 MP one in floats would
    take 2.4 GB)."""
    import cv2
    from PIL import Image

    from digitpad.synthetic import drawn, photos

    d = drawn.make_drawings(1, seed=seed)[0]
    rng = np.random.default_rng(seed)
    small = photos.make_photo(drawn.render(d), d.label, rng, "mixed", size=(1600, 1200)).image
    w, h = size
    big = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    for top in range(0, h, 1024):
        strip = big[top : top + 1024].astype(np.int16)
        strip += rng.normal(0, 6, strip.shape[:2]).astype(np.int16)[..., None]
        big[top : top + 1024] = np.clip(strip, 0, 255).astype(np.uint8)
    Image.fromarray(big).save(path, quality=90)


FIRST_LOAD = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); t = time.perf_counter(); "
    "from digitpad.preprocess import load_image; a = time.perf_counter(); load_image(sys.argv[2]); "
    "print(time.perf_counter() - a)"
)


def load_times(folder: Path) -> None:
    from digitpad.preprocess import load_image

    sizes = {"12 MP (4000×3000)": (4000, 3000), "48 MP (8000×6000)": (8000, 6000)}
    sizes["200 MP (16320×12240)"] = (16320, 12240)
    print("| JPEG | file | load median of 5 | min–max | CPU time median | load average |")
    print("|---|---|---|---|---|---|")
    first = {}
    for k, (name, size) in enumerate(sizes.items()):
        path = folder / f"big-{k}.jpg"
        write_large_jpeg(path, size, seed=HELD_OUT_SEED + k)
        load_image(path)  # warm: OpenCV imported, file in the page cache
        walls, cpus = [], []
        for _ in range(5):
            t, c = time.perf_counter(), time.process_time()
            load_image(path)
            walls.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        load = "/".join(f"{v:.2f}" for v in os.getloadavg())
        print(
            f"| {name} | {path.stat().st_size / 1e6:.1f} MB | "
            f"{statistics.median(walls) * 1e3:.0f} ms "
            f"| {min(walls) * 1e3:.0f}–{max(walls) * 1e3:.0f} ms | "
            f"{statistics.median(cpus) * 1e3:.0f} ms | {load} |"
        )
        out = subprocess.run(
            [sys.executable, "-c", FIRST_LOAD, str(ROOT), str(path)],
            check=True,
            capture_output=True,
            text=True,
        )
        first[name] = float(out.stdout.strip())
        path.unlink()
    print(
        "\nFirst image in a fresh process (OpenCV's import included): "
        + ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in first.items())
        + "\n"
    )


# --------------------------------------------------------------------------- libraries


def libraries(folder: Path, n: int) -> None:
    """Page analysis with OpenCV (what reading.page does, and adaptiveThreshold) and with
    scikit-image (threshold_sauvola, the same closing), on working-size grey pictures."""
    import cv2
    from skimage import filters, measure, morphology, transform

    from digitpad.reading import page
    from digitpad.synthetic import photos

    greys = []
    for i, (ink, label, _) in enumerate(_sources(n, HELD_OUT_SEED + 50)):
        p = photos.make_photo(ink, label, np.random.default_rng(i), "mixed", size=(4000, 3000))
        grey = cv2.cvtColor(cv2.resize(p.image, (1000, 750), cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
        greys.append(grey.astype(np.float32) / 255)

    def opencv_ours(g):
        page.analyse(g)

    def opencv_adaptive(g):
        u8 = (g * 255).astype(np.uint8)
        mask = cv2.adaptiveThreshold(
            u8, 1, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY_INV, 51, 15
        )
        cv2.connectedComponentsWithStats(mask, connectivity=8)

    def skimage_sauvola(g):
        mask = g < filters.threshold_sauvola(g, window_size=51)
        measure.regionprops(measure.label(mask, connectivity=2))

    def skimage_closing(g):
        small = transform.resize(g, (96, 128), anti_aliasing=True)
        light = morphology.closing(small, morphology.disk(7))
        light = transform.resize(filters.gaussian(light, 4), g.shape)
        contrast = np.clip(1 - g / np.maximum(light, 1e-3), 0, 1)
        mask = filters.gaussian(contrast, 0.7) >= 0.3
        measure.regionprops(measure.label(mask, connectivity=2))

    print("| library, method | per 1000×750 picture, median | min |\n|---|---|---|")
    for name, fn in (
        ("OpenCV: closing of a small copy + connectedComponentsWithStats (used)", opencv_ours),
        ("OpenCV: adaptiveThreshold (51 px) + connectedComponentsWithStats", opencv_adaptive),
        ("scikit-image: the same closing + measure.label/regionprops", skimage_closing),
        ("scikit-image: threshold_sauvola (51 px) + measure.label/regionprops", skimage_sauvola),
    ):
        fn(greys[0])
        times = []
        for g in greys:
            t = time.perf_counter()
            fn(g)
            times.append(time.perf_counter() - t)
        print(f"| {name} | {statistics.median(times) * 1e3:.1f} ms | {min(times) * 1e3:.1f} ms |")
    print()


def read_by(rows: list[dict], args, folder: Path, title: str) -> None:
    for code in [c for c in (args.before, args.code) if c is not None]:
        print(f"## {title}, held out, read by the load_image of {code}\n", flush=True)
        table(rows, read_set(rows, code, folder))


PHOTO_NUMBER_CONDITIONS = (
    "clean",
    "falloff",
    "grain",
    "ruled",
    "squared",
    "blue",
    "blur",
    "tilt",
    "shadow",
    "jpeg",
    "mixed",
)


def numbers_in_photos(folder: Path, n: int, conditions: list[str]) -> None:
    """Drawn numbers photographed on paper, read whole from the JPEG file."""
    import digitpad
    from digitpad.synthetic import numbers, photos

    by_condition: dict[str, list[bool]] = {}
    by_gap: dict[str, list[bool]] = {}
    for c, condition in enumerate(conditions or PHOTO_NUMBER_CONDITIONS):
        for gap in numbers.GAPS:
            for i, sample in enumerate(numbers.make_numbers(n, numbers.HELD_OUT_SEED, gap=gap)):
                rng = np.random.default_rng([HELD_OUT_SEED, c, numbers.GAPS.index(gap), i])
                photo = photos.make_photo(sample.image, sample.text, rng, condition)
                path = folder / f"number-{condition}-{gap}-{i:02d}.jpg"
                path.write_bytes(photo.jpeg())
                try:
                    right = digitpad.read_number(path).text == sample.text
                except ValueError:
                    right = False
                by_condition.setdefault(condition, []).append(right)
                by_gap.setdefault(gap, []).append(right)
    print("Photos of drawn numbers, read_number(path): entirely right")
    for name, got in [*by_condition.items(), *by_gap.items()]:
        print(f"  {name:<10} {np.mean(got):6.1%}  ({len(got)})")
    every = [v for got in by_condition.values() for v in got]
    print(f"  {'all':<10} {np.mean(every):6.1%}  ({len(every)})")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("accuracy", "clean", "numbers", "load", "libraries"))
    ap.add_argument("--n", type=int, default=40, help="pictures per condition")
    ap.add_argument("--code", type=Path, default=ROOT, help="the checkout whose load_image reads")
    ap.add_argument("--before", type=Path, help="another checkout to read the same set with")
    ap.add_argument("--conditions", default="", help="comma-separated (default: all)")
    args = ap.parse_args()
    from digitpad.synthetic import photos

    with tempfile.TemporaryDirectory(prefix="bench_photos-") as tmp:
        folder = Path(tmp)
        if args.what == "accuracy":
            conditions = args.conditions.split(",") if args.conditions else photos.CONDITIONS
            n = {c: max(4, args.n // 5) if c == "large" else args.n for c in conditions}
            rows = []
            for c in conditions:
                seed = HELD_OUT_SEED + photos.CONDITIONS.index(c)
                rows += make_photo_set(folder, n[c], [c], seed)
            read_by(rows, args, folder, "Photos of one digit")
        elif args.what == "clean":
            rows = make_clean_set(folder, args.n, HELD_OUT_SEED)
            read_by(rows, args, folder, "Clean pictures")
        elif args.what == "numbers":
            numbers_in_photos(folder, args.n, args.conditions.split(",") if args.conditions else [])
        elif args.what == "load":
            load_times(folder)
        else:
            libraries(folder, args.n)
    return 0


if __name__ == "__main__":
    sys.exit(main())

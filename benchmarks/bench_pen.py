"""Which default pen, as a share of the canvas side, for digits drawn small, middling and large
(synthetic mouse drawings, digitpad.synthetic.drawn): how often the verdict calls the drawing
"a filled blob" (or another shape problem), and how well the cnn reads it.

    python benchmarks/bench_pen.py            # choose on seeds 0-1, report on held-out seed 2

Each drawing's strokes are scaled about their centre to the digit height wanted (a share of
the canvas), rendered with each pen and read through to_mnist. Choosing uses the first seeds;
the figures in the README are the held-out seed's.
"""

from __future__ import annotations

import dataclasses
import sys

import numpy as np

from digitpad import models
from digitpad.preprocess import to_mnist
from digitpad.reading.verdict import shape_of, shape_problem
from digitpad.synthetic import drawn

SIDE = 280
PENS = (8, 10, 12, 14, 16, 18, 22)  # px on a 280 px canvas
HEIGHTS = (0.15, 0.25, 0.45, 0.7)  # the digit's height as a share of the canvas


def resized(d: drawn.Drawing, height: float, pen: float) -> drawn.Drawing:
    points = np.vstack(d.strokes)
    lo, hi = points.min(axis=0), points.max(axis=0)
    centre = (lo + hi) / 2
    k = height * SIDE / max(hi[1] - lo[1], 1.0)
    strokes = tuple(
        np.clip((s - centre) * k + SIDE / 2, pen / 2, SIDE - pen / 2) for s in d.strokes
    )
    return dataclasses.replace(d, strokes=strokes, pen_width=float(pen))


def shape_problems(drawings, height: float, pen: float) -> float:
    """The share of the drawings the verdict calls no single digit by their shape."""
    bad = [
        bool(shape_problem(shape_of(to_mnist(drawn.render(resized(d, height, pen))))))
        for d in drawings
    ]
    return float(np.mean(bad))


def accuracy(drawings, model, height: float, pen: float) -> float:
    pictures, labels = [], []
    for d in drawings:
        digit = to_mnist(drawn.render(resized(d, height, pen)))
        if digit is not None:
            pictures.append(digit)
            labels.append(d.label)
    predicted = model.predict(np.stack(pictures))
    return float(np.mean(predicted == np.asarray(labels)))


def table(title: str, drawings, measure) -> None:
    print(title)
    print("pen/280 " + " ".join(f"h={h:.2f}" for h in HEIGHTS))
    for pen in PENS:
        print(f"{pen:7d} " + " ".join(f"{measure(drawings, h, pen):6.1%}" for h in HEIGHTS))
    sys.stdout.flush()


def main(seeds=(0, 1), held_out=2, n=300) -> None:
    model = models.load(models.DEFAULT)
    for name, chosen in (("choosing", seeds), ("held out", (held_out,))):
        drawings = [d for s in chosen for d in drawn.make_drawings(n, seed=s)]
        print(f"{name}: seeds {chosen}, {len(drawings)} drawings")
        table("judged not one digit by shape (a blob, ...)", drawings, shape_problems)
        table(
            f"read right by {models.DEFAULT}",
            drawings,
            lambda ds, h, pen: accuracy(ds, model, h, pen),
        )


if __name__ == "__main__":
    main()

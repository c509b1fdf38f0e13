"""Pixel correlation between digits, as in the correlation study: the N×N heatmap, thresholded
or not, and the 10×10 class-block averages, for a few hundred samples up to all 70,000 of
MNIST."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ... import analysis
from ...data.samples import TEST, TRAIN
from ..panels import FittedLabel
from ..plots import background, foreground, style_plot
from ..style import DIGIT_COLOURS
from .common import AnnotatedHeatmap, Workers, export_button, save_png
from .data import ExploreData

MAX_SHOWN = 2000  # heatmap pixels per side; a larger matrix is shown mean-pooled
ROW_BLOCK = 512
SETS = {"train": (TRAIN,), "test": (TEST,), "train and test": (TRAIN, TEST)}


@dataclass
class Heatmap:
    """One computed N×N matrix and what is shown of it (all arrays; made in a worker)."""

    indices: np.ndarray  # (N,) global indices, sorted by label
    labels: np.ndarray  # (N,) sorted
    matrix: np.ndarray  # (N, N) float32 coefficients
    shown: np.ndarray  # (M, M) float32, M <= MAX_SHOWN: the matrix (or its binarised form) pooled
    averages: np.ndarray  # (10, 10) float64 block averages of what is shown
    threshold: float | None
    seconds: float  # how long computing it took
    step: str = "matrix"  # what was computed: "matrix", or "threshold" alone


def _shown(matrix: np.ndarray, labels: np.ndarray, threshold: float | None):
    factor = -(-len(matrix) // MAX_SHOWN)
    shown = analysis.pool_mean(matrix, factor, threshold)
    return shown, analysis.block_averages_of_matrix(matrix, labels, threshold=threshold)


def compute_heatmap(images, indices, labels, threshold):
    """Worker: the correlation matrix in row blocks (yielding progress), then what is shown.

    The matrix is symmetric: each row block is computed right of the diagonal only and mirrored,
    half the multiplications."""
    started = time.perf_counter()
    z = analysis.standardise(images, np.float32)
    n = len(z)
    matrix = np.empty((n, n), np.float32)
    total = n * (n + 1) / 2
    for r0 in range(0, n, ROW_BLOCK):
        r1 = min(r0 + ROW_BLOCK, n)
        matrix[r0:r1, r0:] = z[r0:r1] @ z[r0:].T
        matrix[r1:, r0:r1] = matrix[r0:r1, r1:].T
        done = total - (n - r1) * (n - r1 + 1) / 2
        yield int(done), int(total)
    np.clip(matrix, -1.0, 1.0, out=matrix)
    shown, averages = _shown(matrix, labels, threshold)
    return Heatmap(
        indices, labels, matrix, shown, averages, threshold, time.perf_counter() - started
    )


def rethreshold(heatmap: Heatmap, threshold: float | None):
    """Worker: the same matrix shown with another threshold (or none)."""
    started = time.perf_counter()
    yield 0, 1
    shown, averages = _shown(heatmap.matrix, heatmap.labels, threshold)
    return Heatmap(
        heatmap.indices,
        heatmap.labels,
        heatmap.matrix,
        shown,
        averages,
        threshold,
        time.perf_counter() - started,
        "threshold",
    )


def all_block_averages(images, labels, threshold):
    """Worker: block averages over every image; streamed (with progress) under a threshold."""
    started = time.perf_counter()
    if threshold is None:
        yield 0, 1
        result = analysis.block_averages(images, labels)
    else:
        result = yield from analysis.iter_class_block_averages(images, labels, threshold)
    return result, time.perf_counter() - started


class CorrelationPanel(QWidget):
    """Pick N samples sorted by label, see their pixel-correlation matrix with a colour bar and
    label bands, binarise it at a threshold, and read the 10×10 class-block averages beside it.
    "All 70,000" computes the block averages over every MNIST image (with a threshold, every
    pair: minutes, with progress and cancel)."""

    heatmap_ready = Signal()
    averages_ready = Signal()

    def __init__(self, data: ExploreData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self._workers = Workers()
        self._job = None
        self._job_kind = ""
        self.heatmap: Heatmap | None = None
        self.averages = np.full((10, 10), np.nan)
        self.averages_title = ""

        self.count_box = QSpinBox()
        self.count_box.setRange(200, 10_000)
        self.count_box.setSingleStep(100)
        self.count_box.setValue(200)
        self.count_box.setToolTip(
            "How many samples, the same number of each digit (the correlation study: 200)"
        )
        self.set_box = QComboBox()
        self.set_box.addItems(list(SETS))
        self.set_box.setToolTip("Where the samples are drawn from")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 9999)
        self.seed_box.setToolTip("Random seed of the draw (the same seed gives the same samples)")
        self.show_button = QPushButton("Show")
        self.show_button.setToolTip("Draw the samples and compute their correlation matrix")
        self.threshold_check = QCheckBox("Threshold")
        self.threshold_check.setToolTip(
            "Binarise as the correlation study does: a coefficient above the threshold counts 1, "
            "else 0"
        )
        self.threshold_box = QDoubleSpinBox()
        self.threshold_box.setRange(-1.0, 1.0)
        self.threshold_box.setSingleStep(0.05)
        self.threshold_box.setDecimals(2)
        self.threshold_box.setValue(0.5)
        self.threshold_box.setToolTip("The correlation study uses 0.5 and 0.6")
        self.all_button = QPushButton("All 70,000")
        self.all_button.setToolTip(
            "Class-block averages over every MNIST image (with a threshold: every pair, minutes)"
        )
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        # What room the bar has left, at least 60 px: shown, it never widens the window.
        self.progress.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.progress.setMinimumWidth(60)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.note = FittedLabel("Loading MNIST…")  # never widens the window

        self._build_plots()
        self._build_layout()
        self.show_button.clicked.connect(self.compute)
        # Enter in a spin box applies it, as Show does (leaving the box does not: a large
        # matrix takes a while). The threshold applies when its value is set, not per keystroke.
        for box in (self.count_box, self.seed_box):
            box.setKeyboardTracking(False)
            box.editingFinished.connect(lambda b=box: b.hasFocus() and self.compute())
        self.threshold_box.setKeyboardTracking(False)
        self.threshold_check.toggled.connect(lambda _: self._threshold_changed())
        self.threshold_box.valueChanged.connect(
            lambda _: self.threshold_check.isChecked() and self._threshold_changed()
        )
        self.all_button.clicked.connect(self.compute_all)
        self.cancel_button.clicked.connect(self.cancel)
        data.follow(self.compute, self.note)

    # ---------------------------------------------------------------- layout

    def _build_plots(self) -> None:
        self.plot_widget = pg.GraphicsLayoutWidget()
        self.plot_widget.setBackground(background())
        self.plot = self.plot_widget.addPlot()
        style_plot(self.plot)
        self.plot.hideButtons()
        self.plot.setMenuEnabled(False)
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setLabel("bottom", "sample (sorted by label)")
        self.plot.setLabel("left", "sample (sorted by label)")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self._diverging = pg.colormap.get("CET-D1")
        self._binary = pg.colormap.get("CET-L1")
        self._binary.reverse()
        self.colour_bar = pg.ColorBarItem(
            values=(-1, 1), colorMap=self._diverging, interactive=False
        )
        self.colour_bar.setImageItem(self.image, insert_in=self.plot)
        bar_axis = self.colour_bar.getAxis("right")
        bar_axis.setPen(pg.mkPen(foreground()))
        bar_axis.setTextPen(pg.mkPen(foreground()))
        lut = np.array([pg.mkColor(c).getRgb() for c in DIGIT_COLOURS], np.ubyte)
        self.top_band = pg.ImageItem(axisOrder="row-major", lut=lut, levels=(0, 9))
        self.left_band = pg.ImageItem(axisOrder="row-major", lut=lut, levels=(0, 9))
        self.plot.addItem(self.top_band)
        self.plot.addItem(self.left_band)
        self._boundaries: list[pg.InfiniteLine] = []
        self.blocks = AnnotatedHeatmap("class", "class", colormap="viridis")
        self.blocks.setMinimumWidth(420)

    def _build_layout(self) -> None:
        bar = QHBoxLayout()
        for label, widget in (
            ("Samples", self.count_box),
            ("from", self.set_box),
            ("seed", self.seed_box),
        ):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.show_button)
        bar.addSpacing(16)
        bar.addWidget(self.threshold_check)
        bar.addWidget(self.threshold_box)
        bar.addSpacing(16)
        bar.addWidget(self.all_button)
        bar.addWidget(self.progress)
        bar.addWidget(self.cancel_button)
        bar.addStretch(1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.plot_widget)
        split.addWidget(self.blocks)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        # The exports beside the note, under the plots they save: in the bar above, its
        # controls were wider than the Draw tab and widened the window on a laptop screen.
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(export_button(self, lambda: self.plot_widget, "correlation", "matrix"))
        bottom.addWidget(export_button(self, lambda: self.blocks, "class_blocks", "class blocks"))
        layout.addLayout(bottom)

    # ---------------------------------------------------------------- public API

    def threshold(self) -> float | None:
        return self.threshold_box.value() if self.threshold_check.isChecked() else None

    def set_threshold(self, value: float | None) -> None:
        """Binarise at ``value`` (None: show the coefficients); recomputes in a worker."""
        self.threshold_check.blockSignals(True)
        self.threshold_box.blockSignals(True)
        self.threshold_check.setChecked(value is not None)
        if value is not None:
            self.threshold_box.setValue(value)
        self.threshold_check.blockSignals(False)
        self.threshold_box.blockSignals(False)
        self._threshold_changed()

    def busy(self) -> bool:
        return self._job is not None

    def compute(self) -> None:
        """Draw the samples and compute their matrix in a worker (``heatmap_ready`` follows)."""
        samples = self.data.samples
        if samples is None:
            return
        wanted = np.flatnonzero(np.isin(samples.source, SETS[self.set_box.currentText()]))
        per_class = self.count_box.value() // 10
        picked = analysis.pick_per_class(samples.labels[wanted], per_class, self.seed_box.value())
        indices = wanted[picked]
        labels = samples.labels[indices]
        self._run(
            "heatmap",
            f"Correlating {len(indices):,} samples…",
            compute_heatmap,
            samples.images[indices],
            indices,
            labels,
            self.threshold(),
        )

    def compute_all(self) -> None:
        """Block averages over all of MNIST in a worker (``averages_ready`` follows)."""
        samples = self.data.samples
        if samples is None:
            return
        mnist = np.flatnonzero(np.isin(samples.source, (TRAIN, TEST)))
        threshold = self.threshold()
        what = "exact" if threshold is None else f"every pair, threshold {threshold:.2f}"
        self._run(
            "all",
            f"Block averages over all {len(mnist):,} images ({what})…",
            all_block_averages,
            samples.images[mnist],
            samples.labels[mnist],
            threshold,
        )

    def cancel(self) -> None:
        if self._job is not None:
            self._job.quit()

    def export_png(self, path: str | Path) -> bool:
        return save_png(self.plot_widget, path)

    def export_blocks_png(self, path: str | Path) -> bool:
        return save_png(self.blocks, path)

    def shutdown(self) -> bool:
        """Ask the running workers to stop; True if there were any."""
        return self._workers.shutdown()

    # ---------------------------------------------------------------- workers

    def _run(self, kind: str, message: str, func, *args) -> None:
        if self._job is not None:
            self._job.quit()  # the newest request wins; the old one stops at its next block
        self.note.setText(message)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.setEnabled(True)
        started = time.perf_counter()
        job = None

        def progress(step: tuple[int, int]) -> None:
            if job is self._job:
                done, total = step
                self.progress.setRange(0, 1000)
                self.progress.setValue(int(1000 * done / max(total, 1)))
                self.progress.setFormat(f"{done / max(total, 1):.0%}")

        def returned(result) -> None:
            if job is self._job:
                self._finish_job()
                (self._on_heatmap if kind != "all" else self._on_all)(result)

        def aborted() -> None:
            if job is self._job:
                self._finish_job()
                seconds = time.perf_counter() - started
                self.note.setText(f"Cancelled after {seconds:.1f} s")

        def errored(error: Exception) -> None:
            if job is self._job:
                self._finish_job()
                self.note.setText(f"Failed: {type(error).__name__}: {error}")

        job = self._workers.start(func, *args, yielded=progress, returned=returned, errored=errored)
        job.aborted.connect(aborted)
        self._job = job
        self._job_kind = kind

    def _finish_job(self) -> None:
        self._job = None
        self.progress.hide()
        self.cancel_button.setEnabled(False)

    def _threshold_changed(self) -> None:
        if self.heatmap is None:
            return
        self._run("threshold", "Thresholding…", rethreshold, self.heatmap, self.threshold())

    # ---------------------------------------------------------------- drawing

    def _on_heatmap(self, heatmap: Heatmap) -> None:
        self.heatmap = heatmap
        n = len(heatmap.labels)
        binary = heatmap.threshold is not None
        self.image.setImage(heatmap.shown, autoLevels=False)
        self.image.setRect(QRectF(0, 0, n, n))
        if binary:
            self.colour_bar.setColorMap(self._binary)
            self.colour_bar.setLevels((0.0, 1.0))
            self.colour_bar.getAxis("right").setLabel(f"share > {heatmap.threshold:.2f}")
        else:
            self.colour_bar.setColorMap(self._diverging)
            self.colour_bar.setLevels((-1.0, 1.0))
            self.colour_bar.getAxis("right").setLabel("correlation")
        self._draw_bands(heatmap.labels)
        pooled = len(heatmap.shown) < n
        what = f"coefficient > {heatmap.threshold:.2f} → 1, else 0" if binary else "coefficients"
        self.plot.setTitle(f"Pixel correlation of {n:,} digits ({what})")
        self.note.setText(
            (
                f"{n:,}×{n:,} matrix in {heatmap.seconds:.2f} s"
                if heatmap.step == "matrix"
                else f"{n:,}×{n:,} matrix thresholded in {heatmap.seconds:.2f} s"
            )
            + (f"; shown as {len(heatmap.shown):,}² pooled means" if pooled else "")
            + " · the 10×10 blocks leave out each sample's pair with itself"
        )
        self._show_averages(heatmap.averages, f"{n:,} samples", heatmap.threshold)
        self.heatmap_ready.emit()

    def _draw_bands(self, labels: np.ndarray) -> None:
        n = len(labels)
        band = max(n * 0.03, 3)
        self.top_band.setImage(labels[None, :].astype(np.float32), autoLevels=False)
        self.top_band.setRect(QRectF(0, -band * 1.2, n, band))
        self.left_band.setImage(labels[:, None].astype(np.float32), autoLevels=False)
        self.left_band.setRect(QRectF(-band * 1.2, 0, band, n))
        starts = np.searchsorted(labels, np.arange(11))
        centres = [((starts[d] + starts[d + 1]) / 2, str(d)) for d in range(10)]
        for name in ("bottom", "left"):
            self.plot.getAxis(name).setTicks([centres])
        if not self._boundaries:
            pen = pg.mkPen(foreground(), width=1, style=Qt.PenStyle.DotLine)
            for _ in range(9 * 2):
                line = pg.InfiniteLine(angle=0, pen=pen, movable=False)
                self.plot.addItem(line, ignoreBounds=True)
                self._boundaries.append(line)
        # Dotted lines between the classes, across and down.
        for k, line in enumerate(self._boundaries):
            line.setAngle(90 * (k % 2))
            line.setValue(float(starts[1 + k // 2]))
        self.plot.setRange(QRectF(-band * 1.3, -band * 1.3, n + band * 1.3, n + band * 1.3))

    def _on_all(self, result: tuple[np.ndarray, float]) -> None:
        averages, seconds = result
        threshold = self.threshold()
        self._show_averages(averages, "all 70,000 images", threshold)
        self.note.setText(f"Block averages over all 70,000 images in {seconds:.1f} s")
        self.averages_ready.emit()

    def _show_averages(self, averages: np.ndarray, over: str, threshold: float | None) -> None:
        self.averages = averages
        if threshold is None:
            self.averages_title = f"Mean correlation between digits ({over})"
            finite = averages[np.isfinite(averages)]
            levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        else:
            self.averages_title = f"Share of pairs with correlation > {threshold:.2f} ({over})"
            levels = (0.0, max(float(np.nanmax(averages)), 1e-9))
        self.blocks.set_matrix(averages, levels=levels)
        self.blocks.plot.setTitle(self.averages_title)

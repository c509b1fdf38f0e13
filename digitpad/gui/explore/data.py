"""The samples every explore panel shows (``digitpad.data.samples``), loaded once off the GUI
thread and shared by them."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal

from ... import models
from ...data.samples import Samples, load_samples


class ExploreData(QObject):
    """The shared :class:`Samples`, loaded in a worker the first time a panel needs them.

    ``loaded()`` is emitted once they are there, ``changed()`` when a set is added,
    ``failed(message)`` if MNIST cannot be read.
    """

    loaded = Signal()
    changed = Signal()
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, loader=load_samples) -> None:
        super().__init__(parent)
        self.samples: Samples | None = None
        self._loader = loader
        self._worker = None
        self.problem = ""

    def is_loaded(self) -> bool:
        return self.samples is not None

    def follow(self, on_data, problem_label, on_changes: bool = False) -> None:
        """What every panel does: call ``on_data()`` now if the samples are here (else start
        loading them, and call it once they are), again whenever the models change
        (``loaded`` again) and, with ``on_changes``, when a set is added; say in
        ``problem_label`` (a QLabel) why MNIST could not be loaded."""
        self.loaded.connect(on_data)
        if on_changes:
            self.changed.connect(on_data)
        self.failed.connect(lambda message: problem_label.setText(f"Cannot load MNIST: {message}"))
        if self.is_loaded():
            on_data()
        else:
            self.ensure_loaded()

    def ensure_loaded(self) -> None:
        """Start loading (once); ``loaded`` follows, on the GUI thread."""
        if self.samples is not None or self._worker is not None:
            return
        from superqt.utils import create_worker

        self._worker = create_worker(self._loader, _start_thread=False, _ignore_errors=True)
        self._worker.returned.connect(self._on_loaded)
        self._worker.errored.connect(self._on_failed)
        self._worker.start()

    def add_source(self, name: str, images: np.ndarray, labels: np.ndarray | None) -> None:
        """Append a set of digits (a Kaggle CSV, the user's drawings) after loading."""
        if self.samples is None:
            raise RuntimeError("the samples are not loaded yet")
        self.samples = self.samples.with_source(name, images, labels)
        self.changed.emit()

    def refresh_models(self) -> None:
        """A model was trained, renamed or deleted: take the models on disk now; the panels
        rebuild their model lists (``loaded`` is emitted again). Nothing to do before loading."""
        if self.samples is None:
            return
        try:
            names = models.available()
        except (OSError, models.ModelError) as e:
            self.samples.problems["models"] = str(e)
            return
        self.samples.add_models(names)
        self.loaded.emit()

    def _on_loaded(self, samples: Samples) -> None:
        self.samples = samples
        self._worker = None
        self.loaded.emit()

    def _on_failed(self, error: Exception) -> None:
        self._worker = None
        self.problem = str(error)
        self.failed.emit(self.problem)

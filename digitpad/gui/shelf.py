"""The models the window uses, loaded off the GUI thread so the window shows at once."""

from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import QObject, QThreadPool, Signal

from .. import models
from ..models import Classifier, ModelError
from ..reading import detector


def _load_each(names: list[str]) -> Iterator[tuple[str, Classifier | None, str]]:
    """Runs in a worker thread: (name, classifier or None, error message) per model."""
    for i, name in enumerate(names):
        clf = None
        try:
            clf = models.load(name)
            yield name, clf, ""
        except ModelError as e:
            yield name, None, str(e)
        except Exception as e:  # a damaged file can upset LiteRT or NumPy in other ways
            yield name, None, f"{name}: cannot be loaded ({type(e).__name__}: {e})"
        if i == 0:  # the verdict's statistics, off the GUI thread too (they never raise)
            detector.shared()
        found = detector.shared_if_loaded()
        if found is not None and clf is not None:
            found.shares_with(clf)  # checked here once (2 ms), not at the first reading


class ModelShelf(QObject):
    """Every available model, loaded one by one in a worker thread, the first wanted first.

    Signals arrive on the GUI thread: ``model_loaded(name)``, ``model_failed(name, message)``,
    ``all_done()``.
    """

    model_loaded = Signal(str)
    model_failed = Signal(str, str)
    all_done = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        try:
            self.names: list[str] = models.available()
        except (OSError, ModelError) as e:
            self.names, self.problem = [], str(e)
        else:
            self.problem = "" if self.names else "no models found"
        self._loaded: dict[str, Classifier] = {}
        self._failed: dict[str, str] = {}
        self._worker = None

    def start(self, first: str | None = None) -> None:
        """Start loading every model in the background, ``first`` before the others."""
        from superqt.utils import create_worker  # imported here: not needed to show the window

        order = sorted(self.names, key=lambda n: n != first)
        order = [n for n in order if n not in self._loaded and n not in self._failed]
        if not order:
            self.all_done.emit()
            return
        self._worker = create_worker(_load_each, order, _start_thread=False)
        self._worker.yielded.connect(self._on_yielded)
        self._worker.finished.connect(self.all_done)
        self._worker.start()

    def refresh(self) -> list[str]:
        """Read ``models.available()`` again after a model was saved, renamed or deleted.

        Models no longer there are forgotten; new ones are pending until ``start`` (or
        ``load_now``) loads them. Returns the names.
        """
        try:
            names = models.available()
        except (OSError, ModelError) as e:
            names, self.problem = [], str(e)
        else:
            self.problem = "" if names else "no models found"
        self.names = names
        for table in (self._loaded, self._failed):
            for name in [n for n in table if n not in names]:
                del table[name]
        return names

    def stop(self, wait_ms: int = 3000) -> None:
        """Ask the loader to stop after the model it is loading, and wait (at most ``wait_ms``)
        until its thread is done: a loader still running while Python shuts down can crash the
        process on its way out."""
        if self._worker is None:
            return
        self._worker.quit()
        if self._worker.is_running:
            QThreadPool.globalInstance().waitForDone(wait_ms)

    def loaded(self) -> dict[str, Classifier]:
        """The usable models, in the order of ``names``."""
        return {n: self._loaded[n] for n in self.names if n in self._loaded}

    def failed(self) -> dict[str, str]:
        return dict(self._failed)

    def is_pending(self, name: str) -> bool:
        return name in self.names and name not in self._loaded and name not in self._failed

    def load_now(self, name: str) -> Classifier | None:
        """Load ``name`` on the calling thread (when an answer is needed right now)."""
        if name in self._loaded:
            return self._loaded[name]
        if name in self._failed or name not in self.names:
            return None
        for _, clf, error in _load_each([name]):
            self._store(name, clf, error)
        return self._loaded.get(name)

    def _on_yielded(self, item: tuple[str, Classifier | None, str]) -> None:
        name, clf, error = item
        if name not in self.names:
            return  # deleted or renamed while it was loading
        if name in self._loaded or name in self._failed:
            return  # already loaded on demand
        self._store(name, clf, error)

    def _store(self, name: str, clf: Classifier | None, error: str) -> None:
        if clf is not None:
            self._loaded[name] = clf
            self.model_loaded.emit(name)
        else:
            self._failed[name] = error
            self.model_failed.emit(name, error)

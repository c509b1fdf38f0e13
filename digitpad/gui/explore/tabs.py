"""The explore panels as tabs beside the drawing, each built the first time it is opened.

Nothing here loads MNIST or builds a plot until a tab is opened (or a panel is asked for), so
the window starts as fast as without them.
"""

from __future__ import annotations

import importlib

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

# tab title → (module, class); the module is imported when the tab is first opened.
PANELS = {
    "Browse": ("browser", "BrowserPanel"),
    "Confusion": ("confusion", "ConfusionPanel"),
    "Correlation": ("correlation", "CorrelationPanel"),
    "Distribution": ("distribution", "DistributionPanel"),
    "Misclassified": ("misclassified", "MisclassifiedPanel"),
    "Map": ("map", "MapPanel"),
}


class ExploreTabs(QObject):
    """Adds one tab per explore panel to ``tabs``; a panel is built when its tab is first shown
    or when the attribute (``browser``, ``confusion``, ``correlation``, ``distribution``,
    ``misclassified``, ``map``) is first read. ``built()`` lists those that exist.

    One current model drives every tab that shows one model: :meth:`set_model` (the window
    calls it when the big answer's model changes) sets it in the panel on show now, and in
    every other one when it is next shown or asked for (:meth:`panel`): a model change then
    rebuilds no hidden mosaic (Browse's and Misclassified's are tens of MB each; rebuilt on
    every change, they grew the window's memory by 70 MB in 10,000 random events).
    ``model_chosen(name)`` when the person picks a model in any tab, which every other tab
    then follows too."""

    model_chosen = Signal(str)

    def __init__(self, tabs: QTabWidget, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tabs = tabs
        self._data = None
        self._model: str | None = None
        self._panels: dict[str, QWidget] = {}
        self._shown_model: dict[str, str] = {}  # the model each built panel was last given
        self._holders: dict[str, QWidget] = {}
        for title in PANELS:
            holder = QWidget()
            layout = QVBoxLayout(holder)
            layout.setContentsMargins(0, 0, 0, 0)
            self._holders[title] = holder
            tabs.addTab(holder, title)
        tabs.currentChanged.connect(self._on_tab)

    @property
    def data(self):
        """The shared samples (:class:`ExploreData`), created on first use."""
        if self._data is None:
            from .data import ExploreData

            self._data = ExploreData(self)
        return self._data

    def panel(self, title: str) -> QWidget:
        """The panel of tab ``title``, built now if it was not yet."""
        if title not in self._panels:
            module_name, class_name = PANELS[title]
            module = importlib.import_module(f"{__package__}.{module_name}")
            panel = getattr(module, class_name)(self.data)
            self._holders[title].layout().addWidget(panel)
            self._panels[title] = panel
            self._connect(title, panel)
        self._give_model(title)
        return self._panels[title]

    def built(self) -> list[str]:
        return list(self._panels)

    def model(self) -> str | None:
        """The current model, that every tab shows (None until the window says)."""
        return self._model

    def set_model(self, name: str | None) -> None:
        """Make ``name`` the current model of every tab (those built later open on it)."""
        if name is None:
            return
        self._model = name
        current = self.tabs.currentWidget()
        for title, holder in self._holders.items():
            if holder is current and title in self._panels:
                self._give_model(title)

    def _give_model(self, title: str) -> None:
        panel = self._panels[title]
        if self._model is None or not hasattr(panel, "set_model"):
            return
        if self._shown_model.get(title) != self._model:
            self._shown_model[title] = self._model
            panel.set_model(self._model)

    def show_tab(self, title: str) -> QWidget:
        panel = self.panel(title)
        self.tabs.setCurrentWidget(self._holders[title])
        return panel

    @property
    def browser(self):
        return self.panel("Browse")

    @property
    def confusion(self):
        return self.panel("Confusion")

    @property
    def correlation(self):
        return self.panel("Correlation")

    @property
    def distribution(self):
        return self.panel("Distribution")

    @property
    def misclassified(self):
        return self.panel("Misclassified")

    @property
    def map(self):
        return self.panel("Map")

    def shutdown(self, wait_ms: int = 3000) -> None:
        """Stop every panel's workers (the window is closing) and wait for them a moment: each
        stops at its next step, well under a second."""
        busy = False
        for panel in self._panels.values():
            busy = panel.shutdown() or busy
        if busy:
            QThreadPool.globalInstance().waitForDone(wait_ms)
        # Delete the plots now, while Python is whole: left to PySide's clean-up at exit,
        # pyqtgraph items are destroyed in an order that can call back into a half-gone
        # interpreter and crash (seen with PySide6 6.11 and pyqtgraph 0.14).
        for title, panel in list(self._panels.items()):
            panel.hide()
            panel.setParent(None)
            shiboken6.delete(panel)
            del self._panels[title]

    def _on_tab(self, index: int) -> None:
        for title, holder in self._holders.items():
            if self.tabs.widget(index) is holder:
                self.panel(title)

    def _on_chosen(self, name: str) -> None:
        """The person picked ``name`` in a tab: a model name becomes the current model."""
        samples = self.data.samples
        if samples is not None and name in samples.probabilities:  # not "all models"
            self.set_model(name)
            self.model_chosen.emit(name)

    def _connect(self, title: str, panel: QWidget) -> None:
        if hasattr(panel, "model_box"):
            panel.model_box.chosen.connect(self._on_chosen)
        if title == "Confusion":
            panel.samples_chosen.connect(self._open_in_browser)
        elif title == "Map":
            panel.sample_chosen.connect(self._open_sample)

    def _open_in_browser(self, indices, model: str, title: str) -> None:
        self.open_samples(indices, title, model)

    def _open_sample(self, index: int) -> None:
        """Browse one sample (a dot clicked on the map), shown large with the map's model."""
        model = self._panels["Map"].model() if "Map" in self._panels else None
        self.open_samples([index], "Chosen on the map", model, focus=index)

    def open_samples(
        self, indices, title: str, model: str | None = None, focus: int | None = None
    ) -> QWidget:
        """Open the Browse tab on exactly the samples ``indices`` (global), and show sample
        ``focus`` large, once MNIST is loaded if it is not yet. Returns the browser."""
        browser = self.show_tab("Browse")
        browser.show_samples(np.asarray(indices, np.int64), title, model)
        if focus is not None:

            def show_focus() -> None:
                where = np.flatnonzero(browser.shown() == focus)
                if where.size:
                    browser.show_detail(int(where[0]))

            if self.data.is_loaded():
                show_focus()
            else:
                self.data.loaded.connect(show_focus, Qt.ConnectionType.SingleShotConnection)
        return browser

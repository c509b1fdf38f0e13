"""``digitpad`` / ``python -m digitpad``: open the drawing window."""

from __future__ import annotations

import atexit
import sys

import shiboken6
from PySide6.QtCore import QThreadPool
from PySide6.QtWidgets import QApplication

from .settings import APPLICATION, ORGANIZATION
from .window import MainWindow


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, created (and named for QSettings) if there is none."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(sys.argv if argv is None else argv))
        atexit.register(_close_before_exit)
        # The why-worker thread runs Python beside the window while the pen moves; with the
        # default 5 ms switch interval the GUI thread could wait that long for the GIL after
        # every call that released it (measured: p99 move → answer 16–19 ms, 12–13 ms at 1 ms).
        sys.setswitchinterval(0.001)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


def _close_before_exit() -> None:
    """At interpreter exit, while Python is still whole: close the windows still open (their
    workers stop as on any close), wait for the worker threads, and delete every plot.

    PySide destroys what is left only after Python has begun to shut down; a pyqtgraph item
    destroyed then calls its Python overrides into a half-gone interpreter and the process dies
    with a segfault on its way out (gdb: ~QGraphicsWidget → QGraphicsWidget::event →
    storePythonOverrideErrorOrPrint). A script or test that ends with the window open hit it
    (once in CI, and 1 run in 3 here under load)."""
    from PySide6.QtWidgets import QGraphicsView

    app = QApplication.instance()
    if app is None:
        return
    windows = list(app.topLevelWidgets())
    for widget in windows:
        try:
            if widget.isVisible():
                widget.close()
        except RuntimeError:  # its C++ side is already gone
            continue
    QThreadPool.globalInstance().waitForDone(5000)
    for widget in windows:
        if not shiboken6.isValid(widget):
            continue
        views = widget.findChildren(QGraphicsView)
        if isinstance(widget, QGraphicsView):
            views.append(widget)
        for view in views:  # as the explore tabs do on closing: hide, unparent, delete
            if shiboken6.isValid(view):
                view.hide()
                view.setParent(None)
                shiboken6.delete(view)


def main(argv: list[str] | None = None) -> int:
    """Show the main window and run until it is closed; returns the exit status."""
    app = application(argv)
    window = MainWindow()
    window.show()
    # Quitting by any road (Ctrl+Q, the session ending) stops the workers as closing does.
    app.aboutToQuit.connect(window.close)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

"""``digitpad`` / ``python -m digitpad``: open the drawing window."""

from __future__ import annotations

import atexit
import ctypes
import os
import sys
from collections.abc import Mapping

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


INSTALL_XCB_CURSOR = (
    "Debian/Ubuntu: sudo apt install libxcb-cursor0; Fedora: sudo dnf install xcb-util-cursor; "
    "Arch: sudo pacman -S xcb-util-cursor"
)


def display_problem(environ: Mapping[str, str] | None = None, platform: str | None = None) -> str:
    """Why the window cannot open here, in one line ("" when nothing is known to be wrong).

    Qt itself, finding no display on Linux, aborts the process (exit 134) with a message that
    blames a missing xcb-cursor0 library whatever the cause; these are checked first."""
    environ = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if not platform.startswith("linux") or (chosen and not chosen.startswith("xcb")):
        return ""  # Windows, macOS, or a platform chosen on purpose (offscreen, wayland…)
    if not chosen and environ.get("WAYLAND_DISPLAY"):
        return ""
    display = environ.get("DISPLAY", "")
    if not display:
        return (
            "no display to open the window on (DISPLAY is not set: start digitpad from a "
            "desktop session); the commands need none, see digitpad --help"
        )
    try:
        ctypes.CDLL("libxcb-cursor.so.0")
    except OSError:
        return f"the window needs the library libxcb-cursor0 ({INSTALL_XCB_CURSOR})"
    if not _can_connect(display):
        return f"cannot open the display {display} (is the X server running, and yours?)"
    return ""


def _can_connect(display: str) -> bool:
    """Whether the X server of ``display`` accepts a connection (libxcb, which Qt uses too)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True  # let Qt say what is missing
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection is not None:
            xcb.xcb_disconnect(connection)


def main(argv: list[str] | None = None) -> int:
    """Show the main window and run until it is closed; returns the exit status (1, with one
    line on stderr, where there is no display to show it on)."""
    problem = display_problem()
    if problem:
        print(f"digitpad: error: {problem}", file=sys.stderr)
        return 1
    app = application(argv)
    window = MainWindow()
    window.show()
    # Quitting by any road (Ctrl+Q, the session ending) stops the workers as closing does.
    app.aboutToQuit.connect(window.close)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())

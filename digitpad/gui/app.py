"""``digitpad`` / ``python -m digitpad``: open the drawing window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from .settings import APPLICATION, ORGANIZATION
from .window import MainWindow


def application(argv: list[str] | None = None) -> QApplication:
    """The running QApplication, created (and named for QSettings) if there is none."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(list(sys.argv if argv is None else argv))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


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

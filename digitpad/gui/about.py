"""Help → About DigitPad: the version, what is bundled, and the MNIST credit."""

from __future__ import annotations

import sys

import PySide6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from .. import __version__
from .placement import open_over

MNIST_CREDIT = (
    "MNIST: Yann LeCun, Corinna Cortes and Christopher J. C. Burges, "
    "<i>The MNIST database of handwritten digits</i>, used under the Creative Commons "
    "Attribution-Share Alike 3.0 license (CC BY-SA 3.0)."
)


def about_text() -> str:
    """Rich text for the About box."""
    python = sys.version.split()[0]
    return (
        f"<h3>DigitPad {__version__}</h3>"
        "<p>Draw a digit and watch six models read it live; explore MNIST; retrain any model "
        "from the menu.</p>"
        f"<p>{MNIST_CREDIT}</p>"
        f"<p>Python {python} · PySide6 {PySide6.__version__}</p>"
    )


def show_about(parent: QWidget, keep_clear: QWidget | None = None) -> QMessageBox:
    """Open the About box without blocking, over ``parent`` and clear of ``keep_clear`` (the
    canvas) where it fits; returns it."""
    box = QMessageBox(parent)
    box.setWindowTitle("About DigitPad")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_text())
    box.setIcon(QMessageBox.Icon.Information)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    open_over(box, parent, keep_clear)
    return box

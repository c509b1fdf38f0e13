"""The Qt layer: the drawing window and its panels. Everything else in DigitPad is Qt-free.

The example opens a window, so it is not run as a doctest::

    from PySide6.QtWidgets import QApplication
    from digitpad.gui import MainWindow
    app = QApplication([]); window = MainWindow(); window.show(); app.exec()
"""

from .window import MainWindow

__all__ = ["MainWindow"]

"""The Qt layer: the drawing window and its panels. Everything else in DigitPad is Qt-free.

>>> from PySide6.QtWidgets import QApplication
>>> from digitpad.gui import MainWindow
>>> app = QApplication([]); window = MainWindow(); window.show()
"""

from .window import MainWindow

__all__ = ["MainWindow"]

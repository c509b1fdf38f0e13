"""DigitPad: draw a digit and watch models read it; explore MNIST; retrain from the menu.

``digitpad.read(image, model=None)`` reads one picture (a path, or an (H, W) grey array, bright
ink on black) as the window does: see ``digitpad.reading.api``.

The core (everything outside ``digitpad.gui``) imports no Qt and no TensorFlow at import time;
``import digitpad`` itself imports nothing (``read`` is loaded the first time it is used).
"""

__version__ = "0.1.0"
__all__ = ["__version__", "read", "read_number"]


def __getattr__(name: str):
    if name == "read":
        from .reading.api import read

        return read
    if name == "read_number":
        from .reading.strokes import read_number

        return read_number
    raise AttributeError(f"module 'digitpad' has no attribute {name!r}")

"""DigitPad: draw a digit and watch models read it; explore MNIST; retrain from the menu.

The core (everything outside ``digitpad.gui``) imports no Qt and no TensorFlow at import time.
"""

__version__ = "0.1.0"

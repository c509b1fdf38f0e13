"""How long computations report progress and are cancelled: one callback, one token, one error.

Training, the correlation study's block averages and the is-it-a-4 regression all take
``progress: ProgressFn`` and ``cancel: CancelToken | None``. ``progress(fraction, info)`` gets the
fraction done in [0, 1] and a dict saying what is happening (``"stage"`` and, where known, the
epoch, the loss…). The token is set from any thread; the computation checks it between steps
and raises :class:`Cancelled`, having saved nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: ``progress(fraction_done, info)``: fraction in [0, 1]; info has "stage" and, where known,
#: "epoch", "loss", "accuracy", "val_loss", "val_accuracy", "iteration".
ProgressFn = Callable[[float, dict[str, Any]], None]

__all__ = ["CancelToken", "Cancelled", "ProgressFn", "no_progress"]


class Cancelled(Exception):
    """The computation was cancelled through its token; nothing was saved."""


class CancelToken:
    """Set from any thread; a computation checks it between steps and raises ``Cancelled``."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the token was set."""
        if self._event.is_set():
            raise Cancelled("cancelled")


def no_progress(fraction: float, info: dict[str, Any]) -> None:
    """A progress callback that ignores what it is told."""

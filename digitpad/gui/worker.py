"""One background thread that works on the latest request only (the why-views, Number mode)."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal


class LatestWorker(QObject):
    """Works on the latest request in a daemon thread; ``ready(result)`` arrives on the GUI
    thread. A request replaces any request not started yet; ``stop()`` ends the thread
    (closing). Subclasses say what the work is (``work``), and may say what the thread does
    first (``starting``) and how long to wait after a piece of work began (``gap_s``)."""

    ready = Signal(object)
    thread_name = "worker"
    gap_s = 0.0  # at most one piece of work per this many seconds

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._wake = threading.Condition()
        self._request: object | None = None
        self._stopped = False
        self._busy = False
        self._thread: threading.Thread | None = None

    def request(self, request: object) -> None:
        """Ask for ``request``; it replaces any request not started yet."""
        with self._wake:
            if self._stopped:
                return
            self._request = request
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name=self.thread_name, daemon=True
                )
                self._thread.start()
            self._wake.notify()

    def is_idle(self) -> bool:
        with self._wake:
            return self._request is None and not self._busy

    def stop(self, wait_s: float = 2.0) -> None:
        with self._wake:
            self._stopped = True
            self._request = None
            self._wake.notify()
        if self._thread is not None:
            self._thread.join(wait_s)

    def starting(self) -> None:
        """Run once in the worker thread before its first piece of work."""

    def work(self, request: object) -> object:
        """The result for ``request`` (runs in the worker thread)."""
        raise NotImplementedError

    def _next(self, started: float) -> object | None:
        """The request to work on (None: stopped), ``gap_s`` after ``started`` at the soonest."""
        with self._wake:
            while self._request is None and not self._stopped:
                self._wake.wait()
            while not self._stopped:
                rest = started + self.gap_s - time.monotonic()
                if rest <= 0:
                    break
                self._wake.wait(rest)
            if self._stopped:
                return None
            request, self._request = self._request, None
            self._busy = True
            return request

    def _loop(self) -> None:
        self.starting()
        started = -1.0e9
        while (request := self._next(started)) is not None:
            started = time.monotonic()
            try:
                result = self.work(request)
            finally:
                with self._wake:
                    self._busy = False
            with self._wake:
                if self._stopped:
                    return
            self.ready.emit(result)

"""Runs one job in the training helper process (``python -m digitpad.training.helper``).

A ``QProcess`` does the watching: its pipes are read on the GUI thread only when a line is
there, so the window never waits for the training, and TensorFlow is never imported here.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import uuid
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QTimer, Signal

from ... import paths
from ...models import store, user_dir

#: How long a job may take to stop after being asked before it is killed (ms).
GRACE_MS = 800
_PACKAGE_PARENT = str(Path(__file__).resolve().parents[3])
_STDERR_KEEP = 4000


class HelperProcess(QObject):
    """One job at a time in a helper process.

    Signals (GUI thread): ``progress(fraction, info)``; ``finished(status, result)`` with
    status "done" (result: the job's dict), "cancelled" (result None) or "failed" (result: the
    message).
    """

    progress = Signal(float, dict)
    finished = Signal(str, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._proc: QProcess | None = None
        self._job: dict[str, Any] = {}
        self._result: dict[str, Any] | None = None
        self._error = ""
        self._stderr = b""
        self._cancelling = False
        self._tmp: Path | None = None
        self._kill_timer = QTimer(self)
        self._kill_timer.setSingleShot(True)
        self._kill_timer.setInterval(GRACE_MS)
        self._kill_timer.timeout.connect(self._kill)

    # ------------------------------------------------------------------ API

    def is_running(self) -> bool:
        return self._proc is not None

    def job(self) -> dict[str, Any]:
        return dict(self._job)

    def pid(self) -> int | None:
        return None if self._proc is None else int(self._proc.processId()) or None

    def start(self, job: dict[str, Any]) -> None:
        """Start ``job`` (see ``digitpad.training.helper``); returns at once."""
        if self._proc is not None:
            raise RuntimeError("a training job is already running")
        self._job = dict(job, data_dir=str(paths.data_dir()))
        self._result, self._error, self._stderr = None, "", b""
        self._cancelling = False
        # The helper's temporary files (TensorFlow's export) go to a folder of our own, removed
        # when it ends however it ends: a killed helper leaves nothing behind anywhere.
        self._tmp = paths.data_dir() / f".train-tmp-{uuid.uuid4().hex[:8]}"
        self._tmp.mkdir(parents=True, exist_ok=True)
        env = QProcessEnvironment.systemEnvironment()
        env.insert(
            "PYTHONPATH", os.pathsep.join(filter(None, [_PACKAGE_PARENT, env.value("PYTHONPATH")]))
        )
        env.insert("DIGITPAD_DATA_DIR", str(paths.data_dir()))
        env.insert("TMPDIR", str(self._tmp))
        env.insert("TF_CPP_MIN_LOG_LEVEL", "2")
        proc = QProcess(self)
        proc.setProcessEnvironment(env)
        proc.readyReadStandardOutput.connect(self._read_stdout)
        proc.readyReadStandardError.connect(self._read_stderr)
        proc.finished.connect(self._on_finished)
        proc.errorOccurred.connect(self._on_error)
        self._proc = proc
        proc.start(sys.executable, ["-m", "digitpad.training.helper"])
        proc.write((json.dumps(self._job) + "\n").encode())

    def cancel(self) -> None:
        """Ask the job to stop; it is killed if it has not within ``GRACE_MS``."""
        if self._proc is None or self._cancelling:
            return
        self._cancelling = True
        self._proc.write(b"cancel\n")
        self._kill_timer.start()

    def stop(self, timeout_ms: int = 1800) -> None:
        """Cancel and wait (blocking, for closing the window) until the helper is gone."""
        proc = self._proc
        if proc is None:
            return
        self.cancel()
        if not proc.waitForFinished(min(GRACE_MS, timeout_ms)):
            proc.kill()
            proc.waitForFinished(max(100, timeout_ms - GRACE_MS))
        if self._proc is proc:  # finished was not delivered yet
            self._on_finished(proc.exitCode(), proc.exitStatus())

    # ------------------------------------------------------------------ internals

    def _kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()

    def _read_stdout(self) -> None:
        proc = self._proc
        if proc is None:
            return
        while proc.canReadLine():
            line = bytes(proc.readLine().data())
            try:
                message = json.loads(line)
            except ValueError:
                continue
            self._handle(message)

    def _read_stderr(self) -> None:
        if self._proc is not None:
            self._stderr = (self._stderr + bytes(self._proc.readAllStandardError().data()))[
                -_STDERR_KEEP:
            ]

    def _handle(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "progress":
            if not self._cancelling:
                self.progress.emit(float(message.get("fraction", 0.0)), message.get("info") or {})
        elif event == "done":
            self._result = message.get("result") or {}
        elif event == "error":
            self._error = str(message.get("message", "the training failed"))

    def _on_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._proc is not None:
            self._error = f"cannot start the training helper ({self._proc.errorString()})"
            self._on_finished(-1, QProcess.ExitStatus.CrashExit)

    def _on_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        proc = self._proc
        if proc is None:
            return
        self._read_stdout()
        self._read_stderr()
        self._proc = None
        self._kill_timer.stop()
        proc.deleteLater()
        # A helper killed mid-save leaves at most a hidden temporary folder: clear it now.
        store.recover(user_dir())
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        if self._cancelling:
            self.finished.emit("cancelled", self._result)
        elif self._result is not None:
            self.finished.emit("done", self._result)
        else:
            message = self._error or self._crash_message(code)
            self.finished.emit("failed", message)

    def _crash_message(self, code: int) -> str:
        tail = self._stderr.decode(errors="replace").strip().splitlines()[-3:]
        detail = f": {' / '.join(tail)}" if tail else ""
        return f"the training helper stopped unexpectedly (exit code {code}){detail}"

"""Crash-safe file writing shared by datasets and models.

A file is written to a temporary name beside its destination and only renamed over it once
it is complete and on disk, so an exception, a cancelled training or a crash never leaves a
half-written file where a good one was.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_MODES = ("wb", "w")
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows only; text translation is done by fdopen


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb") -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it is replaced only if the ``with`` block succeeds.

    ``mode`` is ``"wb"`` (binary) or ``"w"`` (UTF-8 text with ``\\n`` line endings). The data
    goes to a temporary file in the same directory (``os.replace`` is atomic only within one
    file system), is flushed and fsynced, then renamed over ``path``. If the block raises, the
    temporary file is removed and any existing ``path`` is left untouched.
    """
    if mode not in _MODES:
        raise ValueError(f"atomic_write mode must be 'wb' or 'w', not {mode!r}")
    path = Path(path)
    tmp, fd = _create_temp(path)
    try:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else "\n"
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        # BaseException too: Ctrl+C or a worker being shut down must not leave litter behind.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def _create_temp(path: Path) -> tuple[Path, int]:
    # os.open with 0o666 lets the umask decide the permissions, as for a normal open();
    # tempfile.mkstemp would leave every file we write readable by the owner only.
    while True:
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
        except FileExistsError:
            continue


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable on POSIX; directories cannot be opened on Windows.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: Path, suffix: str | None = None):
    """Yield a temporary path beside ``path``; on success move it over ``path`` atomically."""
    path = Path(path)
    # Keep the suffix: Keras and LiteRT choose the format from it.
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:12]}.tmp{suffix or path.suffix}")
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise

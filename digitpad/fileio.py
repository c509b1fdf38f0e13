"""Crash-safe file writing shared by datasets and models, and file errors in the user's words.

A file is written to a temporary name beside its destination and only renamed over it once
it is complete and on disk, so an exception, a cancelled training or a crash never leaves a
half-written file where a good one was. Whatever goes wrong, the error names the file the
caller asked for, never the temporary one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

_MODES = ("wb", "w")
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows only; text translation is done by fdopen
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # opening a FIFO must not wait for a writer
StrPath = str | os.PathLike[str]


class FileProblem(OSError):
    """An OSError whose message is a sentence for the user; ``errno`` is kept for callers."""

    def __init__(self, code: int | None, message: str) -> None:
        super().__init__(code, message)

    def __str__(self) -> str:
        return str(self.strerror)


#: What a file is, told by its first bytes: the formats people give by mistake for a digits
#: file (an IDX file or a CSV). Four bytes are enough for each, as an IDX header gives no more.
SIGNATURES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"%PDF", "a PDF document"),
    (b"BZh", "a bzip2 file"),
    (b"\xfd7zX", "an xz file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)


def file_kind(head: bytes) -> str | None:
    """What the file starting with ``head`` is ("a ZIP archive"…), if its signature is known."""
    return next((kind for magic, kind in SIGNATURES if head.startswith(magic)), None)


def kind_of(mode: int) -> str | None:
    """What a non-regular file is, in words (``"a folder"``, ``"a named pipe (FIFO)"``…), from
    an ``st_mode``; None for a regular file."""
    kinds = (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    )
    for test, words in kinds:
        if test(mode):
            return words
    return None if stat.S_ISREG(mode) else "not a regular file"


def read_error(path: StrPath, exc: OSError) -> str:
    """The message for an OSError met while reading ``path``, naming ``path``."""
    if isinstance(exc, FileProblem):
        return str(exc)
    words = {
        errno.ENOENT: f"cannot read {path}: no such file",
        errno.EACCES: f"permission denied: you may not read {path}",
        errno.EPERM: f"permission denied: you may not read {path}",
        errno.ELOOP: f"cannot read {path}: too many levels of symbolic links "
        "(a link that leads back to itself)",
        errno.EISDIR: f"{path} is a folder, not a file",
        errno.ENOTDIR: f"cannot read {path}: a part of the path is not a folder",
    }
    return words.get(exc.errno, f"cannot read {path}: {_lower(exc.strerror or str(exc))}")


def write_error(path: StrPath, exc: OSError) -> FileProblem:
    """A :class:`FileProblem` for an OSError met while writing ``path`` (or its temporary file),
    naming ``path`` and keeping the errno's words."""
    if isinstance(exc, FileProblem):
        return exc
    folder = Path(path).parent
    words = {
        errno.ENOENT: f"cannot write {path}: no such folder {folder}",
        errno.ENOTDIR: f"cannot write {path}: {folder} is not a folder",
        errno.EACCES: f"permission denied: you may not write {path}",
        errno.EPERM: f"permission denied: you may not write {path}",
        errno.ENOSPC: f"no space left on the device to write {path}",
        errno.EROFS: f"cannot write {path}: the file system is read-only",
        errno.ELOOP: f"cannot write {path}: too many levels of symbolic links",
    }
    reason = _lower(exc.strerror or str(exc))
    return FileProblem(exc.errno, words.get(exc.errno, f"cannot write {path}: {reason}"))


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def check_regular(path: StrPath, what: str = "file") -> None:
    """Raise :class:`FileProblem` unless ``path`` is a regular file (or does not exist yet).

    Reading a FIFO would wait for a writer forever and replacing a device or folder would
    destroy it, so both sides of every file operation refuse them by name.
    """
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    kind = kind_of(mode)
    if kind is not None:
        raise FileProblem(errno.EINVAL, f"{path} is {kind}, not a {what}")


def open_for_reading(path: StrPath) -> IO[bytes]:
    """Open a regular file for binary reading; a FIFO, device or folder is refused without
    blocking. Raises OSError (a :class:`FileProblem` for a file that is not regular)."""
    fd = os.open(path, os.O_RDONLY | _O_NONBLOCK | _O_BINARY)
    try:
        kind = kind_of(os.fstat(fd).st_mode)
        if kind is not None:
            raise FileProblem(errno.EINVAL, f"{path} is {kind}, not a file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


@contextlib.contextmanager
def atomic_write(path: StrPath, mode: str = "wb") -> Iterator[IO[Any]]:
    """Open ``path`` for writing so that it is replaced only if the ``with`` block succeeds.

    ``mode`` is ``"wb"`` (binary) or ``"w"`` (UTF-8 text with ``\\n`` line endings). The data
    goes to a temporary file in the same directory (``os.replace`` is atomic only within one
    file system), is flushed and fsynced, then renamed over ``path``. If the block raises, the
    temporary file is removed and any existing ``path`` is left untouched. A symlink is
    written through (the file it points to is replaced, the link stays a link); a folder,
    device or FIFO is refused. An OSError from the temporary file is raised as a
    :class:`FileProblem` naming ``path``.
    """
    if mode not in _MODES:
        raise ValueError(f"atomic_write mode must be 'wb' or 'w', not {mode!r}")
    try:
        check_regular(path, "file to write")
        target = Path(os.path.realpath(path))
        tmp, fd = _create_temp(target)
    except OSError as exc:
        raise write_error(path, exc) from exc
    try:
        encoding = None if "b" in mode else "utf-8"
        newline = None if "b" in mode else "\n"
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        # BaseException too: Ctrl+C or a worker being shut down must not leave litter behind.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        # An OSError about another file (one the block was reading, say) is not ours to word.
        if isinstance(exc, OSError) and exc.filename in (None, str(tmp)):
            raise write_error(path, exc) from exc
        raise
    _fsync_dir(target.parent)


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

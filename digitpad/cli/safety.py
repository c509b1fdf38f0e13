"""Checks made before a command does any work, so that it never destroys a file.

An output must not be one of the command's inputs, however it is spelt (``test.csv``,
``./test.csv``, a symlink or a hard link to it), and must not be a folder, a device or a FIFO.
Each check raises :class:`digitpad.fileio.FileProblem` with a message naming the user's path.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path

from ..fileio import FileProblem, check_regular, write_error

STDOUT = "-"


def is_stdout(path: str | os.PathLike[str]) -> bool:
    """True for ``-``, the conventional name for "write to standard output"."""
    return os.fspath(path) == STDOUT


def check_output(output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse ``output`` if it is one of ``inputs``, is not a regular file, or its folder is
    missing. ``-`` (standard output) is always accepted."""
    if is_stdout(output):
        return
    try:
        check_regular(output, "file to write")
    except OSError as exc:  # a symlink loop, a folder that may not be searched
        raise write_error(output, exc) from exc
    for source in inputs:
        if _same_file(output, source):
            raise FileProblem(
                errno.EINVAL,
                f"{output} is the input {source}; writing it would destroy the input. "
                "Give another output file with -o",
            )
    folder = Path(os.path.realpath(output)).parent
    if not folder.is_dir():
        # The user's spelling, unless the output is a link whose target's folder is missing.
        shown = folder if os.path.islink(output) else Path(output).parent
        raise FileProblem(errno.ENOENT, f"cannot write {output}: no such folder {shown}")


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    # samefile compares device and inode, so hard links and symlinks count; realpath covers
    # an input that does not exist (yet) under the same spelling.
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)

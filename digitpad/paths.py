"""Where DigitPad's files live: the bundled resources and the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """The bundled ``resources/`` folder: inside the package when installed, else the repo's."""
    for candidate in (_PACKAGE / "resources", _PACKAGE.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "DigitPad's resources folder (MNIST and the bundled models) is missing; "
        "reinstall DigitPad or run it from a complete clone"
    )


def data_dir() -> Path:
    """The user's data folder (retrained models, labelled drawings); ``DIGITPAD_DATA_DIR`` wins."""
    override = os.environ.get("DIGITPAD_DATA_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("DigitPad", appauthor=False))

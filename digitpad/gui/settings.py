"""What the window remembers between runs (QSettings, organisation "DigitPad")."""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "DigitPad"
APPLICATION = "DigitPad"

GEOMETRY = "window/geometry"
PEN_WIDTH = "canvas/pen_width"
INVERTED = "canvas/inverted"
NUMBER_MODE = "canvas/number_mode"
MODEL = "model/driver"
LAST_FOLDER = "files/last_folder"
WHY_SALIENCY = "why/saliency"
WHY_NEIGHBOURS = "why/neighbours"
WHY_SPACE = "why/space"


def open_settings() -> QSettings:
    """The user's settings, in the default format (tests switch it to INI in a temporary folder)."""
    return QSettings(
        QSettings.defaultFormat(), QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def read_float(settings: QSettings, key: str, default: float) -> float:
    try:
        return float(settings.value(key, default))
    except (TypeError, ValueError):
        return default


def read_bool(settings: QSettings, key: str, default: bool) -> bool:
    """The setting ``key`` as a bool: QSettings converts what the format stored (INI files keep
    "true" and "false" as text), and ``default`` when it is missing."""
    return bool(settings.value(key, default, type=bool))


def read_str(settings: QSettings, key: str) -> str | None:
    value = settings.value(key, None)
    return value if isinstance(value, str) and value else None

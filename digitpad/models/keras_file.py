"""Open ``.keras`` files without ever running code from them.

A ``.keras`` file is a zip of ``config.json`` (the architecture) and weights. A ``Lambda`` layer
stores Python bytecode in the config and Keras would run it on load; ``safe_mode=True`` refuses
that, and we refuse it before Keras even sees the file, with a message a person can act on.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from .base import ModelError

# Layers whose config carries code (or a reference to arbitrary Python) rather than numbers.
UNSAFE_LAYERS = {"Lambda", "TFOpLambda", "SlicingOpLambda"}


def check_keras_file(path: str | Path) -> dict[str, Any]:
    """The parsed ``config.json`` of a ``.keras`` file, after checking it holds no code.

    Raises ``ModelError`` for a file that is not a ``.keras`` zip, a damaged one, or one with a
    Lambda layer or a serialised function anywhere in its config. Does not import TensorFlow.
    """
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as z:
            config = json.loads(z.read("config.json"))
    except FileNotFoundError:
        raise ModelError(f"{path}: no such file") from None
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"{path}: not a valid .keras file ({e}); retrain or remove it") from None
    found = sorted(_unsafe(config))
    if found:
        raise ModelError(
            f"{path}: refused: it contains {', '.join(found)}, which would run Python code "
            "when loaded; DigitPad only loads models made of standard layers"
        )
    return config


def _unsafe(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        if node.get("class_name") in UNSAFE_LAYERS:
            found.add(f"a {node['class_name']} layer")
        if node.get("class_name") == "__lambda__" or "function_type" in node:
            found.add("a serialised Python function")
        for v in node.values():
            found |= _unsafe(v)
    elif isinstance(node, list):
        for v in node:
            found |= _unsafe(v)
    return found


def load_keras(path: str | Path):
    """Load a ``.keras`` model safely (imports TensorFlow; for training and conversion only)."""
    check_keras_file(path)
    import keras

    try:
        return keras.saving.load_model(path, safe_mode=True, compile=True)
    except Exception as e:  # Keras raises many types for a bad file; all mean the same here
        raise ModelError(f"{path}: Keras cannot load it safely ({e})") from None

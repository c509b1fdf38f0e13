"""Model file sets on disk: one folder per model, written atomically, read without running code.

A folder holds ``meta.json`` (metrics, hyper-parameters, the SHA-256 of every file), the weights
(``model.npz`` read with ``allow_pickle=False``, or ``model.tflite`` run by LiteRT) and
``test_proba.npy``: the model's probabilities for the 10,000 MNIST test images, as the model
gives them before calibration; the temperature in ``meta.json`` (``calibration``) is applied when
they are read, as it is to every ``predict_proba``, so the cache and the model always agree.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from . import calibration
from .base import Classifier, ModelError

META = "meta.json"
TEST_PROBA = "test_proba.npy"


def write_model_dir(dest: Path, files: dict[str, bytes], meta: dict[str, Any]) -> None:
    """Write a model folder atomically: a reader sees the old complete set or the new one.

    ``files`` maps file name → content. The set is written to a hidden sibling folder, synced,
    then swapped in with ``os.replace``.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    tmp = dest.parent / f".{dest.name}.tmp-{tag}"
    tmp.mkdir()
    try:
        meta = dict(meta, files={n: _sha256(b) for n, b in files.items()})
        for name, content in {
            **files,
            META: json.dumps(meta, indent=2).encode(),
        }.items():
            with open(tmp / name, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
        old = dest.parent / f".{dest.name}.old-{tag}"
        if dest.exists():
            os.replace(dest, old)
        os.replace(tmp, dest)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def remove_partial_saves(dest: Path) -> None:
    """Delete the hidden sibling folders a save of ``dest`` that was stopped may have left (its
    new set, or the old one it was swapping out), whatever the rest of the folder holds."""
    for pattern in (f".{dest.name}.tmp-*", f".{dest.name}.old-*"):
        for left in dest.parent.glob(pattern):
            shutil.rmtree(left, ignore_errors=True)


def recover(parent: Path) -> dict[str, str]:
    """Undo a swap interrupted between its two renames, and drop abandoned temporary folders.

    Returns the swaps that could not be undone (a read-only folder, say): model name → why,
    a message for the user. A folder that cannot be listed has nothing to recover.
    """
    try:
        entries = [e for e in parent.iterdir() if e.name.startswith(".")]
    except OSError:
        return {}
    stranded: dict[str, str] = {}
    for entry in entries:
        if ".old-" in entry.name:
            final = parent / entry.name[1:].split(".old-")[0]
            if final.exists():
                shutil.rmtree(entry, ignore_errors=True)
                continue
            try:
                os.replace(entry, final)
            except OSError as exc:
                stranded[final.name] = _stranded_message(final, entry, exc)
        elif ".tmp-" in entry.name:
            shutil.rmtree(entry, ignore_errors=True)
    return stranded


def _stranded_message(final: Path, old: Path, exc: OSError) -> str:
    return (
        f"{final}: saving this model was interrupted, and its last complete version, {old.name}, "
        f"could not be put back ({exc.strerror or exc}); make {final.parent} writable and "
        "open DigitPad again, which finishes the repair"
    )


def read_meta(folder: Path) -> dict[str, Any]:
    try:
        meta = json.loads((folder / META).read_text())
    except FileNotFoundError:
        raise ModelError(f"{folder}: no {META}; this is not a DigitPad model folder") from None
    except OSError as e:
        raise ModelError(f"cannot read {folder / META}: {e.strerror or e}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ModelError(f"{folder / META}: damaged ({e}); remove the model folder") from None
    if not isinstance(meta, dict) or "format" not in meta:
        raise ModelError(f"{folder / META}: not DigitPad model metadata")
    try:
        calibration.temperature(meta)
    except ValueError as e:
        raise ModelError(f"{folder / META}: damaged ({e}); remove the model folder") from None
    return meta


def read_file(folder: Path, name: str, meta: dict[str, Any]) -> bytes:
    """Content of one file of the set, checked against the SHA-256 written when it was saved."""
    try:
        content = (folder / name).read_bytes()
    except FileNotFoundError:
        raise ModelError(f"{folder}: {name} is missing; retrain or remove this model") from None
    except OSError as e:
        raise ModelError(f"cannot read {folder / name}: {e.strerror or e}") from None
    expected = meta.get("files", {}).get(name)
    if expected is not None and _sha256(content) != expected:
        raise ModelError(
            f"{folder / name}: damaged on disk (checksum mismatch); retrain or remove it"
        )
    return content


def load_npz(content: bytes, where: Path) -> dict[str, np.ndarray]:
    """Arrays of an ``.npz``; a pickle payload or any object array is refused, never run."""
    if not content.startswith(b"PK"):
        raise ModelError(
            f"{where}: not an .npz weights file (pickle payloads are never loaded); "
            "retrain or remove it"
        )
    try:
        with np.load(io.BytesIO(content), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:
        raise ModelError(
            f"{where}: damaged or unsafe weights file ({e}); retrain or remove it"
        ) from None


def load_folder(folder: Path, name: str) -> Classifier:
    """The classifier stored in ``folder`` (its ``meta["format"]``: see ``FORMATS``)."""
    meta = read_meta(folder)
    fmt = meta["format"]
    if fmt not in FORMATS:
        raise ModelError(f"{folder}: unknown model format {fmt!r}")
    if fmt == "tflite":
        return classifier(
            fmt, name, meta, folder, model_bytes=read_file(folder, "model.tflite", meta)
        )
    arrays = load_npz(read_file(folder, "model.npz", meta), folder / "model.npz")
    return classifier(fmt, name, meta, folder, arrays=arrays)


#: File format (``meta["format"]``) → the name of the class that runs it: in ``numpy_models``,
#: or ``litert`` for the ``tflite`` networks. LiteRT is not loaded until a network is.
FORMATS = {
    "linear": "LinearModel",
    "pairwise_linear": "PairwiseLinearSvm",
    "rbf_svm": "RbfSvm",
    "dense": "DenseNet",
    "tflite": "LiteRTModel",
}


def classifier(
    fmt: str, name: str, meta: dict[str, Any] | None = None, folder: Path | None = None, **weights
) -> Classifier:
    """A classifier of file format ``fmt`` from its weights in memory: ``arrays=`` (name →
    array, the ``.npz`` formats) or ``model_bytes=`` (``tflite``)."""
    if fmt not in FORMATS:
        raise ModelError(f"unknown model format {fmt!r}; known: {', '.join(FORMATS)}")
    if fmt == "tflite":
        from . import litert as module
    else:
        from . import numpy_models as module
    kind = getattr(module, FORMATS[fmt])
    return kind(name, meta if meta is not None else {"format": fmt}, folder, **weights)


def load_test_proba(folder: Path, calibrated: bool = True) -> np.ndarray:
    """(10000, 10) float32 cached test-set probabilities of the model in ``folder``, at its
    calibration temperature unless ``calibrated`` is False (the file holds them before)."""
    meta = read_meta(folder)
    content = read_file(folder, TEST_PROBA, meta)
    try:
        a = np.load(io.BytesIO(content), allow_pickle=False)
    except ValueError as e:
        raise ModelError(f"{folder / TEST_PROBA}: damaged ({e})") from None
    if a.shape != (10000, 10):
        raise ModelError(f"{folder / TEST_PROBA}: shape {a.shape}, expected (10000, 10)")
    if calibrated:
        a = calibration.scale(a, calibration.temperature(meta))
    return a.astype(np.float32, copy=False)


def npz_bytes(**arrays: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()

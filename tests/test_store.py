"""Model folders are written atomically and read without running code."""

from __future__ import annotations

import os

import numpy as np
import pytest

from digitpad.models.base import ModelError
from digitpad.models.store import load_folder, npz_bytes, read_meta, recover, write_model_dir


def _linear_files(seed: int) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    return {
        "model.npz": npz_bytes(
            W=rng.normal(size=(784, 10)).astype(np.float32),
            b=np.zeros(10, np.float32),
            temperature=np.float64(1.0),
        )
    }


def test_round_trip_and_checksums(tmp_path):
    dest = tmp_path / "m"
    write_model_dir(dest, _linear_files(0), {"format": "linear", "test_accuracy": 0.5})
    meta = read_meta(dest)
    assert set(meta["files"]) == {"model.npz"}
    clf = load_folder(dest, "m")
    p = clf.predict_proba(np.random.default_rng(1).random((4, 28, 28), dtype=np.float32))
    assert p.shape == (4, 10) and np.allclose(p.sum(axis=1), 1, atol=1e-5)


def test_failed_write_leaves_the_old_model(tmp_path, monkeypatch):
    dest = tmp_path / "m"
    write_model_dir(dest, _linear_files(0), {"format": "linear", "v": 1})
    before = (dest / "model.npz").read_bytes()

    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_model_dir(dest, _linear_files(1), {"format": "linear", "v": 2})
    monkeypatch.undo()
    assert (dest / "model.npz").read_bytes() == before
    assert read_meta(dest)["v"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]  # no litter


def test_recover_finishes_an_interrupted_swap(tmp_path):
    dest = tmp_path / "m"
    write_model_dir(dest, _linear_files(0), {"format": "linear", "v": 1})
    # A crash between the two renames leaves only the hidden old copy and a temp folder.
    os.replace(dest, tmp_path / ".m.old-abcd1234")
    (tmp_path / ".m.tmp-ffff0000").mkdir()
    recover(tmp_path)
    assert read_meta(dest)["v"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


def test_foreign_and_damaged_folders(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="not a DigitPad model folder"):
        load_folder(tmp_path / "empty", "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "meta.json").write_text("{not json")
    with pytest.raises(ModelError, match="damaged"):
        load_folder(bad, "bad")
    dest = tmp_path / "m"
    write_model_dir(dest, _linear_files(0), {"format": "linear"})
    (dest / "model.npz").write_bytes(b"PK" + b"\0" * 100)
    with pytest.raises(ModelError, match="damaged"):
        load_folder(dest, "m")


def test_model_for_another_input_shape_is_refused(tmp_path):
    dest = tmp_path / "m"
    files = {
        "model.npz": npz_bytes(
            W=np.zeros((1024, 10), np.float32), b=np.zeros(10, np.float32), temperature=1.0
        )
    }
    write_model_dir(dest, files, {"format": "linear"})
    with pytest.raises(ModelError, match="another input size"):
        load_folder(dest, "m")


def _interrupted_swap(parent):
    """A model folder ``m`` whose save stopped between its two renames."""
    dest = parent / "m"
    write_model_dir(dest, _linear_files(0), {"format": "linear", "v": 1})
    os.replace(dest, parent / ".m.old-abcd1234")
    (parent / ".m.tmp-abcd1234").mkdir()
    return parent / ".m.old-abcd1234"


def test_recover_in_a_read_only_folder_says_why_and_keeps_the_old_copy(tmp_path, monkeypatch):
    old = _interrupted_swap(tmp_path)

    def refuse(src, dst):
        raise PermissionError(13, "Permission denied", str(src))

    monkeypatch.setattr("digitpad.models.store.os.replace", refuse)
    stranded = recover(tmp_path)
    assert list(stranded) == ["m"]
    assert "interrupted" in stranded["m"] and old.name in stranded["m"]
    assert "Permission denied" in stranded["m"] and str(tmp_path) in stranded["m"]
    assert read_meta(old)["v"] == 1  # the last complete version is untouched
    monkeypatch.undo()
    assert recover(tmp_path) == {}  # writable again: the repair is finished
    assert read_meta(tmp_path / "m")["v"] == 1


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root ignores file modes")
def test_recover_in_a_chmod_0555_folder(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    _interrupted_swap(folder)
    folder.chmod(0o555)
    try:
        assert "could not be put back" in recover(folder)["m"]
    finally:
        folder.chmod(0o755)
    assert recover(folder) == {}


def test_unreadable_files_are_a_model_error(tmp_path, monkeypatch):
    dest = tmp_path / "m"
    write_model_dir(dest, _linear_files(0), {"format": "linear"})

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr("pathlib.Path.read_text", refuse)
    with pytest.raises(ModelError, match=r"cannot read .*meta\.json: Permission denied"):
        load_folder(dest, "m")
    monkeypatch.undo()
    monkeypatch.setattr("pathlib.Path.read_bytes", refuse)
    with pytest.raises(ModelError, match=r"cannot read .*model\.npz: Permission denied"):
        load_folder(dest, "m")

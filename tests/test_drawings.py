"""The user's own data: labelled drawings (PNG + label) and the models the user trained."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from digitpad import models
from digitpad.data import drawings, kaggle, mnist

pytestmark = pytest.mark.usefixtures("isolated_settings")


@pytest.fixture
def digits():
    x, y = mnist.load_mnist("test")
    return x[:5], y[:5]


def test_added_drawings_come_back_as_mnist_pictures_with_their_labels(digits):
    x, y = digits
    paths = [drawings.add(img, int(label)) for img, label in zip(x, y, strict=True)]
    assert all(p.is_file() and p.suffix == ".png" for p in paths)
    assert all(p.parent.name == str(label) for p, label in zip(paths, y, strict=True))
    assert all(drawings.drawings_dir() in p.parents for p in paths)
    with Image.open(paths[0]) as im:
        assert im.size == (28, 28) and im.mode == "L"
    images, labels = drawings.load()
    assert images.shape == (5, 28, 28) and images.dtype == np.float32
    order = np.argsort(y, kind="stable")  # loaded label by label
    assert labels.tolist() == y[order].tolist()
    assert np.abs(images - x[order]).max() <= 0.5 / 255 + 1e-6
    assert drawings.count() == 5


def test_empty_data_set_and_bad_drawings_are_refused():
    images, labels = drawings.load()
    assert images.shape == (0, 28, 28) and labels.shape == (0,)
    with pytest.raises(ValueError, match="0–9"):
        drawings.add(np.zeros((28, 28)), 10)
    with pytest.raises(ValueError, match="28×28"):
        drawings.add(np.zeros((20, 20)), 3)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        drawings.add(np.full((28, 28), 2.0), 3)
    with pytest.raises(ValueError, match="nothing to export"):
        drawings.export_csv(drawings.drawings_dir().parent / "out.csv")
    assert drawings.count() == 0


def test_a_foreign_file_in_the_folder_is_skipped(digits):
    x, y = digits
    drawings.add(x[0], int(y[0]))
    junk = drawings.drawings_dir() / "3" / "junk.png"
    junk.parent.mkdir(parents=True, exist_ok=True)
    junk.write_bytes(b"not a png")
    Image.new("L", (50, 50)).save(drawings.drawings_dir() / "3" / "big.png")
    images, labels = drawings.load()
    assert len(images) == 1 and labels.tolist() == [int(y[0])]


def test_export_is_a_kaggle_csv_that_reads_back(digits, tmp_path):
    x, y = digits
    for img, label in zip(x, y, strict=True):
        drawings.add(img, int(label))
    out = tmp_path / "mine.csv"
    assert drawings.export_csv(out) == 5
    assert out.read_text().startswith("label,pixel0,pixel1,")
    images, labels = kaggle.read_kaggle_csv(out)
    expected_images, expected_labels = drawings.load()
    assert labels.tolist() == expected_labels.tolist()
    assert np.array_equal(images, expected_images)


def test_remove_forgets_one_drawing_and_nothing_outside(digits, tmp_path):
    x, y = digits
    path = drawings.add(x[0], int(y[0]))
    outside = tmp_path / "keep.png"
    outside.write_bytes(b"x")
    with pytest.raises(ValueError, match="not one of your drawings"):
        drawings.remove(outside)
    assert outside.exists()
    drawings.remove(path)
    assert drawings.count() == 0


def test_with_drawings_repeats_each_drawing_weight_times(digits):
    x, y = digits
    mnist_x, mnist_y = mnist.load_mnist("train")
    bx, by = drawings.with_drawings(mnist_x[:10], mnist_y[:10], x[:2], y[:2], weight=3)
    assert bx.shape == (16, 28, 28) and by.shape == (16,)
    assert by[10:].tolist() == [y[0]] * 3 + [y[1]] * 3
    assert np.array_equal(bx[13], x[1])
    same_x, same_y = drawings.with_drawings(mnist_x[:10], mnist_y[:10], x[:0], y[:0], weight=3)
    assert len(same_x) == 10 and len(same_y) == 10


def _copy_bundled(name: str, as_name: str) -> None:
    models.user_dir().mkdir(parents=True, exist_ok=True)
    shutil.copytree(models.bundled_dir() / name, models.user_dir() / as_name)


def test_user_models_get_fresh_names_and_can_be_renamed_and_deleted():
    assert models.new_name("mlp") == "my-mlp-1"
    _copy_bundled("mlp", "my-mlp-1")
    assert models.new_name("mlp") == "my-mlp-2"
    assert models.is_user_model("my-mlp-1") and not models.is_user_model("mlp")
    models.rename("my-mlp-1", "digits-v2")
    assert "digits-v2" in models.available() and "my-mlp-1" not in models.available()
    assert models.load("digits-v2").predict_proba(np.zeros((1, 28, 28), np.float32)).shape == (
        1,
        10,
    )
    models.delete("digits-v2")
    assert "digits-v2" not in models.available()
    assert list(models.user_dir().iterdir()) == []


def test_bundled_models_cannot_be_renamed_deleted_or_shadowed():
    _copy_bundled("logistic", "mine")
    for call in (
        lambda: models.rename("logistic", "other"),
        lambda: models.delete("logistic"),
        lambda: models.rename("mine", "cnn"),
        lambda: models.rename("mine", "../escape"),
    ):
        with pytest.raises(models.ModelError):
            call()
    assert (models.bundled_dir() / "logistic" / "meta.json").is_file()
    assert models.is_user_model("mine")

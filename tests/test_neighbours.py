"""The nearest MNIST digits (feature and pixel space) and the map of all test digits."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from digitpad.data import mnist
from digitpad.models import ModelError
from digitpad.preprocess import to_mnist
from digitpad.reading import neighbours
from digitpad.synthetic import drawn


@pytest.fixture(scope="module")
def train():
    return mnist.load_mnist("train")


@pytest.fixture(scope="module")
def index():
    return neighbours.shared_index()


@pytest.fixture(scope="module")
def pixels():
    return neighbours.shared_pixels()


def test_the_nearest_neighbour_of_a_training_image_is_itself(train, index, pixels):
    x, y = train
    for i in (0, 7, 31_337, 59_999):
        for found in (index.nearest(x[i]), pixels.nearest(x[i])):
            assert found.indices[0] == i
            assert found.distances[0] < 0.01
            assert found.labels[0] == y[i]
            assert len(found.indices) == neighbours.K
            assert np.all(np.diff(found.distances) >= 0)  # nearest first


def test_the_pixel_search_is_exact(train, pixels):
    x, _ = train
    flat = x.reshape(len(x), -1)
    test_x, _ = mnist.load_mnist("test")
    for q in test_x[:15]:
        d = np.sqrt(((flat - q.reshape(-1)) ** 2).sum(axis=1))
        found = pixels.nearest(q)
        np.testing.assert_allclose(found.distances, np.sort(d)[: neighbours.K], rtol=1e-4)
        assert pixels.checked < len(x) // 4  # the bound skipped most images


def test_the_pixel_search_stays_exact_when_its_first_candidates_run_out(train, monkeypatch):
    x, y = train
    small = neighbours.PixelIndex(x[:3000], y[:3000])
    monkeypatch.setattr(small, "HEAD", 8)
    flat = x[:3000].reshape(3000, -1)
    test_x, _ = mnist.load_mnist("test")
    for q in test_x[:10]:
        d = np.sqrt(((flat - q.reshape(-1)) ** 2).sum(axis=1))
        found = small.nearest(q)
        np.testing.assert_allclose(found.distances, np.sort(d)[: neighbours.K], rtol=1e-4)
        assert small.checked > 8


def test_feature_neighbours_of_test_digits_mostly_share_their_label(index):
    test_x, test_y = mnist.load_mnist("test")
    agree = [index.nearest(test_x[i]).majority()[0] == test_y[i] for i in range(200)]
    assert np.mean(agree) >= 0.97


def test_neighbours_say_when_their_labels_disagree():
    seven = neighbours.Neighbours(np.arange(8), np.zeros(8), np.array([7] * 8))
    assert seven.disagreement(7) == ""
    assert seven.majority() == (7, 8)
    mixed = neighbours.Neighbours(np.arange(8), np.zeros(8), np.array([9, 4, 9, 4, 9, 9, 4, 9]))
    assert mixed.majority() == (9, 5)
    assert "5 of 8 nearest are 9s" in mixed.disagreement(4)
    assert "Only 5 of 8 nearest are 9s" in mixed.disagreement(9)
    tie = neighbours.Neighbours(np.arange(8), np.zeros(8), np.array([1, 7, 7, 1, 1, 7, 0, 0]))
    assert tie.majority() == (1, 3)  # a tie goes to the label met first, the nearest


def test_a_drawing_lands_on_the_map_among_its_own_digit(index):
    digit_map = neighbours.shared_map()
    assert digit_map.xy.shape == (10_000, 2)
    rng = np.random.default_rng(3)
    for label in (0, 1, 7):
        d = to_mnist(drawn.render(drawn.make_drawing(label, rng)))
        xy, placed_by = digit_map.place(index.features(d[None])[0])
        assert np.all(np.isfinite(xy))
        # the place is inside the cloud of that digit's test images
        same = digit_map.xy[digit_map.labels == label]
        assert np.min(np.linalg.norm(same - xy, axis=1)) < 0.05
        assert np.mean(digit_map.labels[placed_by] == label) >= 0.75


def test_a_damaged_or_missing_explain_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "cnn"
    shutil.copytree(neighbours.explain_dir(), folder)
    data = folder / neighbours.DATA_FILE
    data.write_bytes(data.read_bytes()[:-100])
    with pytest.raises(ModelError, match="damaged"):
        neighbours.FeatureIndex.load(folder)
    (folder / neighbours.META_FILE).unlink()
    with pytest.raises(ModelError, match=r"train_models\.py --explain"):
        neighbours.FeatureIndex.load(folder)


def test_an_explain_file_with_pickles_is_refused(tmp_path):
    folder = tmp_path / "cnn"
    shutil.copytree(neighbours.explain_dir(), folder)
    evil = b"\x80\x04cos\nsystem\n."  # a pickle, never loaded
    (folder / neighbours.DATA_FILE).write_bytes(evil)
    meta = json.loads((folder / neighbours.META_FILE).read_text())
    meta["files"].pop(neighbours.DATA_FILE)  # no checksum to stop it first
    (folder / neighbours.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(ModelError, match="pickle"):
        neighbours.FeatureIndex.load(folder)

"""Build time: the cnn cut at its features layer, the features of MNIST and the map."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest

from digitpad.data import mnist
from digitpad.reading import neighbours

keras = pytest.importorskip("keras")


def test_build_writes_features_that_match_keras_and_a_map(tmp_path):
    from digitpad.training import feature_map, nets

    model = nets.build_cnn()  # untrained weights do: the cut must give the same numbers
    model.save(tmp_path / "model.keras")
    x, _ = mnist.load_mnist("train")
    xt, _ = mnist.load_mnist("test")
    meta = feature_map.build(tmp_path, x[:300], xt[:120], log=lambda _m: None)

    assert meta["feature_size"] == 128
    saved = json.loads((tmp_path / neighbours.META_FILE).read_text())
    for name in (neighbours.FEATURES_FILE, neighbours.DATA_FILE):
        content = (tmp_path / name).read_bytes()
        assert saved["files"][name] == hashlib.sha256(content).hexdigest()
        assert (tmp_path / name).stat().st_mode & 0o444 == 0o444  # readable by all
    with np.load(io.BytesIO((tmp_path / neighbours.DATA_FILE).read_bytes())) as z:
        assert z["train_features"].shape == (300, 128) and z["train_features"].dtype == np.float16
        assert z["test_features"].shape == (120, 128)
        xy = z["map_xy"]
    assert xy.shape == (120, 2) and np.all(np.isfinite(xy)) and np.abs(xy).max() <= 1.0001

    extractor = neighbours.FeatureExtractor((tmp_path / neighbours.FEATURES_FILE).read_bytes())
    cut = keras.Model(model.inputs, model.get_layer("features").output)
    expected = cut.predict(x[:16, ..., None], verbose=0)
    np.testing.assert_allclose(extractor(x[:16]), expected, atol=1e-4, rtol=1e-3)


def test_an_average_of_nets_is_cut_at_its_first_members_features(tmp_path):
    from digitpad.models.keras_file import load_keras
    from digitpad.models.store import classifier
    from digitpad.training import feature_map, fitting, nets

    members = [nets.build_cnn() for _ in range(2)]
    model = nets.average(members, name="cnn")
    model.save(tmp_path / "model.keras")
    x, _ = mnist.load_mnist("test")
    extractor = neighbours.FeatureExtractor(feature_map.features_tflite(tmp_path / "model.keras"))
    first = keras.Model(members[0].inputs, members[0].get_layer("features").output)
    np.testing.assert_allclose(
        extractor(x[:20]), first.predict(x[:20, ..., None], verbose=0), atol=1e-4
    )
    # The average itself exports to LiteRT and reads back as the Keras model answers.
    again = load_keras(tmp_path / "model.keras")
    lite = classifier("tflite", "cnn", model_bytes=fitting.tflite_bytes(again))
    np.testing.assert_allclose(
        lite.predict_proba(x[:20]), model.predict(x[:20, ..., None], verbose=0), atol=1e-5
    )

"""The "not sure" rule and the non-digit drawings it is measured on (no Qt here)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from digitpad import models
from digitpad.preprocess import to_mnist
from digitpad.reading import verdict
from digitpad.synthetic import drawn, scribbles


def _digit(draw_fn, size: int = 280) -> np.ndarray:
    """(28, 28) MNIST picture of something drawn with PIL on a black 280 px canvas."""
    img = Image.new("L", (size, size), 0)
    draw_fn(ImageDraw.Draw(img))
    return to_mnist(np.asarray(img))


def test_shape_counts_pieces_holes_and_sees_blobs_and_pairs():
    one = verdict.shape_of(_digit(lambda d: d.line((140, 40, 140, 240), fill=255, width=18)))
    assert (one.pieces, one.holes, one.side_by_side) == (1, 0, False)
    assert one.aspect < 0.4
    ring = verdict.shape_of(_digit(lambda d: d.ellipse((70, 40, 210, 240), outline=255, width=18)))
    assert (ring.pieces, ring.holes) == (1, 1)
    eight = verdict.shape_of(
        _digit(
            lambda d: (
                d.ellipse((90, 30, 190, 130), outline=255, width=16),
                d.ellipse((80, 124, 200, 244), outline=255, width=16),
            )
        )
    )
    assert (eight.pieces, eight.holes) == (1, 2)
    blob = verdict.shape_of(_digit(lambda d: d.ellipse((60, 60, 220, 220), fill=255)))
    assert blob.thickness > verdict.MAX_THICKNESS
    pair = verdict.shape_of(
        _digit(
            lambda d: (
                d.line((60, 80, 60, 200), fill=255, width=16),
                d.ellipse((150, 80, 250, 200), outline=255, width=16),
            )
        )
    )
    assert pair.pieces == 2 and pair.side_by_side
    assert verdict.shape_problem(pair) and verdict.shape_problem(blob)
    assert not verdict.shape_problem(one) and not verdict.shape_problem(eight)


def test_five_with_a_detached_flag_is_not_two_digits():
    five = _digit(
        lambda d: (
            d.line((100, 40, 200, 40), fill=255, width=16),
            d.line((100, 70, 96, 135), fill=255, width=16),
            d.arc((60, 110, 200, 250), 250, 140, fill=255, width=16),
        )
    )
    shape = verdict.shape_of(five)
    assert shape.pieces == 2 and not shape.side_by_side
    assert not verdict.shape_problem(shape)


def test_judge_answers_when_the_driver_is_sure_and_says_why_not_otherwise():
    digit = _digit(lambda d: d.line((140, 40, 140, 240), fill=255, width=18))
    sure = np.eye(10, dtype=np.float32)[1] * 0.97 + 0.003
    v = verdict.judge({"a": sure, "b": sure}, "a", digit)
    assert v.digit == 1 and v.reason == "" and v.confidence == pytest.approx(0.973)
    assert v.novelty is not None and v.note == ""
    unsure = np.eye(10, dtype=np.float32)[1] * 0.3 + 0.07
    split = {
        "a": unsure,
        "b": np.eye(10, dtype=np.float32)[7],
        "c": np.eye(10, dtype=np.float32)[4],
    }
    v = verdict.judge(split, "a", digit)
    assert v.digit is None and "disagree" in v.reason
    assert v.confidence == pytest.approx(0.37)
    flat = np.full(10, 0.1, np.float32)
    v = verdict.judge({"a": flat}, "a", digit)
    assert v.digit is None and v.reason


def test_scribbles_are_reproducible_mouse_drawings_of_every_kind():
    things = scribbles.make_scribbles(35, seed=1)
    again = scribbles.make_scribbles(35, seed=1)
    assert [t.style for t in things] == [t.style for t in again]
    assert all(
        np.array_equal(a, b)
        for t, u in zip(things, again, strict=True)
        for a, b in zip(t.strokes, u.strokes, strict=True)
    )
    assert {t.style.split(":")[0] for t in things} == set(scribbles.KINDS)
    for t in things:
        assert t.label == scribbles.NOT_A_DIGIT and t.size == 280
        pts = np.vstack(t.strokes)
        assert pts.min() >= t.pen_width / 2 - 1e-9 and pts.max() <= 280 - t.pen_width / 2 + 1e-9
        assert drawn.render(t).max() == 255
    with pytest.raises(ValueError):
        scribbles.make_scribble("doodle", np.random.default_rng(0))


def test_no_letter_that_is_written_like_a_digit():
    assert not set(scribbles.LETTERS) & set("OoIlZzSsBGbgq")


@pytest.fixture(scope="module")
def loaded():
    return {n: models.load(n) for n in models.available()}


def _verdicts(things, loaded):
    from digitpad.reading.live import pick_driver

    driver = pick_driver(None, list(loaded))
    x = np.stack([to_mnist(drawn.render(t)) for t in things])
    probs = {n: c.predict_proba(x) for n, c in loaded.items()}
    t = loaded[driver].temperature
    return [
        verdict.judge({n: p[i] for n, p in probs.items()}, driver, x[i], temperature=t)
        for i in range(len(x))
    ]


def test_the_rule_keeps_real_digits_and_catches_most_non_digits(loaded):
    # Small samples of the figures in benchmarks/bench_verdict.py (which uses thousands).
    digits = drawn.make_drawings(150, seed=515) + drawn.make_drawings(50, seed=515, variant="hard")
    things = scribbles.make_scribbles(140, seed=515)
    rejected = np.mean([v.digit is None for v in _verdicts(digits, loaded)])
    caught = np.mean([v.digit is None for v in _verdicts(things, loaded)])
    assert rejected <= 0.02
    assert caught >= 0.9


# ------------------------------------------------------------------- the fitted verdict


@pytest.fixture(scope="module")
def mnist_test():
    from digitpad.data import mnist

    return mnist.load_mnist("test")


def _all(loaded, x):
    return {n: c.predict_proba(x) for n, c in loaded.items()}


def test_clear_digits_give_a_digit(loaded, mnist_test):
    x, y = mnist_test[0][:40], mnist_test[1][:40]
    drawings = drawn.make_drawings(20, seed=616)
    x = np.concatenate([x, np.stack([to_mnist(drawn.render(d)) for d in drawings])])
    y = np.concatenate([y, [d.label for d in drawings]])
    probs = _all(loaded, x)
    refused = []
    for i in range(len(x)):
        v = verdict.judge(
            {n: p[i] for n, p in probs.items()}, "cnn", x[i], temperature=loaded["cnn"].temperature
        )
        assert v.digit in (y[i], None), (i, v)  # never a wrong digit
        if v.digit is None:
            refused.append(i)
    # The goal lets the verdict refuse up to 1 % of the digits the cnn reads right; of these
    # 60 at most one. The one refused by the convolutional networks of 2026-12-02 to -04 was
    # MNIST test digit 8, a 5 with an open, hooked bowl (novelty 0.9996); since the network
    # learnt pen-written letters (2026-12-04, evening) it is test digit 33, a 4 with an open
    # top written like a u (novelty 0.94, digit 8 now 0.11).
    assert len(refused) <= 1 and set(refused) <= {8, 33}, refused


def _letter(name: str, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    unit = drawn.unit_strokes(drawn.parse_strokes(scribbles.LETTERS[name]), rng)
    look = scribbles.pen_look(rng, height=0.6, offset=np.zeros(2), slant=0.0, rotation=0.0)
    return to_mnist(drawn.render(scribbles.finish(unit, look, 280, name, rng)))


@pytest.mark.parametrize("name", ["M", "h", "K", "A"])
def test_a_letter_gives_none_with_a_reason(loaded, name):
    # The cases: "M" was read as 7 at 96.6 %, "h" as 4, "K" as 4, "A" as 4.
    x = _letter(name, seed=3)
    probs = {n: c.predict_proba(x[None])[0] for n, c in loaded.items()}
    v = verdict.judge(probs, "cnn", x, temperature=loaded["cnn"].temperature)
    assert v.digit is None and v.reason, v


def test_a_blob_and_two_digits_side_by_side_give_none_with_a_reason(loaded, mnist_test):
    blob = _digit(lambda d: d.ellipse((60, 80, 220, 200), fill=255))
    xt, _ = mnist_test
    pair = to_mnist(np.hstack([xt[0], np.zeros((28, 3), np.float32), xt[1]]))
    dot = _digit(lambda d: d.ellipse((130, 130, 150, 150), fill=255))
    for x in (blob, pair, dot):
        probs = {n: c.predict_proba(x[None])[0] for n, c in loaded.items()}
        v = verdict.judge(probs, "cnn", x, temperature=loaded["cnn"].temperature)
        assert v.digit is None and v.reason, v


def test_a_weak_model_out_voted_no_longer_vetoes_a_clear_answer(mnist_test):
    # The case: the cnn says 2 at 95 %, the RBF SVM says 8; the picture is a real 2.
    xt, yt = mnist_test
    two = xt[np.flatnonzero(yt == 2)[0]]
    cnn = np.full(10, 0.05 / 9, np.float32)
    cnn[2] = 0.95
    svm = np.full(10, 0.1 / 9, np.float32)
    svm[8] = 0.9
    probs = {"cnn": cnn, "rbf_svm": svm, "logistic": svm}
    v = verdict.judge(probs, "cnn", two)
    assert v.digit == 2 and v.reason == ""
    assert v.support < verdict.FALLBACK_MIN_SUPPORT  # the old rule would have refused it


@pytest.fixture()
def cnn_copy(tmp_path):
    import shutil

    from digitpad.reading.neighbours import explain_dir

    folder = tmp_path / "cnn"
    folder.mkdir()
    for name in ("model.keras", "features.tflite", "verdict.npz", "verdict.json"):
        shutil.copy(explain_dir() / name, folder / name)
    if (explain_dir() / "verdict.tflite").exists():  # the convolutional network
        shutil.copy(explain_dir() / "verdict.tflite", folder / "verdict.tflite")
    return folder


def test_thresholds_come_from_the_model_folder(cnn_copy):
    import json

    from digitpad.reading.detector import Detector

    meta = json.loads((cnn_copy / "verdict.json").read_text())
    assert meta["date"] and meta["data"]["thresholds"] and meta["data"]["outlier_exposure"]
    d = Detector.load(cnn_copy)
    assert d.thresholds == meta["thresholds"]
    one = _digit(lambda dr: dr.line((140, 40, 140, 240), fill=255, width=18))
    sure = np.eye(10, dtype=np.float32)[1] * 0.97 + 0.003
    assert verdict.judge({"a": sure}, "a", one, d).digit == 1
    meta["thresholds"]["max_novelty"] = -1.0  # refuse everything
    (cnn_copy / "verdict.json").write_text(json.dumps(meta))
    v = verdict.judge({"a": sure}, "a", one, Detector.load(cnn_copy))
    assert v.digit is None and "does not look like any digit" in v.reason


def _damage_npz(folder):
    (folder / "verdict.npz").write_bytes(b"PK not really")


def _pickle_npz(folder):
    import hashlib
    import json
    import pickle

    payload = pickle.dumps({"means": 1})
    (folder / "verdict.npz").write_bytes(payload)
    meta = json.loads((folder / "verdict.json").read_text())
    meta["files"]["verdict.npz"] = hashlib.sha256(payload).hexdigest()
    (folder / "verdict.json").write_text(json.dumps(meta))


def _foreign_network(folder):
    """verdict.tflite replaced by bytes that are no network, with a matching checksum."""
    import hashlib
    import json

    payload = b"TFL3 but no flatbuffer at all"
    (folder / "verdict.tflite").write_bytes(payload)
    meta = json.loads((folder / "verdict.json").read_text())
    meta["files"]["verdict.tflite"] = hashlib.sha256(payload).hexdigest()
    (folder / "verdict.json").write_text(json.dumps(meta))


def _stale(folder):
    (folder / "model.keras").write_bytes((folder / "model.keras").read_bytes() + b"x")


@pytest.mark.parametrize(
    ("spoil", "words"),
    [
        (lambda f: (f / "verdict.json").unlink(), "no verdict.json"),
        (lambda f: (f / "verdict.npz").unlink(), "missing"),
        (lambda f: (f / "verdict.json").write_text("{nope"), "damaged"),
        (_damage_npz, "damaged"),
        (_pickle_npz, "pickle"),
        (_stale, "retrained"),
        (lambda f: (f / "verdict.tflite").unlink(), "verdict.tflite is missing"),
        (lambda f: (f / "verdict.tflite").write_bytes(b"TFL3"), "verdict.tflite: damaged"),
        (_foreign_network, "LiteRT cannot load it"),
    ],
)
def test_missing_damaged_or_stale_statistics_fall_back_to_the_shape_rules(
    cnn_copy, monkeypatch, spoil, words
):
    from digitpad.models import ModelError
    from digitpad.reading import detector

    spoil(cnn_copy)
    with pytest.raises(ModelError, match=words) as e:
        detector.Detector.load(cnn_copy)
    assert "train_models.py --verdict" in str(e.value)
    monkeypatch.setattr(detector, "explain_dir", lambda: cnn_copy)
    detector.forget_shared()
    try:
        one = _digit(lambda dr: dr.line((140, 40, 140, 240), fill=255, width=18))
        blob = _digit(lambda dr: dr.ellipse((60, 60, 220, 220), fill=255))
        sure = np.eye(10, dtype=np.float32)[1] * 0.97 + 0.003
        v = verdict.judge({"a": sure}, "a", one)
        assert v.digit == 1 and v.novelty is None and "shape rules" in v.note and words in v.note
        assert verdict.judge({"a": sure}, "a", blob).digit is None
    finally:
        detector.forget_shared()


def test_negative_sets_have_every_kind_and_parts_that_share_no_source():
    from digitpad.synthetic import negatives

    for kind in negatives.KINDS:
        tune = negatives.make(kind, "tune", 8, seed=5)
        held = negatives.make(kind, "held-out", 8, seed=5)
        assert len(tune) == len(held) == 8
        for p in tune + held:
            assert p.image.shape == (28, 28) and p.image.dtype == np.float32 and p.kind == kind
        again = negatives.make(kind, "held-out", 8, seed=5)
        assert all(np.array_equal(a.image, b.image) for a, b in zip(held, again, strict=True))
    assert not set(negatives.TUNE_FONTS) & set(negatives.HELD_OUT_FONTS)
    tune_objects = {p.source for p in negatives.make("objects", "tune", 16)}
    held_objects = {p.source for p in negatives.make("objects", "held-out", 16)}
    assert tune_objects and held_objects and not tune_objects & held_objects
    with pytest.raises(ValueError):
        negatives.make("doodle", "tune", 1)


def test_broad_tuning_sources_stay_out_of_the_held_out_part():
    from digitpad.synthetic import broad, negatives

    assert not set(broad.MORE_FONTS) & set(negatives.HELD_OUT_FONTS)
    assert not set(broad.OBJECTS) & set(negatives.OBJECTS)
    tune = {p.source for p in negatives.make("objects", "tune", 24, seed=2)}
    held = {p.source for p in negatives.make("objects", "held-out", 24, seed=2)}
    assert any(s.startswith("composition:") for s in tune) and tune & set(broad.OBJECTS)
    assert not held & (set(broad.OBJECTS) | {s for s in held if ":" in s})
    # The held-out shapes' quadrilaterals are never among the tuning polygons.
    rng = np.random.default_rng(3)
    shapes = [broad.make_shapes(rng, i)[1] for i in range(60)]
    assert not [s for s in shapes if s.startswith("irregular polygon:4")]
    kinds = {s.split(":")[0].split("+")[0] for s in shapes}
    assert kinds == {"irregular polygon", "lumpy curve", "doodle"}
    assert {s.split(":")[1] for s in shapes if s.startswith("doodle:")} == set(broad.DOODLES)
    for kind in ("letters", "symbols", "scribbles", "blobs", "shapes"):
        sources = {p.source for p in negatives.make(kind, "held-out", 12, seed=4)}
        assert not any(s.split(":")[0] in _BROAD_NAMES for s in sources), kind


_BROAD_NAMES = {
    "traced",
    "DroidSansFallbackFull.ttf",
    "D050000L.otf",
    "DejaVuMathTeXGyre.ttf",
    "strokes",
    "composition",
    "lumpy curve+0",
    "doodle",
    "made-up photo",
    "varied photo crop",
}


def test_new_scripts_leave_out_what_is_written_like_a_digit():
    from digitpad.synthetic import broad

    digit_like = set("OoIlZzSsBGbgqȢŽ¡ՅՇՁՂՑՒՕգզձղցւօսյ∫⌈⌉⌊⌋")
    assert not set(broad.ARMENIAN + broad.LATIN_MORE + broad.MATH) & digit_like
    assert not set(broad.DINGBATS) & set("lmxyz")  # D050000L's circles and vertical bars
    assert not set(broad._cjk()) & set("一二三十口乙")


def test_a_traced_glyph_is_its_skeleton_gone_over_with_one_pen():
    from digitpad.synthetic import broad

    canvas = np.zeros((broad.SIZE, broad.SIZE), np.uint8)
    canvas[60:220, 100:160] = 255  # a bar 60 px wide: its skeleton is one line down the middle
    canvas[130:150, 40:240] = 255  # crossed by another: a plus
    skeleton = broad.thin(canvas > 127)
    assert skeleton.sum() < 0.05 * (canvas > 127).sum()
    # unbroken down the middle of the bar (Zhang-Suen shortens each end by about half the
    # width), one pixel wide there, and within the ink
    assert skeleton[95:185, 100:160].any(axis=1).all()
    assert skeleton[100:125, 125:135].sum(axis=1).max() == 1 and not skeleton[canvas == 0].any()
    ink = broad.traced(canvas, np.random.default_rng(1)) > 127
    # one pen, 8-24 px: much thinner than the 60 px bar, still unbroken
    assert 0 < ink[110, :].sum() <= 30 and ink[95:185, 100:160].any(axis=1).all()
    tuning = [p.source for p in broad_tuning_letters()]
    assert any(s.startswith("traced:") for s in tuning)


def test_hershey_letters_are_pen_strokes_and_held_out_fonts_are_never_tuned_on():
    from digitpad.synthetic import hershey, negatives

    tune, held_out = hershey.FONTS["tune"], hershey.FONTS["held-out"]
    assert not set(tune) & set(held_out)
    assert {p.source.split(":")[1] for p in negatives.pen_letters(12, 1, "tune")} == set(tune)
    held = negatives.pen_letters(25, seed=3)
    assert len(held) == 25 and {p.source.split(":")[1] for p in held} == set(held_out)
    assert all(p.image.shape == (28, 28) and p.image.max() > 0.5 for p in held)
    again = negatives.pen_letters(25, seed=3)
    assert all(np.array_equal(a.image, b.image) for a, b in zip(held, again, strict=True))
    with pytest.raises(ValueError, match="part must be one of"):
        negatives.pen_letters(2, 0, "held out")
    # no letter written like a digit, and the cursive Q and J (a 2 and an 8) left out
    assert not {p.source[-1] for p in held} - set(negatives.LATIN)
    assert not {p.source[-1] for p in held if "script" in p.source} & set("QJ")
    assert hershey.letters_of("cursive", "AQJx") == "Ax" == hershey.letters_of("scripts", "AJx")
    assert hershey.letters_of("futural", "AQJx") == "AQJx"
    # an H of Hershey's sans: three strokes, two uprights as tall as the letter, in glyph heights
    strokes = hershey.strokes("futural", "H")
    points = np.vstack(strokes)
    assert len(strokes) == 3 and np.ptp(points[:, 1]) == pytest.approx(1.0)
    assert sorted(np.ptp(s[:, 1]) for s in strokes)[1:] == pytest.approx([1.0, 1.0])
    assert np.ptp(points, axis=0) / 2 + points.min(axis=0) == pytest.approx([0.5, 0.5])
    # y down, as in the stroke templates: an L's bar is at the bottom, its upright on the left
    upright, bar = sorted(hershey.strokes("futural", "L"), key=lambda s: np.ptp(s[:, 0]))
    assert bar[:, 1] == pytest.approx([1.0, 1.0]) and upright[:, 0].max() < bar[:, 0].max()


def test_pen_digits_are_real_digits_of_the_same_fonts_split_the_same_way():
    from digitpad.synthetic import hershey

    x, y, sources = hershey.pen_digits(30, seed=4)
    assert x.shape == (30, 28, 28) and x.dtype == np.float32 and (x.max(axis=(1, 2)) > 0.5).all()
    assert [s.split(":")[2] for s in sources] == [str(d) for d in y] and len(set(y)) > 5
    assert {s.split(":")[1] for s in sources} == set(hershey.FONTS["held-out"]) - set(
        hershey.DOUBLED
    )
    tune = hershey.pen_digits(8, seed=1, part="tune")[2]
    assert {s.split(":")[1] for s in tune} == set(hershey.FONTS["tune"])
    np.testing.assert_array_equal(hershey.pen_digits(30, seed=4)[0], x)
    with pytest.raises(ValueError, match="part must be one of"):
        hershey.pen_digits(2, 0, "held out")


def broad_tuning_letters():
    from digitpad.synthetic import negatives

    return negatives.make("letters", "tune", 40, seed=5)


def test_elastic_warp_moves_the_ink_but_keeps_it():
    from digitpad.synthetic import broad

    canvas = np.zeros((broad.SIZE, broad.SIZE), np.uint8)
    canvas[60:220, 130:150] = 255
    warped = broad.elastic(canvas, np.random.default_rng(0), amount=12.0)
    assert warped.shape == canvas.shape and warped.dtype == np.uint8
    assert not np.array_equal(warped, canvas)
    assert 0.8 < warped.sum() / canvas.sum() < 1.2
    again = broad.elastic(canvas, np.random.default_rng(0), amount=12.0)
    assert np.array_equal(warped, again)


def test_gaussians_are_fitted_with_a_whitener_of_the_shared_covariance():
    from digitpad.training.verdict_fit import fit_gaussians

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 300)
    centres = rng.normal(0, 5, (10, 4))
    mix = rng.normal(0, 1, (4, 4))
    features = centres[labels] + rng.normal(0, 1, (len(labels), 4)) @ mix
    means, whitener = fit_gaussians(features, labels)
    assert np.allclose(means, [features[labels == c].mean(0) for c in range(10)])
    r = features - means[labels]
    white = r @ whitener  # whitened residuals: identity covariance (up to the shrinkage)
    assert np.allclose(white.T @ white / len(r), np.eye(4), atol=0.02)


def test_the_confidence_floor_reads_the_networks_own_probability():
    # Calibration sharpens the cnn (temperature below 1); the floor was chosen on its own
    # probabilities, so a 0.45 that calibration turns into 0.6 is still refused.
    one = np.zeros((28, 28), np.float32)
    one[4:24, 13:15] = 1.0
    own = np.full(10, 0.55 / 9, np.float32)
    own[1] = 0.45
    from digitpad.models import calibration

    shown = calibration.scale(own[None], 0.47)[0].astype(np.float32)
    assert shown[1] > verdict.MIN_CONFIDENCE
    v = verdict.judge({"a": shown}, "a", one, None, temperature=0.47)
    assert v.digit is None and v.confidence == pytest.approx(shown[1])
    assert verdict.judge({"a": shown}, "a", one, None).digit == 1


def test_an_ensemble_is_written_as_one_network_whose_output_is_the_members_mean():
    from digitpad.reading.detector import Detector, pooled
    from digitpad.training.verdict_fit import merge_networks

    rng = np.random.default_rng(1)
    d, hidden = 6 + 20 + 49, 5
    nets = [
        (
            [rng.normal(0, 1, (d, hidden)), rng.normal(0, 1, (hidden, 1))],
            [rng.normal(0, 1, hidden), rng.normal(0, 1, 1)],
        )
        for _ in range(3)
    ]
    arrays = {
        "means": rng.normal(0, 1, (10, 6)),
        "whitener": np.eye(6),
        "dense_w": rng.normal(0, 1, (6, 10)),
        "dense_b": np.zeros(10),
        "in_mean": np.zeros(d),
        "in_scale": np.ones(d),
        "pixel_pool": np.array([4]),
        **merge_networks(nets),
    }
    det = Detector(arrays, {"thresholds": {}})
    features, pictures = rng.normal(0, 1, (4, 6)), rng.random((4, 28, 28))
    x = det.inputs(features, pictures)
    assert x.shape == (4, d)
    assert np.allclose(x[:, -49:], pooled(pictures, 4))
    assert np.isclose(pooled(pictures, 4)[0, 0], pictures[0, :4, :4].mean())
    logits = [np.maximum(x @ w[0] + b[0], 0) @ w[1][:, 0] + b[1][0] for w, b in nets]
    want = 1 / (1 + np.exp(-np.mean(logits, axis=0)))
    assert np.allclose(det.novelty(x), want, atol=1e-5)
    with pytest.raises(ValueError, match="pictures"):
        det.inputs(features)


def test_the_convolutional_network_runs_in_litert_as_keras_trained_it(monkeypatch):
    """A tiny fit of the outlier-exposure network (Keras, build time) read back by
    ``detector.NoveltyNetwork`` (LiteRT): one probability per picture, the same one picture by
    picture as in a batch, and pictures of the kind it learnt as "no digit" score higher."""
    from digitpad.reading.detector import NoveltyNetwork
    from digitpad.training import verdict_fit

    monkeypatch.setattr(verdict_fit, "CONV_EPOCHS", 3)
    rng = np.random.default_rng(0)
    n = 256
    y = np.r_[np.zeros(n // 2), np.ones(n // 2)]
    pictures = rng.uniform(0, 0.2, (n, 28, 28)).astype(np.float32)
    pictures[n // 2 :, 4:24, 4:24] += 0.7  # the "non-digits": a bright square
    x = rng.normal(0, 1, (n, 148)).astype(np.float32)
    scaling, content = verdict_fit._oe_convolutional(x, pictures, y, log=lambda m: None)
    net = NoveltyNetwork(content)
    h = (x - scaling["in_mean"]) / scaling["in_scale"]
    batch = net(h, pictures)
    assert batch.shape == (n,) and np.all((batch >= 0) & (batch <= 1))
    one = np.array([net(h[i : i + 1], pictures[i : i + 1])[0] for i in range(0, n, 37)])
    np.testing.assert_allclose(one, batch[::37], atol=1e-5)
    assert batch[n // 2 :].mean() > batch[: n // 2].mean() + 0.3


def test_regions_match_scipy_labelling_on_digits_and_noise():
    """``verdict._regions`` (union-find over row runs) against SciPy's labelling (tests only)."""
    from scipy import ndimage

    from digitpad.data import mnist

    x, _ = mnist.load_mnist("test")
    rng = np.random.default_rng(5)
    masks = [x[i] >= verdict.INK for i in range(300)]
    masks += [rng.random((28, 28)) < p for p in np.linspace(0.05, 0.95, 200)]
    masks += [np.pad(~m, 1, constant_values=True) for m in masks[:100]]
    masks += [np.zeros((28, 28), bool), np.ones((28, 28), bool)]
    for diagonal in (True, False):
        structure = np.ones((3, 3)) if diagonal else None
        for m in masks:
            labels, n = ndimage.label(m, structure=structure)
            want = []
            for k in range(1, n + 1):
                cols = np.flatnonzero((labels == k).any(axis=0))
                want.append((int((labels == k).sum()), int(cols[0]), int(cols[-1])))
            assert sorted(verdict._regions(m, diagonal)) == sorted(want)


def test_holes_and_thickness_match_scipy_on_digits_and_noise():
    """``verdict._holes`` (Euler's number from 2×2 windows) and ``verdict._thickness``
    (separable erosions) against SciPy's labelling and erosion (tests only)."""
    from scipy import ndimage

    from digitpad.data import mnist

    x, _ = mnist.load_mnist("test")
    rng = np.random.default_rng(8)
    masks = [x[i] >= verdict.INK for i in range(400)]
    masks += [rng.random((28, 28)) < p for p in np.linspace(0.05, 0.95, 200)]
    masks += [np.ones((28, 28), bool), np.pad(np.ones((20, 20), bool), 4)]
    for m in masks:
        background, _ = ndimage.label(np.pad(~m, 1, constant_values=True))
        sizes = np.bincount(background.ravel())[1:]
        outside = background[0, 0] - 1
        want = int(sum(s >= verdict.MIN_AREA for k, s in enumerate(sizes) if k != outside))
        assert verdict._holes(m, len(verdict._regions(m, True))) == want
        eroded, depth = m.copy(), -1
        while eroded.any():
            eroded = ndimage.binary_erosion(eroded, np.ones((3, 3)), border_value=0)
            depth += 1
        assert verdict._thickness(m) == depth


def test_notched_loops_are_closed_and_plainly_dented():
    """``broad._notched``: a closed loop, never round: its notches, 0.4–0.65 of the radius
    deep, take a bite out of its convex hull."""
    from scipy.spatial import ConvexHull

    from digitpad.synthetic import broad

    for seed in range(40):
        (loop,) = broad._notched(np.random.default_rng(seed))
        size = np.ptp(loop, axis=0).max()
        assert np.linalg.norm(loop[0] - loop[-1]) < 0.3 * size  # begun and ended near
        x, y = loop[:, 0], loop[:, 1]
        area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
        assert area < 0.985 * ConvexHull(loop).volume, seed


def test_thresholds_are_chosen_again_for_the_fitted_network(cnn_copy, monkeypatch):
    import hashlib
    import json

    from digitpad.data import mnist
    from digitpad.reading.detector import Detector
    from digitpad.training import verdict_fit

    monkeypatch.setattr(verdict_fit, "TUNE_DRAWINGS", 40)
    before = json.loads((cnn_copy / "verdict.json").read_text())
    before["thresholds"]["max_novelty"] = 0.0
    (cnn_copy / "verdict.json").write_text(json.dumps(before))
    meta = verdict_fit.rethreshold(cnn_copy, log=lambda m: None)
    assert meta["files"] == before["files"] and meta["fitted_for"] == before["fitted_for"]
    for name, digest in meta["files"].items():  # the network and statistics are untouched
        assert hashlib.sha256((cnn_copy / name).read_bytes()).hexdigest() == digest
    t = meta["thresholds"]["max_novelty"]
    refused = meta["refused_when_chosen"]
    again = refused.pop(verdict_fit.AGAIN_SET)
    assert again <= verdict_fit.TARGET_REFUSED_AGAIN + 1e-9
    assert max(refused.values()) <= verdict_fit.TARGET_REFUSED + 1e-9
    assert meta["thresholds_date"] and "through to_mnist" in meta["data"]["thresholds"]
    d = Detector.load(cnn_copy)
    assert d.thresholds["max_novelty"] == t
    # the rule: the validation split through to_mnist refuses 1 %, the others 0.5 % at most
    x, _ = mnist.load_mnist("train")
    _, val = mnist.validation_split()
    nov = d.novelty_of(d.extractor(x[val]), x[val])
    assert np.mean(nov > t) <= verdict_fit.TARGET_REFUSED + 1e-9


# ------------------------------------------------- one pass of the cnn for answer and verdict


class _CountingExtractor:
    def __init__(self, inner) -> None:
        self.inner, self.calls = inner, 0

    def __call__(self, images, batch: int = 256):
        self.calls += 1
        return self.inner(images, batch)


def test_the_cnn_runs_once_for_its_answer_and_the_verdict(loaded, mnist_test):
    from digitpad.models.litert import LiteRTModel
    from digitpad.reading import detector, live

    det = detector.Detector.load()  # a detector of its own: the shared one stays as it is
    fresh = detector.Detector.load()
    cnn = loaded["cnn"]
    assert det.shares_with(cnn)
    # the same network loaded again (other bytes objects, same content) shares too; another
    # network, or a model that is no LiteRT network, does not
    again = LiteRTModel("cnn", cnn.meta, cnn.path, model_bytes=bytes(bytearray(cnn.model_bytes)))
    assert det.shares_with(again)
    assert not det.shares_with(loaded["lenet5"])
    assert not det.shares_with(loaded["logistic"])
    counting = det.extractor = _CountingExtractor(det.extractor)
    x = mnist_test[0][:12]
    for i, picture in enumerate(x):
        p = live.ask(cnn, picture, det)
        np.testing.assert_allclose(p, cnn.predict_proba(picture)[0], rtol=0, atol=1e-5)
        assert int(np.argmax(p)) == int(np.argmax(cnn.predict_proba(picture)[0]))
        shared, alone = det.examine(picture), fresh.examine(picture)
        assert counting.calls == i + 1  # the verdict used the features of the cnn's answer
        assert shared.novelty == pytest.approx(alone.novelty, abs=1e-6)
        np.testing.assert_allclose(shared.distances, alone.distances, rtol=1e-5)
    changed = x[0].copy()
    live.ask(cnn, changed, det)
    changed[14, 14] = 1.0 - changed[14, 14]  # the very array changed after it was read
    assert det.examine(changed).novelty == pytest.approx(fresh.examine(changed).novelty, abs=1e-6)
    assert counting.calls == len(x) + 2
    reading = live.read(x[1], {"cnn": cnn, "logistic": loaded["logistic"]}, "cnn", detector=det)
    np.testing.assert_allclose(reading.probabilities["cnn"], cnn.predict_proba(x[1])[0], atol=1e-5)
    assert counting.calls == len(x) + 3


def test_a_cnn_whose_last_layer_differs_is_read_by_its_own_network(loaded, mnist_test):
    from digitpad.reading import detector, live

    det = detector.Detector.load()
    det.dense_b = det.dense_b + np.linspace(-1, 1, 10, dtype=np.float32)  # not the cnn's
    cnn = loaded["cnn"]
    assert not det.shares_with(cnn)
    picture = mnist_test[0][3]
    np.testing.assert_array_equal(live.ask(cnn, picture, det), cnn.predict_proba(picture)[0])


def test_the_first_answer_does_not_wait_for_the_statistics_to_load(loaded, mnist_test, monkeypatch):
    from digitpad.reading import detector, live

    monkeypatch.setattr(detector, "_shared", {})  # as while the window loads them
    cnn, picture = loaded["cnn"], mnist_test[0][5]
    own = cnn.predict_proba(picture)[0]
    np.testing.assert_array_equal(live.ask(cnn, picture, wait=False), own)
    assert detector.shared_if_loaded() is None  # not loaded by the first answer
    shared = live.ask(cnn, picture)  # the complete reading loads them, and shares
    assert detector.shared_if_loaded() is not None
    np.testing.assert_allclose(shared, own, rtol=0, atol=1e-5)


def test_the_fonts_a_machine_lacks_are_named(monkeypatch):
    from digitpad.synthetic import broad, negatives

    have = negatives.font_paths()
    missing = negatives.missing_fonts()
    assert all(f not in have for f in missing)
    monkeypatch.setattr(negatives, "font_paths", lambda: {})
    none = negatives.missing_fonts()
    assert set(negatives.HELD_OUT_FONTS) | {broad.SCRIPT_FONT} <= set(none)


def test_the_networks_own_probability_is_the_calibrated_one_taken_back():
    from digitpad.models import calibration

    rng = np.random.default_rng(7)
    for _ in range(500):
        p = rng.dirichlet(np.full(10, rng.uniform(0.05, 3))).astype(np.float32)
        p[rng.integers(10)] = 0.0  # an exact zero stays zero
        p /= p.sum()
        t, best = float(rng.uniform(0.5, 3.0)), int(np.argmax(p))
        want = float(calibration.scale(p[None], 1.0 / t)[0, best])
        assert verdict._own(p, best, t) == pytest.approx(want, abs=1e-12)
    assert verdict._own(p, best, 1.0) == float(p[best])

"""Fine-tuning on the user's handwriting: the personal-style drawings, the recipe (a few steps
only: the real figures are ``benchmarks/bench_fine_tune.py``'s), the helper job, its cancel,
the command line and the Teach menu."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from digitpad import models
from digitpad.cli import main
from digitpad.data import drawings, kaggle, mnist
from digitpad.models import ModelError
from digitpad.progress import Cancelled, CancelToken
from digitpad.synthetic import personal_style as ps
from digitpad.training import fine_tune, helper

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def user_data(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("DIGITPAD_DATA_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def taught():
    """20 drawings of the personal style, as the models read them, and their labels."""
    d = ps.make_drawings(20, seed=ps.TEACH_SEED)
    return ps.images(d), ps.labels(d)


@pytest.fixture(scope="module")
def small_replay():
    x, y = fine_tune.replay_images()
    return x[:500], y[:500]


def _fingerprint(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def _teach(images: np.ndarray, labels: np.ndarray) -> None:
    for image, label in zip(images, labels, strict=True):
        drawings.add(image, int(label))


def test_personal_style_draws_are_reproducible_balanced_and_kept_apart():
    a, b = ps.make_drawings(12, ps.TEACH_SEED), ps.make_drawings(12, ps.TEACH_SEED)
    held = ps.make_drawings(12, ps.HELD_OUT_SEED)
    pairs = [
        (s, t) for x, y in zip(a, b, strict=True) for s, t in zip(x.strokes, y.strokes, strict=True)
    ]
    assert all(np.array_equal(s, t) for s, t in pairs)
    assert not any(np.array_equal(x.strokes[0], y.strokes[0]) for x, y in zip(a, held, strict=True))
    assert ps.labels(a).tolist() == [*range(10), 0, 1]
    x = ps.images(a)
    assert x.shape == (12, 28, 28) and x.dtype == np.float32
    assert x.min() >= 0 and x.max() == 1  # to_mnist's output: brightest pixel at 1
    with pytest.raises(ValueError):
        ps.make_drawing(10, np.random.default_rng(0))


def test_the_bundled_cnn_reads_the_personal_style_poorly():
    d = ps.make_drawings(100, seed=ps.TUNING_SEED)
    accuracy = float((models.default().predict(ps.images(d)) == ps.labels(d)).mean())
    assert accuracy < 0.93  # it reads drawn.py's normal drawings 99.75 % right


def test_only_networks_run_by_litert_can_be_fine_tuned(user_data):
    assert fine_tune.family_of("cnn") == "cnn" and fine_tune.family_of("lenet5") == "lenet5"
    for name in ("logistic", "mlp", "no-such-model"):
        with pytest.raises(ModelError):
            fine_tune.family_of(name)
    assert fine_tune.new_name("cnn") == "my-cnn-tuned-1"


def test_no_drawings_is_refused_with_a_message():
    with pytest.raises(ValueError, match="no labelled drawings"):
        fine_tune.fine_tune("cnn", np.zeros((0, 28, 28)), np.zeros(0))


def test_the_helper_job_saves_a_new_model_and_leaves_the_cnn_as_it_was(user_data, taught):
    bundled = _fingerprint(models.bundled_dir() / "cnn")
    _teach(*taught)
    sent = []
    job = {"kind": "fine_tune", "steps": 3}
    meta = helper.JOBS["fine_tune"](job, lambda event, **f: sent.append(f), CancelToken())
    assert meta["name"] == "my-cnn-tuned-1" and meta["family"] == "cnn"
    hyper = meta["hyperparameters"]
    assert hyper["fine_tuned_from"] == "cnn" and hyper["user_drawings"] == 20
    assert hyper["recipe"]["steps"] == 3 and len(meta["history"]["loss"]) == 3
    assert meta["test_accuracy"] > 0.99  # three small steps do not undo the cnn
    fractions = [f["fraction"] for f in sent]
    assert fractions == sorted(fractions) and any("step 3 of 3" in f["info"]["stage"] for f in sent)
    assert "my-cnn-tuned-1" in models.available()
    clf = models.load("my-cnn-tuned-1")
    assert clf.predict(taught[0]).shape == (20,)
    # calibrated on the validation split like the model it started from (which is below 1)
    assert meta["calibration"]["fitted_on"]["images"] == 5000 and 0.2 < clf.temperature < 1.0
    assert _fingerprint(models.bundled_dir() / "cnn") == bundled
    assert not [p for p in models.user_dir().iterdir() if p.name.startswith(".")]


def test_a_cancelled_fine_tune_stops_at_the_next_step(taught, small_replay):
    token = CancelToken()

    def progress(fraction, info):
        if info["stage"].startswith("step"):
            token.cancel()

    recipe = fine_tune.Recipe(steps=50, rounds=50)
    with pytest.raises(Cancelled):
        fine_tune.fine_tune(
            "cnn", *taught, recipe=recipe, replay=small_replay, progress=progress, cancel=token
        )


def test_keeping_all_of_the_starting_weights_gives_the_starting_model_back(taught, small_replay):
    recipe = fine_tune.Recipe(steps=2, keep=1.0)
    trained = fine_tune.fine_tune("cnn", *taught, recipe=recipe, replay=small_replay)
    x = mnist.load_mnist("test")[0][:200]
    after = trained.classifier.predict_proba(x, calibrated=False)
    before = models.load("cnn").predict_proba(x, calibrated=False)
    assert np.allclose(after, before, atol=1e-5)


def test_cancel_in_the_helper_process_answers_within_a_second(user_data, taught):
    _teach(*taught)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitpad.training.helper"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
        text=True,
    )
    try:
        proc.stdin.write(json.dumps({"kind": "fine_tune", "steps": 10_000}) + "\n")
        proc.stdin.flush()
        for line in proc.stdout:
            message = json.loads(line)
            assert message["event"] == "progress", message
            if message["info"]["stage"].startswith("step"):
                break
        t0 = time.perf_counter()
        proc.stdin.write("cancel\n")
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["event"] == "cancelled"
        assert time.perf_counter() - t0 < 1.0
        assert proc.wait(timeout=5) == 0
    finally:
        proc.kill()
    assert models.available() == list(models.BUNDLED)
    assert not models.user_dir().exists() or not list(models.user_dir().iterdir())


def test_digitpad_train_fine_tune_from_a_csv(user_data, taught, tmp_path, capsys):
    csv = tmp_path / "mine.csv"
    kaggle.write_kaggle_csv(csv, *taught)
    assert main(["train", "cnn", "--fine-tune", "--csv", str(csv), "--steps", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("saved my-cnn-tuned-1 in ")
    assert f"fine-tuned cnn on 20 images of {csv} with a replay of MNIST" in out
    assert "test accuracy 9" in out and "my-cnn-tuned-1" in models.available()
    meta = json.loads((models.user_dir() / "my-cnn-tuned-1" / "meta.json").read_text())
    assert meta["hyperparameters"]["recipe"]["steps"] == 2
    assert meta["calibration"]["temperature"] == models.load("my-cnn-tuned-1").temperature


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["train", "logistic", "--fine-tune"], "cannot be fine-tuned"),
        (["train", "lenet5", "--fine-tune", "--from", "cnn"], "is a cnn model, not lenet5"),
        (["train", "cnn", "--fine-tune", "--epochs", "3"], "--epochs does not go with"),
        (["train", "cnn", "--steps", "3"], "go with --fine-tune"),
        (["train", "cnn", "--fine-tune"], "not labelled any drawing"),
    ],
)
def test_digitpad_train_fine_tune_refuses_what_it_cannot_do(user_data, capsys, argv, says):
    assert main(argv) == 2
    assert says in capsys.readouterr().err
    assert models.available() == list(models.BUNDLED)


def test_teach_menu_fine_tunes_the_model_in_charge_or_the_cnn(qtbot, user_data):
    from PySide6.QtWidgets import QWidget

    from digitpad.gui.actions import ActionFactory
    from digitpad.gui.train import TrainingController

    owner = QWidget()
    qtbot.addWidget(owner)
    said = []
    trainer = TrainingController(
        owner,
        make_action=ActionFactory(owner),
        status=lambda text, ms: said.append(text),
        model_input=lambda: None,
        clear_canvas=lambda: None,
        refresh_models=lambda: None,
        explore_data=lambda: None,
        open_samples=lambda rows, title: None,
        model_in_charge=lambda: "logistic",
    )
    assert trainer.fine_tune_action in trainer.teach_menu.actions()
    trainer.fine_tune_action.trigger()
    assert not trainer.is_running() and said[-1].startswith("Label some drawings first")
    drawings.add(mnist.load_mnist("test")[0][0], 7)
    with qtbot.waitSignal(trainer.training_finished, timeout=10_000) as signal:
        assert trainer.fine_tune() == "my-cnn-tuned-1"  # logistic cannot be: the cnn is
        assert trainer.helper.job()["source"] == "cnn"
        assert not trainer.fine_tune_action.isEnabled()
        trainer.cancel()
    assert signal.args == ["my-cnn-tuned-1", None]
    assert models.available() == list(models.BUNDLED)
    trainer.shutdown()

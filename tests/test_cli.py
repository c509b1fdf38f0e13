"""The command line: predict, evaluate, kaggle-submit; bad input → one line on stderr."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from digitpad.cli import main
from digitpad.data import kaggle, mnist


@pytest.fixture(scope="module")
def test_digits():
    x, y = mnist.load_mnist("test")
    return x[:30], y[:30]


def _png(path, img28):
    big = Image.fromarray((img28 * 255).astype(np.uint8)).resize((280, 280), Image.BILINEAR)
    big.save(path)
    return path


def test_predict_reads_mnist_pngs(tmp_path, test_digits, capsys):
    x, y = test_digits
    paths = [_png(tmp_path / f"d{i}.png", x[i]) for i in range(10)]
    assert main(["predict", *map(str, paths)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 10
    predicted = [int(line.split("\t")[2]) for line in lines]
    assert predicted == y[:10].tolist()


def test_predict_with_every_model(tmp_path, test_digits, capsys):
    x, y = test_digits
    path = _png(tmp_path / "d.png", x[0])
    assert main(["predict", str(path), "--all"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split("\t")[1] for line in lines][:6] == [
        "logistic",
        "linear_svm",
        "rbf_svm",
        "mlp",
        "lenet5",
        "cnn",
    ]
    assert all(int(line.split("\t")[2]) == y[0] for line in lines)


def test_kaggle_submit(tmp_path, test_digits, capsys):
    x, y = test_digits
    csv = tmp_path / "test.csv"
    kaggle.write_kaggle_csv(csv, x)
    out = tmp_path / "submission.csv"
    assert main(["kaggle-submit", str(csv), "-o", str(out), "--model", "lenet5"]) == 0
    labels = kaggle.read_submission(out)
    assert (labels == y).mean() >= 0.95


def test_evaluate_prints_accuracy_and_confusion(capsys):
    assert main(["evaluate", "--model", "logistic"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" in out and "confusion matrix" in out
    rows = [line.split() for line in out.splitlines() if line.strip()[:1].isdigit()]
    counts = np.array([[int(v) for v in r[1:]] for r in rows[-10:]])
    assert counts.shape == (10, 10) and counts.sum() == 10000


@pytest.mark.parametrize(
    "args, words",
    [
        (["predict", "{tmp}/missing.png"], "no such file"),
        (["predict", "{tmp}/text.png"], "not an image"),
        (["predict", "{tmp}/blank.png"], "blank"),
        (["predict", "{tmp}/blank.png", "--model", "nope"], "no model named"),
        (["kaggle-submit", "{tmp}/bad.csv", "-o", "{tmp}/s.csv"], "line 2"),
        (["kaggle-submit", "{tmp}/text.png", "-o", "{tmp}/s.csv"], "header"),
        (["evaluate", "--model", "../x"], "not a valid model name"),
        (["predict", "{tmp}/blank.png", "--model", ""], "--model is empty"),
        (["kaggle-submit", "{tmp}/s.csv", "-o", "{tmp}/s.csv"], "is the input"),
        (["kaggle-submit", "{tmp}/s.csv", "-o", "{tmp}"], "is a folder"),
        (["predict"], "required"),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, args, words):
    (tmp_path / "text.png").write_text("hello")
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    header = ",".join(kaggle.PIXEL_COLUMNS)
    (tmp_path / "bad.csv").write_text(header + "\n" + ",".join(["0"] * 700) + "\n")
    (tmp_path / "s.csv").write_text("keep me")
    argv = [a.format(tmp=tmp_path) for a in args]
    proc = subprocess.run(
        [sys.executable, "-m", "digitpad", *argv], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and words in err[0] and "Traceback" not in proc.stderr
    assert (tmp_path / "s.csv").read_text() == "keep me"  # nothing already saved is lost

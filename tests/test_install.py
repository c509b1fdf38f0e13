"""`pip install .` (not editable) gives a digitpad that runs from any folder: resources/ travels."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_carries_mnist_and_the_models_and_runs_from_elsewhere(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("digitpad-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for model in ("logistic", "linear_svm", "rbf_svm", "mlp", "lenet5", "cnn"):
        assert f"digitpad/resources/models/{model}/meta.json" in names
    assert "digitpad/resources/mnist/t10k-images-idx3-ubyte.gz" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import digitpad, digitpad.paths as p; print(digitpad.__file__); print(p.resources_dir())"
    )
    env = {**os.environ, "PYTHONPATH": str(site), "DIGITPAD_DATA_DIR": str(tmp_path / "data")}
    where = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=elsewhere, env=env
    )
    assert where.returncode == 0, where.stderr
    package, resources = where.stdout.split()
    assert Path(package).is_relative_to(site) and Path(resources) == site / "digitpad/resources"
    listed = subprocess.run(
        [sys.executable, "-m", "digitpad", "models"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
        env=env,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"^cnn +test accuracy +\d+\.\d+%", listed.stdout, re.MULTILINE)

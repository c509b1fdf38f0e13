"""The command line never destroys a file, and says what went wrong in the user's words.

Every case runs the real ``digitpad`` command on real files in a fresh folder (a FIFO made with
os.mkfifo, real symlinks and hard links, /dev/null and /dev/full, a full tmpfs, an immutable
folder) and checks the exit status, that stderr is one line naming the user's file and never a
temporary one, that there is no traceback, and that the input's bytes are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitpad import __version__, cli
from digitpad.data import kaggle, mnist
from digitpad.fileio import FileProblem, atomic_write

N_DIGITS = 20


@pytest.fixture(scope="module")
def digits():
    x, y = mnist.load_mnist("test")
    return x[:N_DIGITS], y[:N_DIGITS]


@pytest.fixture
def folder(tmp_path, digits, monkeypatch, isolated_settings):
    """A folder with test.csv, train.csv and d.png; the current directory for the test."""
    x, y = digits
    kaggle.write_kaggle_csv(tmp_path / "test.csv", x)
    kaggle.write_kaggle_csv(tmp_path / "train.csv", x, y)
    Image.fromarray((x[0] * 255).astype(np.uint8)).resize((112, 112)).save(tmp_path / "d.png")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _run(argv: list, capfd) -> tuple[int, str, str]:
    capfd.readouterr()
    rc = cli.main([str(a) for a in argv])
    out, err = capfd.readouterr()
    return rc, out, err


def _run_process(argv: list, cwd: Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "digitpad", *map(str, argv)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=kw.pop("timeout", 120),
        **kw,
    )


def _one_line(rc: int, err: str, *fragments: str) -> str:
    assert rc == cli.EXIT_BAD_INPUT, err
    assert "Traceback" not in err and ".tmp" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


# --------------------------------------------------------------------------- outputs


@pytest.mark.parametrize(
    "spelling",
    ["test.csv", "./test.csv", "{abs}/test.csv", "sub/../test.csv", "link-to-test.csv", "hard"],
)
def test_an_output_that_is_the_input_is_refused(spelling, folder, capfd):
    (folder / "sub").mkdir()
    (folder / "link-to-test.csv").symlink_to("test.csv")
    os.link(folder / "test.csv", folder / "hard")
    before, listing = _digest(folder / "test.csv"), _listing(folder)
    output = spelling.format(abs=folder)
    rc, out, err = _run(["kaggle-submit", "test.csv", "-o", output], capfd)
    _one_line(rc, err, "is the input", "test.csv", "-o")
    assert out == ""
    assert _digest(folder / "test.csv") == before
    assert _listing(folder) == listing
    assert (folder / "link-to-test.csv").is_symlink()


def _device(folder: Path, name: str) -> str:
    """``/dev/<name>``, or as root a copy of it made with mknod in ``folder``.

    Root may rename over anything in /dev, so a regression would replace the machine's own
    /dev/null; a copy in the test's folder is all it could replace. Others cannot write /dev.
    """
    real = f"/dev/{name}"
    if not os.path.exists(real) or not stat.S_ISCHR(os.stat(real).st_mode):
        pytest.skip(f"{real} is not a character device here")
    if os.geteuid() != 0:
        return real
    copy = folder / name
    os.mknod(copy, stat.S_IFCHR | 0o666, os.stat(real).st_rdev)
    return str(copy)


@pytest.mark.parametrize("name", ["null", "full"])
def test_a_device_as_output_is_refused_and_stays_a_device(name, folder, capfd):
    device = _device(folder, name)
    before = os.stat(device)
    rc, out, err = _run(["kaggle-submit", "test.csv", "-o", device], capfd)
    _one_line(rc, err, device, "is a character device")
    after = os.stat(device)
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert out == ""


def test_a_folder_as_output_is_refused(folder, capfd):
    (folder / "out").mkdir()
    rc, _, err = _run(["kaggle-submit", "test.csv", "-o", "out"], capfd)
    _one_line(rc, err, "out is a folder")
    assert list((folder / "out").iterdir()) == []


def test_a_fifo_as_output_is_refused_without_waiting(folder):
    os.mkfifo(folder / "pipe.csv")
    proc = _run_process(["kaggle-submit", "test.csv", "-o", "pipe.csv"], folder, timeout=60)
    _one_line(proc.returncode, proc.stderr, "pipe.csv is a named pipe (FIFO)")
    assert stat.S_ISFIFO(os.stat(folder / "pipe.csv").st_mode)


def test_a_symlink_as_output_is_written_through(folder, capfd, digits):
    (folder / "real.csv").write_text("an old submission\n")
    (folder / "link.csv").symlink_to("real.csv")
    rc, out, err = _run(["kaggle-submit", "test.csv", "-o", "link.csv"], capfd)
    assert rc == 0, err
    assert out.startswith("wrote link.csv: 20 predictions")
    assert (folder / "link.csv").is_symlink() and os.readlink(folder / "link.csv") == "real.csv"
    labels = kaggle.read_submission(folder / "real.csv")
    assert (labels == digits[1]).mean() >= 0.9
    assert not [p for p in _listing(folder) if p.endswith(".tmp")]


def test_dash_writes_the_submission_to_stdout(folder, capfd, digits):
    rc, out, err = _run(["kaggle-submit", "test.csv", "-o", "-"], capfd)
    assert rc == 0, err
    (folder / "from-stdout.csv").write_text(out)
    labels = kaggle.read_submission(folder / "from-stdout.csv")
    assert len(labels) == N_DIGITS and (labels == digits[1]).mean() >= 0.9
    assert err.startswith("wrote the submission to standard output: 20 predictions")
    assert not (folder / "-").exists()


def test_a_missing_folder_is_named_not_the_temporary_file(folder, capfd):
    rc, _, err = _run(["kaggle-submit", "test.csv", "-o", "no/such/dir/sub.csv"], capfd)
    line = _one_line(rc, err)
    assert line == "digitpad: error: cannot write no/such/dir/sub.csv: no such folder no/such/dir"


def test_a_folder_that_may_not_be_written(folder, capfd):
    locked = folder / "locked"
    locked.mkdir()
    # chattr +i stops root too; chmod alone would not, and the tests may run as root.
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        rc, _, err = _run(["kaggle-submit", "test.csv", "-o", "locked/sub.csv"], capfd)
        _one_line(rc, err, "permission denied: you may not write locked/sub.csv")
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert list(locked.iterdir()) == []


def test_a_full_disk_names_the_file(folder):
    """A real ENOSPC: a 16 KiB tmpfs, filled up, mounted in a private mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare is not available")
    (folder / "full").mkdir()
    digitpad = f"{sys.executable} -m digitpad kaggle-submit test.csv -o full/sub.csv"
    script = (
        "mount -t tmpfs -o size=16k none full || exit 99; "
        "cat /dev/zero > full/fill 2>/dev/null; "
        f"{digitpad}; echo rc=$?; ls -A full"
    )
    proc = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if proc.returncode == 99 or "rc=" not in proc.stdout:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    rc_line, *left = proc.stdout.split("rc=")[1].split()
    _one_line(int(rc_line), proc.stderr, "no space left on the device to write full/sub.csv")
    assert left == ["fill"]  # no temporary file left behind


def test_atomic_write_words_only_its_own_errors(tmp_path):
    """An OSError about another file, raised inside the block, keeps its own words."""
    with pytest.raises(FileNotFoundError) as info, atomic_write(tmp_path / "out.bin") as f:
        f.write(b"x")
        (tmp_path / "elsewhere").read_bytes()
    assert info.value.filename == str(tmp_path / "elsewhere")
    assert list(tmp_path.iterdir()) == []
    device = _device(tmp_path, "null")
    refused = pytest.raises(FileProblem, match=f"^{device} is a character device")
    with refused, atomic_write(device) as f:
        f.write(b"x")
    assert stat.S_ISCHR(os.stat(device).st_mode)


# --------------------------------------------------------------------------- inputs


def test_a_labelled_csv_is_not_submitted(folder, capfd):
    before = _digest(folder / "train.csv")
    rc, out, err = _run(["kaggle-submit", "train.csv", "-o", "sub.csv"], capfd)
    _one_line(rc, err, "train.csv has a 'label' column", "evaluate --csv train.csv")
    assert out == "" and not (folder / "sub.csv").exists()
    assert _digest(folder / "train.csv") == before


@pytest.mark.parametrize(
    "argv, words",
    [
        (["kaggle-submit", "pipe", "-o", "sub.csv"], "pipe is a named pipe (FIFO), not a file"),
        (["predict", "pipe"], "pipe is a named pipe (FIFO), not a picture"),
    ],
)
def test_a_fifo_as_input_is_refused_without_waiting(argv, words, folder):
    os.mkfifo(folder / "pipe")
    proc = _run_process(argv, folder, timeout=60)
    _one_line(proc.returncode, proc.stderr, words)
    assert proc.stdout == "" and not (folder / "sub.csv").exists()


def test_read_idx_refuses_a_fifo_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "t10k-labels-idx1-ubyte")
    code = (
        "import sys; from digitpad.data.mnist import read_idx, DatasetError\n"
        "try: read_idx(sys.argv[1])\n"
        "except DatasetError as e: print(e)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "t10k-labels-idx1-ubyte")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (
        proc.stdout.strip()
        == f"{tmp_path}/t10k-labels-idx1-ubyte is a named pipe (FIFO), not a file"
    )


LOOP = "too many levels of symbolic links"


@pytest.mark.parametrize(
    "argv",
    [["predict", "loop.png"], ["kaggle-submit", "loop.png", "-o", "sub.csv"]],
    ids=["predict", "kaggle-submit"],
)
def test_a_symlink_loop_as_input(argv, folder, capfd):
    os.symlink("loop.png", folder / "loop.png")
    rc, out, err = _run(argv, capfd)
    _one_line(rc, err, f"cannot read loop.png: {LOOP}")
    assert out == ""


def test_a_symlink_loop_as_output(folder, capfd):
    os.symlink("a.csv", folder / "b.csv")
    os.symlink("b.csv", folder / "a.csv")
    rc, _, err = _run(["kaggle-submit", "test.csv", "-o", "a.csv"], capfd)
    _one_line(rc, err, f"cannot write a.csv: {LOOP}")
    assert (folder / "a.csv").is_symlink()


def test_read_idx_names_a_symlink_loop(tmp_path):
    os.symlink("x", tmp_path / "x")
    with pytest.raises(mnist.DatasetError, match=f"^cannot read {tmp_path}/x: {LOOP}"):
        mnist.read_idx(tmp_path / "x")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read any file, so chmod cannot fail")
@pytest.mark.parametrize(
    "argv, name",
    [(["predict", "d.png"], "d.png"), (["kaggle-submit", "test.csv", "-o", "s.csv"], "test.csv")],
)
def test_a_file_that_may_not_be_read(argv, name, folder, capfd):
    before = _digest(folder / name)
    os.chmod(folder / name, 0)
    try:
        rc, _, err = _run(argv, capfd)
    finally:
        os.chmod(folder / name, 0o644)
    _one_line(rc, err, f"permission denied: you may not read {name}")
    assert _digest(folder / name) == before


# --------------------------------------------------------------------------- the command


def test_a_closed_pipe_ends_quietly(folder):
    """``digitpad predict … | head -1``: no message, no traceback, exit status 141."""
    images = " ".join(["d.png"] * 1500)  # far more than a pipe holds, so head leaves early
    script = f"{sys.executable} -m digitpad predict {images} | head -1; echo ${{PIPESTATUS[0]}}"
    proc = subprocess.run(
        ["bash", "-c", script], cwd=folder, capture_output=True, text=True, timeout=300
    )
    first, status = proc.stdout.splitlines()
    assert first.startswith("d.png\tcnn\t")
    assert int(status) == cli.EXIT_BROKEN_PIPE == 141
    assert proc.stderr == ""


def test_a_pipe_closed_before_any_output_ends_quietly(folder):
    proc = subprocess.Popen(
        [sys.executable, "-m", "digitpad", "models"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before the models are loaded: the first write meets a closed pipe
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == cli.EXIT_BROKEN_PIPE
    assert err == b""


def test_version(folder):
    proc = _run_process(["--version"], folder)
    assert proc.returncode == 0 and proc.stdout == f"digitpad {__version__}\n"


def test_an_empty_model_name_is_refused(folder, capfd):
    rc, out, err = _run(["predict", "d.png", "--model", ""], capfd)
    _one_line(rc, err, "--model is empty")
    assert out == ""

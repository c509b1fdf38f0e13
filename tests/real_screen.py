"""The real window on a real X server: Xvfb with openbox as the window manager, a 40 px panel.

Used by ``test_real_screen.py``, and by hand to look at the window or take the screenshots in
``docs/``::

    python tests/real_screen.py 1366x768                 # JSON: frame and work area per step
    python tests/real_screen.py 1920x1080 --scale 1.5 --shots docs/ --shot-name window-150

Each run starts its own Xvfb (a free display, ``-displayfd``) and openbox with a 40 px bottom
margin (where a desktop panel sits), runs the window twice in private settings and data
folders (a second start reads the geometry the first one saved) and stops them again. The
window is driven by a scripted sequence (``child``): start, every tab, hovering Browse, a short
training, hovering again, maximized, Number mode on and off; after each step it notes the
window's frame, its minimum size with the frame, and the work area. Needs: Xvfb, openbox,
xprop (x11-utils), and for screenshots ``import`` (imagemagick); Qt's xcb platform needs
libxcb-cursor0.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PANEL = 40  # px kept free at the bottom of the screen, as a desktop panel does
TOOLS = ("Xvfb", "openbox", "xprop", "xdotool")
OPENBOX_RC = """<?xml version="1.0"?>
<openbox_config xmlns="http://openbox.org/3.4/rc">
<margins><top>0</top><bottom>{panel}</bottom><left>0</left><right>0</right></margins>
</openbox_config>
"""


def missing_tools() -> list[str]:
    """The programs (and the library Qt's xcb platform needs) that are missing here."""
    import ctypes.util

    missing = [t for t in TOOLS if shutil.which(t) is None]
    if ctypes.util.find_library("xcb-cursor") is None:
        missing.append("libxcb-cursor0")
    return missing


def _wait_for(check, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


def work_area(display: str) -> tuple[int, int, int, int] | None:
    """The window manager's work area (x, y, width, height) in screen pixels, from
    ``_NET_WORKAREA``; None while there is no window manager."""
    out = subprocess.run(
        ["xprop", "-root", "-display", display, "_NET_WORKAREA"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout
    if "=" not in out:
        return None
    numbers = [int(n) for n in out.split("=", 1)[1].replace(",", " ").split()[:4]]
    return tuple(numbers) if len(numbers) == 4 else None  # type: ignore[return-value]


@contextlib.contextmanager
def screen(size: str, folder: Path):
    """Start Xvfb (``size`` as "1366x768") and openbox with a ``PANEL`` px bottom margin; yields
    the DISPLAY once the work area is set; stops both at the end."""
    width, height = (int(n) for n in size.split("x"))
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", f"{size}x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    wm = None
    try:
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        display = f":{number}"
        rc = folder / "openbox-rc.xml"
        rc.write_text(OPENBOX_RC.format(panel=PANEL))
        wm = subprocess.Popen(
            ["openbox", "--config-file", str(rc)],
            env={**os.environ, "DISPLAY": display},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        expected = (0, 0, width, height - PANEL)
        _wait_for(lambda: work_area(display) == expected, 20, "openbox's work area")
        yield display
    finally:
        for process in (wm, xvfb):
            if process is not None:
                process.terminate()
                try:
                    process.wait(5)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def run_window(
    display: str,
    home: Path,
    scale: float = 1.0,
    full: bool = True,
    train: bool = True,
    shots: Path | None = None,
    shot_name: str = "window",
    timeout: float = 240,
) -> list[dict]:
    """Run ``child`` (the scripted window) in a fresh process on ``display``; its records."""
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "XDG_CONFIG_HOME": str(home / "config"),  # QSettings: never the user's own
        "DIGITPAD_DATA_DIR": str(home / "data"),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    for key in ("QT_SCALE_FACTOR", "QT_SCREEN_SCALE_FACTORS", "QT_AUTO_SCREEN_SCALE_FACTOR"):
        env.pop(key, None)
    if scale != 1.0:
        env["QT_SCALE_FACTOR"] = str(scale)
    args = [sys.executable, str(Path(__file__).resolve()), "--child"]
    if full:
        args.append("--full")
    if train:
        args.append("--train")
    if shots is not None:
        args += ["--shots", str(shots), "--shot-name", shot_name]
    out = subprocess.run(
        args, env=env, capture_output=True, text=True, timeout=timeout, cwd=str(home)
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"the window failed (exit {out.returncode}):\n{out.stderr[-4000:]}")
    return [json.loads(ln) for ln in lines]


def measure(
    size: str,
    scale: float = 1.0,
    train: bool = True,
    shots: Path | None = None,
    shot_name: str = "window",
) -> dict:
    """Both runs of the window on a fresh screen of ``size``: {"first": records, "next":
    records, "work_area": the X work area in screen pixels}."""
    with tempfile.TemporaryDirectory(prefix="digitpad-screen-") as tmp:
        home = Path(tmp)
        with screen(size, home) as display:
            first = run_window(display, home, scale, True, train, shots, shot_name)
            again = run_window(display, home, scale, full=False, train=False)
            return {"first": first, "next": again, "work_area": work_area(display)}


# ---------------------------------------------------------------------- the scripted window


def child(full: bool, train: bool, shots: Path | None, shot_name: str) -> int:
    """Runs in the window's process: the scripted sequence, one JSON record per step."""
    from PySide6.QtCore import QPoint
    from PySide6.QtGui import QCursor
    from PySide6.QtWidgets import QApplication

    from digitpad.gui.app import application
    from digitpad.gui.explore.tabs import PANELS
    from digitpad.gui.window import MainWindow

    began = time.monotonic()
    app = application(["digitpad"])
    w = MainWindow()
    w.show()

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)

    def until(check, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while not check():
            if time.monotonic() > end:
                raise RuntimeError("timed out")
            app.processEvents()
            time.sleep(0.01)

    def record(step: str, **more: object) -> None:
        pump(0.3)  # let layout requests and the window manager's answers arrive
        frame, inner = w.frameGeometry(), w.geometry()
        extra_w, extra_h = frame.width() - inner.width(), frame.height() - inner.height()
        minimum = w.minimumSizeHint().expandedTo(w.minimumSize())
        area = w.screen().availableGeometry()
        status = w.statusBar()
        corner = status.mapToGlobal(QPoint(status.width() - 1, status.height() - 1))
        data = {
            "step": step,
            "frame": [frame.x(), frame.y(), frame.width(), frame.height()],
            "min_frame": [minimum.width() + extra_w, minimum.height() + extra_h],
            "area": [area.x(), area.y(), area.width(), area.height()],
            "status_corner": [corner.x(), corner.y()] if status.isVisible() else None,
            "scale": w.devicePixelRatioF(),
            "maximized": w.isMaximized(),
            "canvas": [w.canvas.width(), w.canvas.height()],
            "page_min": {  # each tab page's smallest width (the window's is the widest's)
                w.tabs.tabText(i): w.tabs.widget(i).minimumSizeHint().width()
                for i in range(w.tabs.count())
            },
            "seconds": round(time.monotonic() - began, 2),
            **more,
        }
        print(json.dumps(data), flush=True)

    def shot(name: str) -> None:
        if shots is not None:
            pump(0.5)
            subprocess.run(
                ["import", "-window", "root", str(shots / f"{name}.png")], check=True, timeout=30
            )

    until(lambda: w.isVisible() and w.windowHandle().isExposed())
    until(lambda: not any(w.shelf.is_pending(n) for n in w.shelf.names))
    # openbox answers with the frame's extents a moment after mapping the window
    with contextlib.suppress(RuntimeError):
        until(lambda: w.frameGeometry() != w.geometry(), timeout=3)
    record("start")
    if full and shutil.which("xdotool"):
        keys(w, pump)
    if not full:  # the next start: only look
        w.close()
        return 0
    if shots is not None:  # a digit on the canvas for the picture
        from digitpad.gui.replay import replay
        from digitpad.synthetic import drawn

        replay(w.canvas, drawn.make_drawings(8, seed=5)[7], between=app.processEvents)
        pump(1.5)
        shot(shot_name)
    for title in PANELS:
        w.explore.show_tab(title)
        until(lambda: w.explore.data.is_loaded(), 60)
        record(f"tab {title}")
    # Correlation while it computes (its progress bar and Cancel shown), then after.
    correlation = w.explore.show_tab("Correlation")
    # The progress bar is shown at once; on a fast machine the work may end within record's
    # 0.3 s, so whether it was still computing is kept in the record, not in the step's name.
    correlation.compute_all()
    shown = correlation.progress.isVisible()
    record("Correlation computing", computing=shown)
    correlation.cancel()
    w.tabs.setCurrentIndex(0)
    record("Draw after Correlation")

    def hover_browse(step: str) -> None:
        browser = w.explore.show_tab("Browse")
        mosaic = browser.mosaic
        # the test digits: every model's answer is known for them, the longest hover line
        sets = browser.set_box
        tests = [i for i in range(sets.count()) if "test" in sets.itemText(i).lower()]
        if tests:
            sets.setCurrentIndex(tests[0])
        pump(0.3)
        for fx, fy in ((0.1, 0.1), (0.5, 0.4), (0.3, 0.7)):
            QCursor.setPos(
                mosaic.mapToGlobal(QPoint(int(mosaic.width() * fx), int(mosaic.height() * fy)))
            )
            pump(0.2)
        record(step)

    hover_browse("hover Browse")
    shot(f"{shot_name}-browse")
    if train:
        done: list[object] = []
        w.training_finished.connect(lambda name, metrics: done.append(metrics))
        w.train("logistic", train_size=300)
        until(lambda: bool(done), 120)
        if not done[0]:
            raise RuntimeError("the training failed")
        w.tabs.setCurrentIndex(0)
        record("after training")
        hover_browse("hover Browse after training")
    w.tabs.setCurrentIndex(0)
    w.showMaximized()
    record("maximized")
    w.showNormal()
    record("normal again")
    number_mode(w, app, pump, until, record, shot if shots is not None else None, shot_name)
    for top in QApplication.topLevelWidgets():
        if top is not w and top.isVisible():
            top.close()
    w.close()
    return 0


def number_mode(w, app, pump, until, record, shot, shot_name: str) -> None:
    """Number mode on (a 5-digit number drawn on it for the screenshot), then off again."""
    w.set_number_mode(True)
    record("number mode")
    if shot is not None:
        from digitpad.gui.replay import replay_number
        from digitpad.synthetic import numbers

        sample = numbers.make_numbers(3, seed=numbers.HELD_OUT_SEED, length=5, gap="close")[2]
        replay_number(w.canvas, sample, between=app.processEvents)
        until(w.numbers.settled, 30)
        pump(1.0)
        shot(f"{shot_name}-number")
    w.canvas.clear()
    w.set_number_mode(False)
    record("number mode off")


def keys(w, pump) -> None:
    """Real key presses (xdotool, through the X server): Ctrl+PgDown with the focus on the pen
    slider switches the tab and leaves the pen alone; Ctrl+PgUp goes back."""
    w.activateWindow()
    w.pen_slider.setFocus()
    pump(0.3)
    before = (w.tabs.currentIndex(), w.pen_slider.value(), w.pen_slider.hasFocus())
    subprocess.run(["xdotool", "key", "ctrl+Next"], check=True, timeout=10)
    pump(0.3)
    after = (w.tabs.currentIndex(), w.pen_slider.value())
    subprocess.run(["xdotool", "key", "ctrl+Prior"], check=True, timeout=10)
    pump(0.3)
    back = w.tabs.currentIndex()
    data = {"step": "keys", "before": before, "after": after, "back": back}
    print(json.dumps(data), flush=True)


def main(argv: list[str]) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("size", nargs="?", default="1366x768")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--shots", type=Path, default=None)
    ap.add_argument("--shot-name", default="window")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--full", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--train", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.full, args.train, args.shots, args.shot_name)
    if missing_tools():
        print(f"missing: {', '.join(missing_tools())}", file=sys.stderr)
        return 2
    shots = None if args.shots is None else args.shots.resolve()
    result = measure(args.size, args.scale, not args.no_train, shots, args.shot_name)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

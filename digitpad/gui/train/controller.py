"""The Train and Teach menus: training in a helper process, live curves, the user's models and
the user's own labelled drawings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QDialog, QFileDialog, QMenu, QWidget

from ... import models
from ...data import drawings
from ...models import ModelError, families
from ...training import fine_tune
from ..actions import ActionFactory
from ..canvas import DrawingCanvas
from ..placement import open_beside
from .dialogs import CurveDialog, IsFourDialog, MyModelsDialog, TrainDialog
from .process import HelperProcess

if TYPE_CHECKING:
    from ..explore.data import ExploreData
    from .monitor import TrainingMonitor

#: Teach it: Alt+digit (Ctrl+digit already picks the model that gives the answer).
LABEL_SHORTCUT = "Alt+{}"
PREPARE_AFTER_MS = 1500
#: The jobs that save a model (a cancel that came too late deletes it again).
SAVES_MODEL = ("train", "fine_tune")


class TrainingController(QObject):
    """Runs one job at a time in a helper process and builds the Train and Teach menus
    (``train_menu``, ``teach_menu``, for the window to place).

    It is given what it needs: ``parent`` (the window its dialogs belong to), the window's
    ``make_action``, a ``status(text, ms)`` line, ``model_input()`` (the (28, 28) float32 the
    models read now, or None), ``clear_canvas()``, ``refresh_models()`` (show the models on disk
    everywhere in the window), ``explore_data()`` (the explore panels' shared samples) and
    ``open_samples(indices, title)`` (Browse on exactly those samples); and, optionally,
    ``model_in_charge()``: the name of the model giving the big answer, which Teach ▸
    Fine-tune starts from when it is a network that can be fine-tuned (else the cnn).

    ``training_finished(name, metrics)``: a family's training ended; metrics is the saved
    model's metadata, or None when it was cancelled or failed. ``job_finished(kind, status,
    result)`` for every job ("train", "is_four", "curve", "fine_tune"); a fine-tune also ends
    with ``training_finished``, under the new model's name.
    """

    training_finished = Signal(str, object)
    job_finished = Signal(str, str, object)

    def __init__(
        self,
        parent: QWidget,
        *,
        make_action: ActionFactory,
        status: Callable[[str, int], None],
        model_input: Callable[[], np.ndarray | None],
        clear_canvas: Callable[[], None],
        refresh_models: Callable[[], None],
        explore_data: Callable[[], ExploreData],
        open_samples: Callable[[np.ndarray, str], object],
        model_in_charge: Callable[[], str | None] = lambda: None,
    ) -> None:
        super().__init__(parent)
        self._owner = parent
        self._status = status
        self._model_input = model_input
        self._clear_canvas = clear_canvas
        self._refresh_models = refresh_models
        self._explore_data = explore_data
        self._open_samples = open_samples
        self._model_in_charge = model_in_charge
        self._labelling_off = ""  # why labelling is off ("" while it is on)
        self.helper = HelperProcess(self)
        self.helper.progress.connect(self._on_progress)
        self.helper.finished.connect(self._on_finished)
        self._monitor: TrainingMonitor | None = None
        self._models_dialog: MyModelsDialog | None = None
        self.last_result: dict[str, Any] | None = None
        self.train_menu = self._build_train_menu()
        self.teach_menu = self._build_teach_menu(make_action)
        self._update_actions()
        # Build and draw the training window once while the app is idle, so that starting a
        # training does not pay for it (about 0.1 s of pyqtgraph set-up on the GUI thread).
        QTimer.singleShot(PREPARE_AFTER_MS, self, self._prepare_monitor)

    # ------------------------------------------------------------------ API

    @property
    def monitor(self) -> TrainingMonitor:
        """The training window (built the first time it is needed)."""
        if self._monitor is None:
            from .monitor import TrainingMonitor  # imports pyqtgraph: not needed at start-up

            self._monitor = TrainingMonitor(self._owner)
            self._monitor.cancel_requested.connect(self.cancel)
        return self._monitor

    def _prepare_monitor(self) -> None:
        if self._monitor is None and not self.helper.is_running():
            # With the monitor as context: dropped if it is deleted first (a window closed
            # at once), instead of calling into a deleted C++ object.
            QTimer.singleShot(0, self.monitor, self.monitor.warm_up)

    def is_running(self) -> bool:
        return self.helper.is_running()

    def train(
        self,
        family: str,
        train_size: int | None = None,
        epochs: int | None = None,
        *,
        augment: bool | None = None,
        include_user: bool = False,
        user_weight: int = 1,
        name: str | None = None,
    ) -> str | None:
        """Start training ``family`` in the background; returns the name it will be saved as,
        or None if another job is still running."""
        families.family(family)  # ModelError naming the families for an unknown one
        job = {
            "kind": "train",
            "family": family,
            "name": name or models.new_name(family),
            "train_size": train_size,
            "epochs": epochs,
            "augment": augment,
            "include_user": include_user,
            "user_weight": user_weight,
        }
        return job["name"] if self.start(job) else None

    def fine_tune(self, source: str | None = None, steps: int | None = None) -> str | None:
        """Fine-tune ``source`` (default: the model in charge if it can be, else the cnn) on
        the user's labelled drawings in the background; returns the name it will be saved
        as, or None when it cannot start (no drawings, another job running)."""
        if drawings.count() == 0:
            self._status("Label some drawings first (Teach ▸ Label the drawing as…)", 8000)
            return None
        source = source or _tunable(self._model_in_charge()) or families.BEST
        try:
            name = fine_tune.new_name(source)
        except ModelError as e:
            self._status(str(e), 8000)
            return None
        job = {"kind": "fine_tune", "source": source, "name": name, "steps": steps}
        return name if self.start(job) else None

    def start(self, job: dict[str, Any]) -> bool:
        """Run ``job`` (see ``training.helper``) unless one is running; show its progress."""
        if self.helper.is_running():
            self._status("A training is already running: cancel it first (Train ▸ Cancel)", 8000)
            return False
        self.helper.start(job)
        title, kind, note = _describe_job(job)
        self.monitor.begin(title, kind, note, curves=has_curves(job))
        self.show_monitor()
        self._update_actions()
        self._status(f"{_describe_job(job)[0]}: started", 5000)
        return True

    def show_monitor(self) -> TrainingMonitor:
        """Show the training window: if it is hidden, beside the main window when the screen
        has room for it, else over the main window's right-hand side, never over the canvas."""
        monitor = self.monitor
        if not monitor.isVisible():
            open_beside(monitor, self._owner, self._canvas())
        monitor.show()
        monitor.raise_()
        return monitor

    def cancel(self) -> None:
        """Stop the running job (it is killed if it does not stop within 0.8 s)."""
        if self.helper.is_running():
            self._status("Cancelling the training…", 3000)
            self.helper.cancel()

    def shutdown(self) -> None:
        """For closing the window: stop the job and wait (at most about 2 s) until it is gone."""
        self.helper.stop()
        if self._monitor is not None:
            self._monitor.close()

    def set_labelling(self, allowed: bool, why: str = "") -> None:
        """Allow Teach ▸ Label the drawing as … or not (``why``: what to do instead, shown as
        the actions' tooltip and when one is asked for anyway)."""
        self._labelling_off = "" if allowed else why or "Labelling is off"
        for action, (tip, status) in zip(self.label_actions, self._label_tips, strict=True):
            action.setEnabled(allowed)
            action.setToolTip(tip if allowed else self._labelling_off)
            action.setStatusTip(status if allowed else self._labelling_off)

    def labelling(self) -> bool:
        """Can a drawing be labelled now (``set_labelling``)?"""
        return not self._labelling_off

    def label_drawing(self, label: int) -> Path | None:
        """Keep the digit on the canvas as a drawing of ``label``; None if there is none (or
        labelling is off, ``set_labelling``: the status line says why)."""
        if self._labelling_off:
            self._status(self._labelling_off, 8000)
            return None
        digit = self._model_input()
        if digit is None:
            self._status("Draw a digit first, then label it", 5000)
            return None
        path = drawings.add(digit, label)
        n = drawings.count()
        self._clear_canvas()  # ready for the next one; Ctrl+Z brings it back
        self._status(
            f"Kept as a {label}: {n} labelled drawing{'s' if n != 1 else ''} of yours "
            "(Teach ▸ Export, or train with them)",
            8000,
        )
        return path

    def export_drawings(self, path: str | Path) -> int:
        """Write the user's drawings as a Kaggle CSV; returns how many (0 with a message)."""
        try:
            n = drawings.export_csv(path)
        except (ValueError, OSError) as e:
            self._status(f"Nothing exported: {e}", 8000)
            return 0
        self._status(f"Exported {n} drawings to {path}", 8000)
        return n

    def show_drawings_in_browser(self) -> None:
        """Add the user's drawings to the explore data and show them in the Browse tab."""
        images, labels = drawings.load()
        if len(images) == 0:
            self._status("You have not labelled any drawing yet", 5000)
            return
        data = self._explore_data()

        def add() -> None:
            data.add_source("your drawings", images, labels)
            samples = data.samples
            rows = np.flatnonzero(samples.source == len(samples.source_names) - 1)
            self._open_samples(rows, f"Your drawings ({len(rows)})")

        if data.is_loaded():
            add()
        else:
            data.loaded.connect(add, type=Qt.ConnectionType.SingleShotConnection)
            data.ensure_loaded()
            self._status("Loading MNIST for the browser…", 3000)

    # ------------------------------------------------------------------ menus

    def _build_train_menu(self) -> QMenu:
        menu = QMenu("T&rain", self._owner)
        menu.setToolTipsVisible(True)
        self.family_actions: dict[str, QAction] = {}
        for family in families.NAMES:
            title = families.title(family)
            action = menu.addAction(f"{title}…")
            action.setStatusTip(f"Train a {title} in the background")
            action.triggered.connect(lambda _=False, f=family: self.ask_train(f))
            self.family_actions[family] = action
        menu.addSeparator()
        self.is_four_action = menu.addAction("Is it a 4?…")
        self.is_four_action.triggered.connect(self.ask_is_four)
        self.curve_action = menu.addAction("Accuracy against training-set size…")
        self.curve_action.triggered.connect(self.ask_curve)
        menu.addSeparator()
        self.cancel_action = menu.addAction("Cancel training")
        self.cancel_action.triggered.connect(self.cancel)
        self.monitor_action = menu.addAction("Show training window")
        self.monitor_action.triggered.connect(self.show_monitor)
        menu.addSeparator()
        self.models_action = menu.addAction("My models (rename, delete)…")
        self.models_action.triggered.connect(self.show_my_models)
        return menu

    def _build_teach_menu(self, make_action: ActionFactory) -> QMenu:
        teach = QMenu("Tea&ch", self._owner)
        teach.setToolTipsVisible(True)
        self.label_actions: list[QAction] = [
            make_action(
                f"Label the drawing as {digit}",
                f"Keep the drawing as a {digit} in your own data set",
                LABEL_SHORTCUT.format(digit),
                lambda _=False, d=digit: self.label_drawing(d),
            )
            for digit in range(10)
        ]
        self._label_tips = [(a.toolTip(), a.statusTip()) for a in self.label_actions]
        teach.addActions(self.label_actions)
        teach.addSeparator()
        browse = teach.addAction("Show my drawings in the browser")
        browse.triggered.connect(self.show_drawings_in_browser)
        export = teach.addAction("Export my drawings as a Kaggle CSV…")
        export.triggered.connect(self._ask_export)
        folder = teach.addAction("Open my drawings folder")
        folder.triggered.connect(self._open_folder)
        teach.addSeparator()
        self.fine_tune_action = teach.addAction("Fine-tune the model on my drawings")
        self.fine_tune_action.setStatusTip(
            "Teach the model in charge (or the cnn) your drawings in well under a minute, "
            "with a replay of MNIST so that it forgets nothing; saved as a new model"
        )
        self.fine_tune_action.triggered.connect(lambda: self.fine_tune())
        return teach

    def _update_actions(self) -> None:
        busy = self.helper.is_running()
        jobs = (self.is_four_action, self.curve_action, self.fine_tune_action)
        for action in (*self.family_actions.values(), *jobs):
            action.setEnabled(not busy)
        self.cancel_action.setEnabled(busy)

    def ask_train(self, family: str) -> None:
        self._ask(TrainDialog(family, self._owner))

    def ask_is_four(self) -> None:
        self._ask(IsFourDialog(self._owner))

    def ask_curve(self) -> None:
        self._ask(CurveDialog(parent=self._owner))

    def _ask(self, dialog: QDialog) -> None:
        """Show ``dialog`` over the window's right-hand side (the drawing stays in view) and
        start its job if it is accepted."""
        dialog.adjustSize()
        open_beside(dialog, self._owner, self._canvas(), beside=False)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.start(dialog.job())

    def _canvas(self) -> QWidget | None:
        """The canvas a child window should leave clear, if the owner has one."""
        return self._owner.findChild(DrawingCanvas)

    def show_my_models(self) -> MyModelsDialog:
        if self._models_dialog is None:
            self._models_dialog = MyModelsDialog(self._models_changed, self._owner)
        self._models_dialog.fill()
        if not self._models_dialog.isVisible():
            open_beside(self._models_dialog, self._owner, self._canvas(), beside=False)
        self._models_dialog.show()
        self._models_dialog.raise_()
        return self._models_dialog

    def _ask_export(self) -> None:
        start = str(Path.home() / "my_digits.csv")
        path, _ = QFileDialog.getSaveFileName(
            self._owner, "Export my drawings", start, "CSV (*.csv)"
        )
        if path:
            self.export_drawings(path)

    def _open_folder(self) -> None:
        folder = drawings.drawings_dir()
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    # ------------------------------------------------------------------ results

    def _on_progress(self, fraction: float, info: dict) -> None:
        self.monitor.show_progress(fraction, info)

    def _on_finished(self, status: str, result: object) -> None:
        job = self.helper.job()
        kind = job.get("kind", "train")
        if status == "cancelled" and isinstance(result, dict) and kind in SAVES_MODEL:
            # Saved in the instant before the cancel arrived: cancelling means nothing changes.
            if models.is_user_model(job["name"]):
                models.delete(job["name"])
            result = None
        self.last_result = result if status == "done" else None
        self._update_actions()
        self.monitor.show_result(status, _result_text(kind, status, result))
        self._status(_result_text(kind, status, result), 10000)
        if kind in SAVES_MODEL and status == "done":
            self._models_changed()
        self.job_finished.emit(kind, status, result)
        if kind in SAVES_MODEL:
            self.training_finished.emit(job["name"], result if status == "done" else None)

    def _models_changed(self) -> None:
        """A model was saved, renamed or deleted: every list of models shows it."""
        self._refresh_models()
        self._explore_data().refresh_models()  # nothing to do before MNIST is loaded there
        if self._models_dialog is not None:
            self._models_dialog.fill()


def _tunable(name: str | None) -> str | None:
    """``name`` if it is a model that can be fine-tuned, else None."""
    try:
        return name if name and fine_tune.family_of(name) else None
    except ModelError:
        return None


def _describe_job(job: dict[str, Any]) -> tuple[str, str, str]:
    """(title, kind, note) for the training window."""
    kind = job["kind"]
    size = job.get("train_size")
    network = kind == "train" and families.family(job["family"]).network
    # A network is fitted on the 55,000 images outside the validation split its curve is
    # measured on (training.helper.training_split); the other families on all 60,000.
    everything = (
        "all 55,000 images outside the validation split" if network else "all 60,000 images"
    )
    images = f"{size:,} images" if size else everything
    if kind == "is_four":
        return f"Is it a 4? · NumPy logistic regression · {images}", kind, ""
    if kind == "curve":
        return f"Accuracy against training-set size · {families.title(job['family'])}", kind, ""
    if kind == "fine_tune":
        # Drawn as a training: loss and accuracy on the mixed batches, one point per round.
        note = (
            "Each step mixes your drawings with MNIST training images; a point is a round "
            "of steps (accuracy on those batches)."
        )
        return f"Fine-tuning {job['source']} on your drawings → {job['name']}", "train", note
    family = families.family(job["family"])
    parts = [f"Training {job['name']}", family.title, images]
    note = ""
    if family.network:
        epochs = job.get("epochs") or family.defaults["epochs"]
        parts.append(f"{epochs} epochs")
        note = "Validation: 5,000 MNIST training images held out, never trained on."
        if family.defaults.get("members", 1) > 1:
            note += " The two nets are trained one after the other."
    if job.get("include_user"):
        parts.append(f"+ your drawings ×{job.get('user_weight') or 1}")
    return " · ".join(parts), kind, note


def has_curves(job: dict[str, Any]) -> bool:
    """Does the job draw curves while it runs? Not a family that is fitted in one go."""
    return job["kind"] != "train" or families.family(job["family"]).network


def _result_text(kind: str, status: str, result: object) -> str:
    if status == "cancelled":
        return "Cancelled: nothing was saved."
    if status == "failed":
        return f"Training failed: {result}"
    if not isinstance(result, dict):
        return ""
    if kind == "is_four":
        return (
            f"Is it a 4?: test accuracy {result['test_accuracy']:.2%} "
            f"(train {result['train_accuracy']:.2%}), loss {result['loss_history'][-1]:.4f} "
            f"after {len(result['loss_history'])} iterations"
        )
    if kind == "curve":
        points = ", ".join(f"{p['size']:,}: {p['accuracy']:.2f}" for p in result["points"])
        return f"Test accuracy by training-set size: {points}"
    if kind == "fine_tune":
        return _fine_tune_text(result)
    return (
        f"Saved {result['name']}: test accuracy {result['test_accuracy']:.2%} "
        f"({result['train_size']:,} training images, {result['fit_seconds']:.1f} s). "
        "It is now in the model list."
    )


def _fine_tune_text(result: dict[str, Any]) -> str:
    hyper = result.get("hyperparameters", {})
    return (
        f"Saved {result['name']}: {hyper.get('fine_tuned_from')} fine-tuned on your "
        f"{hyper.get('user_drawings', 0)} drawings in {result['fit_seconds']:.0f} s; test accuracy "
        f"{result['test_accuracy']:.2%} (before {hyper.get('source_test_accuracy') or 0:.2%}), "
        f"your drawings {hyper.get('user_accuracy_before', 0):.0%} → "
        f"{hyper.get('user_accuracy_after', 0):.0%}. It is now in the model list."
    )

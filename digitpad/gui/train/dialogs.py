"""The settings of a training, of the size experiment, and the list of the user's models."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ... import models
from ...data import drawings
from ...models import families
from ...models.store import read_meta
from ...training import fitting
from ..style import FAILED, text_in

#: What the menu calls each family (from ``models.families``).
MNIST_TRAIN = 60_000
#: Epochs the dialog proposes: fewer than the bundled recipe, which takes hours for the CNN.
DIALOG_EPOCHS = 5


def _ok_cancel(dialog: QDialog, ok_text: str, on_ok) -> QDialogButtonBox:
    """OK (named ``ok_text``, calling ``on_ok``) and Cancel (rejecting ``dialog``)."""
    buttons = QDialogButtonBox(
        QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
    )
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(on_ok)
    buttons.rejected.connect(dialog.reject)
    return buttons


def _family_box(family: str) -> QComboBox:
    """Every family by its title, ``family`` chosen; ``currentData()`` is the family's name."""
    box = QComboBox()
    for f in families.TABLE:
        box.addItem(f.title, f.name)
    box.setCurrentIndex(families.NAMES.index(family))
    return box


def _is_network(family: str) -> bool:
    return families.family(family).network


def _spin(low: int, high: int, value: int, step: int = 1, tip: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setValue(value)
    box.setGroupSeparatorShown(True)
    box.setToolTip(tip)
    return box


class TrainDialog(QDialog):
    """Choose a family and its settings; ``job()`` is what the helper process will run."""

    def __init__(self, family: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model")
        self.family = _family_box(family)
        self.name = QLineEdit()
        self.name.setToolTip("Saved under this name in your data folder, beside the bundled models")
        self.size = _spin(
            100, MNIST_TRAIN, 10_000, 100, "How many MNIST training images to learn from"
        )
        self.epochs = _spin(1, 200, DIALOG_EPOCHS, 1, "Passes over the training images")
        self.augment = QCheckBox("Shift, rotate and scale the images a little while training")
        self.augment.setChecked(True)
        count = drawings.count()
        self.include_user = QCheckBox(f"Include my labelled drawings ({count})")
        self.include_user.setEnabled(count > 0)
        self.include_user.setChecked(count > 0)
        self.include_user.setToolTip("Teach ▸ Label the drawing as … adds drawings here")
        self.weight = _spin(1, 1000, 10, 1, "Each of your drawings counts as this many images")
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {text_in(FAILED, self.palette())}")
        form = QFormLayout()
        form.addRow("Model", self.family)
        form.addRow("Save as", self.name)
        form.addRow("Training images", self.size)
        form.addRow("Epochs", self.epochs)
        form.addRow("Augmentation", self.augment)
        form.addRow("Your drawings", self.include_user)
        form.addRow("Weight of each", self.weight)
        self.form = form
        buttons = _ok_cancel(self, "Train", self._accept)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.family.currentIndexChanged.connect(self._on_family)
        self.include_user.toggled.connect(self.weight.setEnabled)
        self.weight.setEnabled(self.include_user.isChecked())
        self._on_family()

    def chosen_family(self) -> str:
        return self.family.currentData()

    def job(self) -> dict[str, Any]:
        family = self.chosen_family()
        networks = _is_network(family)
        return {
            "kind": "train",
            "family": family,
            "name": self.name.text().strip(),
            "train_size": self.size.value(),
            "epochs": self.epochs.value() if networks else None,
            "augment": self.augment.isChecked() if networks else None,
            "include_user": self.include_user.isChecked(),
            "user_weight": self.weight.value(),
        }

    def _on_family(self) -> None:
        family = self.chosen_family()
        networks = _is_network(family)
        self.name.setText(models.new_name(family))
        for w in (self.epochs, self.augment):
            w.setEnabled(networks)
        if networks:
            bundled = families.family(family).defaults["epochs"]
            self.epochs.setToolTip(
                f"Passes over the training images (the bundled model: {bundled})"
            )
        else:
            self.epochs.setToolTip("This model is fitted in one go: no epochs")

    def _accept(self) -> None:
        try:
            models.check_new_name(self.name.text().strip())
        except models.ModelError as e:
            self.problem.setText(str(e))
            return
        self.accept()


class CurveDialog(QDialog):
    """Accuracy against training-set size: which model, up to how many images, epochs for the
    networks."""

    LARGEST = (1000, 5000, 10_000, 20_000, MNIST_TRAIN)

    def __init__(self, family: str = "rbf_svm", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Accuracy against training-set size")
        self.family = _family_box(family)
        self.largest = QComboBox()
        for n in self.LARGEST:
            self.largest.addItem(f"{n:,}" + (" (all)" if n == MNIST_TRAIN else ""), n)
        self.largest.setCurrentIndex(2)
        self.epochs = _spin(1, 100, 3, 1, "Passes over the images, for the networks")
        form = QFormLayout()
        form.addRow("Model", self.family)
        form.addRow("Up to", self.largest)
        form.addRow("Epochs", self.epochs)
        text = QLabel(
            "Fits the model on the first 100, 500, 1,000, … MNIST training images and scores "
            "each fit on the 10,000 test images. An SVC scored 0.68 at 100 and 0.88 at 500 "
            "when this was first measured."
        )
        text.setWordWrap(True)
        buttons = _ok_cancel(self, "Run", self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.family.currentIndexChanged.connect(self._on_family)
        self._on_family()

    def job(self) -> dict[str, Any]:
        family = self.family.currentData()
        largest = self.largest.currentData()
        sizes = [n for n in fitting.CURVE_SIZES if 0 < n < largest] + [largest]
        return {
            "kind": "curve",
            "family": family,
            "sizes": sizes,
            "epochs": self.epochs.value() if _is_network(family) else None,
        }

    def _on_family(self) -> None:
        self.epochs.setEnabled(_is_network(self.family.currentData()))


class IsFourDialog(QDialog):
    """The is-it-a-4 regression: training-set size and iterations of the NumPy "is it a 4?"
    logistic regression."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Is it a 4?")
        self.size = _spin(100, MNIST_TRAIN, MNIST_TRAIN, 100, "MNIST training images")
        self.iterations = _spin(1, 5000, 300, 50, "Gradient-descent steps")
        form = QFormLayout()
        form.addRow("Training images", self.size)
        form.addRow("Iterations", self.iterations)
        buttons = _ok_cancel(self, "Train", self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("A logistic regression in NumPy that answers: is this digit a 4?"))
        layout.addLayout(form)
        layout.addWidget(buttons)

    def job(self) -> dict[str, Any]:
        return {
            "kind": "is_four",
            "train_size": self.size.value(),
            "iterations": self.iterations.value(),
        }


class MyModelsDialog(QDialog):
    """The models the user trained: rename or delete them. ``changed()`` runs after each."""

    def __init__(self, changed, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("My models")
        self.resize(620, 320)
        self._changed = changed
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(
            ["Name", "Model", "Test accuracy", "Training images", "Date"]
        )
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        self.rename_button.clicked.connect(self._ask_rename)
        self.delete_button.clicked.connect(self._ask_delete)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.rename_button)
        row.addWidget(self.delete_button)
        row.addStretch(1)
        row.addWidget(close)
        self.empty = QLabel("You have not trained a model yet: use the Train menu.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(row)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.fill()

    def names(self) -> list[str]:
        return [self.table.item(r, 0).text() for r in range(self.table.rowCount())]

    def fill(self) -> None:
        names = [n for n in models.available() if models.is_user_model(n)]
        self.table.setRowCount(len(names))
        for r, name in enumerate(names):
            try:
                meta = read_meta(models.folder(name))
            except models.ModelError:
                meta = {}
            accuracy = meta.get("test_accuracy")
            cells = (
                name,
                families.title(meta.get("family", "?")),
                "?" if accuracy is None else f"{accuracy:.2%}",
                f"{meta.get('train_size', 0):,}",
                str(meta.get("date", "")),
            )
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.empty.setVisible(not names)
        self._on_selection()

    def selected(self) -> str | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.table.item(rows.pop(), 0).text() if len(rows) == 1 else None

    def rename(self, old: str, new: str) -> str:
        """Rename model ``old``; '' on success, else the reason it was refused."""
        try:
            models.rename(old, new.strip())
        except (models.ModelError, OSError) as e:
            return str(e)
        self.fill()
        self._changed()
        return ""

    def delete(self, name: str) -> str:
        try:
            models.delete(name)
        except (models.ModelError, OSError) as e:
            return str(e)
        self.fill()
        self._changed()
        return ""

    def _on_selection(self) -> None:
        chosen = self.selected() is not None
        self.rename_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    def _ask_rename(self) -> None:
        old = self.selected()
        if old is None:
            return
        new, ok = QInputDialog.getText(self, "Rename model", f"New name for {old}:", text=old)
        if ok and new.strip() and new.strip() != old:
            problem = self.rename(old, new)
            if problem:
                QMessageBox.warning(self, "Cannot rename", problem)

    def _ask_delete(self) -> None:
        name = self.selected()
        if name is None:
            return
        answer = QMessageBox.question(
            self, "Delete model", f"Delete {name}? Its files are removed from your data folder."
        )
        if answer == QMessageBox.StandardButton.Yes:
            problem = self.delete(name)
            if problem:
                QMessageBox.warning(self, "Cannot delete", problem)

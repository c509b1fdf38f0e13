"""One way to make the window's actions, handed to the parts that add menus of their own."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


class ActionFactory:
    """Makes actions whose tooltip names their shortcuts, each added to ``owner`` so that its
    shortcuts work even when no visible menu or toolbar holds it."""

    def __init__(self, owner: QWidget) -> None:
        self.owner = owner

    def __call__(
        self,
        text: str,
        tip: str,
        shortcuts: str | list[str] | None,
        slot: Callable[..., object],
        checkable: bool = False,
    ) -> QAction:
        """An action showing ``text``, explained by ``tip``, that calls ``slot`` when
        triggered."""
        if isinstance(shortcuts, str):
            shortcuts = [shortcuts]
        seqs = [QKeySequence(s) for s in shortcuts or []]
        action = QAction(text, self.owner)
        action.setShortcuts(seqs)
        keys_text = ", ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in seqs)
        action.setToolTip(f"{tip} ({keys_text})" if keys_text else tip)
        action.setStatusTip(tip)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.owner.addAction(action)
        return action

"""Retraining from the menu: a helper process per job, its progress window, the user's models
and the user's own labelled drawings (see ``TrainingController``)."""

from .controller import TrainingController

__all__ = ["TrainingController"]

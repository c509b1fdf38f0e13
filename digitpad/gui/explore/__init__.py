"""Explore panels: the dataset browser, class distribution, pixel-correlation heatmap,
confusion matrix and misclassified samples. All numbers come from :mod:`digitpad.analysis`.

Each panel takes the shared :class:`~digitpad.gui.explore.data.ExploreData` and loads nothing
until it is built; :class:`ExploreTabs` builds them lazily as tabs of the main window.
"""

from .tabs import PANELS, ExploreTabs

__all__ = ["PANELS", "ExploreTabs"]

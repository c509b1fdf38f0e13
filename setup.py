"""Puts ``resources/`` (MNIST and the bundled models) inside the package of a built wheel.

The repository keeps ``resources/`` at its top level; ``digitpad.paths.resources_dir`` looks
for ``digitpad/resources`` first (an installed wheel) and then for the clone's own folder (an
editable install or a checkout), so ``pip install .`` gives a ``digitpad`` that runs anywhere.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithResources(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the clone's resources/ in place
        target = Path(self.build_lib) / "digitpad" / "resources"
        shutil.copytree(Path(__file__).parent / "resources", target, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildPyWithResources})

"""``python -m digitpad`` is the ``digitpad`` command."""

import sys

from .cli import main

sys.exit(main())

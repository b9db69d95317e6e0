"""``python -m phasegrad``: see ``phasegrad.cli``."""

import sys

from .cli import main

sys.exit(main())

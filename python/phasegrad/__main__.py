"""``python -m phasegrad``: runs ``phasegrad.cli.main``."""

import sys

from .cli import main

sys.exit(main())

"""``python -m phasegrad.bench``: the model suite (``phasegrad.bench.main``)."""

import sys

from phasegrad.bench import main

sys.exit(main(prog="python -m phasegrad.bench"))

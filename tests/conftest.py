"""The suite runs without the per-user FFTW wisdom cache (pg.config.wisdom_cache_path), so that
no test depends on what earlier runs left in ~/.cache; tests/test_wisdom_cache.py switches it on
in child processes of its own."""

import os

os.environ["PHASEGRAD_WISDOM_CACHE"] = "0"

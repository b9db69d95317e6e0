"""Argument rules: what every op, model and optimizer accepts, shared by both twins.

``validate`` holds the generic checks (dtypes, shapes, scalars); one module per op group
(``arithmetic``, ``complex_parts``, ``expansion``, ``fourier``, ``indexing``, ``metrics``,
``sampling``) holds the rules both ``phasegrad.reference`` and ``phasegrad.ops`` apply to that
group's arguments, so the two catalogues refuse the same inputs with the same messages;
``hologram`` and ``optimize`` hold the rules of the hologram model and of the optimizers;
``docstrings`` is the one way a docstring is edited at import time. This is the bottom layer:
pure NumPy, importing nothing of phasegrad above it and nothing compiled.
"""

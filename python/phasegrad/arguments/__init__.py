"""Argument rules: what every op, model and optimizer accepts, shared by both twins.

``validate`` holds the generic checks (dtypes, shapes, scalars); one module per op group holds
the rules both ``phasegrad.reference`` and ``phasegrad.ops`` apply to that group's arguments, so
the two catalogues refuse the same inputs with the same messages. Pure NumPy: importing it loads
nothing compiled.
"""

"""The optimizers' argument rules moved to ``phasegrad.arguments.optimize``.

This alias stays only for ``optimize/gradient.py``, whose owner switches it to
``from ..arguments import optimize as c`` in the same merge; then delete this file.
"""

from ..arguments.optimize import (  # noqa: F401
    callback,
    evaluate,
    model_and_start,
    positive_int,
    real_number,
)

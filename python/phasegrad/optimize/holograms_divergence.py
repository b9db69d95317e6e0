"""The divergence watch of the hologram iterations (GS, WGS, multi-plane and multi-colour GS).

Weighted Gerchberg-Saxton can run away (its weights chase pixels no phase-only hologram can
light), and so can the multi-plane variants (each plane's correction undoes the others'). Every
GS-like iteration of ``phasegrad.optimize`` feeds its loss (and, when weighted, the spread of its
weights) to one ``DivergenceWatch``, which applies one rule: the loss above ``DIVERGENCE`` times
the best so far (3 dB of PSNR lost) for ``PATIENCE`` iterations in a row, or weights spread
beyond ``WEIGHT_SPREAD`` (largest over smallest), stop the run. The run then returns the best
iterate (``x``, ``fun``, ``nit`` and ``history`` up to it) with ``success=False`` and a message
that says where and why it diverged. A run that ends without diverging returns ``finish``'s
result: its last iterate when that is its best, else the best iterate (an oscillating run can end
worse than it was), and ``success=False`` when no iteration improved on the start.
"""

from __future__ import annotations

import numpy as np

from ._result import OptimizeResult

__all__ = ["DIVERGENCE", "PATIENCE", "WEIGHT_SPREAD", "DivergenceWatch", "weight_spread"]

#: The loss over its best so far beyond which an iteration counts as diverging (3 dB of PSNR).
DIVERGENCE = 2.0
#: Diverging iterations in a row that stop the run.
PATIENCE = 3
#: Weights, largest over smallest on the target's support, beyond which the run stops.
WEIGHT_SPREAD = 1e6


def weight_spread(weights):
    """Largest over smallest of ``weights`` (an array of the signal pixels' weights)."""
    return float(weights.max() / max(weights.min(), np.finfo(float).tiny))


class DivergenceWatch:
    """The best iterate so far and the divergence rule of a GS-like run.

    Parameters
    ----------
    name : str
        The algorithm's name, for the message (``"GS"``, ``"WGS"``, ...).
    cost : float
        The loss of the start.
    x : ndarray
        The start (copied).

    Examples
    --------
    >>> import numpy as np
    >>> watch = DivergenceWatch("GS", 1.0, np.zeros(2))
    >>> [watch.diverged(step, cost, np.full(2, step)) is None
    ...  for step, cost in enumerate([0.5, 2.0, 3.0], start=1)]
    [True, True, True]
    >>> result = watch.diverged(4, 1.5, np.full(2, 4.0))
    >>> result.success, result.nit, result.x.tolist()
    (False, 1, [1, 1])
    """

    def __init__(self, name, cost, x):
        self.name = name
        self.history = [float(cost)]
        self.best = (float(cost), 0, np.array(x, copy=True))  # the loss, iteration, iterate
        self.rising = 0

    def diverged(self, step, cost, x, spread=1.0):
        """Record iteration ``step``'s ``cost`` and iterate ``x`` (and its weights' ``spread``,
        1 when unweighted). None while the run may go on, else the ``OptimizeResult`` of the
        best iterate (``success=False``) that the run returns."""
        self.history.append(float(cost))
        best = self.best
        if cost < best[0]:
            self.best, self.rising = (float(cost), step, np.array(x, copy=True)), 0
            best = self.best
        elif cost > DIVERGENCE * best[0]:
            self.rising += 1
        else:
            self.rising = 0
        if self.rising < PATIENCE and spread <= WEIGHT_SPREAD:
            return None
        why = (f"its weights spread {spread:.3g}-fold" if spread > WEIGHT_SPREAD else
               f"the loss rose above {DIVERGENCE:g}x its best for {PATIENCE} iterations")
        lost = 10 * np.log10(cost / best[0]) if best[0] > 0 else float("inf")
        message = (f"{self.name}: diverged at iteration {step} ({why}, {lost:.1f} dB below "
                   f"the best); returned the best phase, from iteration {best[1]}")
        return OptimizeResult(x=best[2], fun=best[0], nit=best[1], nfev=step + 1,
                              history=np.asarray(self.history[:best[1] + 1]), message=message,
                              success=False)

    def finish(self, nit, x, message):
        """The result of a run that stopped after ``nit`` iterations at ``x`` without diverging.

        The last iterate when its loss is the best so far; otherwise the best iterate, with the
        message saying so (the ``history`` keeps every iteration). ``success`` is False when the
        best iterate is the start, since then no iteration helped.

        Examples
        --------
        >>> import numpy as np
        >>> watch = DivergenceWatch("GS", 1.0, np.zeros(2))
        >>> [watch.diverged(step, cost, np.full(2, step)) for step, cost in [(1, 0.5), (2, 0.8)]]
        [None, None]
        >>> result = watch.finish(2, np.full(2, 2.0), "GS: done 2 iterations")
        >>> result.success, result.fun, result.x.tolist(), result.nit
        (True, 0.5, [1, 1], 2)
        """
        history = np.asarray(self.history)
        best_cost, best_step, best_x = self.best
        if history[-1] <= best_cost:
            return OptimizeResult(x=x, fun=float(history[-1]), nit=nit, nfev=nit + 1,
                                  history=history, message=message, success=True)
        message = (f"{message}; the last iterate's loss {history[-1]:.4g} is above the best "
                   f"{best_cost:.4g}, from iteration {best_step}, which is returned")
        success = best_step > 0 or nit == 0
        if not success:
            message += " (no iteration improved on the start)"
        return OptimizeResult(x=best_x, fun=best_cost, nit=nit, nfev=nit + 1, history=history,
                              message=message, success=success)

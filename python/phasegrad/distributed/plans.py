"""The FFTW plans of a run, the same in every process: made here, sent to the workers.

FFTW_MEASURE picks a plan by timing candidates, and two processes may pick different plans for
the same transform (other load while they measure, wisdom of earlier plans, another planner
effort); different plans round differently, so a chunk solved on a worker would then differ
from the same chunk solved here in the last bits (about 1e-15 relative), and a problem's result
would depend on which worker ran it. So before any task is sent, this process makes the plans a
chunk's solve uses (``make_plans``: the chunk's model of one problem built and its
``value_and_grad`` called once, under the tasks' thread count) and sends its planner effort and
FFTW wisdom to every task (``planning``); a worker takes them in before it builds a model
(``adopt``), once per process, and then makes the same plans from the wisdom without measuring.

A worker whose FFTW rejects the wisdom (another FFTW version or build) warns and measures its
own plans: its results then agree with this process's to rounding, not bit for bit.
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np

from ..config import get_planner_effort, set_planner_effort, single_threaded_blas, threads
from ..models import PhaseRetrieval, PhaseRetrievalBatch
from ..native import core
from .solve import uses_batch

__all__ = ["Planning", "adopt", "make_plans", "planning"]


class Planning(tuple):
    """``(effort, double_wisdom, float_wisdom)``: what a worker needs to plan as this process
    did (FFTW's wisdom texts as bytes)."""


def make_plans(shape, dtype, options, x0, method, solver_options, thread_count):
    """Make, in this process, the FFTW plans a chunk of frames ``shape`` (one problem's:
    (M, M) or (P, M, M)) and ``dtype`` makes when solved by ``method`` under
    ``pg.threads(thread_count)``: its model of one problem built (``PhaseRetrievalBatch`` or,
    for solver options only single models take, ``PhaseRetrieval``) and ``value_and_grad``
    called once at ``x0`` (n_params,) (some engines plan at their first call)."""
    frame = np.zeros(shape, dtype)
    with threads(thread_count), single_threaded_blas():
        if uses_batch(method, solver_options):
            PhaseRetrievalBatch(data=frame[None], **options).value_and_grad(x0[None])
        else:
            PhaseRetrieval(data=frame, **options).value_and_grad(x0)


def planning():
    """This process's planner effort and FFTW wisdom, as a ``Planning`` for ``adopt``."""
    double_text, float_text = core.export_wisdom()
    return Planning((get_planner_effort(), bytes(double_text), bytes(float_text)))


#: Digests of the plannings this process has taken in (each is imported once).
_adopted = set()


def adopt(given):
    """Take in ``given`` (a ``Planning`` from ``planning()`` in the process that sent the
    task): its planner effort, and its wisdom once per process. Warns when FFTW rejects the
    wisdom (the plans are then measured here)."""
    effort, double_text, float_text = given
    if get_planner_effort() != effort:
        set_planner_effort(effort)
    digest = hashlib.sha256(double_text + b"\0" + float_text).digest()
    if digest in _adopted:
        return
    accepted = core.import_wisdom(double_text, float_text)
    _adopted.add(digest)
    if not all(accepted):
        warnings.warn("this worker's FFTW rejected the FFTW wisdom sent with the task (another "
                      "FFTW version or build?): it measures its own plans, and its results "
                      "agree with the sending process's to rounding, not bit for bit",
                      RuntimeWarning, stacklevel=2)

"""The FFTW plans of a run, the same in every process: made here, sent to the workers.

FFTW_MEASURE picks a plan by timing candidates, and two processes may pick different plans for
the same transform (other load while they measure, wisdom of earlier plans, another planner
effort); different plans round differently, so a chunk solved on a worker would then differ
from the same chunk solved here in the last bits (about 1e-15 relative), and a problem's result
would depend on which worker ran it. So before any task is sent, this process makes the plans a
chunk's solve uses (``make_plans``: the chunk's model of one problem built and its
``value_and_grad`` called once; the plans are single-threaded, one per chunk shape, whatever the
thread count) and sends its planner effort, its CPU key and its FFTW wisdom with every task
(``planning``). A worker takes a planning in before it builds a model (``adopt``): the effort
set, and, when the planning is not the one it holds already, its plan cache cleared and its
wisdom replaced by the planning's, so that it makes exactly this process's plans from the
wisdom, without measuring, whatever it planned or loaded before.

A worker process holds one planning at a time, the last run's: its planner effort stays that
run's. Two runs at once in one worker process (several Dask threads, two clients) would replace
each other's planning: their results would then agree with their clients' to rounding, not bit
for bit. Bit for bit also needs the same FFTW build and the same CPU instruction sets (the
passes are compiled per instruction set): a worker on another CPU (``pg.config.cpu_key``) keeps
its own wisdom, and one whose FFTW rejects the wisdom plans for itself; ``adopt`` says why, and
``retrieve_many`` warns in this process. FFTW keeps one wisdom entry per transform, the most
patient: plans this process made before it planned the same transforms at a higher effort can
no longer be sent (the workers make the more patient ones).
"""

from __future__ import annotations

import hashlib
import warnings

import numpy as np

from ..config import (
    clear_plan_cache,
    cpu_key,
    get_planner_effort,
    set_planner_effort,
    single_threaded_blas,
    threads,
)
from ..models import PhaseRetrieval, PhaseRetrievalBatch
from ..native import core
from .solve import uses_batch

__all__ = ["Planning", "adopt", "make_plans", "planning"]


class Planning(tuple):
    """``(effort, cpu, double_wisdom, float_wisdom)``: what a worker needs to plan as this
    process did (its planner effort, ``pg.config.cpu_key()`` and FFTW's wisdom texts)."""


def make_plans(shape, dtype, options, x0, method, solver_options):
    """Make, in this process, the FFTW plans a chunk of frames ``shape`` (one problem's:
    (M, M) or (P, M, M)) and ``dtype`` makes when solved by ``method``: its model of one
    problem built (``PhaseRetrievalBatch`` or, for solver options only single models take,
    ``PhaseRetrieval``) and ``value_and_grad`` called once at ``x0`` (n_params,) (some
    engines plan at their first call), on one thread (the plans are the same for any)."""
    frame = np.zeros(shape, dtype)
    with threads(1), single_threaded_blas():
        if uses_batch(method, solver_options):
            PhaseRetrievalBatch(data=frame[None], **options).value_and_grad(x0[None])
        else:
            PhaseRetrieval(data=frame, **options).value_and_grad(x0)


def planning():
    """This process's planner effort, CPU key and FFTW wisdom, as a ``Planning``."""
    double_text, float_text = core.export_wisdom()
    return Planning((get_planner_effort(), cpu_key(), bytes(double_text), bytes(float_text)))


#: The planning this process holds: its digest and ``adopt``'s answer for it.
_held = {"digest": None, "refusal": ""}


def adopt(given):
    """Take in ``given`` (a ``Planning`` from the process that sent the task).

    Sets its planner effort; when ``given`` is not the planning held already, clears the plan
    cache and replaces FFTW's wisdom by ``given``'s (on the same CPU only). Returns ``""``, or
    why this process cannot make the sender's plans (another CPU; FFTW rejected the wisdom),
    with a ``RuntimeWarning`` the first time.
    """
    effort, cpu, double_text, float_text = given
    if get_planner_effort() != effort:
        set_planner_effort(effort)
    digest = hashlib.sha256(b"\0".join((cpu.encode(), double_text, float_text))).digest()
    if digest == _held["digest"]:
        return _held["refusal"]
    refusal = ""
    if cpu != cpu_key():
        refusal = (f"another CPU (key {cpu_key()}, the sender's {cpu}): it keeps its own FFTW "
                   "wisdom")
    else:
        clear_plan_cache()  # (a plan in use by a running kernel is freed when it finishes)
        if not all(core.replace_wisdom(double_text, float_text)):
            refusal = "its FFTW rejected the sender's wisdom (another FFTW version or build?)"
    _held.update(digest=digest, refusal=refusal)
    if refusal:
        warnings.warn(f"this process cannot make the FFTW plans of the process that sent the "
                      f"task, {refusal}: it plans for itself, and its results agree with the "
                      "sender's to rounding, not bit for bit", RuntimeWarning, stacklevel=2)
    return refusal

"""Checks the model tests share: a fused call on a team against the reference backend's, the
same bits on one thread and on teams, and the gradient against finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import check_vjp


def assert_near_reference(got, expected, gradient_rtol=1e-10):
    """``got`` and ``expected`` are ``(E, gradient)``: E to 1e-10 relative, the gradient to
    ``gradient_rtol`` with an absolute floor of 1e-10 of its largest expected entry."""
    energy, gradient = got
    expected_energy, expected_gradient = expected
    assert energy == pytest.approx(expected_energy, rel=1e-10)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=gradient_rtol,
                               atol=1e-10 * np.max(np.abs(expected_gradient)))


def assert_same_bits_on_teams(model, args, teams=(2, 3)):
    """``model.value_and_grad(*args)`` gives one thread's bits on each team in ``teams``, twice
    (the second call on the team's buffers reused)."""
    with pg.threads(1):
        one = model.value_and_grad(*args)
    for threads in teams:
        with pg.threads(threads):
            team = model.value_and_grad(*args)
            again = model.value_and_grad(*args)  # the team's buffers reused
        for got in (team, again):
            assert got[0] == one[0]
            for a, b in zip(one[1:], got[1:], strict=True):
                np.testing.assert_array_equal(a, b)


def assert_gradient_matches_finite_differences(model, a, p=None):
    """``value_and_grad``'s gradient at ``a`` (and at the detector parameters ``p`` of a
    quadratic detector) against finite differences of its value (``pg.check.check_vjp``)."""
    if p is None:
        _, a_bar = model.value_and_grad(a)
        result = check_vjp(lambda a_: model.value_and_grad(a_)[0], lambda e_bar: e_bar * a_bar,
                           a)
    else:
        _, a_bar, p_bar = model.value_and_grad(a, p)
        result = check_vjp(lambda a_, p_: model.value_and_grad(a_, p_)[0],
                           lambda e_bar: (e_bar * a_bar, e_bar * p_bar), (a, p))
    assert result.ok, result

"""The check the prepare tests share: a fused call on a team against the reference backend's."""

from __future__ import annotations

import numpy as np
import pytest


def assert_near_reference(got, expected, gradient_rtol=1e-10):
    """``got`` and ``expected`` are ``(E, gradient)``: E to 1e-10 relative, the gradient to
    ``gradient_rtol`` with an absolute floor of 1e-10 of its largest expected entry."""
    energy, gradient = got
    expected_energy, expected_gradient = expected
    assert energy == pytest.approx(expected_energy, rel=1e-10)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=gradient_rtol,
                               atol=1e-10 * np.max(np.abs(expected_gradient)))

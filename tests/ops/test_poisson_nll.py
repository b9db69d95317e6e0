"""C++ poisson_nll, its reverse and forward-mode rules against the reference twins: values,
weights of every layout, both precisions, threads, finite differences, non-finite cases."""

import numpy as np
import pytest

from phasegrad import ops, reference
from phasegrad.check import check_vjp

SHAPES = [(8, 8), (3, 7, 5), (5,), (3, 129, 130)]
WEIGHTS = {
    "none": lambda shape, rng: None,
    "number": lambda shape, rng: 2.5,
    "full": lambda shape, rng: rng.uniform(0.0, 2.0, shape),
    "per-column": lambda shape, rng: rng.uniform(0.0, 2.0, shape[-1:]),
    "per-plane": lambda shape, rng: rng.uniform(0.0, 2.0, shape[:-2] + (1, 1))
    if len(shape) >= 3 else None,
}


def operands(shape, dtype, rng, shift):
    D = rng.poisson(4.0, shape).astype(dtype) - (1.0 if shift else 0.0)
    M = rng.uniform(0.2, 8.0, shape).astype(dtype)
    return M, D


@pytest.mark.parametrize("shift", [0.0, 1.5])
@pytest.mark.parametrize("weights", sorted(WEIGHTS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES)
def test_twins_agree(shape, dtype, weights, shift, twins):
    rng = np.random.default_rng(4)
    M, D = operands(shape, dtype, rng, shift)
    w = WEIGHTS[weights](shape, rng)
    if isinstance(w, np.ndarray):
        w = w.astype(dtype)
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    twins(ops.poisson_nll(M, D, w, shift), reference.poisson_nll(M, D, w, shift), rtol)
    twins(ops.poisson_nll_vjp(0.75, M, D, w, shift),
          reference.poisson_nll_vjp(0.75, M, D, w, shift))
    M_dot = rng.normal(size=shape).astype(dtype)
    twins(ops.poisson_nll_jvp(M, M_dot, D, w, shift),
          reference.poisson_nll_jvp(M, M_dot, D, w, shift), rtol)


def test_threads_agree(thread_count):
    rng = np.random.default_rng(5)
    M, D = operands((3, 129, 130), np.float64, rng, 1.0)
    E = ops.poisson_nll(M, D, None, 1.0)
    assert E == pytest.approx(reference.poisson_nll(M, D, None, 1.0), rel=1e-13)


def test_vjp_matches_finite_differences():
    rng = np.random.default_rng(6)
    M, D = operands((2, 5, 6), np.float64, rng, 0.5)
    w = rng.uniform(0.5, 1.5, M.shape)
    result = check_vjp(lambda m: ops.poisson_nll(m, D, w, 0.5),
                       lambda E_bar: ops.poisson_nll_vjp(E_bar, M, D, w, 0.5), (M,))
    assert result, str(result)


def test_non_finite_cases_match_the_reference():
    M = np.array([-1.0, 0.0, 2.0, 1.0, -0.5])
    D = np.array([2.0, 0.0, np.nan, 0.0, 0.0])
    E = ops.poisson_nll(M, D)
    assert np.isnan(E) and np.isnan(reference.poisson_nll(M, D))
    finite = np.array([0, 1, 3, 4])
    assert ops.poisson_nll(M[finite], D[finite]) == reference.poisson_nll(M[finite], D[finite])
    assert ops.poisson_nll(M[:1], D[:1]) == np.inf
    np.testing.assert_array_equal(ops.poisson_nll_vjp(1.0, M, D),
                                  reference.poisson_nll_vjp(1.0, M, D))

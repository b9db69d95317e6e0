"""Basis expansion against its reference twin, for phasegrad.ops (BLAS and, for a
single-precision basis_vjp, the C++ kernel) and for both C++ kernels of phasegrad._core in both
precisions; dot tests; bad input; strided views; the strict _core boundary."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import ops, reference
from phasegrad.check import check_adjoint, random_like
from phasegrad.native import core as _core

REAL = [np.float32, np.float64]
COMPLEX_OF = {np.float32: np.complex64, np.float64: np.complex128}

# (a shape, B shape): one plane, a batch, a 2-D batch; odd and even planes; a single mode.
SHAPES = [
    ((5,), (5, 8, 8)),
    ((4, 3), (3, 9, 12)),
    ((2, 3, 6), (6, 7, 5)),
    ((1,), (1, 16, 1)),
]


def draw(shape, dtype, rng):
    return random_like(np.zeros(shape, dtype), rng)


def in_double(v):
    return v.astype(np.result_type(v.dtype, np.float64))


def core_basis(a, B):
    return _core.basis(a, B, pg.get_num_threads())


def core_basis_vjp(y_bar, B):
    return _core.basis_vjp(y_bar, B, pg.get_num_threads())


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize("a_shape, B_shape", SHAPES)
def test_basis_matches_reference(a_shape, B_shape, dtype, rng, twins):
    a, B = draw(a_shape, dtype, rng), draw(B_shape, dtype, rng)
    expected = reference.basis(a, B)
    twins(ops.basis(a, B), expected)
    # The kernel sums in double: compare a float32 result with the reference run in double.
    twins(core_basis(a, B), reference.basis(in_double(a), in_double(B)).astype(expected.dtype))
    for cotangent_dtype in (dtype, COMPLEX_OF[dtype]):
        y_bar = draw(expected.shape, cotangent_dtype, rng)
        twins(ops.basis_vjp(y_bar, B), reference.basis_vjp(y_bar, B))
        twins(core_basis_vjp(y_bar, B), reference.basis_vjp(y_bar, B))


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize("a_shape, B_shape", [
    ((6,), (6, 256, 255)),        # one plane over many pixel blocks
    ((3, 6), (6, 128, 128)),      # a batch sharing every block of modes
    ((1000, 4), (4, 8, 8)),       # a long batch of single-block planes
])
def test_large_basis_matches_reference_on_threads(a_shape, B_shape, dtype, rng, twins,
                                                  thread_count):
    a, B = draw(a_shape, dtype, rng), draw(B_shape, dtype, rng)
    y = core_basis(a, B)
    twins(y, reference.basis(in_double(a), in_double(B)).astype(dtype))
    for cotangent_dtype in (dtype, COMPLEX_OF[dtype]):
        y_bar = draw(y.shape, cotangent_dtype, rng)
        expected = reference.basis_vjp(y_bar, B)
        twins(core_basis_vjp(y_bar, B), expected)
        twins(ops.basis_vjp(y_bar, B), expected)


def test_two_threads_agree_with_one(rng, twins):
    a, B = draw((3, 6), np.float64, rng), draw((6, 128, 128), np.float64, rng)
    y_bar = draw((3, 128, 128), np.float64, rng)
    with pg.threads(1):
        one = core_basis(a, B), core_basis_vjp(y_bar, B)
    with pg.threads(2):
        two = core_basis(a, B), core_basis_vjp(y_bar, B)
    twins(two, one, rtol=1e-14)


@pytest.mark.parametrize("dtype", REAL)
@pytest.mark.parametrize("a_shape, B_shape", SHAPES + [((40, 3), (3, 30, 31))])
def test_basis_passes_the_dot_test(a_shape, B_shape, dtype, rng):
    B = draw(B_shape, dtype, rng)
    for forward, adjoint in ((ops.basis, ops.basis_vjp), (core_basis, core_basis_vjp)):
        result = check_adjoint(lambda a, f=forward: f(a, B), lambda y, f=adjoint: f(y, B),
                               np.zeros(a_shape, dtype))
        assert result.ok, result


def test_strided_and_negative_stride_views_give_the_answer_of_copies(rng, twins):
    B_base = draw((6, 18, 20), np.float64, rng)
    a_base = draw((5, 6), np.float64, rng)
    y_base = draw((4, 20, 18), np.complex128, rng)
    B, a, y_bar = B_base[::-2, ::2, 1::2], a_base[::-1, 1::2], y_base[:, ::-2, ::-2]
    y_bar = y_bar.transpose(0, 2, 1)[:, :9, :10]
    before = [B.copy(), a.copy(), y_bar.copy()]
    twins(ops.basis(a, B), reference.basis(before[1], before[0]))
    twins(ops.basis_vjp(y_bar, B), reference.basis_vjp(before[2], before[0]))
    B32, y32 = B_base.astype(np.float32)[::-2, ::2, 1::2], y_bar.astype(np.complex64)[:, ::-1]
    twins(ops.basis_vjp(y32, B32), reference.basis_vjp(y32.copy(), B32.copy()))
    for view, copy in zip((B, a, y_bar), before, strict=True):
        np.testing.assert_array_equal(view, copy)


MODES = np.ones((3, 4, 5))


@pytest.mark.parametrize("call", [
    ("basis", np.ones(3, complex), MODES), ("basis", np.ones(3, int), MODES),
    ("basis", np.ones(3, np.longdouble), MODES), ("basis", np.ones(3), MODES.astype(complex)),
    ("basis", np.ones(3), MODES.astype(np.longdouble)), ("basis", np.ones(3, np.float32), MODES),
    ("basis", np.ones(4), MODES), ("basis", np.ones(3), MODES[0]), ("basis", 1.0, MODES),
    ("basis", np.ones(0), np.ones((0, 4, 5))), ("basis", np.ones(3), np.ones((3, 0, 5))),
    ("basis", np.ones((0, 3)), MODES),
    ("basis_vjp", np.ones((4, 5), int), MODES),
    ("basis_vjp", np.ones((4, 5), np.longdouble), MODES),
    ("basis_vjp", np.ones((4, 5), np.float32), MODES), ("basis_vjp", np.ones((5, 4)), MODES),
    ("basis_vjp", np.ones(5), MODES), ("basis_vjp", np.ones((4, 5)), MODES[0]),
    ("basis_vjp", np.ones((4, 5)), MODES.astype(complex)), ("basis_vjp", np.ones((0, 4, 5)), MODES),
    ("basis_vjp", np.ones((4, 5), np.complex64), MODES),
], ids=lambda call: call[0])
def test_bad_input_raises_what_the_reference_raises(call, same_error):
    same_error(*call)


@pytest.mark.parametrize("call, error", [
    (lambda: _core.basis(np.ones(3, np.float32), MODES, 1), TypeError),
    (lambda: _core.basis(np.ones(3), MODES.astype(complex), 1), TypeError),
    (lambda: _core.basis(np.ones(3), MODES.astype(np.longdouble), 1), TypeError),
    (lambda: _core.basis(np.ones(4), MODES, 1), ValueError),
    (lambda: _core.basis(np.ones(3), MODES[0], 1), ValueError),
    (lambda: _core.basis(np.ones((3, 2))[:, 0], MODES, 1), ValueError),
    (lambda: _core.basis(np.ones(3), MODES[:, ::-1], 1), ValueError),
    (lambda: _core.basis([1.0, 1.0, 1.0], MODES, 1), TypeError),
    (lambda: _core.basis_vjp(np.ones((4, 5), np.complex64), MODES, 1), TypeError),
    (lambda: _core.basis_vjp(np.ones((4, 5), int), MODES, 1), TypeError),
    (lambda: _core.basis_vjp(np.ones((5, 4)), MODES, 1), ValueError),
    (lambda: _core.basis_vjp(np.ones((4, 5)).T.copy().T, MODES, 1), ValueError),
    (lambda: _core.basis_vjp(np.ones(20), MODES, 1), ValueError),
])
def test_core_refuses_what_python_would_have_caught(call, error):
    with pytest.raises(error):
        call()


def test_projection_accumulates_in_double(thread_count):
    y_bar = np.ones(200 * 200, np.float32)
    y_bar[0], y_bar[-1] = 1e8, -1e8
    B = np.ones((2, 200, 200), np.float32)
    a_bar = ops.basis_vjp(y_bar.reshape(200, 200), B)
    np.testing.assert_array_equal(a_bar, np.full(2, y_bar.size - 2, np.float32))


@pytest.mark.parametrize("name", ["phasegrad.ops.arithmetic", "phasegrad.ops.expansion"])
def test_examples_of_the_twin_docstrings_run_on_the_cpp_ops(name):
    import doctest
    import importlib

    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0, result

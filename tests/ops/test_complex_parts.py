"""C++ real <-> complex ops and exponentials against their reference twins (Eq. 53-57, 67):
values, dtypes and shapes; threads; dot tests of the R-linear ops; finite differences; strided
inputs; fresh outputs; the same errors as the reference; a strict _core boundary."""

import inspect

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import ops, reference
from phasegrad.check import check_adjoint, check_vjp, random_like
from phasegrad.native import core as _core

PRECISIONS = {"single": (np.float32, np.complex64), "double": (np.float64, np.complex128)}
#: Odd, even, batched, 1-D and 0-d shapes (all below the parallel grain, so serial) ...
SHAPES = [(8, 8), (9, 12), (3, 7, 5), (2, 2, 6, 4), (5,), ()]
#: ... and a batch above the grain (2**15 elements), which runs on every thread it is given.
LARGE = (3, 129, 130)

#: Each op with the kinds of its array arguments, in order: "r" real, "c" complex. Reverse
#: rules of real outputs take real and complex cotangents (only the real part counts).
CASES = [
    ("abs2", "r"), ("abs2", "c"),
    ("abs2_vjp", "rr"), ("abs2_vjp", "cr"), ("abs2_vjp", "rc"), ("abs2_vjp", "cc"),
    ("real", "c"), ("real_vjp", "r"), ("real_vjp", "c"),
    ("imag", "c"), ("imag_vjp", "r"), ("imag_vjp", "c"),
    ("exp", "r"), ("exp", "c"),
    ("exp_vjp", "rr"), ("exp_vjp", "cr"), ("exp_vjp", "rc"), ("exp_vjp", "cc"),
    ("expi", "r"), ("expi_vjp", "rc"), ("expi_vjp", "cc"),
    ("to_complex", "r"), ("to_complex_vjp", "r"), ("to_complex_vjp", "c"),
]
CASE_IDS = [f"{name}-{kinds}" for name, kinds in CASES]


def arguments(kinds, shape, precision, rng):
    """Random arrays of the given kinds, all of one precision and shape."""
    real, complex_ = PRECISIONS[precision]
    return tuple(random_like(np.zeros(shape, real if k == "r" else complex_), rng) for k in kinds)


def _without_jvps(names):
    return {name for name in names if not name.endswith("_jvp")}


def test_the_group_is_exported_under_the_reference_names():
    # The forward-mode rules (*_jvp) have their own tests: test_jvp_elementwise.py.
    names = {name for name, _ in CASES}
    assert _without_jvps(ops.complex_parts.__all__) == names
    assert _without_jvps(reference.complex_parts.__all__) == names
    for name in names:
        assert getattr(ops, name).reference is getattr(reference, name)
        assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(reference, name))


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name, kinds", CASES, ids=CASE_IDS)
def test_matches_reference(name, kinds, shape, precision, rng, twins):
    args = arguments(kinds, shape, precision, rng)
    twins(getattr(ops, name)(*args), getattr(reference, name)(*args))


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("name, kinds", CASES, ids=CASE_IDS)
def test_matches_reference_on_the_parallel_path(name, kinds, precision, rng, twins,
                                                thread_count):
    args = arguments(kinds, LARGE, precision, rng)
    twins(getattr(ops, name)(*args), getattr(reference, name)(*args))


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("name, kinds", CASES, ids=CASE_IDS)
def test_two_threads_give_the_one_thread_result_exactly(name, kinds, precision, rng):
    args = arguments(kinds, LARGE, precision, rng)
    with pg.threads(1):
        one = getattr(ops, name)(*args)
    with pg.threads(2):
        two = getattr(ops, name)(*args)
    np.testing.assert_array_equal(one, two)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("shape", [(8, 8), (9, 12), (3, 7, 5), LARGE], ids=str)
@pytest.mark.parametrize("name", ["real", "imag"])
def test_real_and_imag_pass_the_real_dot_test(name, shape, dtype):
    result = check_adjoint(getattr(ops, name), getattr(ops, f"{name}_vjp"),
                           np.zeros(shape, dtype), real_inner=True)
    assert result.ok, result


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(8, 8), (9, 12), (3, 7, 5), LARGE], ids=str)
def test_to_complex_passes_the_real_dot_test(shape, dtype):
    result = check_adjoint(ops.to_complex, ops.to_complex_vjp, np.zeros(shape, dtype),
                           real_inner=True)
    assert result.ok, result


def test_the_dot_test_catches_a_rule_off_by_a_factor_of_1j():
    result = check_adjoint(ops.real, lambda y_bar: 1j * ops.real_vjp(y_bar),
                           np.zeros((9, 12), np.complex128), real_inner=True)
    assert not result.ok


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("name", ["abs2", "exp"])
def test_nonlinear_rules_match_finite_differences(name, dtype, rng):
    x = random_like(np.zeros((9, 12), dtype), rng)
    op, rule = getattr(ops, name), getattr(ops, f"{name}_vjp")
    y = op(x)
    needs = x if name == "abs2" else y
    result = check_vjp(op, lambda y_bar: rule(y_bar, needs), (x,))
    assert result, str(result)


def test_expi_rule_matches_finite_differences(rng):
    x = random_like(np.zeros((9, 12)), rng)
    y = ops.expi(x)
    result = check_vjp(ops.expi, lambda y_bar: ops.expi_vjp(y_bar, y), (x,))
    assert result, str(result)


def strided_views(base):
    """Non-contiguous views of ``base``: strided, reversed, transposed."""
    return [base[:, ::2, ::-3], base[::-1, 1:, :], base.transpose(0, 2, 1)]


@pytest.mark.parametrize("name, kinds", CASES, ids=CASE_IDS)
def test_strided_and_reversed_inputs_read_right_and_stay_untouched(name, kinds, rng, twins):
    bases = arguments(kinds, (3, 10, 12), "double", rng)
    for views in zip(*(strided_views(b) for b in bases), strict=True):
        before = [v.copy() for v in views]
        twins(getattr(ops, name)(*views), getattr(reference, name)(*before))
        for view, copy in zip(views, before, strict=True):
            np.testing.assert_array_equal(view, copy)


@pytest.mark.parametrize("name, kinds", CASES, ids=CASE_IDS)
def test_results_are_fresh_arrays(name, kinds, rng):
    args = arguments(kinds, (4, 6), "double", rng)
    result = getattr(ops, name)(*args)
    assert result.flags.c_contiguous and result.flags.writeable and result.flags.owndata
    assert not any(np.shares_memory(result, a) for a in args)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")
def test_matrix_subclass_is_read_as_a_plain_array(twins):
    x = np.matrix([[1.0, -2.0], [3.0, 0.5]])
    twins(ops.abs2(x), reference.abs2(x))
    assert type(ops.abs2(x)) is np.ndarray


# ----------------------------------------------------------------------------------- bad input

F64, F32 = np.ones((3, 4)), np.ones((3, 4), np.float32)
C128, C64 = np.ones((3, 4), complex), np.ones((3, 4), np.complex64)
LONG, CLONG = np.ones((3, 4), np.longdouble), np.ones((3, 4), np.clongdouble)
INTS, EMPTY = np.ones((3, 4), np.int64), np.ones((0, 4))
MASKED = np.ma.masked_array(F64)

#: For each op, calls that must fail: wrong dtype, long double, empty, wrong domain, and for the
#: rules mixed precision and shape mismatch. Ops and reference must raise the same error.
BAD = {
    "abs2": [(INTS,), (LONG,), (CLONG,), (EMPTY,), (MASKED,), (np.float16(1),)],
    "abs2_vjp": [(F64, INTS), (INTS, F64), (F64, LONG), (CLONG, C128), (F32, F64),
                 (C128, C64), (F64, np.ones((4, 3))), (EMPTY, EMPTY), (F64, MASKED)],
    "real": [(F64,), (F32,), (CLONG,), (INTS,), (np.ones((0, 3), complex),)],
    "real_vjp": [(INTS,), (LONG,), (CLONG,), (EMPTY,)],
    "imag": [(F64,), (F32,), (CLONG,), (INTS,), (np.ones((0, 3), complex),)],
    "imag_vjp": [(INTS,), (LONG,), (CLONG,), (EMPTY,)],
    "exp": [(INTS,), (LONG,), (CLONG,), (EMPTY,)],
    "exp_vjp": [(C128, C64), (F32, C128), (LONG, F64), (F64, CLONG), (C128, np.ones(4, complex)),
                (EMPTY, EMPTY), (INTS, F64)],
    "expi": [(C128,), (C64,), (LONG,), (INTS,), (EMPTY,)],
    "expi_vjp": [(C128, F64), (C128, C64), (F32, C128), (CLONG, C128), (C128, CLONG),
                 (C128, np.ones((4, 3), complex)), (np.ones((0, 4), complex),) * 2],
    "to_complex": [(C128,), (C64,), (LONG,), (INTS,), (EMPTY,)],
    "to_complex_vjp": [(INTS,), (LONG,), (CLONG,), (EMPTY,)],
}
BAD_CASES = [(name, args) for name, calls in BAD.items() for args in calls]


@pytest.mark.parametrize("name, args", BAD_CASES, ids=[n for n, _ in BAD_CASES])
def test_bad_input_gets_the_reference_error(name, args, same_error):
    same_error(name, *args)


def test_every_op_of_the_group_has_bad_input_cases():
    assert set(BAD) == _without_jvps(ops.complex_parts.__all__)


# ------------------------------------------------------------------------------ _core boundary

#: Each _core function with a valid call (arrays first, then the flags, then threads).
CORE_CALLS = {
    "abs2": (C128,), "abs2_vjp": (F64, C128), "real_part": (C128,), "imag_part": (C128,),
    "embed": (F64, False), "exp": (C128,), "exp_vjp": (C128, C128), "expi": (F64,),
    "expi_vjp": (C128, C128),
}


@pytest.mark.parametrize("name", sorted(CORE_CALLS))
def test_core_refuses_wrong_dtypes_and_strided_arrays(name):
    function, good = getattr(_core, name), CORE_CALLS[name]
    arrays = [k for k, a in enumerate(good) if isinstance(a, np.ndarray)]
    assert np.asarray(function(*good, 2)).shape == (3, 4)
    for k in arrays:
        for bad, error in ((INTS, TypeError), (LONG, TypeError), (CLONG, TypeError),
                           (np.ones((3, 8), good[k].dtype)[:, ::2], ValueError)):
            args = list(good)
            args[k] = bad
            with pytest.raises(error):
                function(*args, 2)


@pytest.mark.parametrize("name", ["abs2_vjp", "exp_vjp", "expi_vjp"])
def test_core_refuses_mismatched_shapes_and_precisions(name):
    function, good = getattr(_core, name), CORE_CALLS[name]
    with pytest.raises(ValueError):
        function(np.ones((4, 3), good[0].dtype), good[1], 1)
    with pytest.raises(TypeError):
        function(good[0].astype(np.complex64), good[1], 1)


def test_core_refuses_parts_a_real_array_does_not_have():
    with pytest.raises(TypeError):
        _core.imag_part(F64, 1)

"""C++ wsse, poly_detector and mean_normalize against their reference twins (Eq. 7, 93,
98-101): values, dtypes, Python floats; double accumulation (float32 at 1e20); threads;
finite differences; strided inputs; fresh outputs; the reference's errors; a strict _core."""

import inspect

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import ops, reference
from phasegrad.check import check_vjp, random_like, relative_error
from phasegrad.native import core as _core

PRECISIONS = {"single": (np.float32, np.complex64), "double": (np.float64, np.complex128)}
#: Odd, even and batched planes, 1-D and 0-d (below the parallel grain: serial) ...
PLANE_SHAPES = [(8, 8), (9, 12), (3, 7, 5), (2, 2, 6, 4)]
SHAPES = PLANE_SHAPES + [(5,), ()]
#: ... and a stack above the grain (2**15 elements), which runs on every thread it is given.
LARGE = (3, 129, 130)
#: Relative agreement of double-accumulated sums between 1 and 2 threads.
THREADS_RTOL = 1e-13


def normal(shape, dtype, rng):
    return random_like(np.zeros(shape, dtype), rng)


def positive(shape, dtype, rng):
    """Values in [0.5, 1.5), like intensities: plane sums far from zero."""
    return (rng.random(shape) + 0.5).astype(dtype)


def cotangent(shape, dtype, rng):
    """1 + noise: the sums of the rules (c_bar = sum M_bar, ...) stay well conditioned."""
    return (1 + 0.25 * normal(shape, dtype, rng)).astype(dtype)


#: wsse's w: None, numbers of any precision, and every way an array broadcasts to M.
WEIGHTS = {
    "none": lambda shape, dtype, rng: None,
    "number": lambda shape, dtype, rng: 2.5,
    "float32-scalar": lambda shape, dtype, rng: np.float32(0.75),
    "0d-array": lambda shape, dtype, rng: np.array(1.25),
    "full": lambda shape, dtype, rng: positive(shape, dtype, rng),
    "per-column": lambda shape, dtype, rng: positive(shape[-1:], dtype, rng),
    "per-plane-pixel": lambda shape, dtype, rng: positive(shape[-2:], dtype, rng),
    "leading-ones": lambda shape, dtype, rng: positive((1,) * (len(shape) - 1) + shape[-1:],
                                                       dtype, rng),
    "per-row": lambda shape, dtype, rng: positive(shape[-2:-1] + (1,), dtype, rng),
    "per-plane": lambda shape, dtype, rng: positive(shape[:-2] + (1, 1), dtype, rng),
}


#: The layouts that need M to have a plane (two axes or more).
PLANE_WEIGHTS = {"per-row", "per-plane"}


def _without_jvps(names):
    return {name for name in names if not name.endswith("_jvp")}


def test_the_group_is_exported_under_the_reference_names():
    names = {"wsse", "wsse_vjp", "poisson_nll", "poisson_nll_vjp", "poly_detector",
             "poly_detector_vjp", "mean_normalize", "mean_normalize_vjp"}
    # The forward-mode rules (*_jvp) have their own tests: test_jvp_elementwise.py.
    assert _without_jvps(ops.metrics.__all__) == names == _without_jvps(reference.metrics.__all__)
    for name in names:
        assert getattr(ops, name).reference is getattr(reference, name)
        assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(reference, name))


# ---------------------------------------------------------------------------------------- wsse

def check_wsse(kind, shape, precision, rng, twins):
    real = PRECISIONS[precision][0]
    M, D, w = normal(shape, real, rng), normal(shape, real, rng), WEIGHTS[kind](shape, real, rng)
    E = ops.wsse(M, D, w)
    assert type(E) is float
    twins(E, reference.wsse(M, D, w))
    twins(ops.wsse_vjp(0.7, M, D, w), reference.wsse_vjp(0.7, M, D, w))


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("kind, shape", [(kind, shape) for kind in sorted(WEIGHTS)
                                         for shape in SHAPES
                                         if len(shape) >= 2 or kind not in PLANE_WEIGHTS],
                         ids=str)
def test_wsse_and_its_rule_match_reference(kind, shape, precision, rng, twins):
    check_wsse(kind, shape, precision, rng, twins)


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("kind", sorted(WEIGHTS))
def test_wsse_matches_reference_on_the_parallel_path(kind, precision, rng, twins, thread_count):
    check_wsse(kind, LARGE, precision, rng, twins)


def test_wsse_float32_residuals_at_1e20_do_not_overflow(twins):
    M = np.full((3, 129, 130), 1e20, np.float32)
    D = np.zeros_like(M)
    E = ops.wsse(M, D)
    assert np.isfinite(E) and E > float(np.finfo(np.float32).max)
    twins(E, reference.wsse(M, D))
    assert E == pytest.approx(M.size * float(np.float32(1e20)) ** 2, rel=1e-12)
    M_bar = ops.wsse_vjp(1.0, M, D)
    assert M_bar.dtype == np.float32 and np.all(np.isfinite(M_bar))
    twins(M_bar, reference.wsse_vjp(1.0, M, D))


@pytest.mark.parametrize("kind", ["none", "number", "full", "per-plane-pixel", "per-row"])
@pytest.mark.parametrize("real", [np.float32, np.float64])
def test_wsse_with_two_threads_agrees_with_one(kind, real, rng):
    M, D = normal(LARGE, real, rng), normal(LARGE, real, rng)
    w = WEIGHTS[kind](LARGE, real, rng)
    with pg.threads(1):
        one, one_bar = ops.wsse(M, D, w), ops.wsse_vjp(1.5, M, D, w)
    with pg.threads(2):
        two, two_bar = ops.wsse(M, D, w), ops.wsse_vjp(1.5, M, D, w)
    assert abs(two - one) <= THREADS_RTOL * abs(one)
    np.testing.assert_array_equal(one_bar, two_bar)


@pytest.mark.parametrize("kind", ["none", "full", "per-column", "per-plane"])
def test_wsse_rule_matches_finite_differences(kind, rng):
    shape = (2, 5, 6)
    M, D, w = normal(shape, np.float64, rng), normal(shape, np.float64, rng), \
        WEIGHTS[kind](shape, np.float64, rng)
    result = check_vjp(lambda m: ops.wsse(m, D, w), lambda E_bar: ops.wsse_vjp(E_bar, M, D, w),
                       (M,))
    assert result, str(result)


# ------------------------------------------------------------------------------- poly_detector

COEFFICIENTS = [(0.0, 1.0, 0.0), (0.3, 1.2, -0.4), (np.float32(-2.0), np.array(0.5), 3)]


def check_poly_detector(bar_kind, a, b, c, shape, precision, rng, twins):
    real, complex_ = PRECISIONS[precision]
    intensity = positive(shape, real, rng)
    M_bar = cotangent(shape, real, rng)
    if bar_kind == "complex":
        M_bar = (M_bar + 1j * normal(shape, real, rng)).astype(complex_)
    twins(ops.poly_detector(intensity, a, b, c), reference.poly_detector(intensity, a, b, c))
    gradients = ops.poly_detector_vjp(M_bar, intensity, a, b)
    assert [type(g) for g in gradients[1:]] == [float] * 3
    twins(gradients, reference.poly_detector_vjp(M_bar, intensity, a, b))


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("a, b, c", COEFFICIENTS)
@pytest.mark.parametrize("bar_kind", ["real", "complex"])
def test_poly_detector_and_its_rule_match_reference(bar_kind, a, b, c, shape, precision, rng,
                                                    twins):
    check_poly_detector(bar_kind, a, b, c, shape, precision, rng, twins)


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("bar_kind", ["real", "complex"])
def test_poly_detector_matches_reference_on_the_parallel_path(bar_kind, precision, rng, twins,
                                                              thread_count):
    check_poly_detector(bar_kind, 0.3, 1.2, -0.4, LARGE, precision, rng, twins)


@pytest.mark.parametrize("real", [np.float32, np.float64])
def test_poly_detector_with_two_threads_agrees_with_one(real, rng):
    intensity, M_bar = positive(LARGE, real, rng), cotangent(LARGE, real, rng)
    with pg.threads(1):
        one = ops.poly_detector_vjp(M_bar, intensity, 0.3, 1.2)
        one_M = ops.poly_detector(intensity, 0.3, 1.2, -0.4)
    with pg.threads(2):
        two = ops.poly_detector_vjp(M_bar, intensity, 0.3, 1.2)
        two_M = ops.poly_detector(intensity, 0.3, 1.2, -0.4)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one_M, two_M)
    for s1, s2 in zip(one[1:], two[1:], strict=True):
        assert abs(s2 - s1) <= THREADS_RTOL * abs(s1)


def test_poly_detector_rule_matches_finite_differences(rng):
    intensity = positive((2, 5, 6), np.float64, rng)
    coefficients = (np.array(0.3), np.array(1.2), np.array(-0.4))
    result = check_vjp(ops.poly_detector,
                       lambda M_bar: ops.poly_detector_vjp(M_bar, intensity, *coefficients[:2]),
                       (intensity, *coefficients))
    assert result, str(result)


# ------------------------------------------------------------------------------ mean_normalize

def check_mean_normalize(bar_kind, shape, precision, rng, twins):
    real, complex_ = PRECISIONS[precision]
    x = positive(shape, real, rng)
    y_bar = normal(shape, real if bar_kind == "real" else complex_, rng)
    twins(ops.mean_normalize(x, 2.0), reference.mean_normalize(x, 2.0))
    twins(ops.mean_normalize_vjp(y_bar, x, 2.0), reference.mean_normalize_vjp(y_bar, x, 2.0))


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("shape", PLANE_SHAPES + [(40, 3, 4)], ids=str)
@pytest.mark.parametrize("bar_kind", ["real", "complex"])
def test_mean_normalize_and_its_rule_match_reference(bar_kind, shape, precision, rng, twins):
    check_mean_normalize(bar_kind, shape, precision, rng, twins)


#: One large plane (split over the threads), a few, and many small ones (a thread each).
PARALLEL_STACKS = [(1, 181, 182), LARGE, (600, 8, 8)]


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("shape", PARALLEL_STACKS, ids=str)
@pytest.mark.parametrize("bar_kind", ["real", "complex"])
def test_mean_normalize_matches_reference_on_the_parallel_path(bar_kind, shape, precision, rng,
                                                               twins, thread_count):
    check_mean_normalize(bar_kind, shape, precision, rng, twins)


@pytest.mark.parametrize("shape", PARALLEL_STACKS, ids=str)
@pytest.mark.parametrize("real", [np.float32, np.float64])
def test_mean_normalize_with_two_threads_agrees_with_one(real, shape, rng):
    x, y_bar = positive(shape, real, rng), normal(shape, real, rng)
    with pg.threads(1):
        one, one_bar = ops.mean_normalize(x, 3.0), ops.mean_normalize_vjp(y_bar, x, 3.0)
    with pg.threads(2):
        two, two_bar = ops.mean_normalize(x, 3.0), ops.mean_normalize_vjp(y_bar, x, 3.0)
    # The plane sums agree to THREADS_RTOL; the results carry them rounded to the dtype.
    tolerance = THREADS_RTOL if real == np.float64 else 1e-6
    assert relative_error(two, one) <= tolerance
    assert relative_error(two_bar, one_bar) <= tolerance
    sums = {}
    for count in (1, 2):
        sums[count] = _core.plane_sums_with_projection(y_bar, x, count)
    for s1, s2 in zip(sums[1], sums[2], strict=True):
        assert relative_error(s2, s1) <= THREADS_RTOL
    assert relative_error(_core.plane_sums(x, 2), _core.plane_sums(x, 1)) <= THREADS_RTOL


def test_mean_normalize_rule_matches_finite_differences(rng):
    x = positive((2, 5, 6), np.float64, rng)
    result = check_vjp(lambda v: ops.mean_normalize(v, 2.0),
                       lambda y_bar: ops.mean_normalize_vjp(y_bar, x, 2.0), (x,))
    assert result, str(result)


# -------------------------------------------------------------- strided inputs, fresh outputs

def strided(base):
    """Non-contiguous views of ``base``: strided, reversed, transposed."""
    return [base[:, ::2, ::-3], base[::-1, 1:, :], base.transpose(0, 2, 1)]


#: Each op with a maker of its arguments from three (3, 10, 12) arrays (positive, normal, any).
CALLS = {
    "wsse": lambda p, n, q: (n, q, p),
    "wsse_vjp": lambda p, n, q: (0.5, n, q, p),
    "poly_detector": lambda p, n, q: (p, 0.3, 1.2, -0.4),
    "poly_detector_vjp": lambda p, n, q: (n, p, 0.3, 1.2),
    "mean_normalize": lambda p, n, q: (p, 2.0),
    "mean_normalize_vjp": lambda p, n, q: (n, p, 2.0),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_strided_and_reversed_inputs_read_right_and_stay_untouched(name, rng, twins):
    shape = (3, 10, 12)
    bases = positive(shape, np.float64, rng), normal(shape, np.float64, rng), \
        normal(shape, np.float64, rng)
    for views in zip(*(strided(b) for b in bases), strict=True):
        before = [v.copy() for v in views]
        args = CALLS[name](*views)
        twins(getattr(ops, name)(*args), getattr(reference, name)(*CALLS[name](*before)))
        for view, copy in zip(views, before, strict=True):
            np.testing.assert_array_equal(view, copy)


@pytest.mark.parametrize("name", sorted(set(CALLS) - {"wsse"}))
def test_results_are_fresh_arrays(name, rng):
    shape = (2, 4, 6)
    inputs = positive(shape, np.float64, rng), normal(shape, np.float64, rng), \
        normal(shape, np.float64, rng)
    result = getattr(ops, name)(*CALLS[name](*inputs))
    result = result[0] if isinstance(result, tuple) else result
    assert result.flags.c_contiguous and result.flags.writeable and result.flags.owndata
    assert not any(np.shares_memory(result, a) for a in inputs)


# ----------------------------------------------------------------------------------- bad input

F64, F32, C128, C64 = (np.ones((3, 4), t) for t in (np.float64, np.float32, complex, np.complex64))
LONG, INTS, EMPTY = np.ones((3, 4), np.longdouble), np.ones((3, 4), np.int64), np.ones((0, 4))
OTHER_SHAPE, ZERO_MEAN = np.ones((4, 3)), np.array([[1.0, -1.0], [2.0, -2.0]])

#: For each op, calls that must fail (wrong dtype, long double, mixed precision, shape mismatch,
#: empty, wrong domain, bad constants). Ops and reference must raise the same error.
BAD = {
    "wsse": [(INTS, F64), (F64, INTS), (LONG, LONG), (F32, F64), (F64, OTHER_SHAPE),
             (EMPTY, EMPTY), (C128, C128), (F64, C128), (F64, F64, np.ones(5)),
             (F64, F64, F32), (F64, F64, np.nan), (F64, F64, np.full((3, 4), np.inf)),
             (F64, F64, C128), (F64, F64, "w"), (F64, F64, 1j), (F64, F64, np.ones((2, 3, 4)))],
    "wsse_vjp": [(1j, F64, F64), (np.nan, F64, F64), ("1", F64, F64), (np.ones(2), F64, F64),
                 (1.0, INTS, F64), (1.0, LONG, LONG), (1.0, F32, F64), (1.0, F64, OTHER_SHAPE),
                 (1.0, EMPTY, EMPTY), (1.0, C128, F64), (1.0, F64, F64, np.ones(5)),
                 (1.0, F64, F64, F32)],
    "poisson_nll": [(INTS, F64), (LONG, LONG), (F32, F64), (F64, OTHER_SHAPE), (EMPTY, EMPTY),
                    (C128, C128), (F64, F64, np.ones(5)), (F64, F64, F32), (F64, F64, None, -1.0),
                    (F64, F64, None, np.nan), (F64, F64, None, 1j), (F64, F64, None, "s")],
    "poisson_nll_vjp": [(1j, F64, F64), (np.nan, F64, F64), (1.0, F32, F64),
                        (1.0, F64, OTHER_SHAPE), (1.0, F64, F64, None, -0.5),
                        (1.0, C128, F64), (1.0, F64, F64, np.ones(5))],
    "poly_detector": [(INTS, 1, 1, 1), (C128, 1, 1, 1), (LONG, 1, 1, 1), (EMPTY, 1, 1, 1),
                      (F64, np.nan, 1, 1), (F64, 1, 1j, 1), (F64, 1, 1, "c"),
                      (F64, 1, 1, np.ones(2)), (F64, True, 1, 1)],
    "poly_detector_vjp": [(F64, C128, 1, 1), (C64, F64, 1, 1), (F32, F64, 1, 1),
                          (OTHER_SHAPE, F64, 1, 1), (EMPTY, EMPTY, 1, 1), (F64, F64, np.inf, 1),
                          (LONG, LONG, 1, 1), (INTS, F64, 1, 1), (F64, F64, 1, None)],
    "mean_normalize": [(np.ones(4), 1.0), (C128, 1.0), (LONG, 1.0), (INTS, 1.0), (EMPTY, 1.0),
                       (np.zeros((3, 4)), 1.0), (ZERO_MEAN, 1.0), (F64, np.nan), (F64, 1j)],
    "mean_normalize_vjp": [(F64, np.ones(4), 1.0), (C64, F64, 1.0), (F32, F64, 1.0),
                           (OTHER_SHAPE, F64, 1.0), (np.ones((2, 2)), ZERO_MEAN, 1.0),
                           (INTS, ZERO_MEAN, 1.0), (OTHER_SHAPE, ZERO_MEAN, 1.0),
                           (F64, C128, 1.0), (F64, F64, np.inf), (LONG, F64, 1.0),
                           (EMPTY, EMPTY, 1.0)],
}
BAD_CASES = [(name, args) for name, calls in BAD.items() for args in calls]


@pytest.mark.parametrize("name, args", BAD_CASES, ids=[n for n, _ in BAD_CASES])
def test_bad_input_gets_the_reference_error(name, args, same_error):
    same_error(name, *args)


def test_every_op_of_the_group_has_bad_input_cases():
    assert set(BAD) == _without_jvps(ops.metrics.__all__)


# ------------------------------------------------------------------------------ _core boundary

STACK = np.ones((2, 3, 4))
#: Each _core function with a valid call (threads left off); its arrays get replaced below.
CORE_CALLS = {
    "wsse": (STACK, STACK, np.ones(4)),
    "wsse_vjp": (1.0, STACK, STACK, np.ones(4)),
    "poly_detector": (STACK, 1.0, 2.0, 3.0),
    "poly_detector_vjp": (STACK, STACK, 1.0, 2.0),
    "poisson_nll": (STACK, STACK, np.ones(4), 0.5),
    "poisson_nll_vjp": (1.0, STACK, STACK, np.ones(4), 0.5),
    "poisson_nll_jvp": (STACK, STACK, STACK, None, 0.5),
    "plane_sums": (STACK,),
    "plane_sums_with_projection": (STACK, STACK),
    "scale_planes": (STACK, np.ones(2), np.ones(2)),
}


def replacements(good):
    """Arrays shaped like ``good`` that the core must refuse, with the error each must raise."""
    strided_ = np.ones(good.shape[:-1] + (2 * good.shape[-1],), good.dtype)[..., ::2]
    return [(np.ones(good.shape, np.int64), TypeError),
            (np.ones(good.shape, np.longdouble), TypeError),
            (np.ones(good.shape, np.clongdouble), TypeError),
            (strided_, ValueError)]


@pytest.mark.parametrize("name", sorted(CORE_CALLS))
def test_core_refuses_wrong_dtypes_and_strided_arrays(name):
    function, good = getattr(_core, name), CORE_CALLS[name]
    function(*good, 2)
    for k, array_ in enumerate(good):
        if not isinstance(array_, np.ndarray):
            continue
        for bad, error in replacements(array_):
            args = list(good)
            args[k] = bad
            with pytest.raises(error):
                function(*args, 2)


@pytest.mark.parametrize("name, args, error", [
    ("wsse", (STACK, np.ones((2, 4, 3)), None), ValueError),
    ("wsse", (STACK, STACK, np.ones(5)), ValueError),
    ("wsse", (STACK, STACK, np.ones(4, np.float32)), TypeError),
    ("wsse", (STACK, STACK, "w"), TypeError),
    ("wsse", (STACK.astype(complex), STACK.astype(complex), None), TypeError),
    ("wsse_vjp", (1.0, STACK, STACK, np.ones(7)), ValueError),
    ("poly_detector_vjp", (np.ones((2, 4, 3)), STACK, 1.0, 2.0), ValueError),
    ("poly_detector_vjp", (STACK.astype(np.complex64), STACK, 1.0, 2.0), TypeError),
    ("plane_sums", (np.ones(4),), ValueError),
    ("plane_sums_with_projection", (np.ones((2, 4, 3)), STACK), ValueError),
    ("scale_planes", (STACK, np.ones(3), None), ValueError),
    ("scale_planes", (STACK, np.ones(2, np.float32), None), TypeError),
    ("scale_planes", (STACK, np.ones(2), "offset"), TypeError),
])
def test_core_refuses_inconsistent_arguments(name, args, error):
    with pytest.raises(error):
        getattr(_core, name)(*args, 1)

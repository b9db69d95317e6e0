"""C++ forward-mode rules (``op_jvp``) of the element-wise groups against their reference twins:
arithmetic (add, mul, matmul, power, broadcast), complex_parts (abs2, real, imag, exp, expi,
to_complex) and metrics (wsse, poly_detector, mean_normalize).

Every layout the kernels take (two arrays of one size, a scalar, a plane repeated over a
stack) and the ones handed back to NumPy; both precisions, odd, even, batched, 1-D and 0-d
shapes, a stack above the parallel grain, 1 and 2 threads; ``y`` equal to the C++ op's;
strided inputs; fresh outputs; the reference's errors, argument by argument; a strict _core.
"""

import inspect

import jvp_calls_elementwise as calls  # tests/ops is on sys.path: see conftest.py
import numpy as np
import pytest

from phasegrad import ops, reference
from phasegrad.native import core as _core

PRECISIONS = {"single": (np.float32, np.complex64), "double": (np.float64, np.complex128)}
#: Odd, even and batched planes, then a stack above the parallel grain (2**15 elements).
SHAPES = [(8, 8), (9, 13), (3, 7, 5), (2, 2, 6, 4), (3, 129, 130)]
#: The brief's twin tolerances (relative L2 error), by precision.
RTOL = {"single": 1e-5, "double": 1e-12}
NAMES = sorted(calls.JVP_EXAMPLES)


def draw(rng, shape, dtype):
    value = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        value = value + 1j * rng.standard_normal(shape)
    return np.asarray(value, dtype)  # a 0-d array for shape (), not a NumPy scalar


def positive(rng, shape, dtype):
    return np.asarray(rng.random(shape) + 0.5, dtype)


def tangent_of(rng, value):
    if isinstance(value, float):
        return float(rng.standard_normal())
    if isinstance(value, complex):
        return complex(rng.standard_normal(), rng.standard_normal())
    return draw(rng, np.shape(value), value.dtype)


def _binary(kind_x, kind_y, layout):
    def make(rng, precision, shape):
        dtype = dict(zip("rc", PRECISIONS[precision], strict=True))
        y = draw(rng, shape, dtype[kind_y])
        if layout == "plane-y":  # the small operand is y
            return (draw(rng, shape, dtype[kind_x]), draw(rng, shape[-2:], dtype[kind_y])), ()
        x = {
            "same": lambda: draw(rng, shape, dtype[kind_x]),
            "plane": lambda: draw(rng, shape[-2:], dtype[kind_x]),
            "leading-ones": lambda: draw(rng, (1,) + shape[-2:], dtype[kind_x]),
            "number": lambda: float(rng.standard_normal()),
            "complex-number": lambda: complex(rng.standard_normal(), 1.0),
            "0d": lambda: draw(rng, (), dtype[kind_x]),
            "column": lambda: draw(rng, shape[:-1] + (1,), dtype[kind_x]),  # NumPy's
        }[layout]()
        return (x, y), ()
    return make


def _unary(kind, values=draw):
    def make(rng, precision, shape):
        return (values(rng, shape, PRECISIONS[precision][kind == "c"]),), ()
    return make


def _power(kind, exponent):
    def make(rng, precision, shape):
        real, cplx = PRECISIONS[precision]
        x = positive(rng, shape, real) if kind == "r" else draw(rng, shape, cplx)
        if exponent == "array":
            c = positive(rng, shape[-1:], real) + 0.7
        elif exponent == "full-array":
            c = positive(rng, shape, real) + 0.7
        else:
            c = exponent
        return (x,), (c,)
    return make


def _matmul(rng, precision, shape):
    real, cplx = PRECISIONS[precision]
    *batch, n, p = shape[-3:] if len(shape) > 3 else shape
    return (draw(rng, (n, p), real), draw(rng, tuple(batch) + (p, 4), cplx)), ()


def _broadcast(layout):
    def make(rng, precision, shape):
        dtype = PRECISIONS[precision][1]
        if layout == "plane":
            return (draw(rng, shape[-2:], dtype),), ((2,) + tuple(shape),)
        return (draw(rng, shape[:-1] + (1,), dtype),), (tuple(shape),)  # NumPy's
    return make


def _wsse(weights):
    def make(rng, precision, shape):
        real = PRECISIONS[precision][0]
        w = {"none": None, "number": 0.7, "full": positive(rng, shape, real),
             "per-column": positive(rng, shape[-1:], real),
             "per-plane": positive(rng, shape[:-2] + (1, 1), real)}[weights]
        return (draw(rng, shape, real),), (draw(rng, shape, real), w)
    return make


def _poisson(weights, shift):
    def make(rng, precision, shape):
        real = PRECISIONS[precision][0]
        w = {"none": None, "full": positive(rng, shape, real)}[weights]
        return (positive(rng, shape, real),), (positive(rng, shape, real), w, shift)
    return make


def _poly(rng, precision, shape):
    return (positive(rng, shape, PRECISIONS[precision][0]), 0.3, 1.1, -0.2), ()


def _mean_normalize(rng, precision, shape):
    return (positive(rng, shape, PRECISIONS[precision][0]),), (2.5,)


CASES = {
    "add-same": ("add", _binary("c", "c", "same")),
    "add-real-complex": ("add", _binary("r", "c", "same")),
    "add-plane": ("add", _binary("c", "r", "plane")),
    "add-plane-y": ("add", _binary("c", "c", "plane-y")),
    "add-leading-ones": ("add", _binary("r", "r", "leading-ones")),
    "add-number": ("add", _binary("r", "c", "number")),
    "add-complex-number": ("add", _binary("r", "r", "complex-number")),
    "add-0d": ("add", _binary("c", "r", "0d")),
    "add-column": ("add", _binary("r", "c", "column")),
    "mul-same": ("mul", _binary("c", "c", "same")),
    "mul-complex-real": ("mul", _binary("c", "r", "same")),
    "mul-real": ("mul", _binary("r", "r", "same")),
    "mul-plane": ("mul", _binary("r", "c", "plane")),
    "mul-plane-y": ("mul", _binary("c", "r", "plane-y")),
    "mul-number": ("mul", _binary("r", "c", "number")),
    "mul-complex-number": ("mul", _binary("r", "r", "complex-number")),
    "mul-0d": ("mul", _binary("c", "c", "0d")),
    "mul-column": ("mul", _binary("c", "r", "column")),
    "matmul": ("matmul", _matmul),
    "power-real-2": ("power", _power("r", 2.0)),
    "power-real-3": ("power", _power("r", 3.0)),
    "power-real--1": ("power", _power("r", -1.0)),
    "power-real-2.5": ("power", _power("r", 2.5)),
    "power-real-0.5": ("power", _power("r", 0.5)),
    "power-complex-2.5": ("power", _power("c", 2.5)),
    "power-complex-2": ("power", _power("c", 2.0)),
    "power-complex--3": ("power", _power("c", -3.0)),
    "power-complex-0.5": ("power", _power("c", 0.5)),
    "power-complex-1.5": ("power", _power("c", 1.5)),
    "power-complex-array": ("power", _power("c", "array")),
    "power-complex-full-array": ("power", _power("c", "full-array")),
    "power-real-array": ("power", _power("r", "array")),
    "broadcast-plane": ("broadcast", _broadcast("plane")),
    "broadcast-column": ("broadcast", _broadcast("column")),
    "abs2-real": ("abs2", _unary("r")),
    "abs2-complex": ("abs2", _unary("c")),
    "real": ("real", _unary("c")),
    "imag": ("imag", _unary("c")),
    "exp-real": ("exp", _unary("r")),
    "exp-complex": ("exp", _unary("c")),
    "expi": ("expi", _unary("r")),
    "to_complex": ("to_complex", _unary("r")),
    "wsse-none": ("wsse", _wsse("none")),
    "wsse-number": ("wsse", _wsse("number")),
    "wsse-full": ("wsse", _wsse("full")),
    "wsse-per-column": ("wsse", _wsse("per-column")),
    "wsse-per-plane": ("wsse", _wsse("per-plane")),
    "poisson_nll-none": ("poisson_nll", _poisson("none", 0.0)),
    "poisson_nll-full-shift": ("poisson_nll", _poisson("full", 1.5)),
    "poly_detector": ("poly_detector", _poly),
    "mean_normalize": ("mean_normalize", _mean_normalize),
}


def setup(case, precision, shape, seed=0):
    name, make = CASES[case]
    rng = np.random.default_rng(seed)
    primals, constants = make(rng, precision, shape)
    tangents = tuple(tangent_of(rng, p) for p in primals)
    return name, primals, tangents, constants


def test_every_jvp_is_exported_after_its_vjp_with_the_reference_signature():
    assert len(NAMES) == 15
    assert {name for name, _ in CASES.values()} == {n[:-4] for n in NAMES}
    for name in NAMES:
        op = name[:-4]
        twin = getattr(ops, name)
        assert twin.reference is getattr(reference, name)
        assert inspect.signature(twin) == inspect.signature(getattr(reference, name))
        group = inspect.getmodule(getattr(ops, op))
        assert group.__all__[group.__all__.index(f"{op}_vjp") + 1] == name
        assert "C++ core" in twin.__doc__ and twin.__doc__.count("Forward-mode rule") == 1


# ------------------------------------------------------------------------ twin agreement

@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("shape", SHAPES, ids=[str(s) for s in SHAPES])
@pytest.mark.parametrize("case", sorted(CASES))
def test_jvp_equals_the_reference(case, shape, precision, twins):
    name, primals, tangents, constants = setup(case, precision, shape, seed=1)
    args = (*primals, *tangents, *constants)
    expected = getattr(reference, f"{name}_jvp")(*args)
    actual = getattr(ops, f"{name}_jvp")(*args)
    assert isinstance(actual, tuple) and len(actual) == 2
    twins(actual, expected, RTOL[precision])
    # y is the C++ op's own result.
    y = getattr(ops, name)(*primals, *constants)
    if isinstance(y, float):
        assert actual[0] == pytest.approx(y, rel=1e-13)
    else:
        np.testing.assert_allclose(actual[0], y, rtol=RTOL[precision] * 10, atol=0)
        assert np.asarray(actual[0]).dtype == np.asarray(y).dtype


@pytest.mark.parametrize("case", sorted(CASES))
def test_jvp_with_one_and_two_threads(case, thread_count):
    """Above the parallel grain, with 1 and 2 threads (the fixture runs both)."""
    name, primals, tangents, constants = setup(case, "double", (3, 129, 130), seed=2)
    args = (*primals, *tangents, *constants)
    actual = getattr(ops, f"{name}_jvp")(*args)
    expected = getattr(reference, f"{name}_jvp")(*args)
    from conftest import assert_twins
    assert_twins(actual, expected, 1e-12)


@pytest.mark.parametrize("precision", sorted(PRECISIONS))
@pytest.mark.parametrize("shape", [(5,), ()], ids=["1d", "0d"])
@pytest.mark.parametrize("name", ["abs2", "exp", "expi", "to_complex", "real", "imag",
                                  "power", "wsse", "poly_detector", "add", "mul"])
def test_element_wise_jvps_of_1d_and_0d_arrays(name, shape, precision, twins):
    real, cplx = PRECISIONS[precision]
    rng = np.random.default_rng(3)
    x = positive(rng, shape, real)
    if name in ("real", "imag"):
        x = np.asarray(x + 1j * positive(rng, shape, real), cplx)
    x_dot = tangent_of(rng, x)
    args = {"power": (x, x_dot, 2.0), "wsse": (x, x_dot, positive(rng, shape, real)),
            "poly_detector": (x, 0.3, 1.1, 0.0, x_dot, 1.0, 0.5, -1.0),
            "add": (x, x, x_dot, x_dot), "mul": (x, x, x_dot, x_dot)}.get(name, (x, x_dot))
    expected = getattr(reference, f"{name}_jvp")(*args)
    actual = getattr(ops, f"{name}_jvp")(*args)
    twins(actual, expected, RTOL[precision])


@pytest.mark.parametrize("c", [2.0, 2.5, np.array(1.5)])
@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
def test_power_of_a_0d_array_keeps_its_shape(dtype, c):
    x, y_bar = np.asarray(1.5, dtype), np.asarray(0.5, dtype)
    for name, args in (("power", (x, c)), ("power_vjp", (y_bar, x, c)),
                       ("power_jvp", (x, y_bar, c))):
        actual, expected = getattr(ops, name)(*args), getattr(reference, name)(*args)
        if name != "power_jvp":
            actual, expected = (actual,), (expected,)
        for a, e in zip(actual, expected, strict=True):
            assert np.shape(a) == np.shape(e) == ()
            assert type(a) is type(e)
            np.testing.assert_allclose(a, e, rtol=1e-6)


def test_python_number_results_match_the_reference():
    y = np.arange(1.0, 7.0).reshape(2, 3).astype(np.float32)
    y_dot = np.ones_like(y)
    for x, x_dot in ((2, 1), (2.0, 0.5), (1j, 1.0), (1 + 2j, 1j)):
        for name in ("add_jvp", "mul_jvp"):
            actual = getattr(ops, name)(x, y, x_dot, y_dot)
            expected = getattr(reference, name)(x, y, x_dot, y_dot)
            for a, e in zip(actual, expected, strict=True):
                assert a.dtype == e.dtype and a.shape == e.shape
                np.testing.assert_allclose(a, e, rtol=1e-6)


def test_wsse_jvp_returns_python_floats_accumulated_in_double():
    M = np.full((64, 64), 3e18, np.float32)
    E, E_dot = ops.wsse_jvp(M, np.ones_like(M), np.zeros_like(M))
    assert type(E) is float and type(E_dot) is float
    assert E == pytest.approx(ops.wsse(M, np.zeros_like(M)), rel=1e-14)
    assert E_dot == pytest.approx(2 * float(np.float32(3e18)) * M.size, rel=1e-12)


def test_mean_normalize_jvp_of_a_scaled_tangent_is_zero():
    x = positive(np.random.default_rng(4), (3, 40, 50), np.float64)
    y, y_dot = ops.mean_normalize_jvp(x, 0.5 * x, 3.0)
    np.testing.assert_allclose(y_dot, 0, atol=1e-14)
    np.testing.assert_array_equal(y, ops.mean_normalize(x, 3.0))


# ----------------------------------------------------------------- strided, fresh, untouched

@pytest.mark.parametrize("case", sorted(CASES))
def test_strided_inputs_and_fresh_outputs(case, twins):
    name, primals, tangents, constants = setup(case, "double", (4, 10, 12), seed=5)

    def strided(v):
        """The same values in a non-contiguous view (every other element of a larger array)."""
        if not isinstance(v, np.ndarray) or v.ndim == 0:
            return v
        wide = np.zeros(v.shape[:-1] + (2 * v.shape[-1],), v.dtype)
        wide[..., ::2] = v
        return wide[..., ::2]

    args = (*primals, *tangents, *constants)
    views = tuple(strided(a) for a in args)
    before = [a.copy() for a in views if isinstance(a, np.ndarray)]
    actual = getattr(ops, f"{name}_jvp")(*views)
    twins(actual, getattr(reference, f"{name}_jvp")(*args))
    arrays = [a for a in views if isinstance(a, np.ndarray)]
    for result in actual:
        if isinstance(result, np.ndarray):
            assert result.flags.c_contiguous and result.flags.writeable
            assert not any(np.shares_memory(result, a) for a in arrays)
    for a, copy in zip(arrays, before, strict=True):
        np.testing.assert_array_equal(a, copy)


# ------------------------------------------------------------------------------- bad input

_OTHER_PRECISION = {np.dtype(np.float64): np.float32, np.dtype(np.float32): np.float64,
                    np.dtype(np.complex128): np.complex64, np.dtype(np.complex64): np.complex128}
BAD_ARRAYS = {
    "empty": lambda a: np.empty((0,) * max(a.ndim, 1), a.dtype),
    "masked": lambda a: np.ma.masked_array(a),
    "list": lambda a: a.tolist(),
    "none": lambda a: None,
    "zero-d": lambda a: np.asarray(a.ravel()[0]),
    "other-precision": lambda a: a.astype(_OTHER_PRECISION[a.dtype]),
    "complex": lambda a: a + 1j,
    "real": lambda a: np.real(a).copy(),
    "integer": lambda a: np.ones(a.shape, int),
    "longdouble": lambda a: np.real(a).astype(np.longdouble),
    "wrong-shape": lambda a: np.concatenate([a, a], axis=-1),
    "transposed": lambda a: np.swapaxes(a, -1, -2).copy(),
    "nan": lambda a: np.full_like(a, np.nan),
}
BAD_OTHERS = {"none": None, "string": "bogus", "nan": float("nan"), "minus-one": -1,
              "imaginary": 1j, "three-tuple": (1, 2, 3), "empty": np.empty(0),
              "float32": np.float32(0.5), "0d-array": np.array(0.25)}


def _bad_calls():
    for name, args in calls.JVP_EXAMPLES.items():
        for position, value in enumerate(args):
            is_array = isinstance(value, np.ndarray) and value.dtype.kind in "fc"
            for label, bad in (BAD_ARRAYS if is_array else BAD_OTHERS).items():
                replaced = list(args)
                replaced[position] = bad(value) if is_array else bad
                yield pytest.param(name, replaced, id=f"{name}-arg{position}-{label}")


def _outcome(function, args):
    """('ok', result) or (error type, message) of function(*args)."""
    import warnings

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return "ok", function(*args)
    except (TypeError, ValueError) as error:
        return type(error), str(error)


def test_the_valid_calls_are_valid(twins):
    for name, args in calls.JVP_EXAMPLES.items():
        twins(getattr(ops, name)(*args), getattr(reference, name)(*args))


@pytest.mark.parametrize("name, args", list(_bad_calls()))
def test_bad_argument_gets_the_reference_error(name, args):
    expected = _outcome(getattr(reference, name), args)
    actual = _outcome(getattr(ops, name), args)
    if expected[0] == "ok":
        assert actual[0] == "ok", actual
        for a, e in zip(actual[1], expected[1], strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-10, equal_nan=True)
    else:
        assert actual == expected


def test_tangent_errors_name_the_tangent():
    for name, args in calls.JVP_EXAMPLES.items():
        signature = list(inspect.signature(getattr(ops, name)).parameters)
        for position, parameter in enumerate(signature[:len(args)]):
            if not parameter.endswith("_dot") or not isinstance(args[position], np.ndarray):
                continue
            for label, error in (("wrong-shape", ValueError), ("other-precision", TypeError)):
                replaced = list(args)
                replaced[position] = BAD_ARRAYS[label](args[position])
                with pytest.raises(error, match=parameter):
                    getattr(ops, name)(*replaced)


def test_zero_mean_plane_wins_over_a_bad_tangent_as_in_the_reference():
    x = np.ones((2, 3, 4))
    x[1] = 0.0
    for bad in (np.ones((2, 3, 5)), np.ones((2, 3, 4), np.float32)):
        assert _outcome(ops.mean_normalize_jvp, (x, bad, 1.0)) == \
            _outcome(reference.mean_normalize_jvp, (x, bad, 1.0))


# ------------------------------------------------------------------------------ strict core

def test_the_core_refuses_mismatched_tangents():
    x = np.ones((3, 4))
    with pytest.raises(TypeError, match="full_dot"):
        _core.add_jvp(x, x[0], x.astype(np.float32), x[0], 1)
    with pytest.raises(ValueError, match="small_dot"):
        _core.mul_jvp(x, x[0], x, x, 1)
    with pytest.raises(TypeError, match="x_dot"):
        _core.power_jvp(x, x + 0j, 2.0, None, 1)
    with pytest.raises(ValueError, match="x_dot"):
        _core.abs2_jvp(x, x[0], 1)
    with pytest.raises(TypeError, match="x_dot"):
        _core.expi_jvp(x, x.astype(np.float32), 1)
    with pytest.raises(ValueError, match="M_dot"):
        _core.wsse_jvp(x, x[0], x, None, 1)
    with pytest.raises(TypeError, match="I_dot"):
        _core.poly_detector_jvp(x, x.astype(np.float32), 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1)
    with pytest.raises(ValueError, match="ratio"):
        _core.mean_normalize_jvp(x, x, np.ones(1), np.ones(2), 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        _core.exp_jvp(x, np.ones((4, 3)).T, 1)

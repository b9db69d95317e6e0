"""Tests of the forward-mode rules (``op_jvp``) of phasegrad.reference's element-wise groups:
arithmetic (add, mul, matmul, power, broadcast), complex_parts (abs2, real, imag, exp, expi,
to_complex) and metrics (wsse, poly_detector, mean_normalize).

Every jvp is checked against float64 central differences of its op along the tangent (a complex
input along a real, an imaginary and a general complex tangent, so that a rule that drops or
swaps a part fails), and against its reverse rule: ``Re <y_bar, y_dot> = Re <x_bar, x_dot>``
summed over the inputs, with ``<a, b> = sum(conj(a) * b)``, on random inputs of odd and even,
batched shapes in both precisions. ``y`` must be exactly ``op(...)``; tangents are checked by
``phasegrad.arguments.tangents``; bad primal arguments raise exactly the op's error.
"""

import numpy as np
import pytest

from phasegrad import reference as ref

SHAPES = [(5, 7), (4, 6), (2, 5, 7), (3, 4, 6)]
DTYPES = {"double": (np.float64, np.complex128), "single": (np.float32, np.complex64)}
DOT_RTOL = {"double": 1e-12, "single": 1e-5}


def draw(rng, shape, dtype):
    """Standard-normal values of ``dtype`` (independent real and imaginary parts)."""
    value = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        value = value + 1j * rng.standard_normal(shape)
    return value.astype(dtype)


def positive(rng, shape, dtype):
    """Values in [0.5, 1.5), like intensities: away from zero and from the branch cut."""
    return (rng.random(shape) + 0.5).astype(dtype)


# Each case: name of the op, then make(rng, precision, shape) -> (primals, constants). The jvp is
# called as jvp(*primals, *tangents, *constants), the op as op(*primals, *constants), and
# ``vjp(y_bar, primals, constants, y)`` gives one cotangent per primal.
def _binary(name, kind_x, kind_y, layout="same"):
    def make(rng, precision, shape):
        real, cplx = DTYPES[precision]
        dtype = {"r": real, "c": cplx}
        y = draw(rng, shape, dtype[kind_y])
        if kind_x == "number":
            x = float(rng.standard_normal())
        elif kind_x == "complex-number":
            x = complex(rng.standard_normal(), rng.standard_normal())
        elif layout == "plane":
            x = draw(rng, shape[-2:], dtype[kind_x])
        elif layout == "column":
            x = draw(rng, shape[:-1] + (1,), dtype[kind_x])
            y = draw(rng, (1,) + shape[1:], dtype[kind_y]) if len(shape) == 2 else y
        else:
            x = draw(rng, shape, dtype[kind_x])
        return (x, y), ()
    return make


def _add_vjp(y_bar, p, c, y):
    return ref.add_vjp(y_bar, *p)


def _mul_vjp(y_bar, p, c, y):
    return ref.mul_vjp(y_bar, *p)


def _matmul(kind_x, kind_y, batch_x=True):
    def make(rng, precision, shape):
        real, cplx = DTYPES[precision]
        dtype = {"r": real, "c": cplx}
        *batch, n, p = shape
        x = draw(rng, (tuple(batch) if batch_x else ()) + (n, p), dtype[kind_x])
        y = draw(rng, tuple(batch) + (p, 3), dtype[kind_y])
        return (x, y), ()
    return make


def _power(kind, exponent):
    def make(rng, precision, shape):
        real, cplx = DTYPES[precision]
        x = positive(rng, shape, real) if kind == "r" else draw(rng, shape, cplx)
        if kind == "r-any":
            x = draw(rng, shape, real)
        c = exponent if exponent != "array" else positive(rng, shape[-1:], real) + 0.7
        return (x,), (c,)
    return make


def _broadcast(kind):
    def make(rng, precision, shape):
        dtype = DTYPES[precision][kind == "c"]
        return (draw(rng, shape[-2:], dtype),), ((3,) + tuple(shape),)
    return make


def _unary(kind, values=draw):
    def make(rng, precision, shape):
        return (values(rng, shape, DTYPES[precision][kind == "c"]),), ()
    return make


def _wsse(weights):
    def make(rng, precision, shape):
        real = DTYPES[precision][0]
        M, D = draw(rng, shape, real), draw(rng, shape, real)
        w = {"none": None, "number": 0.7, "full": positive(rng, shape, real),
             "column": positive(rng, shape[-1:], real)}[weights]
        return (M,), (D, w)
    return make


def _poly(rng, precision, shape):
    I = positive(rng, shape, DTYPES[precision][0])  # noqa: E741 - the paper's intensity
    return (I, 0.3, 1.1, -0.2), ()


def _mean_normalize(rng, precision, shape):
    return (positive(rng, shape, DTYPES[precision][0]),), (2.5,)


CASES = {
    "add-complex": ("add", _binary("add", "c", "c"), _add_vjp),
    "add-real-complex": ("add", _binary("add", "r", "c"), _add_vjp),
    "add-real": ("add", _binary("add", "r", "r"), _add_vjp),
    "add-number": ("add", _binary("add", "number", "c"), _add_vjp),
    "add-complex-number": ("add", _binary("add", "complex-number", "r"), _add_vjp),
    "add-plane": ("add", _binary("add", "c", "c", "plane"), _add_vjp),
    "add-column": ("add", _binary("add", "r", "c", "column"), _add_vjp),
    "mul-complex": ("mul", _binary("mul", "c", "c"), _mul_vjp),
    "mul-complex-real": ("mul", _binary("mul", "c", "r"), _mul_vjp),
    "mul-real": ("mul", _binary("mul", "r", "r"), _mul_vjp),
    "mul-number": ("mul", _binary("mul", "number", "c"), _mul_vjp),
    "mul-complex-number": ("mul", _binary("mul", "complex-number", "r"), _mul_vjp),
    "mul-plane": ("mul", _binary("mul", "r", "c", "plane"), _mul_vjp),
    "mul-column": ("mul", _binary("mul", "c", "r", "column"), _mul_vjp),
    "matmul-complex": ("matmul", _matmul("c", "c"), lambda yb, p, c, y: ref.matmul_vjp(yb, *p)),
    "matmul-real-complex-broadcast": ("matmul", _matmul("r", "c", batch_x=False),
                                      lambda yb, p, c, y: ref.matmul_vjp(yb, *p)),
    "matmul-real": ("matmul", _matmul("r", "r"), lambda yb, p, c, y: ref.matmul_vjp(yb, *p)),
    "power-real": ("power", _power("r", 2.5), lambda yb, p, c, y: (ref.power_vjp(yb, *p, *c),)),
    "power-real-integer": ("power", _power("r-any", 3),
                           lambda yb, p, c, y: (ref.power_vjp(yb, *p, *c),)),
    "power-real-array": ("power", _power("r", "array"),
                         lambda yb, p, c, y: (ref.power_vjp(yb, *p, *c),)),
    "power-complex": ("power", _power("c", 2.5), lambda yb, p, c, y: (ref.power_vjp(yb, *p, *c),)),
    "power-complex-negative": ("power", _power("c", -1.5),
                               lambda yb, p, c, y: (ref.power_vjp(yb, *p, *c),)),
    "broadcast-real": ("broadcast", _broadcast("r"),
                       lambda yb, p, c, y: (ref.broadcast_vjp(yb, p[0].shape),)),
    "broadcast-complex": ("broadcast", _broadcast("c"),
                          lambda yb, p, c, y: (ref.broadcast_vjp(yb, p[0].shape),)),
    "abs2-real": ("abs2", _unary("r"), lambda yb, p, c, y: (ref.abs2_vjp(yb, *p),)),
    "abs2-complex": ("abs2", _unary("c"), lambda yb, p, c, y: (ref.abs2_vjp(yb, *p),)),
    "real": ("real", _unary("c"), lambda yb, p, c, y: (ref.real_vjp(yb),)),
    "imag": ("imag", _unary("c"), lambda yb, p, c, y: (ref.imag_vjp(yb),)),
    "exp-real": ("exp", _unary("r"), lambda yb, p, c, y: (ref.exp_vjp(yb, y),)),
    "exp-complex": ("exp", _unary("c"), lambda yb, p, c, y: (ref.exp_vjp(yb, y),)),
    "expi": ("expi", _unary("r"), lambda yb, p, c, y: (ref.expi_vjp(yb, y),)),
    "to_complex": ("to_complex", _unary("r"), lambda yb, p, c, y: (ref.to_complex_vjp(yb),)),
    "wsse": ("wsse", _wsse("none"), lambda yb, p, c, y: (ref.wsse_vjp(yb, *p, *c),)),
    "wsse-number": ("wsse", _wsse("number"), lambda yb, p, c, y: (ref.wsse_vjp(yb, *p, *c),)),
    "wsse-full": ("wsse", _wsse("full"), lambda yb, p, c, y: (ref.wsse_vjp(yb, *p, *c),)),
    "wsse-column": ("wsse", _wsse("column"), lambda yb, p, c, y: (ref.wsse_vjp(yb, *p, *c),)),
    "poly_detector": ("poly_detector", _poly,
                      lambda yb, p, c, y: ref.poly_detector_vjp(yb, *p[:3])),
    "mean_normalize": ("mean_normalize", _mean_normalize,
                       lambda yb, p, c, y: (ref.mean_normalize_vjp(yb, *p, *c),)),
}
JVPS = sorted({name for name, _, _ in CASES.values()})


def test_every_element_wise_op_has_a_case():
    assert len(JVPS) == 14
    for name in JVPS:
        assert f"{name}_jvp" in ref.__all__
        index = ref.__all__.index(f"{name}_jvp")
        assert ref.__all__[index - 1] == f"{name}_vjp", "a jvp follows its vjp in __all__"


def random_tangent(rng, primal, kind="general"):
    """A tangent of ``primal``: ``kind`` is "general", "real" or "imaginary" (complex inputs)."""
    if isinstance(primal, float):
        return float(rng.standard_normal())
    if isinstance(primal, complex):
        value = complex(rng.standard_normal(), rng.standard_normal())
    else:
        value = draw(rng, primal.shape, primal.dtype)
        if value.dtype.kind != "c":
            return value
    if kind == "real":
        return value.real + 0 * value
    if kind == "imaginary":
        return value - value.real
    return value


def setup(case, precision, shape, seed=0, kind="general"):
    name, make, _ = CASES[case]
    rng = np.random.default_rng(seed)
    primals, constants = make(rng, precision, shape)
    tangents = tuple(random_tangent(rng, p, kind) for p in primals)
    return name, primals, tangents, constants


def jvp_of(name):
    return getattr(ref, f"{name}_jvp")


def norm(v):
    return float(np.linalg.norm(np.ravel(v)))


def inner(a, b):
    """``Re <a, b> = Re sum(conj(a) * b)`` in double precision (arrays or numbers)."""
    a = np.asarray(a, dtype=np.result_type(np.asarray(a).dtype, np.float64))
    return float(np.real(np.vdot(a.ravel(), np.asarray(b).ravel())))


# ------------------------------------------------------------------------ finite differences

@pytest.mark.parametrize("kind", ["general", "real", "imaginary"])
@pytest.mark.parametrize("shape", SHAPES[:3])
@pytest.mark.parametrize("case", sorted(CASES))
def test_jvp_matches_central_differences(case, shape, kind):
    name, primals, tangents, constants = setup(case, "double", shape, seed=1, kind=kind)
    op = getattr(ref, name)
    _, y_dot = jvp_of(name)(*primals, *tangents, *constants)
    eps = 1e-6

    def at(t):
        return op(*(p + t * d for p, d in zip(primals, tangents, strict=True)), *constants)

    expected = (np.asarray(at(eps)) - np.asarray(at(-eps))) / (2 * eps)
    scale = max(norm(expected), 1.0)
    assert norm(np.asarray(y_dot) - expected) <= 1e-7 * scale, (case, kind)


@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c][0] in ("add", "mul",
                                                                              "matmul")))
def test_binary_jvp_is_the_sum_of_its_partial_tangents(case):
    """Each input's tangent alone against central differences, the other held fixed."""
    name, primals, tangents, constants = setup(case, "double", (2, 5, 7), seed=2)
    op, jvp = getattr(ref, name), jvp_of(name)
    zero = [0.0 * t if isinstance(t, np.ndarray) else type(t)(0) for t in tangents]
    eps = 1e-6
    for k in range(2):
        only = [tangents[i] if i == k else zero[i] for i in range(2)]
        _, y_dot = jvp(*primals, *only)
        plus = op(*(p + eps * d for p, d in zip(primals, only, strict=True)))
        minus = op(*(p - eps * d for p, d in zip(primals, only, strict=True)))
        expected = (plus - minus) / (2 * eps)
        assert norm(y_dot - expected) <= 1e-7 * max(norm(expected), 1.0), (case, k)


# --------------------------------------------------------------------- pairing with the vjp

@pytest.mark.parametrize("precision", ["double", "single"])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("case", sorted(CASES))
def test_jvp_is_the_transpose_of_the_vjp(case, shape, precision):
    name, primals, tangents, constants = setup(case, precision, shape, seed=3)
    _, _, vjp = CASES[case]
    y, y_dot = jvp_of(name)(*primals, *tangents, *constants)
    rng = np.random.default_rng(4)
    if isinstance(y, float):
        y_bar = float(rng.standard_normal())
    else:
        y_bar = draw(rng, np.shape(y), np.asarray(y).dtype)
    bars = vjp(y_bar, primals, constants, y)
    assert len(bars) == len(primals)
    lhs = inner(y_bar, y_dot)
    rhs = sum(inner(b, d) for b, d in zip(bars, tangents, strict=True))
    scale = max(norm(y_bar) * norm(y_dot),
                sum(norm(b) * norm(d) for b, d in zip(bars, tangents, strict=True)))
    assert abs(lhs - rhs) <= DOT_RTOL[precision] * scale, (lhs, rhs)


# ------------------------------------------------------------------ results, dtypes, memory

@pytest.mark.parametrize("precision", ["double", "single"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_y_is_the_op_and_y_dot_has_its_shape_and_dtype(case, precision):
    name, primals, tangents, constants = setup(case, precision, (2, 5, 6), seed=5)
    y, y_dot = jvp_of(name)(*primals, *tangents, *constants)
    expected = getattr(ref, name)(*primals, *constants)
    if name == "wsse":
        assert type(y) is float and type(y_dot) is float
        assert y == expected
        return
    assert isinstance(y_dot, np.ndarray)
    assert y.dtype == expected.dtype and y.shape == expected.shape
    np.testing.assert_array_equal(y, expected)
    assert y_dot.shape == y.shape
    assert y_dot.dtype == y.dtype


@pytest.mark.parametrize("case", sorted(CASES))
def test_jvp_returns_new_arrays_and_leaves_its_arguments_alone(case):
    name, primals, tangents, constants = setup(case, "double", (2, 4, 5), seed=6)
    arguments = [a for a in (*primals, *tangents, *constants) if isinstance(a, np.ndarray)]
    copies = [a.copy() for a in arguments]
    results = jvp_of(name)(*primals, *tangents, *constants)
    for result in results:
        if isinstance(result, np.ndarray):
            assert result.flags.writeable
            assert not any(np.shares_memory(result, a) for a in arguments)
    for a, copy in zip(arguments, copies, strict=True):
        np.testing.assert_array_equal(a, copy)


# --------------------------------------------------------------------------- explicit rules

def test_linear_ops_apply_the_op_to_the_tangent():
    rng = np.random.default_rng(7)
    z, r = draw(rng, (3, 4), np.complex128), draw(rng, (3, 4), np.float64)
    dz, dr = draw(rng, (3, 4), np.complex128), draw(rng, (3, 4), np.float64)
    np.testing.assert_array_equal(ref.real_jvp(z, dz)[1], dz.real)
    np.testing.assert_array_equal(ref.imag_jvp(z, dz)[1], dz.imag)
    np.testing.assert_array_equal(ref.to_complex_jvp(r, dr)[1], dr + 0j)
    np.testing.assert_array_equal(ref.broadcast_jvp(r, dr, (2, 3, 4))[1],
                                  np.broadcast_to(dr, (2, 3, 4)))
    np.testing.assert_array_equal(ref.add_jvp(z, r, dz, dr)[1], dz + dr)


def test_closed_forms_of_the_nonlinear_rules():
    rng = np.random.default_rng(8)
    z, dz = draw(rng, (3, 4), np.complex128), draw(rng, (3, 4), np.complex128)
    phase, dphase = draw(rng, (3, 4), np.float64), draw(rng, (3, 4), np.float64)
    np.testing.assert_allclose(ref.abs2_jvp(z, dz)[1], 2 * np.real(np.conj(z) * dz), rtol=1e-14)
    np.testing.assert_allclose(ref.abs2_jvp(phase, dphase)[1], 2 * phase * dphase, rtol=1e-15)
    np.testing.assert_allclose(ref.exp_jvp(z, dz)[1], np.exp(z) * dz, rtol=1e-14)
    np.testing.assert_allclose(ref.expi_jvp(phase, dphase)[1], 1j * np.exp(1j * phase) * dphase,
                               rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(ref.power_jvp(z, dz, 2.5)[1], 2.5 * z ** 1.5 * dz, rtol=1e-13)
    np.testing.assert_allclose(ref.mul_jvp(z, phase, dz, dphase)[1], dz * phase + z * dphase,
                               rtol=1e-14)
    I = np.abs(phase) + 0.5  # noqa: E741
    M_dot = ref.poly_detector_jvp(I, 0.3, 1.1, -0.2, dphase, 0.5, -1.0, 2.0)[1]
    np.testing.assert_allclose(M_dot, (0.6 * I + 1.1) * dphase + 0.5 * I ** 2 - I + 2.0,
                               rtol=1e-14)


def test_wsse_jvp_follows_eq_93():
    rng = np.random.default_rng(9)
    M, D, w, M_dot = (draw(rng, (2, 3, 4), np.float64) for _ in range(4))
    E, E_dot = ref.wsse_jvp(M, M_dot, D, w)
    assert E == ref.wsse(M, D, w)
    assert E_dot == pytest.approx(float(np.sum(2 * w * (M - D) * M_dot)), rel=1e-13)


def test_wsse_jvp_accumulates_float32_in_double():
    M = np.full((64, 64), 3e18, np.float32)
    E, E_dot = ref.wsse_jvp(M, np.ones_like(M), np.zeros_like(M))
    assert np.isfinite(E) and np.isfinite(E_dot)
    assert E_dot == pytest.approx(2 * float(np.float32(3e18)) * M.size, rel=1e-12)


def test_mean_normalize_jvp_per_plane():
    rng = np.random.default_rng(10)
    x = positive(rng, (3, 4, 5), np.float64)
    # Scaling a plane leaves its normalised values alone: a tangent along x gives zero.
    x_dot = x * np.array([1.0, -2.0, 0.5])[:, None, None]
    np.testing.assert_allclose(ref.mean_normalize_jvp(x, x_dot, 2.0)[1], 0, atol=1e-14)
    # A tangent in one plane moves that plane only.
    x_dot = np.zeros_like(x)
    x_dot[1] = rng.standard_normal((4, 5))
    y, y_dot = ref.mean_normalize_jvp(x, x_dot, 2.0)
    assert not y_dot[0].any() and not y_dot[2].any()
    s = 2.0 * 20 / x[1].sum()
    np.testing.assert_allclose(y_dot[1], s * x_dot[1] - y[1] * x_dot[1].sum() / x[1].sum(),
                               rtol=1e-13, atol=1e-15)


def test_mul_jvp_of_a_python_number():
    y = np.array([1.0, 3.0])
    z, z_dot = ref.mul_jvp(2, y, 1, np.array([0.5, 0.0]))
    np.testing.assert_array_equal(z_dot, [2.0, 3.0])
    z, z_dot = ref.mul_jvp(1j, y.astype(np.float32), 1 + 1j, np.zeros(2, np.float32))
    assert z_dot.dtype == np.complex64
    np.testing.assert_array_equal(z_dot, (1 + 1j) * y)


def test_poly_detector_coefficient_tangents_are_real_numbers_of_any_precision():
    I = np.array([1.0, 2.0])  # noqa: E741
    expected = ref.poly_detector_jvp(I, 0.3, 1.1, 0.0, np.ones(2), 0.5, 0.25, 1.0)
    for a_dot in (np.float32(0.5), np.array(0.5), 0.5):
        result = ref.poly_detector_jvp(I, 0.3, 1.1, 0.0, np.ones(2), a_dot, 0.25, 1)
        np.testing.assert_array_equal(result[1], expected[1])
    with pytest.raises(TypeError, match="a_dot"):
        ref.poly_detector_jvp(I, 0.3, 1.1, 0.0, np.ones(2), 0.5j, 0.25, 1.0)
    with pytest.raises(TypeError, match="c_dot"):
        ref.poly_detector_jvp(I, 0.3, 1.1, 0.0, np.ones(2), 0.5, 0.25, "1")
    with pytest.raises(ValueError, match="b_dot"):
        ref.poly_detector_jvp(I, 0.3, 1.1, 0.0, np.ones(2), 0.5, np.inf, 1.0)


def test_power_jvp_refuses_an_infinite_derivative_as_power_vjp_does():
    x = np.array([0.0, 1.0])
    ref.power(x, 0.5)  # the op is defined there
    with pytest.raises(ValueError) as vjp_error:
        ref.power_vjp(np.ones(2), x, 0.5)
    with pytest.raises(ValueError) as jvp_error:
        ref.power_jvp(x, np.ones(2), 0.5)
    assert str(jvp_error.value) == str(vjp_error.value)


# --------------------------------------------------------------------------------- tangents

def _array_tangent_slots(case):
    name, primals, tangents, constants = setup(case, "double", (2, 3, 4))
    return [(k, p) for k, p in enumerate(primals) if isinstance(p, np.ndarray)]


TANGENT_NAMES = {"add": ("x_dot", "y_dot"), "mul": ("x_dot", "y_dot"),
                 "matmul": ("x_dot", "y_dot"), "wsse": ("M_dot",),
                 "poly_detector": ("I_dot", "a_dot", "b_dot", "c_dot")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tangent_of_the_wrong_shape_or_dtype_is_refused_by_name(case):
    name, primals, tangents, constants = setup(case, "double", (2, 3, 4))
    names = TANGENT_NAMES.get(name, ("x_dot",))
    jvp = jvp_of(name)
    for k, p in enumerate(primals):
        if not isinstance(p, np.ndarray):
            continue
        bad = list(tangents)
        bad[k] = np.zeros(p.shape + (1,), p.dtype)
        with pytest.raises(ValueError, match=names[k]):
            jvp(*primals, *bad, *constants)
        bad[k] = tangents[k].astype(np.complex64 if p.dtype.kind == "c" else np.float32)
        with pytest.raises(TypeError, match=names[k]):
            jvp(*primals, *bad, *constants)
        if p.dtype.kind != "c":
            bad[k] = tangents[k] + 0j
            with pytest.raises(TypeError, match=names[k]):
                jvp(*primals, *bad, *constants)
        bad[k] = tangents[k].tolist()
        with pytest.raises(TypeError, match=names[k]):
            jvp(*primals, *bad, *constants)


@pytest.mark.parametrize("name", ["add", "mul"])
def test_python_number_x_takes_a_python_number_tangent(name):
    y = np.ones(3)
    jvp = jvp_of(name)
    with pytest.raises(TypeError, match="x_dot"):
        jvp(2.0, y, np.ones(()), np.zeros(3))
    with pytest.raises(TypeError, match="x_dot"):
        jvp(2.0, y, 1j, np.zeros(3))  # a real number x takes a real tangent
    with pytest.raises(TypeError, match="x_dot"):
        jvp(2.0, y, None, np.zeros(3))
    z, z_dot = jvp(2.0j, y, 1.0, np.zeros(3))  # a real tangent of a complex number is fine
    assert z_dot.dtype == np.complex128


# ------------------------------------------------------------------------------- bad primals

def _tangent_for(value):
    if isinstance(value, np.ndarray):
        return np.zeros_like(value)
    if isinstance(value, list):
        return np.zeros_like(np.asarray(value))
    return 0.0


R = np.ones((2, 3, 4))
Z = R + 1j
BAD_PRIMALS = [
    ("add", (np.ones(3, int), R), ()),
    ("add", (R, 2.0), ()),
    ("add", (R, Z.astype(np.complex64)), ()),
    ("add", (R, np.ones(5)), ()),
    ("mul", (R, np.ones((2, 1, 5))), ()),
    ("mul", (np.ma.masked_array(R), R), ()),
    ("matmul", (R, R), ()),
    ("matmul", (np.ones(3), R), ()),
    ("power", (-R,), (0.5,)),
    ("power", (0 * R,), (-1.0,)),
    ("power", (R,), (1j,)),
    ("power", (R,), (np.ones(5),)),
    ("broadcast", (R,), ((3, 4),)),
    ("broadcast", (R,), ("shape",)),
    ("abs2", (np.ones(3, np.float16),), ()),
    ("real", (R,), ()),
    ("imag", (R,), ()),
    ("exp", (np.ones(3, bool),), ()),
    ("expi", (Z,), ()),
    ("to_complex", (Z,), ()),
    ("wsse", (Z,), (R, None)),
    ("wsse", (R,), (np.ones(5), None)),
    ("wsse", (R,), (R, np.inf)),
    ("wsse", (R,), (R.astype(np.float32), None)),
    ("poly_detector", (R, 1j, 1.0, 0.0), ()),
    ("poly_detector", (R, 1.0, np.nan, 0.0), ()),
    ("poly_detector", (Z, 1.0, 1.0, 0.0), ()),
    ("mean_normalize", (np.ones(4),), (1.0,)),
    ("mean_normalize", (R - 1,), (1.0,)),
    ("mean_normalize", (R,), (1j,)),
]


@pytest.mark.parametrize("name, primals, constants", BAD_PRIMALS,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(BAD_PRIMALS)])
def test_bad_primal_arguments_raise_what_the_op_raises(name, primals, constants):
    with pytest.raises((TypeError, ValueError)) as expected:
        getattr(ref, name)(*primals, *constants)
    tangents = tuple(_tangent_for(p) for p in primals)
    with pytest.raises(expected.type) as actual:
        jvp_of(name)(*primals, *tangents, *constants)
    assert str(actual.value) == str(expected.value)


def test_every_jvp_has_bad_primal_cases():
    assert {name for name, _, _ in BAD_PRIMALS} == set(JVPS)


@pytest.mark.parametrize("name", JVPS)
def test_docstring_states_the_rule_and_the_pairing(name):
    doc = jvp_of(name).__doc__
    assert "Forward-mode rule" in doc and "Eq." in doc
    assert f"{name}_vjp" in doc and "<a, b> = sum(conj(a) * b)" in doc

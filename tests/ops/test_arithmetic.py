"""C++ arithmetic ops (add, mul, matmul, power, broadcast) against their reference twins; dot
tests of the C++ linear ops; bad input; strided views; the strict _core boundary."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import ops, reference
from phasegrad.check import check_adjoint, check_vjp, random_like
from phasegrad.native import core as _core

PRECISIONS = {"single": (np.float32, np.complex64), "double": (np.float64, np.complex128)}
KINDS = {"real": 0, "complex": 1}

# (x shape, y shape): one size; leading 1s; a plane and a stack both ways; size-1 and 0-d x;
# odd and even planes; and broadcasts outside the kernels' layout (the NumPy fallback).
LAYOUTS = [
    ((8, 8), (8, 8)),
    ((9, 12), (9, 12)),
    ((1, 7, 5), (7, 5)),
    ((7, 5), (3, 7, 5)),
    ((2, 3, 7, 5), (7, 5)),
    ((1, 5), (4, 3, 5)),
    ((), (9, 12)),
    ((1, 1), (6, 4)),
    ((4, 6), (1,)),
    ((9, 1), (1, 12)),
    ((3, 1, 5), (3, 7, 5)),
]


def draw(shape, dtype, rng):
    return random_like(np.zeros(shape, dtype), rng)


def dtypes(precision, *kinds):
    return [PRECISIONS[precision][KINDS[k]] for k in kinds]


def _in_double(v):
    single = isinstance(v, np.ndarray) and v.dtype in (np.float32, np.complex64)
    return v.astype(np.result_type(v.dtype, np.float64)) if single else v


def _typed_like(value, template):
    if isinstance(template, tuple):
        return tuple(_typed_like(v, t) for v, t in zip(value, template, strict=True))
    if isinstance(template, np.ndarray):
        return np.asarray(value).astype(template.dtype)
    return value


def agree(twins, name, *args):
    """ops.<name>(*args) gives the reference's result: the same structure, shapes and dtypes,
    and values within the twins tolerance of the dtype.

    Single-precision values are compared with the reference evaluated in double precision
    (then rounded to the single-precision result's dtypes): where a gradient is a sum whose
    terms cancel, NumPy's single-precision rounding (its SIMD loops fuse multiply-adds) and the
    kernels' double-precision terms differ by more than 2e-6 relative, though the kernels'
    answer is the closer one to the exact sum.
    """
    actual = getattr(ops, name)(*args)
    expected = getattr(reference, name)(*args)
    if any(isinstance(a, np.ndarray) and a.dtype in (np.float32, np.complex64) for a in args):
        expected = _typed_like(getattr(reference, name)(*map(_in_double, args)), expected)
    twins(actual, expected)
    return actual


# ----------------------------------------------------------------------------------- add, mul


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("x_kind, y_kind, g_kind", [
    ("complex", "complex", "complex"), ("real", "complex", "complex"),
    ("complex", "real", "complex"), ("real", "real", "real"), ("real", "real", "complex"),
    ("complex", "complex", "real"),
])
@pytest.mark.parametrize("x_shape, y_shape", LAYOUTS)
@pytest.mark.parametrize("name", ["add", "mul"])
def test_binary_ops_match_reference(name, x_shape, y_shape, x_kind, y_kind, g_kind, precision,
                                    rng, twins):
    x_dtype, y_dtype, g_dtype = dtypes(precision, x_kind, y_kind, g_kind)
    x, y = draw(x_shape, x_dtype, rng), draw(y_shape, y_dtype, rng)
    z = agree(twins, name, x, y)
    agree(twins, f"{name}_vjp", draw(z.shape, g_dtype, rng), x, y)


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("number", [2.5, -3, 0.5 - 1.5j])
@pytest.mark.parametrize("y_kind", KINDS)
@pytest.mark.parametrize("name", ["add", "mul"])
def test_python_number_x_matches_reference(name, y_kind, number, precision, rng, twins):
    (y_dtype,) = dtypes(precision, y_kind)
    y = draw((9, 12), y_dtype, rng)
    z = agree(twins, name, number, y)
    for g_dtype in dtypes(precision, "real", "complex"):
        # A Python number's gradient is a Python number, summed in double (twins checks type).
        x_bar, _ = agree(twins, f"{name}_vjp", draw(z.shape, g_dtype, rng), number, y)
        assert type(x_bar) is (complex if isinstance(number, complex) else float)


# Above the parallel grain (32768 elements): a plane over a stack both ways, with an inner
# axis long enough for threads to split it (>= 2 * 65536) and a shorter one (threads split the
# batch, each with its own partial sums); a short inner axis with a long batch; equal sizes;
# and a scalar (a parallel reduction).
LARGE_LAYOUTS = [
    ((256, 512), (2, 256, 512)),
    ((3, 128, 128), (128, 128)),
    ((4096, 16), (16,)),
    ((256, 255), (256, 255)),
    ((), (3, 128, 127)),
]


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("x_kind, y_kind", [("complex", "complex"), ("real", "complex")])
@pytest.mark.parametrize("x_shape, y_shape", LARGE_LAYOUTS)
@pytest.mark.parametrize("name", ["add", "mul"])
def test_large_binary_ops_match_reference_on_threads(name, x_shape, y_shape, x_kind, y_kind,
                                                     precision, rng, twins, thread_count):
    x_dtype, y_dtype = dtypes(precision, x_kind, y_kind)
    x, y = draw(x_shape, x_dtype, rng), draw(y_shape, y_dtype, rng)
    z = agree(twins, name, x, y)
    agree(twins, f"{name}_vjp", draw(z.shape, z.dtype, rng), x, y)


def test_large_python_number_sum_on_threads(rng, twins, thread_count):
    y = draw((3, 128, 127), np.complex128, rng)
    z_bar = draw(y.shape, np.complex128, rng)
    agree(twins, "mul_vjp", z_bar, 1.5 - 2j, y)
    agree(twins, "add_vjp", z_bar, 0.25, y)


@pytest.mark.parametrize("x_shape, y_shape", LARGE_LAYOUTS)
def test_two_threads_agree_with_one(x_shape, y_shape, rng, twins):
    x, y = draw(x_shape, np.complex128, rng), draw(y_shape, np.complex128, rng)
    z_bar = draw(np.broadcast_shapes(x_shape, y_shape), np.complex128, rng)
    with pg.threads(1):
        one = ops.mul(x, y), ops.mul_vjp(z_bar, x, y), ops.add_vjp(z_bar, x, y)
    with pg.threads(2):
        two = ops.mul(x, y), ops.mul_vjp(z_bar, x, y), ops.add_vjp(z_bar, x, y)
    twins(two, one, rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.float32, np.float64])
@pytest.mark.parametrize("x_shape, y_shape", [((7, 5), (3, 7, 5)), ((3, 9, 12), (9, 12)),
                                              ((9, 12), (9, 12)), ((1, 1), (4, 6))])
def test_mul_passes_the_dot_test_in_each_operand(x_shape, y_shape, dtype, rng):
    # mul is linear in each operand; its reverse rule (with the broadcast sum) is the adjoint.
    x, y = draw(x_shape, dtype, rng), draw(y_shape, dtype, rng)
    in_y = check_adjoint(lambda v: ops.mul(x, v), lambda w: ops.mul_vjp(w, x, y)[1], y)
    in_x = check_adjoint(lambda v: ops.mul(v, y), lambda w: ops.mul_vjp(w, x, y)[0], x)
    assert in_y.ok, in_y
    assert in_x.ok, in_x


@pytest.mark.parametrize("x_shape, y_shape", [((7, 5), (3, 7, 5)), ((), (4, 6)),
                                              ((3, 4), (3, 4))])
def test_binary_vjps_match_finite_differences(x_shape, y_shape, rng):
    x, y = draw(x_shape, np.complex128, rng), draw(y_shape, np.float64, rng)
    for op, op_vjp in ((ops.add, ops.add_vjp), (ops.mul, ops.mul_vjp)):
        result = check_vjp(op, lambda z_bar, op_vjp=op_vjp: op_vjp(z_bar, x, y), (x, y))
        assert result, str(result)


def test_gradients_are_new_arrays(rng):
    x, y = draw((5, 6), np.complex128, rng), draw((5, 6), np.complex128, rng)
    z_bar = draw((5, 6), np.complex128, rng)
    for grads in (ops.add_vjp(z_bar, x, y), ops.mul_vjp(z_bar, x, y)):
        for g in grads:
            for v in (x, y, z_bar):
                assert not np.shares_memory(g, v)
        assert not np.shares_memory(grads[0], grads[1])
    for out in (ops.add(x, y), ops.mul(x, y), ops.broadcast(x, (5, 6)),
                ops.broadcast_vjp(z_bar, (5, 6))):
        assert not any(np.shares_memory(out, v) for v in (x, y, z_bar))


# ------------------------------------------------------------------------------------- matmul


@pytest.mark.parametrize("precision", PRECISIONS)
@pytest.mark.parametrize("x_kind, y_kind", [("complex", "complex"), ("real", "complex"),
                                            ("real", "real")])
@pytest.mark.parametrize("x_shape, y_shape", [((4, 5), (5, 3)), ((2, 3, 4), (4, 5)),
                                              ((7, 6), (3, 6, 2))])
def test_matmul_matches_reference(x_shape, y_shape, x_kind, y_kind, precision, rng, twins):
    x_dtype, y_dtype = dtypes(precision, x_kind, y_kind)
    x, y = draw(x_shape, x_dtype, rng), draw(y_shape, y_dtype, rng)
    z = agree(twins, "matmul", x, y)
    agree(twins, "matmul_vjp", draw(z.shape, z.dtype, rng), x, y)


# -------------------------------------------------------------------------------------- power

NUMBER_EXPONENTS = [2, 3, 1, 0, -1, 0.5, 2.7, -2.5, 7, 150, 1.5]


def power_base(shape, dtype, rng):
    """A base away from 0 (every exponent allowed), positive when real."""
    x = draw(shape, dtype, rng)
    return x + np.sign(x.real).astype(x.dtype) if x.dtype.kind == "c" else np.abs(x) + 0.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("c", NUMBER_EXPONENTS)
@pytest.mark.parametrize("shape", [(8, 8), (3, 9, 5)])
def test_power_matches_reference(shape, c, dtype, rng, twins):
    x = power_base(shape, dtype, rng)
    if abs(c) > 100:
        x = (x / np.abs(x)).astype(dtype)  # |x| = 1: x**150 stays finite in single precision
    agree(twins, "power", x, c)
    for g_dtype in {np.dtype(dtype), np.result_type(dtype, np.complex64)}:
        agree(twins, "power_vjp", draw(shape, g_dtype, rng), x, c)


@pytest.mark.parametrize("dtype", [np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("c_shape", [(9, 5), (3, 9, 5), (5,), (1, 1), (9, 1), (3, 1, 5)])
def test_power_with_exponent_arrays_matches_reference(c_shape, dtype, rng, twins):
    x = power_base((3, 9, 5), dtype, rng)
    real = np.float32 if np.dtype(dtype) == np.complex64 else np.float64
    c = rng.choice([2.0, -1.0, 0.5, 3.3, 0.0, 1.0], size=c_shape).astype(real)
    agree(twins, "power", x, c)
    agree(twins, "power_vjp", draw(x.shape, x.dtype, rng), x, c)


def test_power_of_negative_real_base_and_zero_entries(rng, twins):
    x = draw((6, 7), np.float64, rng)
    x[0, :3] = 0.0
    for c in (2, 3, 1, 4.0):
        twins(ops.power(x, c), reference.power(x, c))
        twins(ops.power_vjp(x, x, c), reference.power_vjp(x, x, c))
    z = draw((6, 7), np.complex128, rng)
    z[1, 1] = 0
    twins(ops.power(z, 2.5), reference.power(z, 2.5))
    twins(ops.power(z, 0), reference.power(z, 0))


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
@pytest.mark.parametrize("c", [2, 0.5, 2.7])
def test_large_power_matches_reference_on_threads(c, dtype, rng, twins, thread_count):
    x = power_base((3, 128, 127), dtype, rng)
    agree(twins, "power", x, c)
    y_bar = draw(x.shape, x.dtype, rng)
    agree(twins, "power_vjp", y_bar, x, c)
    c_array = np.full((128, 127), c, dtype=np.float32 if dtype == np.float32 else np.float64)
    agree(twins, "power_vjp", y_bar, x, c_array)


@pytest.mark.parametrize("c", [2, 0.5, -1.5, 3])
def test_power_vjp_matches_finite_differences(c, rng):
    x = power_base((4, 5), np.complex128, rng)
    result = check_vjp(lambda v: ops.power(v, c), lambda y_bar: ops.power_vjp(y_bar, x, c), x)
    assert result, str(result)


# ---------------------------------------------------------------------------------- broadcast

BROADCASTS = [
    ((7, 5), (3, 7, 5)),
    ((), (4, 5)),
    ((1,), (3, 4)),
    ((5,), (2, 3, 5)),
    ((1, 5), (1, 5)),
    ((5,), (1, 5)),
    ((3, 1), (3, 4)),
    ((2, 1, 5), (2, 3, 5)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("x_shape, shape", BROADCASTS)
def test_broadcast_matches_reference(x_shape, shape, dtype, rng, twins):
    x = draw(x_shape, dtype, rng)
    agree(twins, "broadcast", x, shape)
    agree(twins, "broadcast_vjp", draw(shape, dtype, rng), x_shape)


@pytest.mark.parametrize("dtype", [np.float32, np.complex128])
@pytest.mark.parametrize("x_shape, shape", [((128, 128), (3, 128, 128)), ((16,), (4096, 16)),
                                            ((256, 512), (2, 256, 512)),
                                            ((), (256, 255)), ((256, 255), (1, 256, 255))])
def test_large_broadcast_matches_reference_on_threads(x_shape, shape, dtype, rng, twins,
                                                      thread_count):
    x = draw(x_shape, dtype, rng)
    agree(twins, "broadcast", x, shape)
    agree(twins, "broadcast_vjp", draw(shape, dtype, rng), x_shape)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, np.float32, np.float64])
@pytest.mark.parametrize("x_shape, shape", [((7, 5), (3, 7, 5)), ((), (9, 12)),
                                            ((16,), (2100, 16)), ((9, 12), (1, 9, 12))])
def test_broadcast_passes_the_dot_test(x_shape, shape, dtype):
    result = check_adjoint(lambda v: ops.broadcast(v, shape),
                           lambda w: ops.broadcast_vjp(w, x_shape), np.zeros(x_shape, dtype))
    assert result.ok, result


def test_broadcast_result_is_writeable_and_its_own():
    x = np.arange(3.0)
    y = ops.broadcast(x, (2, 3))
    y[0, 0] = 7.0
    assert x[0] == 0.0 and y.flags.writeable and y.flags.c_contiguous


# ------------------------------------------------------------------------- bad input, views


F64 = np.ones((3, 4))
C64 = np.ones((3, 4), np.complex64)
LONG = np.ones((3, 4), np.longdouble)
INTS = np.ones((3, 4), int)
EMPTY = np.ones((0, 4))

BAD_CALLS = [
    ("add", INTS, F64), ("add", F64, INTS), ("add", LONG, F64), ("add", F64, LONG),
    ("add", C64, F64), ("add", F64, np.ones(5)), ("add", EMPTY, F64), ("add", 2.0, 3.0),
    ("add", F64, EMPTY), ("add", True, F64), ("add", np.ma.ones(3), np.ones(3)),
    ("mul", INTS, F64), ("mul", LONG, F64), ("mul", C64, F64), ("mul", F64, np.ones(5)),
    ("mul", EMPTY, F64), ("mul", 2.0, 3.0), ("mul", np.clongdouble(1), F64),
    ("add_vjp", F64, INTS, F64), ("add_vjp", INTS, F64, F64), ("add_vjp", LONG, F64, F64),
    ("add_vjp", F64, C64, F64), ("add_vjp", C64, F64, F64), ("add_vjp", np.ones(4), F64, F64),
    ("add_vjp", F64, F64, np.ones(5)), ("add_vjp", EMPTY, EMPTY, EMPTY),
    ("add_vjp", F64, 2.0, 3.0),
    ("mul_vjp", F64, INTS, F64), ("mul_vjp", INTS, F64, F64), ("mul_vjp", LONG, F64, F64),
    ("mul_vjp", F64, C64, F64), ("mul_vjp", C64, F64, F64), ("mul_vjp", np.ones(4), F64, F64),
    ("mul_vjp", F64, F64, np.ones(5)), ("mul_vjp", EMPTY, EMPTY, EMPTY),
    ("mul_vjp", np.ones((3, 4)), 1j, np.ones((3, 4), np.float32)),
    ("matmul", INTS, F64.T), ("matmul", LONG, F64.T), ("matmul", C64, F64.T),
    ("matmul", F64, F64), ("matmul", np.ones(4), F64), ("matmul", EMPTY, np.ones((4, 2))),
    ("matmul", np.ones((2, 3, 4)), np.ones((3, 4, 2))),
    ("matmul_vjp", np.ones((4, 4)), F64, F64.T), ("matmul_vjp", INTS, F64, F64.T),
    ("matmul_vjp", C64[:, :3], F64, F64.T),
    ("power", INTS, 2), ("power", LONG, 2), ("power", F64, 1j), ("power", F64, np.inf),
    ("power", F64, np.ones(5)), ("power", F64, np.ones(4, np.float32)), ("power", EMPTY, 2),
    ("power", -F64, 0.5), ("power", 0 * F64, -1), ("power", F64, "2"),
    ("power", F64, np.array([np.nan, 1, 1, 1])), ("power", F64, np.ones((3, 4), complex)),
    ("power", C64, np.ones(4)),
    ("power_vjp", F64, INTS, 2), ("power_vjp", LONG, F64, 2), ("power_vjp", C64, F64, 2),
    ("power_vjp", np.ones(4), F64, 2), ("power_vjp", F64, 0 * F64, 0.5),
    ("power_vjp", F64, -F64, 0.5), ("power_vjp", F64, F64, np.nan), ("power_vjp", EMPTY, EMPTY, 2),
    ("broadcast", INTS, (2, 3, 4)), ("broadcast", LONG, (2, 3, 4)), ("broadcast", F64, (4, 3)),
    ("broadcast", F64, (3, 4.0)), ("broadcast", F64, "34"), ("broadcast", EMPTY, (0, 4)),
    ("broadcast", F64, (3, 0)), ("broadcast", F64, (3, -4)),
    ("broadcast_vjp", INTS, (4,)), ("broadcast_vjp", LONG, (4,)), ("broadcast_vjp", F64, (3,)),
    ("broadcast_vjp", F64, (2, 3, 4)), ("broadcast_vjp", EMPTY, (4,)),
    ("broadcast_vjp", F64, None),
]


@pytest.mark.parametrize("call", BAD_CALLS, ids=lambda call: call[0])
def test_bad_input_raises_what_the_reference_raises(call, same_error):
    same_error(*call)


def _views(rng):
    base = draw((4, 10, 12), np.complex128, rng)
    real = draw((4, 10, 12), np.float64, rng)
    return [base[:, ::2, ::-2], base[::-1, 1:6, :6], base.transpose(0, 2, 1)[:, :5, :6],
            real[:, ::-2, 1::2], real[:, 2:7, ::-2]]


def test_strided_and_negative_stride_views_give_the_answer_of_copies(rng, twins):
    shapes = [v.shape for v in _views(rng)]
    assert len(set(shapes)) == 1  # every view is (4, 5, 6): any two combine
    views = _views(rng)
    plane = views[1][0]  # (5, 6), negative strides on its own
    before = [v.copy() for v in views + [plane]]
    for a in views:
        for b in (views[0], views[3], plane):
            ac, bc = a.copy(), b.copy()
            twins(ops.add(a, b), reference.add(ac, bc))
            twins(ops.mul(b, a), reference.mul(bc, ac))
            twins(ops.mul_vjp(a, b, views[4]), reference.mul_vjp(ac, bc, views[4].copy()))
            twins(ops.add_vjp(a, b, a), reference.add_vjp(ac, bc, ac))
        twins(ops.broadcast(plane, a.shape), reference.broadcast(plane.copy(), a.shape))
        twins(ops.broadcast_vjp(a, plane.shape), reference.broadcast_vjp(a.copy(), plane.shape))
        twins(ops.power(a, 3), reference.power(a.copy(), 3))
        c = np.abs(views[3][0])  # a strided exponent array repeated over the batch
        x = np.abs(views[3]) + 0.5
        twins(ops.power(x, c), reference.power(x.copy(), c.copy()))
        twins(ops.power_vjp(a, x, c), reference.power_vjp(a.copy(), x.copy(), c.copy()))
        twins(ops.matmul(a, views[0].transpose(0, 2, 1)),
              reference.matmul(a.copy(), views[0].transpose(0, 2, 1).copy()))
    for v, b in zip(views + [plane], before, strict=True):
        np.testing.assert_array_equal(v, b)


@pytest.mark.filterwarnings("ignore:the matrix subclass:PendingDeprecationWarning")
def test_matrix_subclass_is_element_wise(twins):
    m = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    twins(ops.mul(m, m), reference.mul(m, m))
    assert type(ops.mul(m, m)) is np.ndarray


# ------------------------------------------------------------------------ the _core boundary


@pytest.mark.parametrize("call, error", [
    (lambda: _core.add(np.ones(4), np.ones(4, np.float32), 1), TypeError),
    (lambda: _core.add(np.ones(4, int), np.ones(4), 1), TypeError),
    (lambda: _core.add(np.ones(4, np.longdouble), np.ones(4), 1), TypeError),
    (lambda: _core.add(np.ones(4), np.ones(4, np.longdouble), 1), TypeError),
    (lambda: _core.add(np.ones(4).tolist(), np.ones(4), 1), TypeError),
    (lambda: _core.mul(np.ones((4, 4))[:, ::2], np.ones(2), 1), ValueError),
    (lambda: _core.mul(np.ones(4), np.ones(3), 1), ValueError),
    (lambda: _core.mul(np.ones(0), np.ones(1), 1), ValueError),
    (lambda: _core.mul(np.ones(4), np.ones(0), 1), ValueError),
    (lambda: _core.add_vjp(np.ones(6), False, True, 4, 1), ValueError),
    (lambda: _core.add_vjp(np.ones(6), False, True, 0, 1), ValueError),
    (lambda: _core.add_vjp(np.ones(6, np.float16), False, True, 3, 1), TypeError),
    (lambda: _core.mul_vjp(np.ones(4), np.ones(6), np.ones(3), 1), ValueError),
    (lambda: _core.mul_vjp(np.ones(6), np.ones(6, np.complex64), np.ones(3), 1), TypeError),
    (lambda: _core.mul_vjp(np.ones(6), np.ones(6), np.ones((3, 2))[:, 0], 1), ValueError),
    (lambda: _core.broadcast(np.ones(3), 0, 1), ValueError),
    (lambda: _core.broadcast(np.ones(3, np.int32), 2, 1), TypeError),
    (lambda: _core.sum_leading(np.ones(6), 4, 1), ValueError),
    (lambda: _core.sum_leading(np.ones((3, 4)).T, 3, 1), ValueError),
    (lambda: _core.power(np.ones(4, np.float16), 2.0, 1), TypeError),
    (lambda: _core.power(np.ones((4, 4))[::-1], 2.0, 1), ValueError),
    (lambda: _core.power_array(np.ones(4), np.ones(4, np.float32), 1), TypeError),
    (lambda: _core.power_array(np.ones(4, complex), np.ones(4, complex), 1), TypeError),
    (lambda: _core.power_array(np.ones(4), np.ones(3), 1), ValueError),
    (lambda: _core.power_vjp(np.ones(3), np.ones(4), 2.0, None, 1), ValueError),
    (lambda: _core.power_vjp(np.ones(4), np.ones(4), 2.0, [1.0], 1), TypeError),
    (lambda: _core.power_vjp(np.ones(4), np.ones(4), 2.0, np.ones(4, np.float32), 1), TypeError),
])
def test_core_refuses_what_python_would_have_caught(call, error):
    with pytest.raises(error):
        call()


@pytest.mark.parametrize("name", ["add", "add_vjp", "mul", "mul_vjp", "matmul", "matmul_vjp",
                                  "power", "power_vjp", "broadcast", "broadcast_vjp", "basis",
                                  "basis_vjp"])
def test_signature_and_docstring_of_the_reference_twin(name):
    import inspect

    op, twin = getattr(ops, name), getattr(reference, name)
    assert inspect.signature(op) == inspect.signature(twin)
    assert op.__doc__.startswith(twin.__doc__.partition("\n")[0])
    assert f"phasegrad.reference.{name}" in op.__doc__


def _cancelling(n, dtype):
    """n values 1e8, 1, 1, ..., 1, -1e8: their sum, n - 2, survives only a double accumulator
    (in float32, 1e8 + 1 == 1e8)."""
    v = np.ones(n, dtype)
    v[0], v[-1] = 1e8, -1e8
    return v


@pytest.mark.parametrize("dtype", [np.float32, np.complex64])
def test_sums_accumulate_in_double(dtype, thread_count):
    n = 40000
    column = _cancelling(n, dtype)
    plane = np.repeat(column[:, None], 3, axis=1)            # (n, 3): sums over the batch
    assert ops.broadcast_vjp(column, ()) == n - 2
    np.testing.assert_array_equal(ops.broadcast_vjp(plane, (3,)), np.full(3, n - 2, dtype))
    ones = np.ones(n, dtype)
    x_bar, _ = ops.mul_vjp(column, 1.0, ones)
    assert x_bar == n - 2
    x_bar, y_bar = ops.add_vjp(plane, np.ones((1, 3), dtype), np.ones((n, 3), dtype))
    np.testing.assert_array_equal(x_bar, np.full((1, 3), n - 2, dtype))
    x_bar, _ = ops.mul_vjp(plane, np.ones(3, dtype), np.ones((n, 3), dtype))
    np.testing.assert_array_equal(x_bar, np.full(3, n - 2, dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("c", [2.7, -1.5, 7.0, 0.25])
def test_core_power_of_real_x_to_any_exponent(c, dtype, rng, twins):
    # ops hands these to NumPy's vectorised pow; the kernel's own pow path stays correct.
    x = power_base((3, 9, 5), dtype, rng)
    y_bar = draw(x.shape, dtype, rng)
    c_array = np.full((9, 5), c, dtype)
    expected = reference.power(x.astype(np.float64), c).astype(dtype)
    expected_bar = reference.power_vjp(y_bar.astype(np.float64), x.astype(np.float64),
                                       c).astype(dtype)
    twins(_core.power(x, c, 1), expected)
    twins(_core.power_array(x, c_array, 1), expected)
    twins(_core.power_vjp(y_bar, x, c, None, 1), expected_bar)
    twins(_core.power_vjp(y_bar, x, 0.0, c_array, 1), expected_bar)

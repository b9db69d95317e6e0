"""C++ Fourier ops against their reference twins; dot tests of the C++ linear ops."""

import inspect

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import ops, reference
from phasegrad.check import check_adjoint, check_vjp, random_like
from phasegrad.native import core as _core

DTYPES = [np.complex64, np.complex128]
SHAPES = [(8, 8), (9, 12), (3, 7, 5), (2, 2, 6, 4), (1, 16)]
NORMS = ["backward", "ortho", "forward", 0.25]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ["dft2", "dft2_vjp", "idft2", "idft2_vjp"])
def test_matches_reference(name, norm, shape, dtype, rng, twins, thread_count):
    x = random_like(np.zeros(shape, dtype), rng)
    twins(getattr(ops, name)(x, norm=norm), getattr(reference, name)(x, norm=norm))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(8, 8), (9, 12), (3, 7, 5)])
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name", ["dft2", "idft2"])
def test_dot_test(name, norm, shape, dtype):
    forward = getattr(ops, name)
    adjoint = getattr(ops, f"{name}_vjp")
    result = check_adjoint(lambda v: forward(v, norm=norm), lambda w: adjoint(w, norm=norm),
                           np.zeros(shape, dtype))
    assert result.ok, result


def test_strided_and_negative_stride_inputs(rng, twins):
    base = random_like(np.zeros((3, 10, 12), np.complex128), rng)
    for view in (base[:, ::2, ::-3], base[::-1, 1:, :], base.transpose(0, 2, 1)):
        before = view.copy()
        twins(ops.dft2(view, norm="ortho"), reference.dft2(before, norm="ortho"))
        np.testing.assert_array_equal(view, before)


def test_large_batch_uses_threads_and_agrees(rng, twins):
    x = random_like(np.zeros((4, 128, 128), np.complex128), rng)
    import phasegrad as pg

    with pg.threads(1):
        one = ops.dft2(x)
    with pg.threads(2):
        two = ops.dft2(x)
    twins(two, one, rtol=1e-14)
    twins(one, reference.dft2(x))


@pytest.mark.parametrize("name", ["dft2", "idft2", "dft2_vjp", "idft2_vjp"])
@pytest.mark.parametrize("x, error, match", [
    (np.ones((4, 4)), TypeError, "complex64 or complex128"),
    (np.ones((4, 4), dtype=np.clongdouble), TypeError, "complex64 or complex128"),
    (np.ones(4, dtype=complex), ValueError, "at least 2 axes"),
    (np.ones((0, 4), dtype=complex), ValueError, "must not be empty"),
])
def test_bad_input(name, x, error, match):
    with pytest.raises(error, match=match):
        getattr(ops, name)(x)
    with pytest.raises(ValueError, match="norm"):
        getattr(ops, name)(np.ones((4, 4), complex), norm="sideways")


# ---------------------------------------------------------------- mft, convolve

def draw(shape, dtype, rng):
    return random_like(np.zeros(shape, dtype), rng)


@pytest.fixture
def quick_plans():
    """FFTW_ESTIMATE plans while the test runs: convolve's many (batch, in-place, threads)
    combinations would otherwise spend seconds in FFTW_MEASURE planning. The transforms are
    the same; plans are cached per effort, so no other test sees these."""
    previous = pg.fft.get_planner_effort()
    pg.fft.set_planner_effort("estimate")
    yield
    pg.fft.set_planner_effort(previous)


@pytest.mark.parametrize("module", [ops, reference], ids=["ops", "reference"])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["dft2", "idft2"])
def test_out_receives_the_transform(name, dtype, module, rng, twins, thread_count):
    x = random_like(np.zeros((3, 9, 12), dtype), rng)
    out = np.full_like(x, np.nan)
    y = getattr(module, name)(x, "ortho", out=out)
    assert y is out
    twins(out, getattr(reference, name)(x, "ortho"))


def _bad_outs(x):
    wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), x.dtype)
    read_only = np.zeros_like(x)
    read_only.flags.writeable = False
    misaligned = np.frombuffer(np.zeros(x.nbytes + 1, np.uint8), x.dtype, x.size,
                               1).reshape(x.shape)
    return {
        "list": (x.tolist(), TypeError, "^out must be an ndarray"),
        "masked": (np.ma.masked_array(np.zeros_like(x)), TypeError, "^out must be an ndarray"),
        "other precision": (x.astype(np.complex64), TypeError, "^out must have x's dtype"),
        "real": (np.zeros(x.shape), TypeError, "^out must have x's dtype"),
        "shape": (np.zeros_like(x)[:, :-1], ValueError, "^out must have x's shape"),
        "strided": (wide[..., ::2], ValueError, "^out must be C-contiguous and aligned"),
        "misaligned": (misaligned, ValueError, "^out must be C-contiguous and aligned"),
        "read-only": (read_only, ValueError, "^out must be writeable"),
        "x itself": (x, ValueError, "^out must not overlap x"),
    }


@pytest.mark.parametrize("case", list(_bad_outs(np.zeros((2, 4, 6), np.complex128))))
@pytest.mark.parametrize("name", ["dft2", "idft2"])
def test_bad_out_raises_the_references_error(name, case):
    x = np.ones((2, 4, 6), np.complex128)
    bad, error, match = _bad_outs(x)[case]
    with pytest.raises(error, match=match) as expected:
        getattr(reference, name)(x, out=bad)
    with pytest.raises(error) as got:
        getattr(ops, name)(x, out=bad)
    assert str(got.value) == str(expected.value)
    assert np.all(x == 1)  # x untouched, whatever out was


def test_core_refuses_an_out_it_cannot_write():
    x = np.ones((4, 6), np.complex128)
    read_only = np.zeros_like(x)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        _core.dft2(x, 1.0, False, 1, read_only)
    with pytest.raises(TypeError, match="out must have dtype complex128"):
        _core.dft2(x, 1.0, False, 1, x.astype(np.complex64))
    with pytest.raises(ValueError, match="out has the wrong shape"):
        _core.dft2(x, 1.0, False, 1, np.zeros((4, 5), np.complex128))
    with pytest.raises(ValueError, match="out must not overlap x"):
        _core.dft2(x, 1.0, False, 1, x)


@pytest.mark.parametrize("name", ["dft2", "idft2"])
def test_dft_signatures_are_the_references(name):
    assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(reference, name))
    assert "out" in inspect.signature(getattr(ops, name)).parameters


@pytest.mark.parametrize("name", ["mft", "mft_vjp", "convolve", "convolve_vjp"])
def test_signature_and_documentation_are_the_references(name):
    assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(reference, name))
    assert getattr(ops, name).reference is getattr(reference, name)
    assert "C++ core" in getattr(ops, name).__doc__
    if name.startswith("mft"):
        assert "BLAS" in getattr(ops, name).__doc__  # says where its products run


MFT_CASES = [  # (x shape, output plane, scale)
    ((9, 12), (8, 8), 0.09),
    ((2, 8, 8), (9, 12), (0.13, 0.071)),
    ((3, 7, 5), (6, 11), (0.05, 0.2)),
    ((2, 2, 7, 5), (7, 5), -0.3),
    ((16, 16), (16, 16), 1 / 16),
]
LARGE_MFT = ((2, 181, 190), (200, 175), (0.004, 0.0051))  # DFT matrices > 32768 elements


@pytest.mark.parametrize(("x_shape", "plane", "scale", "dtype"), [
    (*case, dtype) for case in MFT_CASES for dtype in DTYPES] + [(*LARGE_MFT, np.complex64),
                                                                 (*LARGE_MFT, np.complex128)])
def test_mft_and_mft_vjp_match_reference(x_shape, plane, scale, dtype, rng, twins,
                                         thread_count):
    x = draw(x_shape, dtype, rng)
    twins(ops.mft(x, plane, scale), reference.mft(x, plane, scale))
    y_bar = draw(x_shape[:-2] + plane, dtype, rng)
    twins(ops.mft_vjp(y_bar, x_shape, scale), reference.mft_vjp(y_bar, x_shape, scale))


def test_mft_matrices_are_the_references():
    for n_out, n_in, scale in ((9, 12, 0.13), (200, 181, 0.004), (8, 5, -1.5)):
        expected = reference.fourier._mft_matrix(n_out, n_in, scale, np.complex128)
        for conjugate in (False, True):
            for transpose in (False, True):
                want = expected.conj() if conjugate else expected
                want = want.T if transpose else want
                got = _core.mft_matrix(n_out, n_in, scale, np.dtype(np.complex128), conjugate,
                                       transpose, 2)
                assert got.shape == want.shape and got.flags.c_contiguous
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-14)
        single = _core.mft_matrix(n_out, n_in, scale, np.dtype(np.complex64), False, False, 1)
        np.testing.assert_array_equal(single, expected.astype(np.complex64))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("x_shape", "plane", "scale"), MFT_CASES)
def test_mft_dot_test(x_shape, plane, scale, dtype):
    result = check_adjoint(lambda x: ops.mft(x, plane, scale),
                           lambda y: ops.mft_vjp(y, x_shape, scale), np.zeros(x_shape, dtype))
    assert result, str(result)


CONVOLVE_SHAPES = [  # (x shape, h shape): planes odd and even, batches broadcasting
    ((9, 12), (9, 12)),
    ((2, 8, 8), (8, 8)),
    ((7, 5), (3, 7, 5)),
    ((3, 1, 7, 5), (1, 4, 7, 5)),
    ((2, 3, 6, 4), (3, 6, 4)),
]
LARGE_CONVOLVE = ((2, 128, 160), (128, 160))  # 40k elements per stack: the parallel passes
PRECISIONS = {np.float32: np.complex64, np.float64: np.complex128}
KINDS = [(a, b) for real, cplx in PRECISIONS.items()
         for a, b in ((real, real), (real, cplx), (cplx, real), (cplx, cplx))]


@pytest.mark.parametrize(("x_shape", "h_shape", "x_dtype", "h_dtype"), [
    (*shapes, *kinds) for shapes in CONVOLVE_SHAPES for kinds in KINDS] + [
    (*LARGE_CONVOLVE, *kinds) for kinds in KINDS[::3]])  # f32-f32, c64-c64, c128-f64
def test_convolve_and_convolve_vjp_match_reference(x_shape, h_shape, x_dtype, h_dtype, rng,
                                                   twins, thread_count, quick_plans):
    x, h = draw(x_shape, x_dtype, rng), draw(h_shape, h_dtype, rng)
    y = ops.convolve(x, h)
    twins(y, reference.convolve(x, h))
    real = np.dtype(x_dtype).type if np.dtype(x_dtype).kind == "f" else np.dtype(h_dtype).type
    real = {np.complex64: np.float32, np.complex128: np.float64}.get(real, real)
    for y_bar_dtype in (real, PRECISIONS[real]):  # a real or a complex cotangent
        y_bar = draw(y.shape, y_bar_dtype, rng)
        twins(ops.convolve_vjp(y_bar, x, h), reference.convolve_vjp(y_bar, x, h))


def test_convolve_threads_give_the_same_result(rng, twins, quick_plans):
    x, h = draw((3, 128, 160), np.complex128, rng), draw((128, 160), np.float64, rng)
    y_bar = draw((3, 128, 160), np.complex128, rng)
    with pg.threads(1):
        one = ops.convolve(x, h), *ops.convolve_vjp(y_bar, x, h)
    with pg.threads(2):
        two = ops.convolve(x, h), *ops.convolve_vjp(y_bar, x, h)
    for a, b in zip(one, two, strict=True):
        twins(a, b, rtol=1e-14)


@pytest.mark.parametrize(("x_dtype", "h_dtype"), KINDS, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize(("x_shape", "h_shape"), CONVOLVE_SHAPES)
def test_convolve_dot_tests_in_x_and_in_h(x_shape, h_shape, x_dtype, h_dtype, rng,
                                          quick_plans):
    x0, h0 = draw(x_shape, x_dtype, rng), draw(h_shape, h_dtype, rng)
    # A real input with a complex kernel is only R-linear: compare real inner products.
    real_inner = np.iscomplexobj(x0) != np.iscomplexobj(h0)
    in_x = check_adjoint(lambda x: ops.convolve(x, h0),
                         lambda y: ops.convolve_vjp(y, x0, h0)[0], x0, real_inner=real_inner)
    assert in_x, str(in_x)
    in_h = check_adjoint(lambda h: ops.convolve(x0, h),
                         lambda y: ops.convolve_vjp(y, x0, h0)[1], h0, real_inner=real_inner)
    assert in_h, str(in_h)


@pytest.mark.parametrize(("x_dtype", "h_dtype"), KINDS[4:], ids=lambda d: np.dtype(d).name)
def test_convolve_vjp_by_finite_differences(x_dtype, h_dtype, rng, quick_plans):
    x, h = draw((2, 6, 5), x_dtype, rng), draw((1, 6, 5), h_dtype, rng)
    result = check_vjp(ops.convolve, lambda y_bar: ops.convolve_vjp(y_bar, x, h), (x, h))
    assert result, str(result)


def test_strided_and_negative_stride_inputs_of_mft_and_convolve(rng, twins, quick_plans):
    base = draw((3, 10, 12), np.complex128, rng)
    kernel = draw((12, 10), np.float64, rng)
    for view in (base[:, ::2, ::-2], base[::-1, 2:, 4:], base.transpose(0, 2, 1)):
        before = view.copy()
        n, m = view.shape[-2:]
        h = kernel[::-1][:n, :m]
        twins(ops.mft(view, (5, 7), 0.1), reference.mft(before, (5, 7), 0.1))
        twins(ops.mft_vjp(view, (4, 9), 0.1), reference.mft_vjp(before, (4, 9), 0.1))
        twins(ops.convolve(view, h), reference.convolve(before, h.copy()))
        twins(ops.convolve(h, view), reference.convolve(h.copy(), before))
        twins(ops.convolve_vjp(view, view, h), reference.convolve_vjp(before, before, h))
        np.testing.assert_array_equal(view, before)


X = np.ones((2, 4, 5), complex)
BAD_FOURIER_CALLS = [
    ("mft", np.ones((4, 4)), (4, 4), 0.1), ("mft", X, (3, 4, 4), 0.1), ("mft", X, (4,), 0.1),
    ("mft", X, (0, 4), 0.1), ("mft", X, (4, 4), (0.1, 0.2, 0.3)), ("mft", X, (4, 4), np.nan),
    ("mft", X, (4, 4), "0.1"), ("mft", X, (4, 4), 1j), ("mft", X, 4, 0.1),
    ("mft", np.ones((4, 4), np.clongdouble), (4, 4), 0.1), ("mft", np.ones((0, 4), complex),
                                                            (4, 4), 0.1),
    ("mft", np.ones(4, complex), (4, 4), 0.1),
    ("mft_vjp", X, (3, 4, 4), 0.1), ("mft_vjp", np.ones((4, 4), np.float32), (4, 4), 0.1),
    ("mft_vjp", X, (4, 4), (np.inf, 1)), ("mft_vjp", np.ones((4, 4), np.int8), (4, 4), 0.1),
    ("mft_vjp", np.ones((2, 0, 4), complex), (4, 4), 0.1),
    ("mft_vjp", np.ones((4, 4), np.clongdouble), (4, 4), 0.1),
    ("convolve", X, np.ones((4, 4), complex)), ("convolve", X, np.ones((3, 4, 5), complex)),
    ("convolve", X.astype(np.complex64), np.ones((4, 5))),
    ("convolve", np.ones((4, 5), np.float32), np.ones((4, 5))),
    ("convolve", X, np.ones((4, 5), np.int32)), ("convolve", X, np.ones((4, 5), np.longdouble)),
    ("convolve", np.ones(5), np.ones(5)), ("convolve", np.ones((0, 5)), np.ones((0, 5))),
    ("convolve_vjp", np.ones((4, 5), complex), X, X[0]),
    ("convolve_vjp", np.ones((2, 4, 5), np.complex64), X, X[0]),
    ("convolve_vjp", np.ones((2, 4, 5), np.float16), X, X[0]),
    ("convolve_vjp", X, X, np.ones((4, 5), np.float32)),
    ("convolve_vjp", X, X, np.ones((3, 5), complex)),
    ("convolve_vjp", np.ones((0, 5)), np.ones((0, 5)), np.ones((0, 5))),
    ("convolve_vjp", X, X.astype(np.complex64), X[0]),
    ("convolve_vjp", X.astype(np.clongdouble), X, X[0]),
]


@pytest.mark.parametrize("call", BAD_FOURIER_CALLS, ids=lambda c: c[0])
def test_mft_and_convolve_bad_input_raise_the_references_errors(call, same_error):
    name, *args = call
    same_error(name, *args)


def test_core_refuses_what_it_cannot_read_as_is():
    x, h = np.ones((2, 4, 6), complex), np.ones((4, 6))
    maps = np.arange(2, dtype=np.int64), np.zeros(2, np.int64)
    with pytest.raises(TypeError, match="dtype must be complex64 or complex128"):
        _core.mft_matrix(4, 4, 0.1, np.dtype(np.float64), False, False, 1)
    with pytest.raises(ValueError, match="n_out must be positive"):
        _core.mft_matrix(0, 4, 0.1, np.dtype(np.complex128), False, False, 1)
    with pytest.raises(TypeError, match="x must have dtype float32, float64, complex64"):
        _core.convolve(x.astype(np.clongdouble), h, *maps, 1)
    with pytest.raises(TypeError, match="h must have dtype float64 or complex128"):
        _core.convolve(x, h.astype(np.float32), *maps, 1)
    with pytest.raises(ValueError, match="x must be C-contiguous"):
        _core.convolve(x[:, :, ::-1], h, *maps, 1)
    with pytest.raises(ValueError, match="h must be C-contiguous"):
        _core.convolve(x, np.ones((6, 4)).T, *maps, 1)
    with pytest.raises(ValueError, match="same plane shape"):
        _core.convolve(x, np.ones((4, 5)), *maps, 1)
    with pytest.raises(TypeError, match="x_plane must have dtype int64"):
        _core.convolve(x, h, maps[0].astype(np.int32), maps[1], 1)
    with pytest.raises(ValueError, match="x_plane and h_plane must have the same shape"):
        _core.convolve(x, h, maps[0], maps[1][:1], 1)
    with pytest.raises(ValueError, match="plane maps must index the planes"):
        _core.convolve(x, h, maps[0], maps[1] + 1, 1)
    with pytest.raises(ValueError, match="plane maps must index the planes"):
        _core.convolve_vjp(x, x, h, maps[0] - 1, maps[1], 1)
    with pytest.raises(ValueError, match="y_bar must have the shape"):
        _core.convolve_vjp(x[0], x, h, *maps, 1)
    with pytest.raises(TypeError, match="y_bar must have dtype float64 or complex128"):
        _core.convolve_vjp(x.astype(np.complex64), x, h, *maps, 1)
    with pytest.raises(ValueError, match="y_bar must be C-contiguous"):
        _core.convolve_vjp(np.ones((2, 4, 12), complex)[..., ::2], x, h, *maps, 1)

"""Hologram's least-squares view (residuals, jvp, vjp, gauss_newton_product, jacobian,
gauss_newton), both backends: E = |r|^2, the gradient = 2 J^T r, J v against central
differences, the dot test, fused against reference, the dense matrices against the products,
threads, and bad input."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import relative_error

BACKENDS = ["fused", "reference"]
DTYPES = [np.float64, np.float32]
#: Odd, even, mixed and degenerate planes, small enough for a dense Jacobian.
SHAPES = [(8, 6), (7, 9), (6, 6), (5, 7), (1, 5), (4, 1)]
METHODS = ["residuals", "jvp", "vjp", "gauss_newton_product", "jacobian", "gauss_newton"]


def target(shape, dtype=np.float64, seed=1):
    """A non-negative target with structure (a bright square) and a random background."""
    rng = np.random.default_rng(seed)
    image = rng.uniform(0.0, 0.2, size=shape)
    image[shape[0] // 4: shape[0] // 2 + 1, shape[1] // 4: shape[1] // 2 + 1] += 1.0
    return image.astype(dtype)


def vectors(size, seed=0):
    """Flat float64 phases x, a tangent v and a cotangent u."""
    rng = np.random.default_rng(seed)
    return (rng.uniform(-np.pi, 3 * np.pi, size), rng.standard_normal(size),
            rng.standard_normal(size))


def arguments(method, x, v, u):
    return {"residuals": (x,), "jvp": (x, v), "vjp": (x, u), "gauss_newton_product": (x, v),
            "jacobian": (x,), "gauss_newton": (x,)}[method]


def tolerance(dtype):
    return 1e-12 if dtype == np.float64 else 1e-5


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_loss_is_the_sum_of_squared_residuals(shape, dtype, backend):
    hologram = pg.Hologram(target(shape, dtype), backend=backend)
    x, _, _ = vectors(hologram.n_params)
    r = hologram.residuals(x)
    assert r.dtype == np.float64 and r.shape == (hologram.n_residuals,)
    energy, _ = hologram.fun_and_jac(x)
    assert float(r @ r) == pytest.approx(energy, rel=tolerance(dtype))
    # r is (I_r - T) / sqrt(n m), C order.
    image = hologram.simulate(x.reshape(shape).astype(dtype)).astype(np.float64)
    expected = (image - target(shape, dtype).astype(np.float64)).ravel() / np.sqrt(x.size)
    assert relative_error(r, expected) <= tolerance(dtype)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_gradient_is_twice_vjp_of_the_residuals(shape, dtype, backend):
    hologram = pg.Hologram(target(shape, dtype), backend=backend)
    x, _, _ = vectors(hologram.n_params)
    _, gradient = hologram.fun_and_jac(x)
    pulled = hologram.vjp(x, hologram.residuals(x))
    assert pulled.dtype == np.float64 and pulled.shape == (hologram.n_params,)
    assert relative_error(2 * pulled, gradient) <= 10 * tolerance(dtype)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_jvp_matches_central_differences_of_the_residuals(shape, backend):
    hologram = pg.Hologram(target(shape), backend=backend)
    x, v, _ = vectors(hologram.n_params)
    step = 1e-5
    difference = (hologram.residuals(x + step * v) - hologram.residuals(x - step * v)) / (2 * step)
    jv = hologram.jvp(x, v)
    assert jv.dtype == np.float64 and jv.shape == (hologram.n_residuals,)
    assert relative_error(jv, difference) <= 1e-8


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SHAPES + [(64, 48), (33, 33)], ids=str)
def test_dot_test(shape, dtype, backend):
    """<u, J v> = <J^T u, v>: vjp is the transpose of jvp."""
    hologram = pg.Hologram(target(shape, dtype), backend=backend)
    x, v, u = vectors(hologram.n_params, seed=3)
    left = float(u @ hologram.jvp(x, v))
    right = float(hologram.vjp(x, u) @ v)
    scale = np.linalg.norm(u) * np.linalg.norm(hologram.jvp(x, v))
    assert abs(left - right) <= tolerance(dtype) * scale


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fused_matches_reference(shape, dtype, method):
    T = target(shape, dtype)
    fused, reference = pg.Hologram(T), pg.Hologram(T, backend="reference")
    args = arguments(method, *vectors(fused.n_params, seed=2))
    got, expected = getattr(fused, method)(*args), getattr(reference, method)(*args)
    if method != "gauss_newton":
        got, expected = (got,), (expected,)
    tol = 1e-10 if dtype == np.float64 else 1e-4
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == np.float64 and g.shape == e.shape
        assert relative_error(g, e) <= tol


@pytest.mark.parametrize("method", ["jvp", "vjp", "gauss_newton_product"])
@pytest.mark.parametrize("shape", [(64, 48), (33, 33), (256, 160)], ids=str)
def test_fused_matches_reference_on_larger_planes(shape, method):
    T = target(shape)
    fused, reference = pg.Hologram(T), pg.Hologram(T, backend="reference")
    args = arguments(method, *vectors(fused.n_params, seed=4))
    assert relative_error(getattr(fused, method)(*args),
                          getattr(reference, method)(*args)) <= 1e-10


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", [(8, 6), (7, 9)], ids=str)
def test_jacobian_columns_are_jvps_of_unit_vectors(shape, dtype, backend):
    hologram = pg.Hologram(target(shape, dtype), backend=backend)
    x, _, _ = vectors(hologram.n_params)
    jac = hologram.jacobian(x)
    assert jac.dtype == np.float64 and jac.shape == (hologram.n_residuals, hologram.n_params)
    for j in range(hologram.n_params):
        unit = np.zeros(hologram.n_params)
        unit[j] = 1.0
        column = hologram.jvp(x, unit)
        assert np.linalg.norm(jac[:, j] - column) <= 10 * tolerance(dtype) * np.linalg.norm(jac)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
@pytest.mark.parametrize("shape", [(8, 6), (7, 9), (1, 5)], ids=str)
def test_products_match_the_dense_jacobian(shape, dtype, backend):
    hologram = pg.Hologram(target(shape, dtype), backend=backend)
    x, v, u = vectors(hologram.n_params, seed=5)
    jac = hologram.jacobian(x)
    tol = 10 * tolerance(dtype)
    assert relative_error(hologram.jvp(x, v), jac @ v) <= tol
    assert relative_error(hologram.vjp(x, u), jac.T @ u) <= tol
    assert relative_error(hologram.gauss_newton_product(x, v), jac.T @ (jac @ v)) <= tol
    jtj, jtr = hologram.gauss_newton(x)
    assert jtj.dtype == np.float64 and jtj.shape == (hologram.n_params,) * 2
    assert jtr.dtype == np.float64 and jtr.shape == (hologram.n_params,)
    assert relative_error(jtj, jac.T @ jac) <= tol
    assert relative_error(jtr, jac.T @ hologram.residuals(x)) <= tol
    assert relative_error(jtj, jtj.T) <= tol


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_fused_gauss_newton_matrix_is_exactly_symmetric(dtype):
    hologram = pg.Hologram(target((16, 14), dtype))
    jtj, _ = hologram.gauss_newton(vectors(hologram.n_params)[0])
    assert np.array_equal(jtj, jtj.T)
    # Positive semi-definite, as J^T J is: no eigenvalue below rounding.
    eigenvalues = np.linalg.eigvalsh(jtj)
    assert eigenvalues.min() >= -10 * tolerance(dtype) * eigenvalues.max()


def test_constant_phase_is_in_the_null_space():
    """The residuals do not change when every phase moves by the same angle: J 1 = 0, and
    1 is orthogonal to every J^T u."""
    hologram = pg.Hologram(target((9, 8)))
    x, _, u = vectors(hologram.n_params)
    ones = np.ones(hologram.n_params)
    scale = np.linalg.norm(hologram.jacobian(x))
    assert np.linalg.norm(hologram.jvp(x, ones)) <= 1e-12 * scale
    assert abs(hologram.vjp(x, u) @ ones) <= 1e-12 * scale * np.linalg.norm(u)
    assert np.linalg.norm(hologram.gauss_newton(x)[0] @ ones) <= 1e-12 * scale**2


@pytest.mark.parametrize("method", ["residuals", "jvp", "vjp", "gauss_newton_product"])
@pytest.mark.parametrize("shape", [(64, 48), (256, 160)], ids=str)
def test_float32_agrees_with_float64(shape, method):
    args = arguments(method, *vectors(int(np.prod(shape)), seed=6))
    f64 = getattr(pg.Hologram(target(shape)), method)(*args)
    f32 = getattr(pg.Hologram(target(shape, np.float32)), method)(*args)
    assert f32.dtype == np.float64
    assert relative_error(f32, f64) <= 1e-4


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.__name__)
def test_one_thread_agrees_with_two(dtype):
    shape = (256, 160)   # above the parallel grain: the passes and FFTs use both threads
    hologram = pg.Hologram(target(shape, dtype))
    x, v, u = vectors(hologram.n_params)
    results = {}
    for threads in (1, 2):
        with pg.threads(threads):
            results[threads] = [hologram.residuals(x), hologram.jvp(x, v), hologram.vjp(x, u),
                                hologram.gauss_newton_product(x, v)]
    for one, two in zip(results[1], results[2], strict=True):
        assert relative_error(two, one) <= tolerance(dtype)


def test_dense_fills_do_not_depend_on_the_thread_count():
    """16 x 14 is below the grain for the passes and FFTs but its J and J^T J are filled by
    every thread: each entry is computed the same way whichever thread writes it."""
    hologram = pg.Hologram(target((16, 14)))
    x = vectors(hologram.n_params)[0]
    with pg.threads(1):
        jac1, (jtj1, jtr1) = hologram.jacobian(x), hologram.gauss_newton(x)
    with pg.threads(2):
        jac2, (jtj2, jtr2) = hologram.jacobian(x), hologram.gauss_newton(x)
    assert np.array_equal(jac1, jac2)
    assert np.array_equal(jtj1, jtj2) and np.array_equal(jtr1, jtr2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_inputs_are_read_not_written_and_strided_views_read_correctly(backend):
    shape = (8, 6)
    hologram = pg.Hologram(target(shape), backend=backend)
    x, v, u = vectors(hologram.n_params)
    wide = np.stack([x, v, u], axis=1)          # each vector a strided column
    saved = wide.copy()
    assert np.array_equal(hologram.jvp(wide[:, 0], wide[:, 1]), hologram.jvp(x, v))
    assert np.array_equal(hologram.vjp(wide[:, 0], wide[:, 2]), hologram.vjp(x, u))
    assert np.array_equal(hologram.gauss_newton_product(wide[:, 0], wide[:, 1]),
                          hologram.gauss_newton_product(x, v))
    assert np.array_equal(wide, saved)


@pytest.mark.parametrize("backend", BACKENDS)
def test_calls_in_between_leave_no_state(backend):
    """The fused model reuses its work buffers (one plane for jvp, three for gauss_newton)."""
    hologram = pg.Hologram(target((7, 9)), backend=backend)
    x, v, u = vectors(hologram.n_params)
    first = [hologram.jvp(x, v), hologram.gauss_newton(x)[0], hologram.vjp(x, u)]
    y, w, z = vectors(hologram.n_params, seed=9)
    hologram.gauss_newton(y)
    hologram.jvp(y, w)
    hologram.value_and_grad(y.reshape(7, 9))
    hologram.vjp(y, z)
    again = [hologram.jvp(x, v), hologram.gauss_newton(x)[0], hologram.vjp(x, u)]
    for a, b in zip(first, again, strict=True):
        assert np.array_equal(a, b)


def test_python_numbers_and_lists_are_accepted():
    hologram = pg.Hologram(target((2, 3)))
    x = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    column = hologram.jvp(x, [1, 0, 0, 0, 0, 0.0])
    assert np.array_equal(column, hologram.jvp(np.array(x), np.eye(6)[0]))
    assert relative_error(column, hologram.jacobian(x)[:, 0]) <= 1e-12


BAD_VECTORS = [
    (lambda n: np.zeros(n - 1), ValueError, "flat vector of"),
    (lambda n: np.zeros((n, 1)), ValueError, "flat vector of"),
    (lambda n: np.zeros(n, dtype=complex), TypeError, "float32 or float64; got complex128"),
    (lambda n: np.zeros(n, dtype=np.int64), TypeError, "float32 or float64; got int64"),
    (lambda n: np.full(n, np.nan), ValueError, "finite"),
    (lambda n: np.full(n, np.inf), ValueError, "finite"),
    (lambda n: "phases", TypeError, "float32 or float64"),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("make, error, match", BAD_VECTORS)
@pytest.mark.parametrize("method, position, name", [
    ("residuals", 0, "x"), ("jvp", 0, "x"), ("jvp", 1, "v"), ("vjp", 0, "x"), ("vjp", 1, "u"),
    ("gauss_newton_product", 0, "x"), ("gauss_newton_product", 1, "v"), ("jacobian", 0, "x"),
    ("gauss_newton", 0, "x"),
])
def test_bad_vectors_are_refused_naming_them(method, position, name, make, error, match,
                                             backend):
    hologram = pg.Hologram(target((5, 4)), backend=backend)
    args = list(arguments(method, *vectors(hologram.n_params)))
    args[position] = make(hologram.n_params)
    with pytest.raises(error, match=match) as raised:
        getattr(hologram, method)(*args)
    assert str(raised.value).startswith(name + " ")


def test_the_plane_shape_is_not_a_flat_vector():
    hologram = pg.Hologram(target((5, 4)))
    with pytest.raises(ValueError, match=r"x must be a flat vector of 20 phases; got shape "
                                         r"\(5, 4\)"):
        hologram.residuals(np.zeros((5, 4)))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("method, instead", [("jacobian", "jvp, vjp or gauss_newton_product"),
                                             ("gauss_newton", "gauss_newton_product")])
def test_dense_matrices_beyond_the_limit_are_refused(method, instead, backend):
    """130 x 130 phases: a dense 16900 x 16900 float64 matrix is 2.1 GiB, above the 2 GiB limit;
    refused before any work, naming the matrix-free method."""
    hologram = pg.Hologram(target((130, 130)), backend=backend)
    with pytest.raises(ValueError, match=f"GiB .*use {instead}, which never forms it"):
        getattr(hologram, method)(np.zeros(hologram.n_params))


def test_the_core_refuses_what_python_would_have_refused():
    """The binding keeps its boundary strict for direct callers: exact dtype, flat length."""
    from phasegrad.native import core

    model = core.FusedHologram64(target((4, 3)))
    phi = np.zeros((4, 3))
    with pytest.raises(TypeError):
        model.jvp(phi, np.zeros(12, dtype=np.float32), 1)
    with pytest.raises(ValueError, match="v must be a flat vector of 12 values"):
        model.jvp(phi, np.zeros(11), 1)
    with pytest.raises(ValueError, match="u must be a flat vector of 12 values"):
        model.vjp(phi, np.zeros((4, 3)), 1)
    with pytest.raises(ValueError, match="phi must have the target's shape"):
        model.residuals(np.zeros(12), 1)


def test_phases_beyond_float32_are_refused_by_a_float32_hologram():
    """Issue 17, D6: a float64 phase above 3.4e38 became inf in a float32 hologram."""
    h = pg.Hologram(target=np.ones((6, 5), np.float32))
    phi = np.zeros((6, 5))
    phi[0, 0] = 1e39
    with pytest.raises(ValueError, match="phi has values beyond the range of float32"):
        h.value_and_grad(phi)
    with pytest.raises(ValueError, match="x has values beyond the range of float32"):
        h.residuals(phi.ravel())

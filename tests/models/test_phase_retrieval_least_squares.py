"""PhaseRetrieval's least-squares view: residuals, jvp, vjp, jacobian, gauss_newton,
gauss_newton_product, fisher and cramer_rao. The fused backend against the reference (the
spec, composed from the reference op_jvps) over the configuration matrix; each against the
identities that tie them together (E = |r|^2, gradient = 2 J^T r, J's columns = J e_k,
<u, J v> = <J^T u, v>) and against central differences; bad input; the Fisher matrix against
its definition and a Monte Carlo run."""

import numpy as np
import pytest
from scipy.optimize import least_squares

import phasegrad as pg
from phasegrad.arguments import least_squares as lsq

TOL64 = 1e-10
TOL32 = 1e-4
P = (0.1, 1.0, 0.01)


def _model(backend="fused", *, basis=True, detector="linear", bin=1, wavelengths=None,
           weights=False, planes=2, dtype=np.float64, n=8, seed=1, pupil="annulus"):
    rng = np.random.default_rng(seed)
    amplitude = pg.circular_pupil(n, obscuration=0.2)
    modes = pg.zernike_basis(5, n, first=2)
    if pupil == "hex":  # segments: piston, tip and tilt each, with gaps
        segments = pg.hex_segments(n, rings=1, gap=0.04)
        amplitude, modes = segments.amplitude, segments.basis[:9]
    elif pupil == "grey":  # no zero pixel, non-uniform
        amplitude = rng.uniform(0.3, 1.0, size=(n, n))
    defocus = pg.zernike_basis(1, n, first=4)[0]
    diversity = np.stack([k * 0.5 * defocus for k in range(planes)])
    size = 2 * n // bin
    data = rng.random((planes, size, size)).astype(dtype)
    w = rng.random(data.shape).astype(dtype) if weights else None
    return pg.PhaseRetrieval(amplitude=amplitude, basis=modes if basis else None, data=data,
                             diversity=diversity, detector=detector, bin=bin,
                             wavelengths=wavelengths, weights=w, backend=backend)


def _point(m, seed=2):
    rng = np.random.default_rng(seed)
    x = 0.3 * rng.standard_normal(m.n_params)
    if m.detector == "quadratic":
        x[-3:] = P
    return x


CONFIGS = [
    dict(),
    dict(basis=False),
    dict(detector="quadratic"),
    dict(bin=2, weights=True),
    dict(wavelengths=[1.0, 1.25], weights=True),
    dict(basis=False, detector="quadratic", bin=2),
    dict(planes=1),
    dict(planes=3, detector="quadratic", wavelengths=[0.9, 1.0]),
    dict(pupil="hex", n=12, weights=True),
    dict(pupil="grey", basis=False, bin=2, detector="quadratic"),
]


def _close(ours, theirs, tol):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape
    assert ours.dtype == np.float64
    scale = max(np.abs(theirs).max(), 1e-30)
    assert np.abs(ours - theirs).max() <= tol * scale


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: ",".join(f"{k}={v}" for k, v in
                                                                 c.items()) or "default")
def test_fused_equals_reference(config, dtype):
    assert_least_squares_twins(config, dtype)


def assert_least_squares_twins(config, dtype):
    """Every least-squares call of the fused model equals the reference's for ``config``."""
    fused, reference = (_model(b, dtype=dtype, **config) for b in ("fused", "reference"))
    rng = np.random.default_rng(3)
    x = _point(fused)
    v = rng.standard_normal(fused.n_params)
    u = rng.standard_normal(fused.n_residuals)
    tol = TOL64 if dtype == np.float64 else TOL32
    for name, args in [("residuals", (x,)), ("jvp", (x, v)), ("vjp", (x, u)),
                       ("gauss_newton_product", (x, v)), ("jacobian", (x,))]:
        _close(getattr(fused, name)(*args), getattr(reference, name)(*args), tol)
    for ours, theirs in zip(fused.gauss_newton(x), reference.gauss_newton(x), strict=True):
        _close(ours, theirs, tol)


@pytest.mark.parametrize("config", CONFIGS[:6])
def test_identities(config):
    m = _model(**config)
    rng = np.random.default_rng(4)
    x = _point(m)
    v = rng.standard_normal(m.n_params)
    u = rng.standard_normal(m.n_residuals)
    r = m.residuals(x)
    assert r.shape == (m.n_residuals,)
    energy, gradient = m.fun_and_jac(x)
    assert r @ r == pytest.approx(energy, rel=1e-13)
    _close(2 * m.vjp(x, r), gradient, 1e-12)
    jv = m.jvp(x, v)
    assert u @ jv == pytest.approx(m.vjp(x, u) @ v, rel=1e-12)       # the transpose
    jac = m.jacobian(x)
    assert jac.shape == (m.n_residuals, m.n_params)
    for k in (0, m.n_params // 2, m.n_params - 1):                   # columns are J e_k
        _close(jac[:, k], m.jvp(x, np.eye(m.n_params)[k]), 1e-13)
    _close(jac @ v, jv, 1e-12)
    _close(m.gauss_newton_product(x, v), jac.T @ (jac @ v), 1e-12)
    jtj, jtr = m.gauss_newton(x)
    _close(jtj, jac.T @ jac, 1e-12)
    _close(jtr, jac.T @ r, 1e-12)
    np.testing.assert_array_equal(jtj, jtj.T)


@pytest.mark.parametrize("config", [dict(), dict(detector="quadratic", bin=2, weights=True),
                                    dict(basis=False, wavelengths=[1.0, 1.1])])
def test_jvp_against_central_differences(config):
    m = _model(**config)
    x = _point(m)
    v = np.random.default_rng(5).standard_normal(m.n_params)
    h = 1e-6
    fd = (m.residuals(x + h * v) - m.residuals(x - h * v)) / (2 * h)
    _close(m.jvp(x, v), fd, 1e-7)


def test_jacobian_does_not_depend_on_the_thread_count():
    m = _model(basis=False, n=12)
    x = _point(m)
    with pg.threads(1):
        one = m.jacobian(x)
    with pg.threads(2):
        two = m.jacobian(x)
    np.testing.assert_array_equal(one, two)


def test_jacobian_of_a_map_is_zero_where_there_is_no_light():
    m = _model(basis=False)
    jac = m.jacobian(_point(m))
    dark = (m.amplitude == 0).ravel()
    assert dark.any()
    assert not jac[:, dark].any()
    assert np.all(np.abs(jac[:, ~dark]).max(axis=0) > 0)


def test_scipy_least_squares_with_the_exact_jacobian():
    rng = np.random.default_rng(6)
    truth_model = _model(planes=2, n=16)
    truth = 0.05 * rng.standard_normal(truth_model.n_params)
    data = truth_model.simulate(truth)
    m = pg.PhaseRetrieval(amplitude=truth_model.amplitude, basis=truth_model.basis, data=data,
                          diversity=truth_model.diversity)
    fit = least_squares(m.residuals, np.zeros(m.n_params), jac=m.jacobian, method="lm",
                        xtol=1e-15, ftol=1e-15, gtol=1e-15)
    assert np.abs(fit.x - truth).max() < 1e-9 * np.abs(truth).max()


@pytest.mark.parametrize("name", ["residuals", "jacobian", "gauss_newton"])
def test_bad_parameters(name):
    m = _model()
    method = getattr(m, name)
    with pytest.raises(ValueError, match="x must be a flat vector of 5 parameters"):
        method(np.zeros(6))
    with pytest.raises(TypeError, match="x must have dtype"):
        method(np.zeros(5, complex))
    with pytest.raises(ValueError, match="x"):
        method(np.full(5, np.nan))


def test_bad_tangents_and_cotangents():
    m = _model()
    x = np.zeros(m.n_params)
    with pytest.raises(ValueError, match="v must be a flat vector"):
        m.jvp(x, np.zeros(4))
    with pytest.raises(TypeError, match="v must have dtype"):
        m.gauss_newton_product(x, np.zeros(5, complex))
    with pytest.raises(ValueError, match="u must be a flat vector"):
        m.vjp(x, np.zeros(m.n_residuals - 1))
    with pytest.raises(ValueError, match="u"):
        m.vjp(x, np.full(m.n_residuals, np.inf))


def test_a_dense_jacobian_too_large_is_refused(monkeypatch):
    m = _model()
    monkeypatch.setattr(lsq, "DENSE_LIMIT_BYTES", 1000)
    with pytest.raises(ValueError, match="use jvp/vjp or gauss_newton_product"):
        m.jacobian(np.zeros(m.n_params))
    with pytest.raises(ValueError, match="gauss_newton_product"):
        m.gauss_newton(np.zeros(m.n_params))


# -- Fisher information ----------------------------------------------------------------------

def _photon_model(photons=1e5, detector="linear", weights=None, planes=2, n=12):
    amplitude = pg.circular_pupil(n)
    # |G|^2 sums to (2n)^2 sum A^2 (Parseval, unnormalised FFT): photons per plane.
    amplitude = amplitude * np.sqrt(photons / ((2 * n) ** 2 * np.sum(amplitude**2)))
    modes = pg.zernike_basis(5, n, first=2)
    diversity = np.stack([k * 0.7 * modes[2] for k in range(planes)])
    blank = np.zeros((planes, 2 * n, 2 * n))
    truth = np.array([0.03, -0.02, 0.05, 0.04, -0.03])
    template = pg.PhaseRetrieval(amplitude=amplitude, basis=modes, data=blank,
                                 diversity=diversity, detector=detector)
    p = P if detector == "quadratic" else None
    images = template.simulate(truth, p)
    m = pg.PhaseRetrieval(amplitude=amplitude, basis=modes, data=images, diversity=diversity,
                          detector=detector, weights=weights)
    return m, m.pack(truth, p)


def _same_matrix(ours, theirs):
    """Equal to rounding on the matrix's scale (its off-diagonal entries cancel to ~0)."""
    assert np.abs(ours - theirs).max() <= 1e-12 * np.abs(theirs).max()
    np.testing.assert_array_equal(ours, ours.T)


def test_fisher_is_its_definition():
    m, x = _photon_model()
    jac = m.jacobian(x)
    images = m.simulate(x).ravel()
    assert images.sum() == pytest.approx(2e5)  # photons per plane, two planes
    _same_matrix(m.fisher(x, "gaussian", read_noise=2.0), jac.T @ jac / 4.0)
    _same_matrix(m.fisher(x, "poisson", read_noise=3.0), jac.T @ (jac / (images + 9.0)[:, None]))
    _same_matrix(m.fisher(x), jac.T @ (jac / images[:, None]))


def test_fisher_ignores_weights_but_masks_zero_weight_pixels():
    m, x = _photon_model()
    w = np.ones(m.data.shape)
    w[0, :5] = 0.0
    w[1] = 3.0
    weighted = pg.PhaseRetrieval(amplitude=m.amplitude, basis=m.basis, data=m.data,
                                 diversity=m.diversity, weights=w)
    jac = m.jacobian(x)
    keep = (w > 0).ravel()
    images = m.simulate(x).ravel()
    _same_matrix(weighted.fisher(x), jac[keep].T @ (jac[keep] / images[keep, None]))


def test_cramer_rao_is_infinite_for_what_the_data_cannot_see():
    amplitude = pg.circular_pupil(12)
    modes = pg.zernike_basis(3, 12, first=1)  # piston changes no image
    blank = np.zeros((24, 24))
    m = pg.PhaseRetrieval(amplitude=amplitude * 100, basis=modes,
                          data=pg.PhaseRetrieval(amplitude=amplitude * 100, basis=modes,
                                                 data=blank).simulate([0.0, 0.02, 0.01]))
    bound = m.cramer_rao([0.0, 0.02, 0.01])
    assert bound[0] == np.inf
    assert np.all(np.isfinite(bound[1:])) and np.all(bound[1:] > 0)


def test_fisher_bad_input():
    m, x = _photon_model()
    with pytest.raises(ValueError, match="noise must be one of"):
        m.fisher(x, noise="laplace")
    with pytest.raises(ValueError, match="read_noise > 0"):
        m.fisher(x, noise="gaussian")
    with pytest.raises(ValueError, match="read_noise must be non-negative"):
        m.fisher(x, noise="poisson", read_noise=-1.0)
    with pytest.raises(ValueError, match="broadcast to the data's shape"):
        m.fisher(x, noise="gaussian", read_noise=np.ones((3, 3)))
    flat = np.zeros(m.n_params)  # no aberration: this symmetric PSF has pixels of no light
    assert np.any(m.simulate(flat) == 0)
    with pytest.raises(ValueError, match="M > 0"):
        m.fisher(flat, noise="poisson")
    assert np.all(np.isfinite(m.fisher(flat, noise="poisson", read_noise=1.0)))


def test_monte_carlo_spread_approaches_the_cramer_rao_bound():
    """Weighted least squares with the true variances is asymptotically efficient: the spread
    of 150 fits of Poisson-noisy data is the Cramer-Rao bound to within the Monte Carlo error
    (the standard deviation of a standard deviation from 150 draws is ~6%)."""
    m, x = _photon_model(photons=2e5)
    expected = m.simulate(x)
    bound = m.cramer_rao(x)
    rng = np.random.default_rng(8)
    fits = []
    for _ in range(150):
        data = rng.poisson(expected).astype(np.float64)
        noisy = pg.PhaseRetrieval(amplitude=m.amplitude, basis=m.basis, data=data,
                                  diversity=m.diversity, weights=1.0 / expected)
        fit = least_squares(noisy.residuals, x, jac=noisy.jacobian, method="lm")
        fits.append(fit.x)
    spread = np.std(fits, axis=0, ddof=1)
    assert np.all(np.abs(spread / bound - 1) < 0.2), spread / bound


def test_cramer_rao_does_not_depend_on_the_parameters_units():
    """A quadratic detector's gain of 1e7 photons beside coefficients in waves: the bound on
    each parameter is the scaled inverse's, finite for the offset every pixel measures
    (review D2: an unscaled null-space test called the gain and offset undetermined)."""
    m, x = _photon_model(photons=1e7, detector="quadratic")
    fisher = m.fisher(x, "gaussian", read_noise=3.0)
    bound = m.cramer_rao(x, "gaussian", read_noise=3.0)
    scale = 1.0 / np.sqrt(np.diag(fisher))
    expected = np.sqrt(np.diag(np.linalg.inv(fisher * np.outer(scale, scale)))) * scale
    assert np.all(np.isfinite(bound))
    np.testing.assert_allclose(bound, expected, rtol=1e-8)


def test_fisher_keeps_to_the_dense_limit(monkeypatch):
    m, x = _photon_model()
    monkeypatch.setattr(lsq, "DENSE_LIMIT_BYTES", 1000)
    with pytest.raises(ValueError, match="Jacobian of one plane"):
        m.fisher(x)
    with pytest.raises(ValueError, match="Jacobian of one plane"):
        m.cramer_rao(x)


def test_poisson_fisher_ignores_masked_dark_pixels():
    m, x = _photon_model()
    flat = np.zeros(m.n_params)
    dark = m.simulate(flat) == 0
    w = np.where(dark, 0.0, 1.0)
    masked = pg.PhaseRetrieval(amplitude=m.amplitude, basis=m.basis, data=m.data,
                               diversity=m.diversity, weights=w)
    assert np.all(np.isfinite(masked.fisher(flat)))


def test_strided_vectors_are_read_right():
    m = _model()
    x = np.zeros(2 * m.n_params)[::2] + 0.1
    u = np.random.default_rng(9).standard_normal(2 * m.n_residuals)
    np.testing.assert_array_equal(m.vjp(x, u[::2]), m.vjp(x.copy(), u[::2].copy()))
    np.testing.assert_array_equal(m.jvp(x, x), m.jvp(x.copy(), x.copy()))


def test_the_least_squares_buffers_are_made_at_first_use_and_counted():
    m = _model(n=16)
    x = _point(m)
    before = m._impl.workspace_bytes
    m.fun_and_jac(x)
    assert m._impl.workspace_bytes == before  # value_and_grad alone pays nothing for them
    m.jvp(x, x)
    grid = 2 * 16
    grown = m._impl.workspace_bytes - before
    assert grown >= 16 * grid * grid  # one tangent field (complex128, N x N) at least
    with pg.threads(2):
        m.jacobian(x)
    assert m._impl.workspace_bytes - before >= 2 * 16 * grid * grid  # one per thread


@pytest.mark.parametrize("basis", [True, False])
def test_fused_equals_reference_on_a_grid_where_the_passes_run_threaded(basis):
    """n = 128 (N = 256: the fused passes and transforms run on every thread), 2 threads."""
    fused, reference = (_model(b, n=128, basis=basis, detector="quadratic", weights=True)
                        for b in ("fused", "reference"))
    rng = np.random.default_rng(10)
    x = _point(fused)
    v = rng.standard_normal(fused.n_params)
    u = rng.standard_normal(fused.n_residuals)
    with pg.threads(2):
        for name, args in [("residuals", (x,)), ("jvp", (x, v)), ("vjp", (x, u)),
                           ("gauss_newton_product", (x, v))]:
            _close(getattr(fused, name)(*args), getattr(reference, name)(*args), TOL64)
        if basis:
            jac = fused.jacobian(x)
            for k in range(fused.n_params):
                _close(jac[:, k], reference.jvp(x, np.eye(fused.n_params)[k]), TOL64)


def test_any_layout_of_data_is_accepted_by_both_backends():
    """Issue 17, D7: the fused backend refused non-C-contiguous data."""
    m = _model()
    x = _point(m)
    views = [np.asfortranarray(m.data), m.data[:, ::-1, :][:, ::-1, :],
             np.swapaxes(np.swapaxes(m.data, 1, 2).copy(), 1, 2)]
    for data in views:
        for backend in ("fused", "reference"):
            other = pg.PhaseRetrieval(amplitude=m.amplitude, basis=m.basis, data=data,
                                      diversity=m.diversity, backend=backend)
            _close(other.residuals(x), m.residuals(x), 1e-12)


@pytest.mark.parametrize("argument", ["a", "amplitude", "basis", "weights", "x"])
def test_values_beyond_float32_are_refused_by_a_float32_model(argument):
    """Issue 17, D6: float64 values above 3.4e38 passed the finite check, became inf in the
    float32 model, and the result was NaN without a word."""
    m = _model(dtype=np.float32)
    huge = 1e39
    kwargs = dict(amplitude=m.amplitude, basis=m.basis, data=m.data, diversity=m.diversity)
    with pytest.raises(ValueError, match=f"{argument} has values beyond the range of float32"):
        if argument == "a":
            m.simulate(np.full(5, huge))
        elif argument == "x":
            m.residuals(np.full(m.n_params, huge))
        else:
            value = np.asarray(kwargs.get(argument, np.ones(m.data.shape)), dtype=np.float64)
            value = value.copy()
            value.flat[0] = huge
            kwargs[argument] = value
            pg.PhaseRetrieval(**kwargs)


def test_a_grid_whose_size_would_wrap_around_is_refused():
    """Issue 17, D5: a grid of 2^30 built a 64-byte "N x N" buffer (the byte count wrapped
    around); such a grid is now refused before the kernels see it."""
    amplitude = pg.circular_pupil(8)
    with pytest.raises(ValueError, match="too large a grid"):
        pg.PhaseRetrieval(amplitude=amplitude, basis=None, data=np.zeros((8, 8)),
                          pad=2**27, bin=2**27)


@pytest.mark.parametrize("scale", [1e20, 1e-30])
def test_float32_data_at_the_edges_of_the_range_is_refused_with_advice(scale):
    """Issue 17, float32 at the edges: data of 1e20 gave a NaN gradient, of 1e-30 a gradient
    of exactly zero (so lbfgs stopped at once); both are refused, saying what to do."""
    amplitude = pg.circular_pupil(16).astype(np.float32)
    data = np.full((32, 32), scale, np.float32)
    with pytest.raises(ValueError, match="data's values reach .* divide them by a constant"):
        pg.PhaseRetrieval(amplitude=amplitude / amplitude.sum(), basis=None, data=data)
    pg.PhaseRetrieval(amplitude=amplitude / amplitude.sum(), basis=None,
                      data=data.astype(np.float64))  # float64 takes them
    scaled = pg.PhaseRetrieval(amplitude=amplitude / amplitude.sum(), basis=None,
                               data=np.full((32, 32), 1.0, np.float32))
    energy, gradient = scaled.fun_and_jac(np.full(scaled.n_params, 0.01))
    assert np.isfinite(energy) and np.all(np.isfinite(gradient)) and np.any(gradient)

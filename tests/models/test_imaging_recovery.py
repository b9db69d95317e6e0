"""Recovery on simulated data (docs/imaging-model.md), reference backend, n = 16, pad 2: a
binary's separation and flux ratio from noiseless images; flux, background and shift from a
noisy frame with L-BFGS-B and the Poisson metric; one star or two told apart by the
information criteria; the negative log-likelihood and the Fisher information of every block."""

import numpy as np
import pytest

import phasegrad as pg

N, PAD = 16, 2
GRID = N * PAD


def optics(modes=5):
    amplitude = pg.circular_pupil(N)
    # Scaled so that an image of unit flux sums to 1 (photons per unit of a source's flux).
    amplitude = amplitude / np.sqrt(np.sum(amplitude**2)) / GRID
    return amplitude, pg.zernike_basis(modes, N, first=4)


def through_focus():
    defocus = pg.zernike_basis(1, N, first=4)[0]
    return np.stack([-0.25 * defocus, 0.25 * defocus])


A_TRUE = np.array([0.03, 0.05, -0.03, 0.02, 0.04])
BINARY = {"positions": [[0.4, -1.3], [-0.2, 1.5]], "fluxes": [1.0, 0.6]}


def binary_images(scale=1.0):
    amplitude, basis = optics()
    truth = pg.PhaseRetrieval(amplitude, basis, np.zeros((2, GRID, GRID)), pad=PAD,
                              diversity=through_focus(), object=pg.PointSources(2),
                              backend="reference")
    fluxes = np.array(BINARY["fluxes"]) * scale
    return truth.simulate(truth.pack(A_TRUE, positions=BINARY["positions"], fluxes=fluxes))


def separation(positions):
    return float(np.linalg.norm(positions[1] - positions[0]))


def test_a_binary_is_recovered_from_noiseless_images():
    data = binary_images()
    amplitude, basis = optics()
    model = pg.PhaseRetrieval(amplitude, basis, data, pad=PAD, diversity=through_focus(),
                              object=pg.PointSources(2, positions=[[0.0, -1.0], [0.0, 1.0]],
                                                     fluxes=[0.8, 0.8]),
                              backend="reference")
    fit = pg.optimize.levenberg_marquardt(model, model.pack())
    found = model.unpack(fit.x)
    assert fit.converged
    true_positions = np.array(BINARY["positions"])
    assert separation(found["positions"]) == pytest.approx(separation(true_positions), abs=1e-8)
    ratio = found["fluxes"][1] / found["fluxes"][0]
    assert ratio == pytest.approx(0.6, abs=1e-8)
    np.testing.assert_allclose(found["wavefront"], A_TRUE, atol=1e-8)


def test_flux_background_and_shift_are_recovered_from_a_noisy_frame():
    amplitude, basis = optics()
    options = {"pad": PAD, "backend": "reference", "fit": ("flux", "background", "shift")}
    truth = pg.PhaseRetrieval(amplitude, basis, np.zeros((GRID, GRID)), **options)
    x_true = truth.pack(A_TRUE, flux=[2e4], background=[3.0], shift=[[0.3, -0.4]])
    data = np.random.default_rng(1).poisson(truth.simulate(x_true)).astype(np.float64)
    model = pg.PhaseRetrieval(amplitude, basis, data, metric="poisson", **options)
    x0 = model.pack(np.zeros(5), flux=[data.sum()], background=[np.median(data)])
    fit = pg.optimize.lbfgs(model, x0, maxiter=300)
    found = model.unpack(fit.x)
    bound = dict(zip(("flux", "background", "shift_y", "shift_x"),
                     model.cramer_rao(fit.x)[5:], strict=True))
    # Within 4 Cramer-Rao standard deviations (about 150 photons, 0.07, 0.007 pixel).
    assert abs(found["flux"][0] - 2e4) < 4 * bound["flux"]
    assert abs(found["background"][0] - 3.0) < 4 * bound["background"]
    assert abs(found["shift"][0, 0] - 0.3) < 4 * bound["shift_y"]
    assert abs(found["shift"][0, 1] + 0.4) < 4 * bound["shift_x"]


def test_the_information_criteria_tell_one_star_from_two():
    amplitude, basis = optics()
    data = np.random.default_rng(2).poisson(binary_images(scale=5e3)).astype(np.float64)
    results = {}
    for k, start in ((1, [[0.0, 0.0]]), (2, [[0.0, -1.0], [0.0, 1.0]])):
        model = pg.PhaseRetrieval(
            amplitude, basis, data, pad=PAD, diversity=through_focus(), metric="poisson",
            read_noise=1.0, object=pg.PointSources(k, positions=start, fluxes=np.full(k, 8e3 / k)),
            backend="reference")
        fit = pg.optimize.levenberg_marquardt(model, model.pack(), maxiter=60)
        criteria = model.information_criteria(fit.x)
        assert criteria["nll"] == pytest.approx(fit.fun, rel=1e-12)  # Poisson: E itself
        assert criteria["n_params"] == 5 + 3 * k and criteria["n_data"] == data.size
        assert criteria["aic"] == pytest.approx(2 * criteria["n_params"] + 2 * criteria["nll"])
        results[k] = criteria
    assert results[2]["bic"] < results[1]["bic"] - 100
    assert results[2]["aic"] < results[1]["aic"] - 100


def test_negative_log_likelihood_of_the_sse_metric_is_half_the_cost():
    amplitude, basis = optics()
    data = binary_images()
    model = pg.PhaseRetrieval(amplitude, basis, data, pad=PAD, diversity=through_focus(),
                              backend="reference")
    x = model.pack(A_TRUE)
    assert model.negative_log_likelihood(x) == pytest.approx(0.5 * model.fun_and_jac(x)[0])


@pytest.mark.parametrize("metric", ["sse", "poisson"])
def test_fisher_covers_every_block(metric):
    """F = sum_i dM_i/dx dM_i/dx^T / M_i, dM/dx by central differences of simulate."""
    amplitude, basis = optics()
    data = np.random.default_rng(3).poisson(binary_images(scale=1e3)).astype(np.float64)
    weights = np.random.default_rng(4).uniform(0.5, 1.5, data.shape) if metric == "sse" \
        else None
    model = pg.PhaseRetrieval(amplitude, basis, data, pad=PAD, diversity=through_focus(),
                              object=pg.PointSources(2), metric=metric, weights=weights,
                              fit=("background",), backend="reference")
    x = model.pack(A_TRUE, positions=BINARY["positions"], fluxes=[1e3, 600.0],
                   background=[2.0, 2.5])
    fisher = model.fisher(x)
    h = 1e-5
    columns = []
    for k in range(model.n_params):
        d = np.zeros(model.n_params)
        d[k] = h * max(1.0, abs(x[k]))
        columns.append(((model.simulate(x + d) - model.simulate(x - d)) / (2 * d[k])).ravel())
    J = np.stack(columns, axis=1)
    expected = J.T @ (J / model.simulate(x).ravel()[:, None])
    np.testing.assert_allclose(fisher, expected, rtol=1e-5, atol=1e-8 * np.abs(expected).max())


def test_fisher_takes_the_models_read_noise_by_default():
    amplitude, basis = optics()
    data = np.random.default_rng(3).poisson(binary_images(scale=1e3)).astype(np.float64)
    model = pg.PhaseRetrieval(amplitude, basis, data, pad=PAD, diversity=through_focus(),
                              metric="poisson", read_noise=2.0, backend="reference")
    x = model.pack(A_TRUE)
    np.testing.assert_array_equal(model.fisher(x), model.fisher(x, read_noise=2.0))
    assert not np.array_equal(model.fisher(x), model.fisher(x, read_noise=0.0))

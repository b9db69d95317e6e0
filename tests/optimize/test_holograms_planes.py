"""Algorithms on the general hologram: Adam, L-BFGS and Levenberg-Marquardt on its exact
gradient, multi-plane (weighted) GS, and camera in the loop with a simulated camera."""

import numpy as np
import pytest

import phasegrad as pg

N = 32
OPTIONS = {"distances": [200.0, 350.0], "wavelengths": 0.5, "pitch": 2.0}


def target():
    t = np.zeros((2, N, N))
    t[0, 8:14, 8:14] = 1.0
    t[1, 18:24, 15:21] = 1.0
    return t


def start(seed=0):
    return np.random.default_rng(seed).uniform(0, 2 * np.pi, (N, N))


@pytest.mark.parametrize("solver", ["adam", "lbfgs", "levenberg_marquardt"])
def test_gradient_methods_on_planes_and_colours(solver):
    t = np.stack([target(), target()[::-1]])                      # (2 colours, 2 planes)
    h = pg.Hologram(target=t, distances=[200.0, 350.0], wavelengths=[0.5, 0.6], pitch=2.0,
                    crosstalk=[[0.1, 0.8, 0.1]])
    phi0 = start()
    if solver == "adam":
        result = pg.optimize.adam(h, phi0, lr=0.1, iters=40)
    elif solver == "lbfgs":
        result = pg.optimize.lbfgs(h, phi0, maxiter=40)
    else:
        result = pg.optimize.levenberg_marquardt(h, phi0.ravel(), maxiter=20)
    first = result.history[0]
    assert result.fun < 0.7 * first
    assert result.fun == pytest.approx(h.value_and_grad(np.reshape(result.x, (N, N)))[0],
                                       rel=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
def test_global_gs_improves_every_plane(weighted):
    t = target()
    result = pg.optimize.multiplane_gs(t, OPTIONS["distances"], 0.5, 2.0, iters=40,
                                       weighted=weighted, phi0=start())
    assert result.nit == 40 and result.history.shape == (41,)
    assert result.fun < 0.6 * result.history[0]
    h = pg.Hologram(target=t, **OPTIONS)
    assert result.fun == pytest.approx(h.value_and_grad(result.x)[0], rel=1e-10)
    images = h.simulate(result.x)
    for p in range(2):  # each plane puts more light on its own signal than on the other's
        own, other = t[p] > 0, t[1 - p] > 0
        assert images[p][own].mean() > 3 * images[p][other & ~own].mean()


def test_sequential_gs_visits_one_plane_per_iteration():
    t = target()
    seen = []
    result = pg.optimize.multiplane_gs(t, OPTIONS["distances"], 0.5, 2.0, iters=4,
                                       method="sequential", phi0=start(),
                                       callback=lambda k, phi, cost: seen.append(cost) and False)
    assert len(seen) == 4 == result.nit
    # One sequential step at plane 0 is one global step of plane 0 alone.
    single = first_iterate(t[:1], OPTIONS["distances"][:1], 0.5)
    first = first_iterate(t, OPTIONS["distances"], 0.5, method="sequential")
    np.testing.assert_allclose(first, single, atol=1e-12)



def first_iterate(t, distances, wavelengths, **options):
    """The iterate of multiplane_gs's first iteration from ``start()``."""
    iterates = []
    pg.optimize.multiplane_gs(t, distances, wavelengths, 2.0, iters=1, phi0=start(),
                              callback=lambda step, phi, cost: iterates.append(phi), **options)
    return iterates[0]

def test_multiplane_gs_bad_input():
    t = target()
    with pytest.raises(ValueError, match="^method must be one of"):
        pg.optimize.multiplane_gs(t, OPTIONS["distances"], 0.5, 2.0, method="both")
    with pytest.raises(ValueError, match="^distances must hold 2 value"):
        pg.optimize.multiplane_gs(t, [1.0], 0.5, 2.0)
    with pytest.raises(ValueError, match="^target must be \\(P, n, m\\)"):
        pg.optimize.multiplane_gs(t[0], [1.0], 0.5, 2.0)
    with pytest.raises(TypeError, match="^weighted must be True or False"):
        pg.optimize.multiplane_gs(t, OPTIONS["distances"], 0.5, 2.0, weighted=1)
    with pytest.raises(ValueError, match="^phi0 must have shape"):
        pg.optimize.multiplane_gs(t, OPTIONS["distances"], 0.5, 2.0, phi0=np.zeros((3, 3)))


# ---------------------------------------------------------------- camera in the loop

def test_a_perfect_camera_gives_the_models_loss_and_gradient():
    h = pg.Hologram(target=target(), zero_order=0.1, **OPTIONS)
    loop = pg.optimize.CameraInTheLoop(h, pg.optimize.SimulatedCamera(h))
    x = start(1).ravel()
    cost, grad = loop.fun_and_jac(x)
    expected_cost, expected_grad = h.fun_and_jac(x)
    assert cost == pytest.approx(expected_cost, rel=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=0, atol=1e-12 * np.abs(grad).max())
    assert loop.measurements == 1


def test_camera_in_the_loop_beats_the_open_loop_design():
    # The hardware has a zero order and a misaligned, noisy camera the design model lacks.
    t = target()
    design = pg.Hologram(target=t, **OPTIONS)
    truth = pg.Hologram(target=t, zero_order=0.1, **OPTIONS)
    camera = pg.optimize.SimulatedCamera(truth, shift=(0.3, -0.2), noise=0.001, seed=1)
    loop = pg.optimize.CameraInTheLoop(design, camera)
    open_loop = pg.optimize.adam(design, start(), lr=0.1, iters=100)
    measured_open = loop.fun_and_jac(open_loop.x.ravel())[0]
    closed = pg.optimize.adam(loop, open_loop.x, lr=0.02, iters=60)
    assert closed.fun < 0.9 * measured_open


def test_simulated_camera_shifts_and_adds_noise():
    h = pg.Hologram(target=target(), **OPTIONS)
    phi = start(2)
    image = h.reconstruct(phi).astype(float)
    shifted = pg.optimize.SimulatedCamera(h, shift=(2, -3))(phi)
    np.testing.assert_allclose(shifted, np.roll(image, (2, -3), axis=(-2, -1)), atol=1e-12)
    noisy = pg.optimize.SimulatedCamera(h, noise=0.01, seed=3)(phi)
    assert 0 < np.abs(noisy - image).max() and np.all(noisy >= 0)


def test_camera_in_the_loop_bad_input():
    h = pg.Hologram(target=target(), **OPTIONS)
    with pytest.raises(TypeError, match="^camera must be callable"):
        pg.optimize.CameraInTheLoop(h, "camera")
    with pytest.raises(TypeError, match="^model must be a pg.Hologram"):
        pg.optimize.CameraInTheLoop(object(), lambda phi: phi)
    with pytest.raises(ValueError, match="^model must use the normalised MSE"):
        pg.optimize.CameraInTheLoop(pg.Hologram(target=target(), efficiency=1.0, **OPTIONS),
                                    lambda phi: phi)
    loop = pg.optimize.CameraInTheLoop(h, lambda phi: np.ones((3, N, N)))
    with pytest.raises(ValueError, match="^camera\\(phi\\) must return"):
        loop.fun_and_jac(start().ravel())
    loop = pg.optimize.CameraInTheLoop(h, lambda phi: np.zeros((2, N, N)))
    with pytest.raises(ValueError, match="^camera\\(phi\\) must hold some light"):
        loop.fun_and_jac(start().ravel())
    with pytest.raises(TypeError, match="^shift must be a pair"):
        pg.optimize.SimulatedCamera(h, shift=1.0)


# ---------------------------------------------------------------- several colours, divergence

COLOURS = [0.5, 0.6]


def colour_target():
    return np.stack([target(), target()[:, ::-1]])                 # (2 colours, 2 planes)


@pytest.mark.parametrize("weighted", [False, True])
def test_multicolour_global_gs_improves_every_colour_and_plane(weighted):
    t = colour_target()
    result = pg.optimize.multiplane_gs(t, OPTIONS["distances"], COLOURS, 2.0, iters=30,
                                       weighted=weighted, phi0=start())
    assert result.success and result.nit == 30 and result.history.shape == (31,)
    assert result.fun < 0.6 * result.history[0]
    assert np.all((result.x >= 0) & (result.x < 2 * np.pi))
    # The cost is the model's, with the modulator's per-colour phase response (0.5 / 0.6).
    h = pg.Hologram(target=t, distances=OPTIONS["distances"], wavelengths=COLOURS, pitch=2.0)
    assert result.fun == pytest.approx(h.value_and_grad(result.x)[0], rel=1e-10)
    images = h.reconstruct(result.x)
    assert images.shape == (2, 2, N, N)
    for c in range(2):
        for p in range(2):  # each colour and plane lights its own signal
            own, other = t[c, p] > 0, (t[c, 1 - p] > 0) & ~(t[c, p] > 0)
            assert images[c, p][own].mean() > 3 * images[c, p][other].mean()


def test_multicolour_gs_uses_the_phase_response():
    # A response that is not lambda_0 / lambda: the model with the same response agrees, the
    # default one does not.
    t = colour_target()
    response = [1.0, 0.6]
    result = pg.optimize.multiplane_gs(t, OPTIONS["distances"], COLOURS, 2.0, iters=10,
                                       phi0=start(), phase_response=response)
    same = pg.Hologram(target=t, distances=OPTIONS["distances"], wavelengths=COLOURS,
                       pitch=2.0, phase_response=response)
    other = pg.Hologram(target=t, distances=OPTIONS["distances"], wavelengths=COLOURS,
                        pitch=2.0)
    assert result.fun == pytest.approx(same.value_and_grad(result.x)[0], rel=1e-10)
    assert abs(other.value_and_grad(result.x)[0] - result.fun) > 1e-3 * result.fun


def test_the_several_colour_projection_is_the_best_phase():
    from phasegrad.optimize.holograms_planes import _best_phase

    rng = np.random.default_rng(3)
    totals = rng.standard_normal((3, 6, 5)) + 1j * rng.standard_normal((3, 6, 5))
    alphas = np.array([1.0, 0.8, 0.65])
    phi = _best_phase(totals, alphas)
    grid = np.linspace(0, 2 * np.pi, 20001)[:-1, None, None]

    def objective(p):
        return sum(np.abs(t) * np.cos(a * p - np.angle(t))
                   for t, a in zip(totals, alphas, strict=True))

    assert np.all(objective(phi) >= objective(grid).max(axis=0) - 1e-7)
    one = _best_phase(totals[:1], alphas[:1])
    np.testing.assert_array_equal(one, np.angle(totals[0]))


def test_sequential_multicolour_gs_visits_each_colour_and_plane():
    t = colour_target()
    result = pg.optimize.multiplane_gs(t, OPTIONS["distances"], COLOURS, 2.0, iters=4,
                                       method="sequential", phi0=start())
    assert result.nit == 4 and len(result.history) == 5
    # Its first step is the global step of colour 0, plane 0 alone.
    # (Compared through the callback: a result is the best iterate, which after one plane's
    # step can be the start, since that step may raise the loss summed over every plane.)
    single = first_iterate(t[:1, :1], OPTIONS["distances"][:1], COLOURS[:1])
    first = first_iterate(t, OPTIONS["distances"], COLOURS, method="sequential")
    np.testing.assert_allclose(np.exp(1j * first), np.exp(1j * single), atol=1e-12)


def test_multiplane_gs_stops_when_it_diverges(monkeypatch):
    # A projection that turns bad after three iterations (a lens focusing all the light on one
    # spot of the first plane): the run stops PATIENCE iterations later and returns the best
    # iterate.
    from phasegrad.optimize import holograms_planes

    projection = holograms_planes._best_phase
    calls = []

    def failing(totals, alphas):
        calls.append(1)
        phi = projection(totals, alphas)
        if len(calls) > 3:
            y, x = (np.indices(phi.shape) - N // 2) * 2.0
            return -np.pi * (x ** 2 + y ** 2) / (0.5 * 200.0)
        return phi

    monkeypatch.setattr(holograms_planes, "_best_phase", failing)
    t = target()
    result = pg.optimize.multiplane_gs(t, OPTIONS["distances"], 0.5, 2.0, iters=40,
                                       phi0=start())
    assert not result.success and "multiplane GS (global): diverged at iteration" in \
        result.message
    assert result.nit == 3 and result.nfev < 41 and len(result.history) == 4
    assert result.fun == min(result.history) == result.history[-1]
    h = pg.Hologram(target=t, **OPTIONS)
    assert result.fun == pytest.approx(h.value_and_grad(result.x)[0], rel=1e-10)


def test_multicolour_gs_bad_input():
    t = colour_target()
    with pytest.raises(ValueError, match="^wavelengths must hold 2 value"):
        pg.optimize.multiplane_gs(t, OPTIONS["distances"], 0.5, 2.0)
    with pytest.raises(ValueError, match="^phase_response must hold 2 value"):
        pg.optimize.multiplane_gs(t, OPTIONS["distances"], COLOURS, 2.0, phase_response=[1.0])

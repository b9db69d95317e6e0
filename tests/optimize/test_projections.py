"""Error reduction, HIO and RAAR on a support-constrained object with known Fourier moduli."""

import numpy as np
import pytest

import phasegrad as pg

N = 32


def problem(seed=3):
    rng = np.random.default_rng(seed)
    obj = np.zeros((N, N))
    obj[10:22, 10:22] = rng.uniform(0.2, 1.0, (12, 12))
    support = np.zeros((N, N), dtype=bool)
    support[10:22, 10:22] = True
    return obj, support, np.abs(np.fft.fft2(obj))


def object_error(estimate, obj):
    """Relative error after removing the trivial ambiguities: global phase, circular shift
    and the conjugate inversion conj(x(-r))."""
    best = np.inf
    inverted = np.conj(np.roll(estimate[::-1, ::-1], (1, 1), axis=(0, 1)))
    for candidate in (estimate, inverted):
        correlation = np.fft.ifft2(np.fft.fft2(obj) * np.conj(np.fft.fft2(candidate)))
        shift = np.unravel_index(np.argmax(np.abs(correlation)), correlation.shape)
        aligned = np.roll(candidate, shift, axis=(0, 1))
        aligned = aligned * np.exp(1j * np.angle(np.vdot(aligned, obj)))
        best = min(best, np.linalg.norm(aligned - obj) / np.linalg.norm(obj))
    return best


def fourier_error(x, magnitudes):
    return np.linalg.norm(np.abs(np.fft.fft2(x)) - magnitudes) / np.linalg.norm(magnitudes)


@pytest.mark.parametrize("algorithm", [pg.optimize.hio, pg.optimize.raar])
@pytest.mark.parametrize("nonnegative", [True, False])
def test_recovers_the_object(algorithm, nonnegative):
    obj, support, magnitudes = problem()
    result = algorithm(magnitudes, support, iters=300, nonnegative=nonnegative, seed=0)
    assert result.fun < 1e-3
    assert object_error(result.x, obj) < 1e-2
    assert result.x.dtype == (np.float64 if nonnegative else np.complex128)
    assert np.all(result.x[~support] == 0)


def test_error_reduction_never_increases_the_error():
    obj, support, magnitudes = problem()
    result = pg.optimize.error_reduction(magnitudes, support, iters=100, nonnegative=True)
    assert np.all(np.diff(result.history) <= 1e-12)
    assert result.fun < 0.1 * result.history[0]
    assert pg.optimize.gerchberg_saxton is pg.optimize.error_reduction


@pytest.mark.parametrize("name", ["error_reduction", "hio", "raar"])
def test_callback_gets_each_estimate_and_its_error(name):
    obj, support, magnitudes = problem()
    seen = []
    result = getattr(pg.optimize, name)(
        magnitudes, support.astype(int), iters=12, seed=4,
        callback=lambda i, x, cost: seen.append((i, x.copy(), cost)))
    assert [i for i, _, _ in seen] == list(range(1, 13)) and result.nit == 12
    for _, x, cost in seen:
        assert cost == pytest.approx(fourier_error(x, magnitudes), rel=1e-9)
    np.testing.assert_allclose(result.history[1:], [c for _, _, c in seen])
    np.testing.assert_array_equal(result.x, seen[-1][1])


def test_starts_from_x0_and_stops_on_request():
    obj, support, magnitudes = problem()
    result = pg.optimize.hio(magnitudes, support, x0=obj, iters=50,
                             callback=lambda i, x, cost: i == 2)
    assert result.nit == 2 and result.history[0] < 1e-12

"""The broadband bands' chirp-z scaled DFT (cpp/src/core/czt.cpp) on its own, against the
matrix product it stands for: G = E g E^T with E[k, x] = exp(-2 pi i s (k - N//2) x), and the
adjoint E^H G conj(E), for every number of output blocks, odd and even sizes, spacings above
and below 1/N, float64 and float32; and the identity <E g E^T, G> = <g, E^H G conj(E)>."""

import numpy as np
import pytest

from phasegrad.native import core


def matrix(n, grid, spacing):
    k = np.arange(grid) - grid // 2
    return np.exp(-2j * np.pi * spacing * np.outer(k, np.arange(n)))


def random_complex(shape, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def relative(got, want):
    return np.max(np.abs(got - want)) / np.max(np.abs(want))


SIZES = [(1, 1), (2, 3), (5, 5), (9, 18), (9, 27), (16, 32), (17, 40), (32, 64), (40, 80)]


@pytest.mark.parametrize("blocks", [0, 1, 2, 3, 4])
@pytest.mark.parametrize(("n", "grid"), SIZES)
@pytest.mark.parametrize("ratio", [0.8, 1.0, 1.37])
def test_forward_and_adjoint_match_the_matrix_product(n, grid, ratio, blocks):
    spacing = 1.0 / (ratio * grid)
    e = matrix(n, grid, spacing)
    g = random_complex((n, n), seed=n + grid)
    big = random_complex((grid, grid), seed=n * grid)
    forward = core.scaled_dft2(g, n, grid, spacing, blocks, False, False)
    adjoint = core.scaled_dft2(big, n, grid, spacing, blocks, True, False)
    assert forward.shape == (grid, grid) and adjoint.shape == (n, n)
    assert relative(forward, e @ g @ e.T) <= 1e-12
    assert relative(adjoint, e.conj().T @ big @ e.conj()) <= 1e-12
    # The adjoint identity, on the transform's own outputs.
    left = np.vdot(big, forward)
    right = np.vdot(adjoint, g)
    assert abs(left - right) <= 1e-12 * abs(left) * 10


@pytest.mark.parametrize("blocks", [0, 1, 2])
def test_float32_agrees_with_float64(blocks):
    n, grid, spacing = 24, 48, 1.0 / (1.21 * 48)
    g = random_complex((n, n), seed=3)
    big = random_complex((grid, grid), seed=4)
    for adjoint, data in ((False, g), (True, big)):
        single = core.scaled_dft2(data, n, grid, spacing, blocks, adjoint, True)
        double = core.scaled_dft2(data, n, grid, spacing, blocks, adjoint, False)
        assert relative(single, double) <= 1e-5


def test_spacing_one_over_n_is_the_centred_dft():
    n, grid = 12, 30
    g = random_complex((n, n), seed=5)
    padded = np.zeros((grid, grid), complex)
    padded[:n, :n] = g
    want = np.fft.fftshift(np.fft.fft2(padded))
    got = core.scaled_dft2(g, n, grid, 1.0 / grid, 0, False, False)
    assert relative(got, want) <= 1e-12


@pytest.mark.parametrize(("shape", "n", "grid", "adjoint"), [
    ((4, 4), 5, 10, False), ((10, 9), 5, 10, True), ((4, 4), 5, 4, False)])
def test_bad_shapes_are_refused(shape, n, grid, adjoint):
    with pytest.raises(ValueError, match="scaled_dft2"):
        core.scaled_dft2(np.zeros(shape, complex), n, grid, 0.1, 0, adjoint, False)


@pytest.mark.parametrize("blocks", [0, 1, 3])
@pytest.mark.parametrize(("n", "grid"), [(5, 5), (17, 40), (32, 64)])
@pytest.mark.parametrize("single", [False, True])
def test_without_the_output_chirps(n, grid, blocks, single):
    # The fused models' form: G times conj(w(k') w(l')) (w(t) = exp(-i pi s t^2), k' = k - N//2),
    # and its adjoint E^H (G w(k') w(l')) conj(E), so that |G|^2 is unchanged and the phases
    # cancel between the forward and the reverse pass.
    spacing = 1.0 / (1.21 * grid)
    e = matrix(n, grid, spacing)
    k = np.arange(grid) - grid // 2
    w = np.exp(-1j * np.pi * spacing * k.astype(float) ** 2)
    chirps = np.outer(w, w)
    g = random_complex((n, n), seed=7)
    big = random_complex((grid, grid), seed=8)
    forward = core.scaled_dft2(g, n, grid, spacing, blocks, False, single, output_chirp=False)
    adjoint = core.scaled_dft2(big, n, grid, spacing, blocks, True, single, output_chirp=False)
    tol = 1e-5 if single else 1e-12
    assert relative(forward, (e @ g @ e.T) * chirps.conj()) <= tol
    assert relative(adjoint, e.conj().T @ (big * chirps) @ e.conj()) <= tol
    chirped = core.scaled_dft2(g, n, grid, spacing, blocks, False, single)
    assert relative(np.abs(forward), np.abs(chirped)) <= tol

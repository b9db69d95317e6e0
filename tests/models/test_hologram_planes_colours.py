"""The general hologram's staged path: value_and_grad of the normalised MSE with the angular
spectrum and no padding, on planes whose rows start on cache lines, runs each 2-D transform as
its row and column stages with the element-wise passes inside them, in fixed blocks of rows
and tiles of columns shared by the team. The plane is above the kernel's parallel grain (the
small cases of test_hologram_planes.py run on one thread whatever is asked), so two threads
share it: fused against the reference, one thread against two (the same bits), float32
against float64, and planes whose rows and columns do not fill the last block and tile."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import relative_error

N = 192  # 192^2 elements: above the parallel grain (2^15)
KERNEL = [[0.0, 0.05, 0.0], [0.05, 0.8, 0.05], [0.0, 0.05, 0.0]]
BASE = {"distances": [5.0, 10.0], "wavelengths": [0.45, 0.53, 0.63], "pitch": 1.0}
CASES = {
    "colours": BASE,
    "two-colours-response": {**BASE, "wavelengths": [0.5, 0.6], "phase_response": [1.0, 0.7]},
    "crosstalk": {**BASE, "crosstalk": KERNEL},
    "one-colour-three-planes": {"distances": [4.0, 7.0, -6.0], "wavelengths": [0.5],
                                "pitch": 1.0},
    "levels-zero-order-amplitude": {
        **BASE, "levels": 8, "zero_order": 0.05 + 0.02j, "plane_weights": [1.0, 2.0],
        "amplitude": 1 + 0.1 * np.random.default_rng(1).random((N, N))},
}


def problem(name, dtype=np.float64, shape=(N, N)):
    options = CASES[name]
    colours = len(options["wavelengths"])
    rng = np.random.default_rng(0)
    target = np.zeros((colours, len(options["distances"])) + shape)
    target[..., 40:90, 30:70] = 1.0
    target[..., 100:160, 90:170] += 0.5
    target *= 1 + 0.1 * rng.random(target.shape)
    fused = pg.Hologram(target=target.astype(dtype), **options)
    reference = pg.Hologram(target=target, backend="reference", **options)
    phi = rng.uniform(0.2, 6.0, shape)
    return fused, reference, phi


@pytest.mark.parametrize("name", list(CASES))
def test_colours_side_by_side_equal_the_reference(name):
    fused, reference, phi = problem(name)
    expected_energy, expected_grad = reference.value_and_grad(phi)
    for threads in (2, 1):
        with pg.threads(threads):
            energy, grad = fused.value_and_grad(phi)
        assert abs(energy - expected_energy) <= 1e-10 * expected_energy
        assert relative_error(grad, expected_grad) <= 1e-10


def test_two_threads_agree_with_one_and_repeat():
    fused, _, phi = problem("colours")
    with pg.threads(1):
        energy_one, grad_one = fused.value_and_grad(phi)
    with pg.threads(2):
        energy_two, grad_two = fused.value_and_grad(phi)
        again = fused.value_and_grad(phi)
    assert energy_two == energy_one and np.array_equal(grad_two, grad_one)
    assert again[0] == energy_two and np.array_equal(again[1], grad_two)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(197, 200), (200, 208)])
def test_ragged_blocks_and_tiles(shape, dtype):
    """Rows that leave the last block of rows short (and an odd count, whose transfer function
    still mirrors), columns that leave the last tile narrow (200: 12 tiles of 16 complex128
    and one of 8; 6 of 32 complex64 and one of 8), a plane that is not square; one and two
    threads give the same bits."""
    fused, reference, phi = problem("crosstalk", dtype, shape)
    expected_energy, expected_grad = reference.value_and_grad(phi)
    results = []
    for threads in (1, 2):
        with pg.threads(threads):
            results.append(fused.value_and_grad(phi.astype(dtype)))
    energy, grad = results[0]
    tolerance = 1e-10 if dtype == np.float64 else 1e-4
    assert abs(energy - expected_energy) <= tolerance * expected_energy
    assert relative_error(grad, expected_grad) <= tolerance
    assert results[1][0] == energy and np.array_equal(results[1][1], grad)


def test_float32_follows_float64_on_two_threads():
    fused64, _, phi = problem("levels-zero-order-amplitude")
    fused32, _, _ = problem("levels-zero-order-amplitude", np.float32)
    with pg.threads(2):
        energy64, grad64 = fused64.value_and_grad(phi)
        energy32, grad32 = fused32.value_and_grad(phi.astype(np.float32))
    assert grad32.dtype == np.float32
    assert abs(energy32 - energy64) <= 1e-4 * energy64
    assert relative_error(grad32, grad64) <= 1e-4

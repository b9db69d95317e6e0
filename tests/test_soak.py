"""Bounded soak and concurrency runs (issue 17): many calls of every model entry point and of
the ops with work buffers do not grow the process's memory, and calls from several Python
threads at once give the bit-identical results of serial calls."""

import threading

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import ops


def _rss_mib():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    pytest.skip("no /proc/self/status")


def _models():
    amplitude = pg.circular_pupil(16)
    basis = pg.zernike_basis(6, 16, first=2)
    defocus = pg.zernike_basis(1, 16, first=4)[0]
    diversity = np.stack([0 * defocus, 0.5 * defocus])
    data = np.random.default_rng(0).random((2, 32, 32))
    pr = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, diversity=diversity,
                           detector="quadratic")
    hologram = pg.Hologram(target=np.random.default_rng(1).random((24, 20)))
    return pr, hologram


def test_repeated_calls_do_not_grow_memory():
    pr, hologram = _models()
    x = pr.pack(np.full(6, 0.02), (0.1, 1.0, 0.0))
    phi = np.random.default_rng(2).random(hologram.n_params)
    u = np.ones(pr.n_residuals)
    planes = np.random.default_rng(3).random((3, 24, 20))

    def round_of_calls():
        pr.fun_and_jac(x)
        pr.residuals(x)
        pr.jvp(x, x)
        pr.vjp(x, u)
        pr.gauss_newton_product(x, x)
        pr.jacobian(x)
        hologram.fun_and_jac(phi)
        hologram.gauss_newton_product(phi, phi)
        ops.convolve(planes, planes[0])
        ops.dft2(planes + 0j)

    for _ in range(50):  # warm-up: plans, buffers, the allocator's pools
        round_of_calls()
    before = _rss_mib()
    for _ in range(1000):
        round_of_calls()
    grown = _rss_mib() - before
    assert grown < 8, f"resident memory grew {grown:.1f} MiB over 1000 rounds"


@pytest.mark.parametrize("kind", ["pr", "hologram", "ops"])
def test_concurrent_calls_equal_serial_ones(kind):
    pr, hologram = _models()
    rng = np.random.default_rng(4)
    if kind == "pr":
        inputs = [pr.pack(rng.normal(0, 0.05, 6), (0.1, 1.0, 0.0)) for _ in range(8)]
        call = pr.fun_and_jac
    elif kind == "hologram":
        inputs = [rng.random(hologram.n_params) for _ in range(8)]
        call = hologram.fun_and_jac
    else:
        inputs = [rng.random((2, 40, 36)) for _ in range(8)]
        call = lambda planes: ops.convolve_vjp(planes, planes, planes[0])  # noqa: E731
    with pg.threads(2):
        serial = [call(value) for value in inputs]
        results = [None] * len(inputs)
        errors = []

        def work(index):
            try:
                for _ in range(20):
                    results[index] = call(inputs[index])
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        workers = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
    assert not errors
    for ours, theirs in zip(results, serial, strict=True):
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_array_equal(a, b)

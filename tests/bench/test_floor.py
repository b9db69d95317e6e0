"""The pyFFTW floor (phasegrad.bench.floor) and the floor_ratio bench that times it.

No speed is asserted: these check what the floor computes, that pyFFTW's import leaves the
environment as it found it, and that the two-thread floor is assembled from its two parts.
"""

import os

import numpy as np
import pytest

from phasegrad.bench import floor, floor_ratio

pytestmark = pytest.mark.skipif(floor.pyfftw is None, reason="pyFFTW is not installed")


def _basis(modes=3, n=4):
    return np.random.default_rng(1).standard_normal((modes, n, n))


def test_parts_do_the_call_work():
    basis = _basis()
    whole = floor.Floor(8, "float64", 1, basis=basis)
    parts = floor.Floor(8, "float64", 2, basis=basis)
    whole()
    parts.transforms()
    parts.contractions()
    flat = basis.reshape(3, -1)
    for f in (whole, parts):
        np.testing.assert_allclose(f._wavefront, f._a @ flat, rtol=1e-12)
        np.testing.assert_allclose(f._a_bar, flat @ f._wavefront_bar, rtol=1e-12)
        assert not np.any(f._buffer)  # zeros stay zeros through the unnormalised pair


def test_contractions_without_basis_do_nothing():
    bare = floor.Floor(8, "complex128", 1)
    bare.contractions()
    bare.transforms()
    assert bare._buffer.dtype == np.complex128 and not np.any(bare._buffer)


def test_policy_variables_not_left_in_environment():
    from phasegrad.native import wait_policy_variables

    for name in wait_policy_variables():
        assert name not in os.environ


def test_two_thread_floor_scales_only_the_contractions():
    medians = {"floor transforms": 3.0, "floor contractions": 2.0}
    assert floor_ratio._floor(medians, 2) == 4.0
    assert floor_ratio._floor({"floor": 5.0}, 1) == 5.0


@pytest.mark.parametrize("threads", [1, 2])
def test_floor_ratio_runs(threads, capsys):
    code = floor_ratio.main(["--sizes", "8", "--dtypes", "float64", "--rounds", "1",
                             "--threads", str(threads)])
    out = capsys.readouterr().out
    assert code == 0 and "fused / floor" in out and "BLAS" in out
    assert ("floor FFTs ms" in out) == (threads > 1)
    assert ("contractions / 2" in out) == (threads > 1)

"""Arrays that came through pickle (Dask's transport, multiprocessing) carry a dtype object equal
to NumPy's canonical one but not the same object; the core compared identity and refused them
("amplitude must have dtype float64; got float64"). A non-native byte order stays refused."""

import pickle

import numpy as np
import pytest

import phasegrad as pg


def through_pickle(x):
    return pickle.loads(pickle.dumps(x))


def test_pickled_dtype_is_a_distinct_equal_object():
    arr = through_pickle(np.ones(3))
    assert arr.dtype == np.float64  # the premise of the other tests
    assert arr.dtype is not np.ones(3).dtype


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_models_take_pickled_arrays(dtype):
    amplitude = through_pickle(pg.circular_pupil(8, dtype=dtype))
    basis = through_pickle(pg.zernike_basis(3, 8, first=2, dtype=dtype))
    data = through_pickle(np.ones((16, 16), dtype))
    model = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data)
    fresh = pg.PhaseRetrieval(amplitude=pg.circular_pupil(8, dtype=dtype),
                              basis=pg.zernike_basis(3, 8, first=2, dtype=dtype),
                              data=np.ones((16, 16), dtype))
    x = np.full(3, 0.1)
    assert model.fun_and_jac(x)[0] == fresh.fun_and_jac(x)[0]


def test_ops_take_pickled_arrays_and_refuse_a_foreign_byte_order():
    x = through_pickle(np.arange(8.0).reshape(2, 4) + 1j)
    np.testing.assert_allclose(pg.ops.abs2(x), x.real**2 + x.imag**2, rtol=1e-15)
    with pytest.raises(TypeError, match=">f8"):
        pg.ops.abs2(np.ones((2, 2), ">f8"))


def misaligned(x):
    """``x``'s values in an array whose data pointer is off by one byte (what pickle protocol
    5's out-of-band buffers can give a Dask worker)."""
    raw = np.empty(x.nbytes + 1, np.uint8)
    out = raw[1:].view(x.dtype).reshape(x.shape)
    out[...] = x
    assert not out.flags.aligned
    return out


def test_models_take_misaligned_arrays():
    amplitude, basis = pg.circular_pupil(8), pg.zernike_basis(3, 8, first=2)
    data = np.ones((16, 16))
    model = pg.PhaseRetrieval(amplitude=misaligned(amplitude), basis=misaligned(basis),
                              data=misaligned(data), weights=misaligned(data))
    fresh = pg.PhaseRetrieval(amplitude=amplitude, basis=basis, data=data, weights=data)
    x = np.full(3, 0.1)
    assert model.fun_and_jac(x)[0] == fresh.fun_and_jac(x)[0]
    target = np.zeros((12, 12))
    target[3:7, 4:9] = 1.0
    phi = np.random.default_rng(0).uniform(-np.pi, np.pi, (12, 12))
    assert pg.Hologram(target=misaligned(target)).value_and_grad(phi)[0] == \
        pg.Hologram(target=target).value_and_grad(phi)[0]

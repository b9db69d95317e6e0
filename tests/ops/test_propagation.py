"""The C++ propagation ops (phasegrad.ops.angular_spectrum, fresnel and their reverse and
forward-mode rules) against their reference twins: every option, dtype, odd and even plane,
batches and thread counts; planes large enough for the parallel passes; strided views; the
same warnings and errors."""

import warnings

import numpy as np
import pytest

from phasegrad import ops, reference
from phasegrad.arguments.propagation import AliasingWarning

OPTIONS = [
    ("angular_spectrum", (30.0, 0.5, 1.0), {}),
    ("angular_spectrum", (-4.0, 0.5, 1.0), {"pad": 2}),
    ("angular_spectrum", (2.0, 0.5, 0.6), {"band_limit": False}),
    ("angular_spectrum", (1e5, 0.633, 8.0), {"pad": 3}),
    ("fresnel", (3.0, 0.5, 1.0), {}),
    ("fresnel", (-2.0, 0.5, 1.0), {"method": "transfer"}),
    ("fresnel", (300.0, 0.5, 1.0), {"method": "impulse"}),
]
IDS = ["as", "as-pad2", "as-no-limit", "as-far-pad3", "tf", "tf-back", "impulse"]
SHAPES = [(2, 9, 12), (8, 8), (3, 7, 5), (2, 1, 6, 10)]


def random(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_twins_agree(option, shape, dtype, thread_count, twins):
    name, args, keywords = option
    x, x_dot = random(shape, dtype), random(shape, dtype, seed=1)
    for suffix in ("", "_vjp"):
        twins(getattr(ops, name + suffix)(x, *args, **keywords),
              getattr(reference, name + suffix)(x, *args, **keywords))
    twins(getattr(ops, name + "_jvp")(x, x_dot, *args, **keywords),
          getattr(reference, name + "_jvp")(x, x_dot, *args, **keywords))


@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_large_planes_on_several_threads(option, twins):
    import phasegrad as pg

    name, args, keywords = option
    x = random((2, 130, 128), np.complex128)
    expected = getattr(reference, name)(x, *args, **keywords)
    for count in (1, 2, 3):
        with pg.threads(count):
            got = getattr(ops, name)(x, *args, **keywords)
            twins(got, expected)
            twins(getattr(ops, name + "_vjp")(x, *args, **keywords),
                  getattr(reference, name + "_vjp")(x, *args, **keywords))


@pytest.mark.parametrize("option", OPTIONS, ids=IDS)
def test_strided_views_and_new_arrays(option):
    name, args, keywords = option
    x = random((2, 9, 8), np.complex128)
    view = np.zeros((2, 9, 8, 2), complex)
    view[..., 0] = x
    got = getattr(ops, name)(view[..., 0], *args, **keywords)
    np.testing.assert_array_equal(got, getattr(ops, name)(x, *args, **keywords))
    assert got.flags.c_contiguous and not np.shares_memory(got, x)


def test_the_same_warnings_and_errors():
    x = random((6, 8), np.complex128)
    calls = [("angular_spectrum", (x, 500.0, 0.5, 1.0), {"band_limit": False}),
             ("fresnel", (x, 500.0, 0.5, 1.0), {}),
             ("fresnel_vjp", (x, 1.0, 0.5, 1.0), {"method": "impulse"})]
    for name, args, keywords in calls:
        for module in (ops, reference):
            with pytest.warns(AliasingWarning):
                getattr(module, name)(*args, **keywords)
    bad = [("angular_spectrum", (x, 1.0, 0.5, 1.0), {"pad": 0}),
           ("angular_spectrum_jvp", (x, x, 1.0, 0.5, 1.0), {"band_limit": "yes"}),
           ("fresnel", (x, -1.0, 0.5, 1.0), {"method": "impulse"}),
           ("fresnel", (x, 1.0, 0.5, 1.0), {"method": "angular"}),
           ("fresnel_jvp", (x, x[:-1], 1.0, 0.5, 1.0), {}),
           ("angular_spectrum_vjp", (x, 1.0, 0.0, 1.0), {}),
           ("fresnel", (x.real, 1.0, 0.5, 1.0), {})]
    for name, args, keywords in bad:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises((TypeError, ValueError)) as expected:
                getattr(reference, name)(*args, **keywords)
            with pytest.raises(expected.type) as got:
                getattr(ops, name)(*args, **keywords)
        assert str(got.value) == str(expected.value)

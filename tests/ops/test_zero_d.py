"""0-d operands: the C++ twins return what the reference returns, NumPy scalars where its ufuncs
give them (issue 17, D12: ops.add, ops.mul and ops.mul_vjp returned 0-d arrays)."""

import numpy as np
import pytest

from phasegrad import ops, reference

SHAPES = [((), ()), ((), (3,)), ((3,), ()), ((2, 3), ())]


def _types(value):
    return [type(v) for v in (value if isinstance(value, tuple) else (value,))]


@pytest.mark.parametrize("dtype", [np.float64, np.complex64])
@pytest.mark.parametrize("x_shape, y_shape", SHAPES)
@pytest.mark.parametrize("name", ["add", "mul", "add_vjp", "mul_vjp", "add_jvp", "mul_jvp"])
def test_same_types_and_values_as_the_reference(name, x_shape, y_shape, dtype):
    rng = np.random.default_rng(1)
    x = (rng.standard_normal(x_shape) + 1.5).astype(dtype)
    y = (rng.standard_normal(y_shape) - 0.5).astype(dtype)
    z = np.broadcast_shapes(x_shape, y_shape)
    args = {"add": (x, y), "mul": (x, y),
            "add_vjp": (np.ones(z, dtype), x, y), "mul_vjp": (np.ones(z, dtype), x, y),
            "add_jvp": (x, y, x, y), "mul_jvp": (x, y, x, y)}[name]
    ours, theirs = getattr(ops, name)(*args), getattr(reference, name)(*args)
    assert _types(ours) == _types(theirs)
    ours = ours if isinstance(ours, tuple) else (ours,)
    theirs = theirs if isinstance(theirs, tuple) else (theirs,)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
        assert np.shape(a) == np.shape(b) and np.asarray(a).dtype == np.asarray(b).dtype


def test_negative_powers_reach_subnormal_results():
    """Issue 17, D11: power(x, -2) and power_vjp at c = -1 computed 1 / (x * x), which
    overflows for |x| > 1.3e154 and gave 0 where the result, 1e-310, is representable."""
    x = np.array([1e155, -1e155, 3.0])
    np.testing.assert_array_equal(ops.power(x, -2), reference.power(x, -2))
    assert ops.power(x, -2)[0] > 0
    np.testing.assert_array_equal(ops.power_vjp(np.ones(3), x, -1.0),
                                  reference.power_vjp(np.ones(3), x, -1.0))

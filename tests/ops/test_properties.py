"""Property-based tests (hypothesis): every function of the catalogue -- op, reverse rule and
forward-mode rule -- against its reference twin, on drawn values and memory layouts (issue 17).

Each call is its valid call in ``catalogue_calls.EXAMPLES`` or one of drawn shapes (1 x 1,
rows, columns, prime-sized and batched planes; for the layout functions drawn pads, crops,
factors, output sizes, masks and inner dimensions too), with the example's dtypes or their
single-precision counterparts; hypothesis draws the values of every floating array argument (a
seed and a kind: ordinary, magnitudes from 1e-300 to 1e3, huge ones, mostly zeros, with
subnormals, or with infinities and NaNs; positive ones where the call's are, as a power's base
or a detector's intensity) and its layout (C order, or the same values through a negative-
stride, transposed or sliced view). The C++ twin must agree with the reference to 1e-10 of the
result's norm (1e-4 in single precision) and leave its inputs unchanged; with infinities and
NaNs among the values, be non- finite exactly where the reference is (an inf and a NaN may
trade places: FFTW and NumPy's FFT propagate them differently).

A bounded run is part of the suite: ``PHASEGRAD_FUZZ_EXAMPLES`` examples per function
(default 10), derandomized (a fixed seed) and without an example database, so that it takes
seconds and repeats exactly. For a longer run:
``PHASEGRAD_FUZZ_EXAMPLES=2000 python -m pytest tests/ops/test_properties.py``.
"""

import os

import catalogue_calls as calls  # tests/ops is on sys.path: see conftest.py
import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from phasegrad import ops, reference  # noqa: E402

EXAMPLES_PER_FUNCTION = int(os.environ.get("PHASEGRAD_FUZZ_EXAMPLES", "10"))
FUZZ = settings(max_examples=EXAMPLES_PER_FUNCTION, derandomize=True, database=None,
                deadline=None)

# Arguments that are not values to draw: index masks and plane maps keep the example's.
_KEEP = {("take", 1), ("take_vjp", 1), ("put", 1), ("put_vjp", 1), ("take_jvp", 2),
         ("put_jvp", 2)}


_KINDS = ("ordinary", "wide", "huge", "sparse", "subnormal", "nonfinite")
_SINGLE = {np.dtype(np.float64): np.dtype(np.float32), np.dtype(np.complex128):
           np.dtype(np.complex64)}


def _values(rng, kind, count, positive):
    """``count`` float64 values of a ``kind``: uniform in [-1e3, 1e3]; log-uniform magnitudes
    from 1e-300 to 1e3; mostly zeros; or mixed with subnormals (positive ones for a call whose
    example is positive: a power's base, a detector's intensity, a weight)."""
    if kind == "ordinary":
        values = rng.uniform(-1e3, 1e3, count)
    elif kind == "wide":
        values = 10.0 ** rng.uniform(-300, 3, count) * rng.choice([-1.0, 1.0], count)
    elif kind == "huge":  # near the top of the range: products and sums may overflow
        values = 10.0 ** rng.uniform(100, 300, count) * rng.choice([-1.0, 1.0], count)
    elif kind == "sparse":
        values = np.where(rng.random(count) < 0.8, 0.0, rng.standard_normal(count))
    elif kind == "subnormal":
        values = np.where(rng.random(count) < 0.3, rng.choice([5e-324, 1e-310], count),
                          rng.standard_normal(count))
    else:  # a few infinities and NaNs among ordinary values
        values = rng.standard_normal(count)
        values[rng.integers(0, count, 1 + count // 50)] = rng.choice([np.inf, -np.inf, np.nan])
    if positive and kind != "nonfinite":
        values = np.abs(values) + (1e-3 if kind in ("sparse", "subnormal") else 1e-30)
    return values


@st.composite
def _like(draw, example, single):
    """An array with ``example``'s shape and dtype (its single-precision counterpart with
    ``single``), drawn values, and a drawn layout."""
    positive = example.dtype.kind == "f" and bool(np.all(example > 0))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(_KINDS))
    count = example.size * (2 if example.dtype.kind == "c" else 1)
    real = _values(rng, kind, count, positive)
    if example.dtype.kind == "c":
        real = real[0::2] + 1j * real[1::2]
    dtype = _SINGLE.get(example.dtype, example.dtype) if single else example.dtype
    array = real.reshape(example.shape).astype(dtype)
    layout = draw(st.sampled_from(["c", "flipped", "transposed", "sliced"])) if array.ndim \
        else "c"
    if layout == "flipped":  # the same values through negative strides
        array = np.flip(np.flip(array).copy())
    elif layout == "transposed":  # the same values through a transposed view
        array = np.ascontiguousarray(array.T).T
    elif layout == "sliced":  # every other element of a larger array
        larger = np.zeros(array.shape[:-1] + (2 * array.shape[-1],), array.dtype)
        larger[..., ::2] = array
        array = larger[..., ::2]
    return array


# Functions whose array arguments all share one shape, with no shape among their constants:
# their calls are also drawn with other shapes, from 1 x 1 and single rows or columns to
# prime-sized and batched planes.
_SHAPED = {name for name in calls.NAMES
           if name.split("_")[0] not in ("bin", "tile", "pad", "crop", "mft", "take", "put",
                                        "broadcast", "basis", "matmul", "convolve")
           and len({a.shape for a in calls.EXAMPLES[name]
                    if isinstance(a, np.ndarray) and a.ndim}) == 1}
_PLANES = [(1, 1), (1, 7), (7, 1), (13, 11), (2, 3, 5), (3, 1, 2, 7)]


@st.composite
def _shaped(draw, example):
    """``example`` with its array arguments given one drawn shape of at least two axes."""
    shape = draw(st.sampled_from(_PLANES))
    return tuple(np.resize(a, shape).astype(a.dtype)
                 if isinstance(a, np.ndarray) and a.ndim else a for a in example)


def _arguments(name, single):
    return _templates(name).flatmap(lambda example: _values_of(name, example, single))


def _layout_call(name, batch, r, c, seed):
    """A valid call of a layout function (pad, crop, bin, tile, mft, take, put, broadcast,
    basis, matmul, convolve and their rules) for planes of (r, c) with leading axes ``batch``,
    its arrays zeros of the example's dtypes (their values are drawn afterwards)."""
    example = calls.EXAMPLES[name]
    base, _, rule = name.rpartition("_") if name.endswith(("_vjp", "_jvp")) else (name, "", "")
    rng = np.random.default_rng(seed)

    def z(shape, position):  # None for the positions of the other two rules' calls
        if position >= len(example) or not isinstance(example[position], np.ndarray):
            return None
        return np.zeros(shape, dtype=example[position].dtype)

    plane = batch + (r, c)
    f = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    if base == "pad":
        big = (r + int(rng.integers(0, 4)), c + int(rng.integers(0, 4)))
        return {"": (z(plane, 0), big), "vjp": (z(batch + big, 0), (r, c)),
                "jvp": (z(plane, 0), z(plane, 1), big)}[rule]
    if base == "crop":
        small = (int(rng.integers(1, r + 1)), int(rng.integers(1, c + 1)))
        return {"": (z(plane, 0), small), "vjp": (z(batch + small, 0), (r, c)),
                "jvp": (z(plane, 0), z(plane, 1), small)}[rule]
    if base == "bin":
        big = batch + (r * f[0], c * f[1])
        return {"": (z(big, 0), f), "vjp": (z(plane, 0), f),
                "jvp": (z(big, 0), z(big, 1), f)}[rule]
    if base == "tile":
        big = batch + (r * f[0], c * f[1])
        return {"": (z(plane, 0), f), "vjp": (z(big, 0), f),
                "jvp": (z(plane, 0), z(plane, 1), f)}[rule]
    if base == "mft":
        out = (int(rng.integers(1, 10)), int(rng.integers(1, 10)))
        scale = (float(rng.uniform(0.01, 0.3)), float(rng.uniform(0.01, 0.3)))
        return {"": (z(plane, 0), out, scale), "vjp": (z(batch + out, 0), (r, c), scale),
                "jvp": (z(plane, 0), z(plane, 1), out, scale)}[rule]
    if base in ("take", "put"):
        mask = rng.random((r, c)) < 0.5
        mask.flat[int(rng.integers(0, r * c))] = True
        picked = batch + (int(mask.sum()),)
        if base == "take":
            return {"": (z(plane, 0), mask), "vjp": (z(picked, 0), mask, (r, c)),
                    "jvp": (z(plane, 0), z(plane, 1), mask)}[rule]
        return {"": (z(picked, 0), mask, (r, c)), "vjp": (z(plane, 0), mask, (r, c)),
                "jvp": (z(picked, 0), z(picked, 1), mask, (r, c))}[rule]
    if base == "broadcast":
        return {"": (z((r, c), 0), plane), "vjp": (z(plane, 0), (r, c)),
                "jvp": (z((r, c), 0), z((r, c), 1), plane)}[rule]
    if base == "basis":
        k = int(rng.integers(1, 6))
        return {"": (z((k,), 0), z((k, r, c), 1)), "vjp": (z((r, c), 0), z((k, r, c), 1)),
                "jvp": (z((k,), 0), z((k,), 1), z((k, r, c), 2))}[rule]
    if base == "matmul":
        n, m = r, c
        inner = int(rng.integers(1, 8))
        x, y = batch + (n, inner), batch + (inner, m)
        return {"": (z(x, 0), z(y, 1)), "vjp": (z(batch + (n, m), 0), z(x, 1), z(y, 2)),
                "jvp": (z(x, 0), z(y, 1), z(x, 2), z(y, 3))}[rule]
    if base == "convolve":
        return {"": (z(plane, 0), z((r, c), 1)), "vjp": (z(plane, 0), z(plane, 1), z((r, c), 2)),
                "jvp": (z(plane, 0), z((r, c), 1), z(plane, 2), z((r, c), 3))}[rule]
    raise KeyError(name)


_LAYOUT = ("pad", "crop", "bin", "tile", "mft", "take", "put", "broadcast", "basis", "matmul",
           "convolve")


def _templates(name):
    example = calls.EXAMPLES[name]
    if name.removesuffix("_vjp").removesuffix("_jvp") in _LAYOUT:
        drawn = st.builds(lambda batch, r, c, seed: _layout_call(name, batch, r, c, seed),
                          st.sampled_from([(), (1,), (3,), (2, 2)]), st.integers(1, 13),
                          st.integers(1, 13), st.integers(0, 2**32 - 1))
        return st.one_of(st.just(example), drawn)
    arrays = [a for a in example if isinstance(a, np.ndarray) and a.ndim]
    if name in _SHAPED and arrays[0].ndim >= 2:
        return st.one_of(st.just(example), _shaped(example))
    return st.just(example)


def _values_of(name, example, single):
    parts = []
    for position, value in enumerate(example):
        if (isinstance(value, np.ndarray) and value.dtype.kind in "fc" and value.ndim
                and (name, position) not in _KEEP):
            parts.append(_like(value, single))
        elif isinstance(value, np.ndarray) and value.dtype.kind in "fc" and single:
            parts.append(st.just(value.astype(_SINGLE.get(value.dtype, value.dtype))))
        else:
            parts.append(st.just(value))
    return st.tuples(*parts)


def _flat(value):
    return value if isinstance(value, tuple) else (value,)


# Rules whose result is a difference of two large terms, s x_dot - y sum(x_dot) / sum(x) with
# s = c / mean(x): for tiny x both terms are ~1e30 times the result, whose rounding relative to
# itself is then that much larger in any implementation (a drawn case: 3e-10).
_CANCELLING = {"mean_normalize_jvp": 1e-6, "mean_normalize_vjp": 1e-6}


def _agree(ours, theirs, tolerance=1e-10):
    """Same shapes and dtypes; non-finite exactly where the reference is (an inf and a NaN
    may trade places: FFTW and NumPy's FFT propagate them differently); equal elsewhere."""
    for a, b in zip(_flat(ours), _flat(theirs), strict=True):
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype
        finite = np.isfinite(b)
        np.testing.assert_array_equal(np.isfinite(a), finite)
        a, b = np.where(finite, a, 0), np.where(finite, b, 0)
        single = b.dtype in (np.float32, np.complex64)
        scale = float(np.linalg.norm(b.astype(np.complex128).ravel()))
        difference = float(np.linalg.norm((a.astype(np.complex128) - b).ravel()))
        assert difference <= (1e-4 if single else tolerance) * max(scale, 1e-300)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # subnormal and overflowing values
@pytest.mark.parametrize("single", [False, True], ids=["double", "single"])
@pytest.mark.parametrize("name", calls.NAMES)
def test_the_twin_agrees_with_the_reference_on_drawn_values(name, single):
    @FUZZ
    @given(_arguments(name, single))
    def check(arguments):
        copies = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in arguments]
        try:
            theirs = getattr(reference, name)(*arguments)
        except (ValueError, ZeroDivisionError, FloatingPointError) as error:
            with pytest.raises(type(error)):
                getattr(ops, name)(*arguments)
            return
        ours = getattr(ops, name)(*arguments)
        _agree(ours, theirs, _CANCELLING.get(name, 1e-10))
        for before, after in zip(copies, arguments, strict=True):
            if isinstance(before, np.ndarray):
                np.testing.assert_array_equal(before, after)  # inputs left as they were

    check()

"""phasegrad.ops and phasegrad.reference are one catalogue: the same names and signatures, the
same results on a valid call of every function, and the same error (type and message) when
any array argument has a dtype the catalogue refuses."""

import inspect

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import ops, reference

rng = np.random.default_rng(7)
R = rng.standard_normal((2, 6, 8))                       # real batch of planes
C = R + 1j * rng.standard_normal((2, 6, 8))              # complex batch of planes
POS = np.abs(R) + 0.5                                   # positive real
B = rng.standard_normal((3, 6, 8))                       # basis modes
MASK = rng.standard_normal((6, 8)) > 0

# One valid call of every function: name -> positional arguments.
EXAMPLES = {
    "add": (C, C), "add_vjp": (C, C, C),
    "mul": (C, R + 0j), "mul_vjp": (C, C, R + 0j),
    "matmul": (C[..., :6], C), "matmul_vjp": (C, C[..., :6], C),
    "power": (POS, 2.5), "power_vjp": (R, POS, 2.5),
    "abs2": (C,), "abs2_vjp": (R, C),
    "real": (C,), "real_vjp": (R,),
    "imag": (C,), "imag_vjp": (R,),
    "exp": (C,), "exp_vjp": (C, np.exp(C)),
    "expi": (R,), "expi_vjp": (C, np.exp(1j * R)),
    "basis": (rng.standard_normal(3), B), "basis_vjp": (R[0], B),
    "take": (C, MASK), "take_vjp": (C[..., MASK], MASK, (6, 8)),
    "put": (C[..., MASK], MASK, (6, 8)), "put_vjp": (C, MASK, (6, 8)),
    "broadcast": (C[0], (2, 6, 8)), "broadcast_vjp": (C, (6, 8)),
    "to_complex": (R,), "to_complex_vjp": (C,),
    "dft2": (C, "ortho"), "dft2_vjp": (C, "ortho"),
    "idft2": (C, 0.5), "idft2_vjp": (C, 0.5),
    "bin": (C, 2), "bin_vjp": (C[..., :3, :4], 2),
    "tile": (C, (2, 1)), "tile_vjp": (np.concatenate([C, C], axis=-2), (2, 1)),
    "pad": (C, (9, 10)), "pad_vjp": (np.zeros((2, 9, 10), complex) + 1j, (6, 8)),
    "crop": (C, (5, 7)), "crop_vjp": (C[..., :5, :7], (6, 8)),
    "fftshift": (C,), "fftshift_vjp": (C,),
    "ifftshift": (C,), "ifftshift_vjp": (C,),
    "wsse": (R, POS, POS), "wsse_vjp": (1.0, R, POS, POS),
    "poly_detector": (POS, 0.3, 1.1, 0.01), "poly_detector_vjp": (R, POS, 0.3, 1.1),
    "mft": (C, (7, 5), (0.11, 0.07)), "mft_vjp": (C[..., :7, :5], (6, 8), (0.11, 0.07)),
    "convolve": (C, R[0] + 0j), "convolve_vjp": (C, C, R[0] + 0j),
    "mean_normalize": (POS, 2.0), "mean_normalize_vjp": (R, POS, 2.0),
}
NAMES = [n for name in pg.CATALOGUE for n in (name, f"{name}_vjp")]
DOUBLE_TOLERANCE = 1e-12


def test_examples_cover_the_catalogue():
    assert sorted(EXAMPLES) == sorted(NAMES)


def test_same_names():
    assert sorted(ops.__all__) == sorted(reference.__all__) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_same_signature(name):
    assert inspect.signature(getattr(ops, name)) == inspect.signature(getattr(reference, name))


def _flatten(value):
    return value if isinstance(value, tuple) else (value,)


def _assert_same(ours, theirs):
    ours, theirs = _flatten(ours), _flatten(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert type(a) is type(b)
        a, b = np.asarray(a), np.asarray(b)
        assert a.shape == b.shape and a.dtype == b.dtype
        scale = max(float(np.linalg.norm(b.ravel())), 1e-300)
        assert float(np.linalg.norm((a - b).ravel())) <= DOUBLE_TOLERANCE * scale


@pytest.mark.parametrize("name", NAMES)
def test_same_result(name):
    args = EXAMPLES[name]
    _assert_same(getattr(ops, name)(*args), getattr(reference, name)(*args))


def _misaligned(a):
    """A C-contiguous copy of ``a`` whose data starts one byte past an aligned address."""
    buffer = np.empty(a.nbytes + a.itemsize, dtype=np.uint8)
    out = np.frombuffer(buffer, dtype=a.dtype, count=a.size, offset=1).reshape(a.shape)
    out[...] = a
    assert out.flags.c_contiguous and not out.flags.aligned
    return out


@pytest.mark.parametrize("name", NAMES)
def test_same_result_for_misaligned_arrays(name):
    # np.ascontiguousarray passes a misaligned array through; the core refuses one, so every
    # op must hand it an aligned copy and still give the reference's answer.
    args = [_misaligned(a) if isinstance(a, np.ndarray) and a.dtype.kind in "fc" else a
            for a in EXAMPLES[name]]
    _assert_same(getattr(ops, name)(*args), getattr(reference, name)(*EXAMPLES[name]))


BAD_DTYPES = [np.int64, np.float16, np.longdouble, np.bool_]


def _bad_calls():
    for name in NAMES:
        args = EXAMPLES[name]
        for position, value in enumerate(args):
            if isinstance(value, np.ndarray) and value.dtype.kind in "fc" and value.ndim:
                for dtype in BAD_DTYPES:
                    yield pytest.param(name, position, dtype,
                                       id=f"{name}-arg{position}-{np.dtype(dtype).name}")


@pytest.mark.parametrize("name, position, dtype", list(_bad_calls()))
def test_same_error_for_a_refused_dtype(name, position, dtype):
    args = list(EXAMPLES[name])
    args[position] = np.real(args[position]).astype(dtype)
    with pytest.raises((TypeError, ValueError)) as expected:
        getattr(reference, name)(*args)
    with pytest.raises(expected.type) as got:
        getattr(ops, name)(*args)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("name", NAMES)
def test_docstring_is_the_references_with_a_note_after_its_summary(name):
    summary, _, _ = getattr(reference, name).__doc__.partition("\n\n")
    doc = getattr(ops, name).__doc__
    assert doc.startswith(summary + "\n\n")
    assert "C++ core" in doc[len(summary):].split("\n\n")[1]

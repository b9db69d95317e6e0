"""The C++ forward-mode rules of the linear-map ops (phasegrad.ops.*_jvp of basis, dft2, idft2,
mft, convolve, take, put, pad, crop, fftshift, ifftshift, bin, tile) against their reference
twins: the same (y, y_dot) to rounding for every dtype, odd and even shapes, batches and thread
counts; y the op's own result; the pairing with the C++ reverse rules; new arrays; and the
reference's errors, type and message, for every bad argument, tangents included."""

import warnings

import jvp_calls_linear as calls  # tests/ops is on sys.path: see conftest.py
import numpy as np
import pytest

from phasegrad import ops, reference

DTYPE = {("single", "r"): np.float32, ("single", "c"): np.complex64,
         ("double", "r"): np.float64, ("double", "c"): np.complex128}
TOL = {"single": 1e-5, "double": 1e-12}
MASK = np.random.default_rng(3).random((7, 5)) < 0.4
MODES = np.random.default_rng(4).standard_normal((4, 9, 12))

# (name, inputs as (kind, shape), constants): odd and even planes, batches, real and complex.
CASES = [
    ("basis", (("r", (4,)),), ("modes",)),
    ("basis", (("r", (2, 3, 4)),), ("modes",)),
    ("dft2", (("c", (2, 9, 12)),), ("backward",)),
    ("dft2", (("c", (3, 7, 5)),), ("ortho",)),
    ("idft2", (("c", (2, 8, 8)),), ("forward",)),
    ("idft2", (("c", (7, 5)),), (0.37,)),
    ("mft", (("c", (2, 7, 5)),), ((9, 12), (0.13, 0.071))),
    ("mft", (("c", (8, 8)),), ((6, 11), 0.05)),
    ("convolve", (("c", (2, 9, 12)), ("c", (9, 12))), ()),
    ("convolve", (("r", (2, 7, 5)), ("r", (2, 7, 5))), ()),
    ("convolve", (("r", (3, 8, 8)), ("r", (8, 8))), ()),
    ("convolve", (("r", (2, 1, 8, 8)), ("c", (3, 8, 8))), ()),
    ("convolve", (("c", (7, 5)), ("r", (2, 7, 5))), ()),
    # Large enough for the product pass to run on several threads.
    ("convolve", (("c", (2, 128, 130)), ("r", (128, 130))), ()),
    ("convolve", (("r", (3, 1, 96, 128)), ("r", (2, 96, 128))), ()),
    ("take", (("c", (2, 7, 5)),), (MASK,)),
    ("take", (("r", (3, 7, 5)),), (np.array([5, 0, 34, 5, 12, 0]),)),
    ("put", (("c", (2, int(MASK.sum()))),), (MASK, (7, 5))),
    ("put", (("r", (4,)),), (np.array([7, 0, 47, 19]), (6, 8))),
    ("pad", (("c", (2, 7, 5)),), ((9, 12),)),
    ("pad", (("r", (8, 8)),), ((8, 8),)),
    ("crop", (("c", (2, 9, 12)),), ((7, 5),)),
    ("crop", (("r", (3, 8, 8)),), ((8, 8),)),
    ("fftshift", (("c", (2, 7, 5)),), ()),
    ("fftshift", (("r", (8, 8)),), ()),
    ("ifftshift", (("c", (3, 9, 12)),), ()),
    ("ifftshift", (("r", (7, 5)),), ()),
    ("bin", (("c", (2, 6, 8)),), (2,)),
    ("bin", (("r", (3, 9, 10)),), ((3, 2),)),
    ("tile", (("c", (2, 3, 4)),), ((2, 1),)),
    ("tile", (("r", (7, 5)),), (1,)),
]
IDS = [f"{name}-{''.join(k for k, _ in inputs)}-"
       + "-".join("x".join(map(str, s)) for _, s in inputs) for name, inputs, _ in CASES]


def draw(rng, shape, dtype):
    values = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def arguments(case, precision, seed=0):
    """(inputs, tangents, constants) of a case in the given precision."""
    name, inputs, constants = case
    rng = np.random.default_rng(seed)
    primals = tuple(draw(rng, shape, DTYPE[precision, kind]) for kind, shape in inputs)
    tangents = tuple(draw(rng, shape, DTYPE[precision, kind]) for kind, shape in inputs)
    constants = tuple(MODES[:primals[0].shape[-1]].astype(DTYPE[precision, "r"])
                      if isinstance(c, str) and c == "modes" else c for c in constants)
    return primals, tangents, constants


@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_equals_the_reference(case, precision, thread_count, twins):
    primals, tangents, constants = arguments(case, precision)
    name = case[0]
    got = getattr(ops, f"{name}_jvp")(*primals, *tangents, *constants)
    expected = getattr(reference, f"{name}_jvp")(*primals, *tangents, *constants)
    assert isinstance(got, tuple) and len(got) == 2
    twins(got, expected)
    # y is the C++ op's own result (to rounding: convolve's real planes are transformed in
    # pairs by the op, one by one by its jvp).
    twins(got[0], getattr(ops, name)(*primals, *constants))


@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_pairs_with_the_cpp_vjp(case, precision):
    primals, tangents, constants = arguments(case, precision, seed=1)
    name, x = case[0], primals[0]
    _, y_dot = getattr(ops, f"{name}_jvp")(*primals, *tangents, *constants)
    y_bar = draw(np.random.default_rng(2), y_dot.shape, y_dot.dtype)
    vjp_arguments = {  # each built only when it is the case's (its constants differ)
        "fftshift": lambda: (y_bar,), "ifftshift": lambda: (y_bar,),
        "pad": lambda: (y_bar, x.shape), "crop": lambda: (y_bar, x.shape),
        "take": lambda: (y_bar, constants[0], x.shape),
        "mft": lambda: (y_bar, x.shape, constants[1]), "convolve": lambda: (y_bar, *primals),
    }.get(name, lambda: (y_bar, *constants))()
    grads = getattr(ops, f"{name}_vjp")(*vjp_arguments)
    grads = grads if isinstance(grads, tuple) else (grads,)

    def inner(a, b):
        return float(np.real(np.vdot(np.asarray(a, np.complex128).ravel(),
                                      np.asarray(b, np.complex128).ravel())))

    lhs = inner(y_bar, y_dot)
    rhs = sum(inner(g, t) for g, t in zip(grads, tangents, strict=True))
    assert abs(lhs - rhs) <= TOL[precision] * np.linalg.norm(y_bar) * np.linalg.norm(y_dot)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_returns_new_arrays_and_reads_strided_views(case, twins):
    primals, tangents, constants = arguments(case, "double")
    name = case[0]
    y, y_dot = getattr(ops, f"{name}_jvp")(*primals, *tangents, *constants)
    for result in (y, y_dot):
        assert result.flags.c_contiguous
        for argument in (*primals, *tangents, *constants):
            if isinstance(argument, np.ndarray):
                assert not np.shares_memory(result, argument)

    def strided(a):  # the same values, read through a view with a stride of two elements
        big = np.zeros(a.shape + (2,), a.dtype)
        big[..., 0] = a
        return big[..., 0]

    views = getattr(ops, f"{name}_jvp")(*map(strided, primals), *map(strided, tangents),
                                        *constants)
    twins(views, (y, y_dot), rtol=0)


@pytest.mark.parametrize("scale", [1e-12, 1e12])
@pytest.mark.parametrize("kinds", ["rr", "rc", "cc"])
def test_convolve_jvp_keeps_tangents_of_any_scale_apart(kinds, scale, twins):
    # A tangent many orders of magnitude from its input: were x and x_dot (or y and y_dot)
    # transformed in one packed complex FFT, x's rounding would swamp x_dot's whole value.
    rng = np.random.default_rng(9)
    x = draw(rng, (2, 9, 12), DTYPE["double", kinds[0]])
    h = draw(rng, (9, 12), DTYPE["double", kinds[1]])
    x_dot = scale * draw(rng, x.shape, x.dtype)
    h_dot = np.zeros_like(h)
    y, y_dot = ops.convolve_jvp(x, h, x_dot, h_dot)
    twins(y_dot, reference.convolve(x_dot, h))
    twins(y, reference.convolve(x, h))


# ---------------------------------------------------------------- bad input

BAD_ARRAYS = {
    "empty": lambda a: np.empty((0,) * max(a.ndim, 1), a.dtype),
    "masked": lambda a: np.ma.masked_array(a, mask=np.zeros(a.shape, bool)),
    "ragged": lambda a: [[1.0], [1.0, 2.0]],
    "string": lambda a: "abc",
    "none": lambda a: None,
    "zero-d": lambda a: np.asarray(a.ravel()[0]),
    "other-precision": lambda a: a.astype({"f": np.float32, "c": np.complex64}[a.dtype.kind]),
    "other-kind": lambda a: np.real(a).copy() if a.dtype.kind == "c" else a + 0j,
    "longdouble": lambda a: np.real(a).astype(np.longdouble),
    "integer": lambda a: np.ones(a.shape, np.int64),
    "shorter": lambda a: a[..., :-1],
    "nan": lambda a: np.full_like(a, np.nan),
}
BAD_OTHERS = {"none": None, "string": "bogus", "nan": float("nan"), "minus-one": -1,
              "imaginary": 1j, "three-tuple": (1, 2, 3), "empty": np.empty(0)}


def _bad_calls():
    for name, args in calls.JVP_EXAMPLES.items():
        for position, value in enumerate(args):
            is_array = isinstance(value, np.ndarray) and value.dtype.kind in "fc"
            for label, bad in (BAD_ARRAYS if is_array else BAD_OTHERS).items():
                replaced = list(args)
                replaced[position] = bad(value) if is_array else bad
                yield pytest.param(name, position, replaced, id=f"{name}-arg{position}-{label}")


CASES_BAD = list(_bad_calls())


def _is_tangent(case):
    name, position, _ = case.values
    return calls.INPUTS[name] <= position < 2 * calls.INPUTS[name]


BAD_TANGENTS = [case for case in CASES_BAD if _is_tangent(case)]
BAD_OTHER_ARGUMENTS = [case for case in CASES_BAD if not _is_tangent(case)]


def _outcome(function, args):
    """('ok', result) or (error type, message) of function(*args)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NaN inputs: NumPy may warn
            return "ok", function(*args)
    except (TypeError, ValueError) as error:
        return type(error), str(error)


def test_the_examples_cover_every_linear_jvp():
    assert set(calls.JVP_EXAMPLES) == {f"{name}_jvp" for name, _, _ in CASES}
    for name, args in calls.JVP_EXAMPLES.items():
        for module in (ops, reference):
            getattr(module, name)(*args)


@pytest.mark.parametrize("name, position, args", CASES_BAD)
def test_bad_input_gives_the_references_error_or_its_answer(name, position, args):
    kind, expected = _outcome(getattr(reference, name), args)
    got_kind, got = _outcome(getattr(ops, name), args)
    assert got_kind is kind if kind != "ok" else got_kind == "ok", (got_kind, got)
    if kind != "ok":
        assert got == expected
    else:
        for g, e in zip(got, expected, strict=True):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, position, args", BAD_OTHER_ARGUMENTS)
def test_bad_input_to_an_input_or_constant_gets_the_ops_error(name, position, args):
    inputs = calls.INPUTS[name]
    op_args = args[:inputs] + args[2 * inputs:]
    kind, expected = _outcome(getattr(ops, name.removesuffix("_jvp")), op_args)
    got_kind, got = _outcome(getattr(ops, name), args)
    if kind != "ok":
        assert (got_kind, got) == (kind, expected)
    elif got_kind != "ok":  # the op takes it; the tangent of the old input then does not fit
        assert got.split()[0] in ("x_dot", "h_dot", "a_dot"), got


@pytest.mark.parametrize("name, position, args", BAD_TANGENTS)
def test_a_bad_tangent_is_refused_by_name(name, position, args):
    inputs = calls.INPUTS[name]
    got_kind, got = _outcome(getattr(ops, name), args)
    if got_kind == "ok":  # a NaN tangent is a tangent
        assert np.isnan(np.asarray(args[position], dtype=complex)).all()
        return
    tangent_name = {"basis_jvp": "a_dot"}.get(name, ("x_dot", "h_dot")[position - inputs])
    assert got.startswith(tangent_name), got
    assert got_kind is (ValueError if "shape" in got else TypeError), got

"""Tests of the forward-mode rules of the linear-map ops of phasegrad.reference: basis, dft2,
idft2, mft, convolve, take, put, pad, crop, fftshift, ifftshift, bin, tile.

Each ``op_jvp`` returns ``(op(...), y_dot)``: y is the op's own result, y_dot agrees with
float64 central differences along real, imaginary and general complex tangents, pairs with
``op_vjp`` (Re<y_bar, y_dot> = Re<x_bar, x_dot>), keeps the dtype rule, shares no memory with
its arguments, refuses bad primal arguments exactly as the op does and bad tangents by name.
"""

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

from phasegrad import reference as ref
from phasegrad.check import relative_error

TOL = {"single": 1e-5, "double": 1e-12}
DTYPE = {("single", "r"): np.float32, ("single", "c"): np.complex64,
         ("double", "r"): np.float64, ("double", "c"): np.complex128}
MASK = np.random.default_rng(3).random((6, 8)) < 0.4
FLAT_REPEATS = np.array([5, 0, 34, 5, 12, 0, 34])   # take: repeated pixels of a 7 x 5 plane
FLAT_UNIQUE = np.array([7, 0, 47, 19, 33])          # put: distinct pixels of a 6 x 8 plane
MODES = {shape: np.random.default_rng(4).standard_normal(shape) for shape in
         [(4, 7, 5), (3, 8, 8)]}


@dataclass(frozen=True)
class Case:
    """One call of a jvp: its differentiable inputs (kind "r"/"c", shape) and constants.

    ``constants`` may hold a callable of the precision (the modes B of basis, whose precision
    must be the coefficients').
    """

    name: str
    primals: tuple
    constants: tuple = ()

    def arguments(self, precision, seed=0):
        """(primals, constants): random primals of the given precision, and the constants."""
        rng = np.random.default_rng(seed)
        primals = tuple(draw(rng, shape, DTYPE[precision, kind])
                        for kind, shape in self.primals)
        constants = tuple(c(precision) if callable(c) else c for c in self.constants)
        return primals, constants

    def vjp(self, y_bar, primals, constants):
        """The reverse rule's gradients (a tuple, one per primal)."""
        name = self.name
        x = primals[0]
        if name in ("dft2", "idft2", "bin", "tile"):
            args = (y_bar, constants[0])
        elif name in ("fftshift", "ifftshift"):
            args = (y_bar,)
        elif name in ("pad", "crop"):
            args = (y_bar, x.shape)
        elif name == "take":
            args = (y_bar, constants[0], x.shape)
        elif name == "put":
            args = (y_bar, *constants)
        elif name == "mft":
            args = (y_bar, x.shape, constants[1])
        elif name == "convolve":
            args = (y_bar, *primals)
        elif name == "basis":
            args = (y_bar, constants[0])
        result = getattr(ref, f"{name}_vjp")(*args)
        return result if isinstance(result, tuple) else (result,)

    def __str__(self):
        shapes = "-".join("x".join(map(str, shape)) for _, shape in self.primals)
        return f"{self.name}-{''.join(k for k, _ in self.primals)}-{shapes}"


def draw(rng, shape, dtype):
    values = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        values = values + 1j * rng.standard_normal(shape)
    return values.astype(dtype)


def modes(shape):
    return lambda precision: MODES[shape].astype(DTYPE[precision, "r"])


CASES = [
    Case("basis", (("r", (4,)),), (modes((4, 7, 5)),)),
    Case("basis", (("r", (2, 3)),), (modes((3, 8, 8)),)),
    Case("dft2", (("c", (2, 9, 12)),), ("backward",)),
    Case("dft2", (("c", (3, 7, 5)),), (0.37,)),
    Case("idft2", (("c", (2, 8, 8)),), ("ortho",)),
    Case("idft2", (("c", (3, 7, 5)),), ("forward",)),
    Case("mft", (("c", (2, 7, 5)),), ((9, 12), (0.13, 0.071))),
    Case("mft", (("c", (8, 8)),), ((6, 11), 0.05)),
    Case("convolve", (("c", (2, 9, 12)), ("c", (9, 12)))),
    Case("convolve", (("r", (2, 7, 5)), ("r", (2, 7, 5)))),
    Case("convolve", (("r", (2, 1, 8, 8)), ("c", (3, 8, 8)))),
    Case("convolve", (("c", (7, 5)), ("r", (2, 7, 5)))),
    Case("take", (("c", (2, 6, 8)),), (MASK,)),
    Case("take", (("r", (3, 7, 5)),), (FLAT_REPEATS,)),
    Case("put", (("c", (2, 5)),), (FLAT_UNIQUE, (6, 8))),
    Case("put", (("r", (int(MASK.sum()),)),), (MASK, (6, 8))),
    Case("pad", (("c", (2, 7, 5)),), ((9, 12),)),
    Case("pad", (("r", (8, 8)),), ((8, 8),)),
    Case("crop", (("c", (2, 9, 12)),), ((7, 5),)),
    Case("crop", (("r", (3, 8, 8)),), ((8, 8),)),
    Case("fftshift", (("c", (2, 7, 5)),)),
    Case("fftshift", (("r", (8, 8)),)),
    Case("ifftshift", (("c", (2, 7, 5)),)),
    Case("ifftshift", (("r", (3, 9, 12)),)),
    Case("bin", (("c", (2, 6, 8)),), (2,)),
    Case("bin", (("r", (3, 9, 10)),), ((3, 2),)),
    Case("tile", (("c", (2, 3, 4)),), ((2, 1),)),
    Case("tile", (("r", (7, 5)),), (1,)),
]
IDS = [str(case) for case in CASES]
NAMES = sorted({case.name for case in CASES})


def jvp(case, primals, tangents, constants):
    return getattr(ref, f"{case.name}_jvp")(*primals, *tangents, *constants)


def op(case, primals, constants):
    return getattr(ref, case.name)(*primals, *constants)


def test_every_linear_jvp_is_tested_and_public():
    assert NAMES == sorted(["basis", "dft2", "idft2", "mft", "convolve", "take", "put", "pad",
                            "crop", "fftshift", "ifftshift", "bin", "tile"])
    for name in NAMES:
        module = getattr(ref, name).__module__
        names = __import__(module, fromlist=["__all__"]).__all__
        assert names.index(f"{name}_jvp") == names.index(f"{name}_vjp") + 1
        assert f"{name}_jvp" in ref.__all__


# ---------------------------------------------------------------- y is the op's, y_dot's dtype

@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_y_is_the_ops_result_and_y_dot_its_shape_and_dtype(case, precision):
    primals, constants = case.arguments(precision)
    tangents, _ = case.arguments(precision, seed=1)
    y, y_dot = jvp(case, primals, tangents, constants)
    expected = op(case, primals, constants)
    assert y.dtype == expected.dtype and y.shape == expected.shape
    np.testing.assert_array_equal(y, expected)
    assert y_dot.shape == y.shape and y_dot.dtype == y.dtype
    # Linear in the tangent: y_dot is the op of the tangent (convolve: the product rule).
    if case.name == "convolve":
        expected_dot = (op(case, (tangents[0], primals[1]), constants)
                        + op(case, (primals[0], tangents[1]), constants))
    else:
        expected_dot = op(case, tangents, constants)
    assert relative_error(y_dot, expected_dot) <= 10 * TOL[precision]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_returns_new_arrays(case):
    primals, constants = case.arguments("double")
    tangents, _ = case.arguments("double", seed=1)
    y, y_dot = jvp(case, primals, tangents, constants)
    assert not np.shares_memory(y, y_dot)
    for result in (y, y_dot):
        for argument in (*primals, *tangents, *constants):
            if isinstance(argument, np.ndarray):
                assert not np.shares_memory(result, argument)


# ---------------------------------------------------------------- finite differences

def directions(primals, rng):
    """Tangent tuples: along each input alone (real, imaginary and complex directions for a
    complex input) and along all inputs at once."""
    zeros = tuple(np.zeros_like(p) for p in primals)
    for k, p in enumerate(primals):
        units = (1.0, 1j, 0.6 - 0.8j) if p.dtype.kind == "c" else (1.0,)
        for unit in units:
            tangents = list(zeros)
            tangents[k] = (unit * rng.standard_normal(p.shape)).astype(p.dtype)
            yield tuple(tangents)
    yield tuple(draw(rng, p.shape, p.dtype) for p in primals)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_matches_central_differences(case):
    primals, constants = case.arguments("double")
    rng = np.random.default_rng(11)
    eps = 1e-6
    for tangents in directions(primals, rng):
        _, y_dot = jvp(case, primals, tangents, constants)
        up = op(case, tuple(p + eps * t for p, t in zip(primals, tangents, strict=True)),
                constants)
        down = op(case, tuple(p - eps * t for p, t in zip(primals, tangents, strict=True)),
                  constants)
        numeric = (up - down) / (2 * eps)
        assert relative_error(y_dot, numeric) <= 1e-7, [t.dtype for t in tangents]


# ---------------------------------------------------------------- pairing with op_vjp

def inner(a, b):
    """Re <a, b> = Re sum(conj(a) b), in double precision."""
    as_double = lambda v: np.asarray(v, dtype=np.complex128).ravel()  # noqa: E731
    return float(np.real(np.vdot(as_double(a), as_double(b))))


@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_jvp_pairs_with_vjp(case, precision):
    primals, constants = case.arguments(precision, seed=2)
    tangents, _ = case.arguments(precision, seed=3)
    _, y_dot = jvp(case, primals, tangents, constants)
    y_bar = draw(np.random.default_rng(5), y_dot.shape, y_dot.dtype)
    grads = case.vjp(y_bar, primals, constants)
    lhs = inner(y_bar, y_dot)
    rhs = sum(inner(g, t) for g, t in zip(grads, tangents, strict=True))
    scale = np.linalg.norm(y_bar) * np.linalg.norm(y_dot)
    assert abs(lhs - rhs) <= TOL[precision] * scale, (lhs, rhs)


# ---------------------------------------------------------------- strided inputs, examples

@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_strided_inputs_give_the_contiguous_answer(case):
    primals, constants = case.arguments("double")
    tangents, _ = case.arguments("double", seed=1)

    def strided(a):  # the same values, through a reversed view of a larger array
        big = np.empty(a.shape + (2,), a.dtype)
        big[..., 0] = a
        return big[..., 0]

    expected = jvp(case, primals, tangents, constants)
    got = jvp(case, tuple(map(strided, primals)), tuple(map(strided, tangents)), constants)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_convolve_jvp_of_deltas():
    # x a delta at (0, 1), h a delta at (1, 0): y is the delta at (1, 1); moving x's delta
    # to (0, 2) and h's to (2, 0) moves y's along both.
    x, h, x_dot, h_dot = (np.zeros((4, 4)) for _ in range(4))
    x[0, 1] = h[1, 0] = x_dot[0, 2] = h_dot[2, 0] = 1.0
    y, y_dot = ref.convolve_jvp(x, h, x_dot, h_dot)
    expected = np.zeros((4, 4))
    expected[1, 1] = 1.0
    np.testing.assert_allclose(y, expected, atol=1e-15)
    expected = np.zeros((4, 4))
    expected[1, 2] = expected[2, 1] = 1.0
    np.testing.assert_allclose(y_dot, expected, atol=1e-15)
    assert y.dtype == y_dot.dtype == np.float64


# ---------------------------------------------------------------- bad input

#: One valid call of each jvp: (primals, tangents, constants).
VALID = {}
for _case in CASES:
    VALID.setdefault(_case.name, (*_case.arguments("double")[:1],
                                  _case.arguments("double", seed=1)[0],
                                  _case.arguments("double")[1]))

BAD_ARRAYS = {
    "empty": lambda a: np.empty((0,) * max(a.ndim, 1), a.dtype),
    "masked": lambda a: np.ma.masked_array(a, mask=np.zeros(a.shape, bool)),
    "ragged": lambda a: [[1.0], [1.0, 2.0]],
    "string": lambda a: "abc",
    "none": lambda a: None,
    "zero-d": lambda a: np.asarray(a.ravel()[0]),
    "other-precision": lambda a: a.astype({"f": np.float32, "c": np.complex64}[a.dtype.kind]),
    "other-kind": lambda a: (np.real(a) if a.dtype.kind == "c" else a + 0j),
    "longdouble": lambda a: np.real(a).astype(np.longdouble),
    "integer": lambda a: np.ones(a.shape, np.int64),
    "nan": lambda a: np.full_like(a, np.nan),
}
BAD_OTHERS = {"none": None, "string": "bogus", "nan": float("nan"), "minus-one": -1,
              "imaginary": 1j, "three-tuple": (1, 2, 3), "empty": np.empty(0)}


def _bad_primal_calls():
    for name, (primals, tangents, constants) in VALID.items():
        arguments = list(primals) + list(constants)
        for position, value in enumerate(arguments):
            is_array = isinstance(value, np.ndarray) and value.dtype.kind in "fc"
            for label, bad in (BAD_ARRAYS if is_array else BAD_OTHERS).items():
                replaced = list(arguments)
                replaced[position] = bad(value) if is_array else bad
                yield pytest.param(name, len(primals), replaced, tangents,
                                   id=f"{name}-arg{position}-{label}")


def _outcome(function, args):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            function(*args)
            return "ok", None
    except (TypeError, ValueError) as error:
        return type(error), str(error)


@pytest.mark.parametrize("name, count, arguments, tangents", list(_bad_primal_calls()))
def test_bad_primal_gets_the_ops_error(name, count, arguments, tangents):
    """Bad primal arguments: the op's error, type and message; what the op accepts, the jvp
    accepts, or refuses for its tangent (a tangent of the original input no longer fits)."""
    kind, message = _outcome(getattr(ref, name), arguments)
    jvp_args = [*arguments[:count], *tangents, *arguments[count:]]
    got_kind, got = _outcome(getattr(ref, f"{name}_jvp"), jvp_args)
    if kind != "ok":
        assert (got_kind, got) == (kind, message)
    else:
        assert got_kind == "ok" or got.split()[0] in ("x_dot", "h_dot", "a_dot"), got


def _bad_tangents():
    for name, (primals, tangents, constants) in VALID.items():
        for k, t in enumerate(tangents):
            tangent_name = {"basis": "a_dot"}.get(name, ("x_dot", "h_dot")[k])
            other = {"f": np.float32, "c": np.complex64}[t.dtype.kind]
            bad = {
                "short": (ValueError, t[..., :-1]),
                "batched": (ValueError, t[None]),
                "other-precision": (TypeError, t.astype(other)),
                "other-kind": (TypeError, np.real(t) if t.dtype.kind == "c" else t + 0j),
                "list": (TypeError, t.tolist()),
                "none": (TypeError, None),
                "masked": (TypeError, np.ma.masked_array(t)),
            }
            for label, (error, value) in bad.items():
                replaced = list(tangents)
                replaced[k] = value
                yield pytest.param(name, primals, replaced, constants, error, tangent_name,
                                   id=f"{name}-{tangent_name}-{label}")


@pytest.mark.parametrize("name, primals, tangents, constants, error, tangent_name",
                         list(_bad_tangents()))
def test_bad_tangent_is_refused_by_name(name, primals, tangents, constants, error,
                                        tangent_name):
    with pytest.raises(error) as raised:
        getattr(ref, f"{name}_jvp")(*primals, *tangents, *constants)
    assert str(raised.value).startswith(tangent_name), str(raised.value)


def test_a_complex_tangent_of_a_real_input_says_so():
    x = np.ones((4, 4))
    with pytest.raises(TypeError, match=r"^x_dot .*real input takes a real tangent"):
        ref.pad_jvp(x, x + 0j, (5, 5))

"""Argument checks shared by the reference catalogue, the C++ wrappers and the models.

Every public entry point validates here, before any computation, so that bad input gets a
``TypeError`` (wrong kind or dtype) or ``ValueError`` (wrong shape or value) that names the
argument. Nothing here casts silently: an array of the wrong dtype is rejected, not converted.
"""

from __future__ import annotations

import numbers
import operator
import os

import numpy as np

REAL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
COMPLEX_DTYPES = (np.dtype(np.complex64), np.dtype(np.complex128))
FLOAT_DTYPES = REAL_DTYPES + COMPLEX_DTYPES

_NAMES = {
    "real": "float32 or float64",
    "complex": "complex64 or complex128",
    "any": "float32, float64, complex64 or complex128",
}


def array(x, name, kind="any", min_ndim=0):
    """Return ``x`` as an ndarray after checking its dtype and number of axes.

    Parameters
    ----------
    x : array_like
        The argument. Lists and scalars are converted with ``np.asarray``; NumPy arrays are
        returned without a copy or a cast (a subclass such as ``np.matrix`` as a plain
        ``ndarray`` view, so that ``*`` stays element-wise).
    name : str
        The argument's name, used in error messages.
    kind : {"any", "real", "complex"}
        Which floating dtypes are accepted.
    min_ndim : int
        The least number of axes (2 for ops acting on the last two axes).

    Raises
    ------
    TypeError
        If the dtype is not one of the accepted floating dtypes (integers, booleans, float16,
        long double and objects are refused, never cast), or ``x`` is a masked array (its mask
        would be ignored).
    ValueError
        If ``x`` has fewer than ``min_ndim`` axes, is empty, or is a ragged nested sequence.
    """
    if isinstance(x, np.ma.MaskedArray):
        raise TypeError(f"{name} must be an ndarray, not a masked array (the mask would be "
                        "ignored); pass x.filled(value) or the unmasked part")
    try:
        arr = np.asarray(x)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"{name} must be an array; {error}") from None
    accepted = {"any": FLOAT_DTYPES, "real": REAL_DTYPES, "complex": COMPLEX_DTYPES}[kind]
    if arr.dtype not in accepted:
        hint = ""
        if kind == "complex" and arr.dtype in REAL_DTYPES:
            hint = " (promote a real array with to_complex, whose gradient stays real: Eq. 67)"
        raise TypeError(f"{name} must have dtype {_NAMES[kind]}; got {arr.dtype}{hint}")
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} axes; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty; got shape {arr.shape}")
    return arr


def is_complex(x):
    """True when ``x`` (an ndarray or dtype) is complex."""
    dtype = x.dtype if hasattr(x, "dtype") else np.dtype(x)
    return dtype.kind == "c"


_SINGLE = (np.dtype(np.float32), np.dtype(np.complex64))
# real_dtype of the four floating dtypes, looked up without building dtypes (it runs on every
# call of every op).
_REAL_OF = {d: np.dtype(np.float32) if d in _SINGLE else np.dtype(np.float64)
            for d in FLOAT_DTYPES}


def real_dtype(dtype):
    """float32 for float32/complex64, float64 for float64/complex128."""
    known = _REAL_OF.get(dtype) if isinstance(dtype, np.dtype) else None
    if known is not None:
        return known
    single = np.dtype(dtype) in _SINGLE
    return np.dtype(np.float32) if single else np.dtype(np.float64)


def complex_dtype(dtype):
    """complex64 for float32/complex64, complex128 for float64/complex128."""
    return np.dtype(np.complex64) if real_dtype(dtype) == np.float32 else np.dtype(np.complex128)


def same_precision(*named):
    """Check that arrays given as ``(name, array)`` pairs share one precision.

    float32 and complex64 are single precision; float64 and complex128 double. Mixing the two
    would make NumPy upcast silently, so it is a ``TypeError`` naming both arguments.
    """
    arrays = [(n, a) for n, a in named if isinstance(a, np.ndarray)]
    if not arrays:
        return
    first_name, first = arrays[0]
    for other_name, other in arrays[1:]:
        if real_dtype(other.dtype) != real_dtype(first.dtype):
            raise TypeError(
                f"{first_name} ({first.dtype}) and {other_name} ({other.dtype}) must have the "
                "same precision: both single (float32/complex64) or both double "
                "(float64/complex128)"
            )


def finite(x, name):
    """Raise ``ValueError`` naming ``name`` if ``x`` holds NaN or infinity."""
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be finite; it contains NaN or infinity")
    return x


def cast(x, dtype, name):
    """``x`` (finite) in the model's precision ``dtype``, C-contiguous and aligned (a
    misaligned array, as pickle protocol 5 can hand over from Dask, is copied: the core reads
    only aligned memory); ``ValueError`` naming ``name`` when a value overflows it (float64
    above float32's 3.4e38 would become inf)."""
    with np.errstate(over="ignore"):  # the overflow is the error raised below
        out = np.ascontiguousarray(x, dtype=dtype)
    if not out.flags.aligned:
        out = out.copy()
    if out.dtype != np.asarray(x).dtype and not np.all(np.isfinite(out)):
        raise ValueError(f"{name} has values beyond the range of {np.dtype(dtype)} (this "
                         f"model's precision, largest {np.finfo(dtype).max:.3g}): scale it, or "
                         "use float64 data")
    return out


#: The largest and smallest magnitudes of data a float32 model takes: its error metric and
#: gradient grow as the data's square, so beyond 1e15 they overflow float32 (3.4e38) and below
#: 1e-15 the gradient flushes to zero (measured: a phase-retrieval gradient of NaN at 1e20 and
#: exactly 0 at 1e-30).
FLOAT32_SCALE_RANGE = (1e-15, 1e15)


def float32_scale(x, name, what="values"):
    """For a float32 ``x``, refuse a largest magnitude outside ``FLOAT32_SCALE_RANGE`` (an
    all-zero ``x`` passes: a placeholder for simulations); float64 passes unchecked."""
    if np.asarray(x).dtype != np.float32:
        return x
    largest = float(np.max(np.abs(x))) if np.size(x) else 0.0
    low, high = FLOAT32_SCALE_RANGE
    if largest != 0 and not low <= largest <= high:
        raise ValueError(f"{name}'s {what} reach {largest:.3g}, outside [{low:g}, {high:g}]: "
                         "in float32 the error metric and its gradient, which grow as their "
                         "square, would overflow or vanish; divide them by a constant (the "
                         "data by s, the amplitude by sqrt(s)), or use float64")
    return x


def scalar(x, name, *, allow_complex=True):
    """Return a Python ``float`` or ``complex`` scalar, checking that it is finite."""
    if isinstance(x, np.ndarray) and x.ndim == 0:
        x = x[()]
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Number):
        raise TypeError(f"{name} must be a real{' or complex' if allow_complex else ''} number; "
                        f"got {type(x).__name__}")
    if not isinstance(x, numbers.Real) and not allow_complex:
        raise TypeError(f"{name} must be a real number; got {x!r}")
    try:
        value = float(x) if isinstance(x, numbers.Real) else complex(x)
    except OverflowError:
        raise ValueError(f"{name} must be finite; got an int beyond the float64 range") from None
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {x!r}")
    return value


def _integer(x, name, minimum, what):
    """Return ``x`` as an ``int`` of at least ``minimum`` (bools and floats are refused)."""
    if isinstance(x, bool | np.bool_):
        raise TypeError(f"{name} must be a {what} integer; got {x!r}")
    try:
        value = operator.index(x)
    except TypeError:
        raise TypeError(f"{name} must be a {what} integer; got {x!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be a {what} integer; got {value}")
    return value


def environment_count(variable, default):
    """The positive integer in the environment variable ``variable``, or ``default`` when it
    is unset or blank; ``ValueError`` naming the variable for anything else."""
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{variable} must be a positive integer; got {text!r}")
    return value


def real_constant(x, name):
    """A real constant that gets no gradient (an exponent, a weight): a number or an array.

    Anything 0-d (a Python or NumPy number, a 0-d array) is returned as a finite Python
    ``float``, whatever its precision; anything else must be a float32/float64 array with
    finite entries, returned as it is.
    """
    try:
        zero_d = np.ndim(x) == 0 and not isinstance(x, str)
    except ValueError:  # a ragged nested sequence: array() refuses it, naming the argument
        zero_d = False
    if zero_d:
        return scalar(x, name, allow_complex=False)
    return finite(array(x, name, kind="real"), name)


def positive_int(x, name):
    """Return ``x`` as a positive ``int`` (bools and floats are refused)."""
    return _integer(x, name, 1, "positive")


def nonnegative_int(x, name):
    """Return ``x`` as a non-negative ``int`` (bools and floats are refused)."""
    return _integer(x, name, 0, "non-negative")


def int_pair(x, name):
    """Return ``(p, q)`` of positive ints from an int or a pair (a factor such as ``bin``)."""
    if isinstance(x, tuple | list) or np.ndim(x) > 0:
        if len(x) != 2:
            raise ValueError(f"{name} must be an int or a pair (p, q); got {x!r}")
        return positive_int(x[0], name), positive_int(x[1], name)
    p = positive_int(x, name)
    return p, p


def plane_shape(shape, name, batch_shape=None):
    """Return the 2-D plane shape ``(rows, cols)`` from a shape argument.

    ``shape`` is ``(rows, cols)``, or a full shape whose leading entries must then equal
    ``batch_shape`` (the leading axes of the array the op acts on).
    """
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of ints; got {shape!r}") from None
    if len(dims) < 2:
        raise ValueError(f"{name} must have at least two entries (rows, cols); got {shape!r}")
    dims = tuple(positive_int(d, name) for d in dims)
    if len(dims) > 2 and batch_shape is not None and dims[:-2] != tuple(batch_shape):
        raise ValueError(
            f"{name} {dims} has leading axes {dims[:-2]} that do not match the batch "
            f"shape {tuple(batch_shape)}"
        )
    return dims[-2], dims[-1]


def one_of(x, name, choices):
    """Check that ``x`` is one of ``choices`` (strings), else ``ValueError`` listing them."""
    if not isinstance(x, str) or x not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {x!r}")
    return x


def real_dtype_arg(dtype, name="dtype"):
    """Return a ``dtype=`` argument as ``np.dtype(float32)`` or ``np.dtype(float64)``.

    Anything that NumPy reads as float32 or float64 (``np.float32``, ``"float64"``, ``float``)
    is accepted; every other dtype, ``None`` (which NumPy would read as float64) and anything that
    is not a dtype at all are a ``TypeError`` naming ``name``.
    """
    if dtype is None:
        raise TypeError(f"{name} must be float32 or float64; got None")
    try:
        value = np.dtype(dtype)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be float32 or float64; got {dtype!r}") from None
    if value not in REAL_DTYPES:
        raise TypeError(f"{name} must be float32 or float64; got {value}")
    return value


def shape_tuple(shape, name):
    """Return ``shape`` (an int or a sequence of ints) as a tuple of positive ints.

    ``()`` is accepted: the shape of a scalar.
    """
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool | np.bool_):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be a tuple of ints; got {shape!r}") from None
    return tuple(positive_int(d, name) for d in dims)


def expect_shape(x, name, shape, what=""):
    """Raise ``ValueError`` naming ``name`` unless ``x.shape == shape``.

    ``what`` says where the expected shape comes from (e.g. ``"the shape of x"``).
    """
    shape = tuple(shape)
    if x.shape != shape:
        source = f" ({what})" if what else ""
        raise ValueError(f"{name} must have shape {shape}{source}; got {x.shape}")
    return x


def broadcast_shape(*named):
    """The NumPy broadcast shape of ``(name, array_or_shape)`` pairs.

    Python scalars count as shape ``()``. Shapes that do not broadcast together are a
    ``ValueError`` naming every argument and its shape.
    """
    shapes = [(n, tuple(a) if isinstance(a, tuple) else np.shape(a)) for n, a in named]
    if all(s == shapes[0][1] for _, s in shapes):
        return shapes[0][1]  # equal shapes, the common case: no broadcasting to work out
    try:
        return np.broadcast_shapes(*(s for _, s in shapes))
    except ValueError:
        listed = ", ".join(f"{n} {s}" for n, s in shapes)
        raise ValueError(f"shapes do not broadcast together: {listed}") from None


def cotangent(y_bar, name, shape, *named):
    """Check the cotangent argument of a reverse rule and return it as an ndarray.

    ``y_bar`` must be a float32/float64/complex64/complex128 array of ``shape`` (the shape of
    the op's output), of the same precision as the ``(name, array)`` pairs in ``named`` (the
    op's inputs). A complex cotangent of a real output is allowed; the rules use its real part.
    """
    y_bar = array(y_bar, name)
    same_precision(*named, (name, y_bar))
    return expect_shape(y_bar, name, shape, "the shape of the op's output")

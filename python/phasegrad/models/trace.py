"""A record of reference-op steps, for composing a model once and differentiating it both ways.

A model's forward chain is written once against a ``Trace``: each step calls a
``phasegrad.reference`` op through the trace, which

- in reverse mode (``Trace()``) computes the op and records its reverse rule ``op_vjp`` with
  the operands it needs; ``Trace.reverse`` then runs the rules in reverse order, accumulating
  each value's cotangent (Jurling & Fienup 2014, Sections 10-11: the reverse pass, Eq. 46 for
  a value used more than once);
- in forward mode (``Trace(tangents=True)``) computes the op and its tangent with ``op_jvp``
  and records nothing.

Values are ``Node`` objects (a value that depends on the free parameters) or plain arrays and
numbers (constants: they get no cotangent, and their tangent is zero). A step whose operands
are all constants is a constant too.
"""

from __future__ import annotations

import numpy as np

from .. import reference as ref

__all__ = ["Node", "Trace", "value"]


class Node:
    """A traced value: ``value``, its tangent ``dot`` (forward mode) and cotangent ``bar``."""

    __slots__ = ("value", "dot", "bar")

    def __init__(self, value, dot=None):
        self.value = value
        self.dot = dot
        self.bar = None

    @property
    def shape(self):
        return np.shape(self.value)


def value(x):
    """The value of a node or a constant."""
    return x.value if isinstance(x, Node) else x


def _zero_tangent(x):
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    return 0.0


class Trace:
    """The steps of one evaluation (see the module's docstring)."""

    def __init__(self, tangents=False):
        self.tangents = tangents
        self._steps = []

    # -- bookkeeping -------------------------------------------------------------------------
    def leaf(self, x, dot=None):
        """A free input: a node with value ``x`` (and tangent ``dot`` in forward mode)."""
        return Node(x, dot if self.tangents else None)

    def dot(self, x):
        """The tangent of a node or a constant (zero)."""
        return x.dot if isinstance(x, Node) else _zero_tangent(x)

    def _record(self, y, y_dot, inputs, rule):
        """The step's output: a constant unless an input is a node; ``rule(y_bar)`` returns
        one cotangent per input."""
        if not any(isinstance(x, Node) for x in inputs):
            return y
        node = Node(y, y_dot)
        if not self.tangents:
            self._steps.append((node, inputs, rule))
        return node

    def reverse(self, output, seed):
        """Run the recorded reverse rules from ``output``'s cotangent ``seed``; each node
        reached keeps its cotangent in ``bar``."""
        output.bar = seed
        for node, inputs, rule in reversed(self._steps):
            if node.bar is None:
                continue
            bars = rule(node.bar)
            for x, x_bar in zip(inputs, bars, strict=True):
                if isinstance(x, Node) and x_bar is not None:
                    x.bar = x_bar if x.bar is None else x.bar + x_bar

    def _unary(self, op, x, *consts, rule):
        """A one-input op ``op(x, *consts)`` with ``op_jvp(x, x_dot, *consts)``."""
        xv = value(x)
        if self.tangents and isinstance(x, Node):
            y, y_dot = getattr(ref, op + "_jvp")(xv, x.dot, *consts)
        else:
            y, y_dot = getattr(ref, op)(xv, *consts), None
        return self._record(y, y_dot, (x,), lambda y_bar: (rule(y_bar, xv),))

    def _binary(self, op, x, y):
        """``add`` or ``mul`` of two operands (either may be a constant)."""
        xv, yv = value(x), value(y)
        if self.tangents and (isinstance(x, Node) or isinstance(y, Node)):
            z, z_dot = getattr(ref, op + "_jvp")(xv, yv, self.dot(x), self.dot(y))
        else:
            z, z_dot = getattr(ref, op)(xv, yv), None
        vjp = getattr(ref, op + "_vjp")
        return self._record(z, z_dot, (x, y), lambda z_bar: vjp(z_bar, xv, yv))

    # -- the ops -------------------------------------------------------------------------------
    def add(self, x, y):
        return self._binary("add", x, y)

    def mul(self, x, y):
        return self._binary("mul", x, y)

    def basis(self, a, B):
        return self._unary("basis", a, B, rule=lambda y_bar, _: ref.basis_vjp(y_bar, B))

    def expi(self, x):
        node = self._unary("expi", x, rule=lambda y_bar, _: ref.expi_vjp(y_bar, value(node)))
        return node

    def exp(self, x):
        node = self._unary("exp", x, rule=lambda y_bar, _: ref.exp_vjp(y_bar, value(node)))
        return node

    def abs2(self, x):
        return self._unary("abs2", x, rule=ref.abs2_vjp)

    def real(self, x):
        return self._unary("real", x, rule=lambda y_bar, _: ref.real_vjp(y_bar))

    def to_complex(self, x):
        return self._unary("to_complex", x, rule=lambda y_bar, _: ref.to_complex_vjp(y_bar))

    def dft2(self, x):
        return self._unary("dft2", x, rule=lambda y_bar, _: ref.dft2_vjp(y_bar))

    def idft2(self, x):
        return self._unary("idft2", x, rule=lambda y_bar, _: ref.idft2_vjp(y_bar))

    def fftshift(self, x):
        return self._unary("fftshift", x, rule=lambda y_bar, _: ref.fftshift_vjp(y_bar))

    def pad(self, x, shape):
        return self._unary("pad", x, shape,
                           rule=lambda y_bar, xv: ref.pad_vjp(y_bar, xv.shape[-2:]))

    def mft(self, x, shape, scale):
        return self._unary("mft", x, shape, scale,
                           rule=lambda y_bar, xv: ref.mft_vjp(y_bar, xv.shape[-2:], scale))

    def bin(self, x, factor):
        return self._unary("bin", x, factor, rule=lambda y_bar, _: ref.bin_vjp(y_bar, factor))

    def broadcast(self, x, shape):
        return self._unary("broadcast", x, shape,
                           rule=lambda y_bar, xv: ref.broadcast_vjp(y_bar, xv.shape))

    def take(self, x, index):
        return self._unary("take", x, index,
                           rule=lambda y_bar, xv: ref.take_vjp(y_bar, index, xv.shape))

    def put(self, x, index, shape):
        return self._unary("put", x, index, shape,
                           rule=lambda y_bar, _: ref.put_vjp(y_bar, index, shape))

    def reshape(self, x, shape):
        """A new view of the same values (no arithmetic: the cotangent is reshaped back)."""
        xv = value(x)
        y_dot = None
        if self.tangents and isinstance(x, Node):
            y_dot = np.reshape(x.dot, shape).copy()
        return self._record(np.reshape(xv, shape).copy(), y_dot, (x,),
                            lambda y_bar: (np.reshape(y_bar, np.shape(xv)),))

    def item(self, x, index):
        """``x[index]`` along the first axis (the cotangent is scattered back)."""
        xv = value(x)
        y_dot = None
        if self.tangents and isinstance(x, Node):
            y_dot = np.array(x.dot[index])

        def rule(y_bar):
            x_bar = np.zeros(np.shape(xv), dtype=np.result_type(xv, y_bar))
            x_bar[index] = y_bar
            return (x_bar,)

        return self._record(np.array(xv[index]), y_dot, (x,), rule)

    def poly_detector(self, intensity, params):
        """The quadratic detector of Eq. 98 with ``params = (a, b, c)`` an array (a node when
        free); its cotangent is the array ``(a_bar, b_bar, c_bar)`` of Eq. 101."""
        iv = value(intensity)
        pv = tuple(float(p) for p in value(params))
        y_dot = None
        if self.tangents and (isinstance(intensity, Node) or isinstance(params, Node)):
            p_dot = tuple(float(p) for p in self.dot(params)) if isinstance(params, Node) \
                else (0.0, 0.0, 0.0)
            y, y_dot = ref.poly_detector_jvp(iv, *pv, self.dot(intensity), *p_dot)
        else:
            y = ref.poly_detector(iv, *pv)

        def rule(y_bar):
            i_bar, *p_bar = ref.poly_detector_vjp(y_bar, iv, pv[0], pv[1])
            return i_bar, np.asarray(p_bar, dtype=np.float64)

        return self._record(y, y_dot, (intensity, params), rule)

    def elementwise(self, x, function, derivative):
        """``y = function(x)`` element by element, with the derivative ``derivative(x)``:
        a real map whose tangent is ``y' x_dot`` and cotangent ``y' y_bar``."""
        xv = value(x)
        slope = None
        y_dot = None
        if self.tangents and isinstance(x, Node):
            slope = derivative(xv)
            y_dot = slope * x.dot
        y = function(xv)

        def rule(y_bar):
            return ((derivative(xv) if slope is None else slope) * y_bar,)

        return self._record(y, y_dot, (x,), rule)

"""How a C++ op takes its reference twin's documentation and checks."""

from __future__ import annotations

from ..config import get_num_threads

__all__ = ["get_num_threads", "twin"]

_NOTE = ("Computed by phasegrad's C++ core (OpenMP, FFTW) with ``phasegrad.get_num_threads()`` "
         "threads; the same op, arguments and results as ``phasegrad.reference.{name}``.")


def twin(reference_function):
    """Decorator: give a C++ op the docstring of its reference twin, plus a note saying so.

    The op itself validates its arguments with the same checks as the reference (so errors
    name the same arguments) and then calls ``phasegrad._core``.
    """

    def decorate(function):
        doc = reference_function.__doc__ or ""
        # After the whole summary paragraph (it may run over several lines), not its first line.
        summary, blank, rest = doc.partition("\n\n")
        note = _NOTE.format(name=reference_function.__name__)
        function.__doc__ = f"{summary}\n\n    {note}{blank}{rest}"
        function.reference = reference_function
        return function

    return decorate

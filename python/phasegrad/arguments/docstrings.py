"""The one way phasegrad edits a docstring at import time: the ``amend`` decorator.

A C++ op takes its reference twin's docstring with a note that the core computes it
(``twin=``); an op adds how it computes (``before_parameters=``, ``after_summary=``); functions
that share their Parameters and Examples sections have them appended once (``append=``). Every
such edit goes through ``amend``, so each docstring is written in one place and read with
``help()`` as it will be printed.

Texts are given as written in the source (any common indentation is removed) and placed with
the four-space indentation of a function's docstring; ``{name}`` stands for the function's
name. Under ``python -OO`` docstrings are None and stay None.
"""

from __future__ import annotations

import textwrap

__all__ = ["amend"]

TWIN_NOTE = ("Computed by phasegrad's C++ core (OpenMP, FFTW) with "
             "``phasegrad.get_num_threads()`` threads; the same op, arguments and results as "
             "``phasegrad.reference.{name}``.")

_PARAMETERS = "\n    Parameters\n"


def _indented(text, name):
    """``text`` dedented, stripped of blank edges, each line indented by four spaces."""
    text = textwrap.dedent(text).strip("\n").replace("{name}", name)
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


def amend(*, twin=None, after_summary=None, before_parameters=None, append=None):
    """Decorator: edit the decorated function's docstring once, when its module loads.

    Parameters
    ----------
    twin : function, optional
        The reference op that the decorated C++ op computes. The docstring starts from
        ``twin``'s, with a paragraph after its summary saying that the C++ core computes it,
        and ``twin`` is kept as the op's ``reference`` attribute.
    after_summary : str, optional
        A paragraph put after the summary paragraph (which may run over several lines) and
        the twin note, if any.
    before_parameters : str, optional
        A paragraph put just before the Parameters section, which the docstring must have.
    append : str, optional
        Sections put at the end (Parameters, Returns, Examples shared by several functions).

    Returns
    -------
    callable
        The decorator; it returns the function itself, its ``__doc__`` replaced.

    Examples
    --------
    >>> @amend(append='''
    ...     Notes
    ...     -----
    ...     {name} does nothing.
    ... ''')
    ... def f():
    ...     '''Nothing.'''
    >>> print(f.__doc__)
    Nothing.
    <BLANKLINE>
        Notes
        -----
        f does nothing.
    <BLANKLINE>
    """

    def decorate(function):
        name = function.__name__
        if twin is not None:
            function.reference = twin
            doc = twin.__doc__
        else:
            doc = function.__doc__
        if doc is None:  # python -OO
            function.__doc__ = None
            return function
        paragraphs = [text for text in (TWIN_NOTE if twin is not None else None, after_summary)
                      if text is not None]
        if paragraphs:
            summary, blank, rest = doc.partition("\n\n")
            added = "\n\n".join(_indented(text, name) for text in paragraphs)
            doc = f"{summary}\n\n{added}{blank}{rest}"
        if before_parameters is not None:
            if _PARAMETERS not in doc:
                raise ValueError(f"the docstring of {name} has no Parameters section to put "
                                 "a paragraph before")
            paragraph = _indented(before_parameters, name)
            doc = doc.replace(_PARAMETERS, f"\n{paragraph}\n{_PARAMETERS}", 1)
        if append is not None:
            doc = f"{doc.rstrip()}\n\n{_indented(append, name)}\n"
        function.__doc__ = doc
        return function

    return decorate

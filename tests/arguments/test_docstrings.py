"""arguments.docstrings.amend, the one way a docstring is edited at import time."""

import pytest

from phasegrad.arguments.docstrings import amend


def reference_op(x):
    """Summary of the op,
    over two lines.

    Parameters
    ----------
    x : ndarray
    """


def test_a_twin_takes_the_references_docstring_with_the_note_after_its_summary():
    @amend(twin=reference_op, after_summary="How it\ncomputes.")
    def reference_op_twin(x):
        pass

    summary, _, _ = reference_op.__doc__.partition("\n\n")
    paragraphs = reference_op_twin.__doc__.split("\n\n")
    assert paragraphs[0] == summary
    assert "C++ core" in paragraphs[1] and "phasegrad.reference.reference_op_twin" in paragraphs[1]
    assert paragraphs[2] == "    How it\n    computes."
    assert reference_op_twin.reference is reference_op


def op(x):
    """Summary.

    Parameters
    ----------
    x : ndarray
    """


def test_a_paragraph_goes_just_before_the_parameters():
    amend(before_parameters="""
        Computed here
        by {name}.
    """)(op)
    assert op.__doc__.startswith("Summary.\n\n    Computed here\n    by op.\n\n    Parameters\n")


def test_a_docstring_without_parameters_is_refused_at_import_time():
    with pytest.raises(ValueError, match="no Parameters section"):
        @amend(before_parameters="A note.")
        def op(x):
            """Summary only."""


def test_without_docstrings_python_oo_stays_none_and_the_twin_is_kept():
    def bare(x):
        pass

    @amend(twin=bare, append="Notes\n-----\nNone.")
    def twin(x):
        pass

    assert twin.__doc__ is None and twin.reference is bare

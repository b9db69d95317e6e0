"""The reference catalogue is complete and documented as docs/design.md asks."""

import ast
import inspect
import re
from pathlib import Path

import pytest

import phasegrad as pg
from phasegrad import reference


def test_catalogue_has_the_28_ops_of_design():
    assert len(pg.CATALOGUE) == 28 == len(set(pg.CATALOGUE))


@pytest.mark.parametrize("name", pg.CATALOGUE)
def test_every_forward_mode_rule_is_documented(name):
    jvp = getattr(reference, f"{name}_jvp")
    doc = inspect.getdoc(jvp) or ""
    assert "Parameters" in doc and "Returns" in doc, f"{name}_jvp: numpydoc"
    assert f"{name}_vjp" in doc, f"{name}_jvp does not say how it pairs with {name}_vjp"
    first = list(inspect.signature(jvp).parameters)
    assert any(p.endswith("_dot") for p in first), f"{name}_jvp takes no tangent"


@pytest.mark.parametrize("name", pg.CATALOGUE)
def test_every_op_and_its_reverse_rule_exist_and_cite_the_paper(name):
    op = getattr(reference, name)
    vjp = getattr(reference, f"{name}_vjp")
    for function in (op, vjp):
        assert callable(function)
        doc = inspect.getdoc(function) or ""
        assert "Parameters" in doc and "Returns" in doc, f"{function.__name__}: numpydoc"
    equation = re.compile(r"Eq(s?)\.\s*\(?\d+")
    if name not in ("fftshift", "ifftshift"):
        assert equation.search(inspect.getdoc(vjp)), f"{name}_vjp cites no equation"
    assert "dE/dRe" in inspect.getdoc(vjp).replace(" ", ""), \
        f"{name}_vjp does not state the gradient convention"


def test_reference_exports_exactly_the_catalogue():
    expected = {n for name in pg.CATALOGUE for n in (name, f"{name}_vjp", f"{name}_jvp")}
    assert set(reference.__all__) == expected


def _documented_signatures():
    """``{name: "arguments"}`` from the signature tables of docs/catalogue.md: the ops and
    their reverse rules (the first two cells of a row), the forward-mode rules (the first)."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "catalogue.md").read_text()
    signatures = {}
    for line in text.splitlines():
        if not line.startswith("| `"):
            continue
        cells = line.split("|")[1:3]
        if re.match(r"\s*`\w+_jvp\(", cells[0]):
            cells = cells[:1]  # a forward-mode rule, then its tangent's formula
        for cell in cells:
            match = re.match(r"\s*`(\w+)\(([^)]*)\)", cell)
            assert match, f"unreadable signature cell: {cell!r}"
            signatures[match[1]] = match[2]
    return signatures


DOCUMENTED = _documented_signatures()


def test_the_document_lists_every_op_and_rule_once():
    expected = {n for name in pg.CATALOGUE for n in (name, f"{name}_vjp", f"{name}_jvp")}
    assert set(DOCUMENTED) == expected


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_signature_matches_the_document(name):
    # The C++ twin is written from docs/catalogue.md: names, order and defaults must agree.
    documented = ast.parse(f"def f({DOCUMENTED[name]}): pass").body[0].args
    names = [a.arg for a in documented.args + documented.kwonlyargs]
    defaults = [ast.literal_eval(d) for d in documented.defaults + documented.kw_defaults]
    kinds = ([inspect.Parameter.POSITIONAL_OR_KEYWORD] * len(documented.args)
             + [inspect.Parameter.KEYWORD_ONLY] * len(documented.kwonlyargs))
    parameters = list(inspect.signature(getattr(reference, name)).parameters.values())
    assert [p.name for p in parameters] == names
    assert [p.kind for p in parameters] == kinds
    actual_defaults = [p.default for p in parameters if p.default is not p.empty]
    assert actual_defaults == defaults

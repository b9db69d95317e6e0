"""The checks of pg.to_jax, run in a child process by test_jax.py.

JAX starts threads when imported, and a later ``os.fork()`` in the same process warns (an error
under pytest's ``filterwarnings = error``; tests/test_threads.py forks on purpose), so the
pytest process never imports jax: it runs ``python jax_checks.py`` once and reads one JSON
object, check name -> null (passed) or the failure's traceback. This module imports jax only
inside ``main`` so that test_jax.py can read ``CHECKS`` without it.
"""

import importlib.util
import json
import sys
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CHECKS = {}


def check(function):
    CHECKS[function.__name__] = function
    return function


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _relative_error(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-300))


def _close(x, y, tol, what):
    error = _relative_error(x, y)
    assert error <= tol, f"{what}: relative error {error:.3g} > {tol:.1g}"


def _raises(exception, words, fn, *args):
    try:
        fn(*args)
    except exception as error:
        assert words in str(error), f"{exception.__name__} without {words!r}: {error}"
    else:
        raise AssertionError(f"no {exception.__name__} ({words!r})")


# Each check gets (jax, jnp, pg, problems, twin): the modules, imported once in main().
@check
def phase_retrieval_grad_matches_the_jax_twin(jax, jnp, pg, problems, twin):
    for detector in ("quadratic", "linear"):
        model, parts = problems.phase_retrieval(detector, np.float64)
        a, *rest = (jnp.asarray(x) for x in problems.start(model))
        p = rest[0] if rest else jnp.asarray([0.0, 1.0, 0.0])
        constants = [jnp.asarray(parts[k]) for k in ("amplitude", "basis", "data", "weights")]

        def twin_loss(a, p, constants=constants):
            return twin.pr_loss(a, p, *constants, problems.WAVELENGTH, 2 * problems.N_PUPIL)

        fn = pg.to_jax(model)
        args = (a, p) if rest else (a,)
        argnums = (0, 1) if rest else (0,)
        for transform in (lambda f: f, jax.jit):
            value, grads = transform(jax.value_and_grad(fn, argnums=argnums))(*args)
            twin_value, twin_grads = jax.value_and_grad(twin_loss, argnums=argnums)(a, p)
            assert value.dtype == jnp.float64
            _close(value, twin_value, 1e-12, f"{detector} E")
            for grad, twin_grad in zip(grads, twin_grads, strict=True):
                _close(grad, twin_grad, 1e-10, f"{detector} gradient")
            _close(transform(jax.grad(fn))(*args), twin_grads[0], 1e-10, f"{detector} grad")


@check
def free_blocks_take_the_flat_vector(jax, jnp, pg, problems, twin):
    model = problems.nuisance(np.float64)
    (x,) = problems.start(model)
    energy, gradient = model.fun_and_jac(x)
    fn = pg.to_jax(model)
    for transform in (lambda f: f, jax.jit):
        value, grad = transform(jax.value_and_grad(fn))(jnp.asarray(x))
        _close(value, energy, 1e-13, "E with free flux and background")
        _close(grad, gradient, 1e-13, "gradient with free flux and background")


@check
def hologram_grad_matches_the_jax_twin(jax, jnp, pg, problems, twin):
    model = problems.hologram()
    (phi,) = (jnp.asarray(x) for x in problems.start(model))
    target = jnp.asarray(model.target)
    expected = jax.grad(twin.hologram_loss)(phi, target)
    fn = pg.to_jax(model)
    _close(jax.grad(fn)(phi), expected, 1e-10, "grad")
    _close(jax.jit(jax.grad(fn))(phi), expected, 1e-10, "jit(grad)")
    _close(jax.grad(jax.jit(fn))(phi), expected, 1e-10, "grad(jit)")
    _close(jax.jit(fn)(phi), twin.hologram_loss(phi, target), 1e-12, "E")


@check
def gradients_are_phasegrads_scaled_by_the_cotangent(jax, jnp, pg, problems, twin):
    model, _ = problems.phase_retrieval("quadratic", np.float64)
    a, p = problems.start(model)
    energy, a_bar, p_bar = model.value_and_grad(a, p)
    value, vjp = jax.vjp(pg.to_jax(model), jnp.asarray(a), jnp.asarray(p))
    assert float(value) == energy
    a_grad, p_grad = vjp(jnp.asarray(2.5))
    _close(a_grad, 2.5 * a_bar, 1e-15, "a")
    _close(p_grad, 2.5 * p_bar, 1e-15, "p")
    # inside a larger function: the chain rule through E
    loss = lambda a, p: 3.0 * pg.to_jax(model)(a, p) ** 2
    _close(jax.jit(jax.grad(loss))(jnp.asarray(a), jnp.asarray(p)), 6.0 * energy * a_bar,
           1e-13, "chain rule")


@check
def each_call_uses_its_own_point(jax, jnp, pg, problems, twin):
    model = problems.hologram()
    fn = jax.jit(jax.grad(pg.to_jax(model)))
    for seed in (1, 2, 1):
        (phi,) = problems.start(model, seed)
        _close(fn(jnp.asarray(phi)), model.value_and_grad(phi)[1], 1e-15, f"seed {seed}")


@check
def vmap_runs_one_call_per_element(jax, jnp, pg, problems, twin):
    model = problems.hologram()
    phis = np.stack([problems.start(model, seed)[0] for seed in (3, 4)])
    grads = jax.jit(jax.vmap(jax.grad(pg.to_jax(model))))(jnp.asarray(phis))
    for phi, grad in zip(phis, grads, strict=True):
        _close(grad, model.value_and_grad(phi)[1], 1e-15, "vmap")


@check
def float32_models(jax, jnp, pg, problems, twin):
    for name, model32, model64 in (
            ("pr", problems.phase_retrieval("quadratic", np.float32)[0],
             problems.phase_retrieval("quadratic", np.float64)[0]),
            ("hologram", problems.hologram(np.float32), problems.hologram(np.float64))):
        args64 = problems.start(model64)
        args32 = [jnp.asarray(x, dtype=jnp.float32) for x in args64]
        argnums = tuple(range(len(args32)))
        value, grads = jax.jit(jax.value_and_grad(pg.to_jax(model32), argnums=argnums))(*args32)
        assert value.dtype == jnp.float32, value.dtype
        assert all(g.dtype == jnp.float32 for g in grads)
        energy, *expected = model32.value_and_grad(*(np.asarray(x) for x in args32))
        for grad, x_bar in zip(grads, expected, strict=True):
            _close(grad, x_bar, 1e-6, f"{name} float32 vs the model")
        _, *expected64 = model64.value_and_grad(*args64)
        for grad, x_bar in zip(grads, expected64, strict=True):
            _close(grad, x_bar, 1e-4, f"{name} float32 vs float64")


@check
def bad_inputs(jax, jnp, pg, problems, twin):
    model, _ = problems.phase_retrieval("quadratic", np.float64)
    fn = pg.to_jax(model)
    a, p = (jnp.asarray(x) for x in problems.start(model))
    _raises(TypeError, "p must have dtype float64", fn, a, p.astype(jnp.float32))
    _raises(TypeError, "a must have dtype float64", jax.jit(fn), a.astype(jnp.int32), p)
    _raises(ValueError, "a must have shape (4,)", fn, jnp.zeros(5), p)
    _raises(TypeError, "takes 2 argument", fn, a)
    _raises(TypeError, "a must be a JAX or NumPy array", fn, "a", p)
    _raises(TypeError, "PhaseRetrieval or phasegrad.Hologram", pg.to_jax, object())
    assert float(fn(a, [0.0, 1.0, 0.0])) == float(fn(a, p))  # p as numbers
    # a non-finite parameter: the model's ValueError, through the callback
    try:
        fn(jnp.full(4, jnp.nan), p).block_until_ready()
    except Exception as error:  # JAX wraps callback errors (XlaRuntimeError)
        assert "finite" in str(error), error
    else:
        raise AssertionError("NaN parameters were accepted")


@check
def float64_models_need_x64(jax, jnp, pg, problems, twin):
    model64 = problems.hologram(np.float64)
    model32 = problems.hologram(np.float32)
    fn64, fn32 = pg.to_jax(model64), pg.to_jax(model32)
    (phi,) = problems.start(model64)
    jax.config.update("jax_enable_x64", False)
    try:
        _raises(RuntimeError, "jax_enable_x64", fn64, np.asarray(phi, dtype=np.float32))
        grad = jax.jit(jax.grad(fn32))(jnp.asarray(phi, dtype=jnp.float32))
        assert grad.dtype == jnp.float32
        _close(grad, model32.value_and_grad(phi.astype(np.float32))[1], 1e-6, "x64 off")
    finally:
        jax.config.update("jax_enable_x64", True)


@check
def docstring_example(jax, jnp, pg, problems, twin):
    import doctest

    import phasegrad.adapters.jax as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0, result


@check
def readme_example_prints_what_it_says(jax, jnp, pg, problems, twin):
    # The README's "PyTorch and JAX" section: its code block, run, prints its "prints" block.
    import contextlib
    import io
    import re

    if importlib.util.find_spec("torch") is None:
        return  # the torch half needs torch; test_torch.py reports its absence
    readme = (HERE.parents[1] / "README.md").read_text()
    section = readme.split("### PyTorch and JAX", 1)[1]
    code, printed = re.findall(r"```(?:python)?\n(.*?)```", section, flags=re.S)[:2]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    assert out.getvalue() == printed, f"printed:\n{out.getvalue()}\nREADME:\n{printed}"


def main():
    twin = importlib.import_module("phasegrad.bench.models_jax")  # imports jax, x64 on
    import jax
    import jax.numpy as jnp

    import phasegrad as pg

    problems = _load("adapter_problems", HERE / "problems.py")
    results = {}
    for name, function in CHECKS.items():
        try:
            function(jax, jnp, pg, problems, twin)
            results[name] = None
        except Exception:
            results[name] = traceback.format_exc()
    print(json.dumps(results))


if __name__ == "__main__":
    sys.exit(main())

"""pg.to_torch: gradcheck in float64, agreement with phasegrad and with a pure-PyTorch twin,
cotangents, requires_grad, no stale state, an Adam loop, float32, bad inputs."""

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

if os.environ.get("PHASEGRAD_REQUIRE_FRAMEWORKS") == "1":
    import torch  # scripts/test.sh installed it: missing is an error, not a skip
else:
    torch = pytest.importorskip("torch")

import phasegrad as pg  # noqa: E402

HERE = Path(__file__).resolve().parent


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


problems = _load("adapter_problems", HERE / "problems.py")
TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}

MODELS = {
    "pr-linear": lambda dtype: problems.phase_retrieval("linear", dtype)[0],
    "pr-quadratic": lambda dtype: problems.phase_retrieval("quadratic", dtype)[0],
    "pr-point-by-point": lambda dtype: problems.phase_retrieval("linear", dtype, basis=False)[0],
    "hologram": lambda dtype: problems.hologram(dtype),
    "pr-nuisance": lambda dtype: problems.nuisance(dtype),
}


def _tensors(model, dtype, requires_grad=True, seed=0):
    return tuple(torch.tensor(x, dtype=TORCH_DTYPES[dtype], requires_grad=requires_grad)
                 for x in problems.start(model, seed))


def _relative_error(x, y):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-300)


@pytest.mark.parametrize("name", ["pr-linear", "pr-quadratic", "hologram", "pr-nuisance"])
def test_gradcheck_float64(name):
    model = MODELS[name](np.float64)
    fn = pg.to_torch(model)
    assert torch.autograd.gradcheck(fn, _tensors(model, np.float64))


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 1e-6)])
@pytest.mark.parametrize("name", list(MODELS))
def test_gradients_are_phasegrads_scaled_by_the_cotangent(name, dtype, tol):
    model = MODELS[name](dtype)
    inputs = _tensors(model, dtype)
    energy = pg.to_torch(model)(*inputs)
    assert energy.dtype == TORCH_DTYPES[dtype] and energy.shape == ()
    grads = torch.autograd.grad(energy, inputs, grad_outputs=torch.tensor(2.5,
                                                                          dtype=energy.dtype))
    expected_energy, *expected = model.value_and_grad(*(x.detach().numpy() for x in inputs))
    assert float(energy.detach()) == pytest.approx(expected_energy, rel=tol)
    for grad, x_bar, x in zip(grads, expected, inputs, strict=True):
        assert grad.dtype == x.dtype and grad.shape == x.shape
        assert _relative_error(grad.numpy(), 2.5 * np.asarray(x_bar)) <= tol


def test_float32_gradient_is_close_to_float64():
    inputs32 = _tensors(MODELS["pr-quadratic"](np.float32), np.float32)
    inputs64 = _tensors(MODELS["pr-quadratic"](np.float64), np.float64)
    fn32 = pg.to_torch(MODELS["pr-quadratic"](np.float32))
    fn64 = pg.to_torch(MODELS["pr-quadratic"](np.float64))
    g32 = torch.autograd.grad(fn32(*inputs32), inputs32)
    g64 = torch.autograd.grad(fn64(*inputs64), inputs64)
    for x, y in zip(g32, g64, strict=True):
        assert _relative_error(x.numpy(), y.numpy()) <= 1e-4


def _load_torch_twin():
    return importlib.import_module("phasegrad.bench.models_torch")


def test_matches_the_pure_torch_twin_of_phase_retrieval():
    twin = _load_torch_twin()
    model, parts = problems.phase_retrieval("quadratic", np.float64)
    a, p = _tensors(model, np.float64)
    E = pg.to_torch(model)(a, p)
    E.backward()
    a2, p2 = (x.detach().clone().requires_grad_(True) for x in (a, p))
    constants = [torch.from_numpy(np.asarray(parts[k], dtype=np.float64))
                 for k in ("amplitude", "basis", "data", "weights")]
    E2 = twin.pr_loss(a2, p2, *constants, problems.WAVELENGTH, 2 * problems.N_PUPIL)
    E2.backward()
    assert float(E.detach()) == pytest.approx(float(E2.detach()), rel=1e-12)
    assert _relative_error(a.grad, a2.grad) <= 1e-10
    assert _relative_error(p.grad, p2.grad) <= 1e-10


def test_matches_the_pure_torch_twin_of_the_hologram():
    twin = _load_torch_twin()
    model = problems.hologram()
    (phi,) = _tensors(model, np.float64)
    pg.to_torch(model)(phi).backward()
    phi2 = phi.detach().clone().requires_grad_(True)
    twin.hologram_loss(phi2, torch.from_numpy(model.target)).backward()
    assert _relative_error(phi.grad, phi2.grad) <= 1e-10


def test_inputs_without_requires_grad():
    model = MODELS["pr-quadratic"](np.float64)
    fn = pg.to_torch(model)
    a, p = _tensors(model, np.float64, requires_grad=False)
    energy = fn(a, p)
    assert not energy.requires_grad and energy.grad_fn is None
    p.requires_grad_(True)
    fn(a, p).backward()
    assert a.grad is None
    expected = model.value_and_grad(a.numpy(), p.detach().numpy())[2]
    assert _relative_error(p.grad, expected) <= 1e-13
    with torch.no_grad():
        assert fn(a, p).grad_fn is None


def test_each_call_keeps_its_own_gradient():
    model = MODELS["hologram"](np.float64)
    fn = pg.to_torch(model)
    (phi1,), (phi2,) = _tensors(model, np.float64, seed=1), _tensors(model, np.float64, seed=2)
    energy1, energy2 = fn(phi1), fn(phi2)          # the second call must not overwrite the first
    energy1.backward(retain_graph=True)
    energy2.backward()
    assert _relative_error(phi1.grad, model.value_and_grad(phi1.detach().numpy())[1]) <= 1e-13
    assert _relative_error(phi2.grad, model.value_and_grad(phi2.detach().numpy())[1]) <= 1e-13
    energy1.backward()                             # retain_graph: the gradient is still there
    assert _relative_error(phi1.grad, 2 * model.value_and_grad(phi1.detach().numpy())[1]) \
        <= 1e-13


def test_in_a_larger_graph_and_non_contiguous_input():
    model = MODELS["hologram"](np.float64)
    fn = pg.to_torch(model)
    base = torch.tensor(problems.start(model)[0].T.copy(), requires_grad=True)
    phi = base.t()                                 # a non-contiguous view
    loss = 3.0 * fn(phi) ** 2
    loss.backward()
    energy, phi_bar = model.value_and_grad(np.ascontiguousarray(phi.detach().numpy()))
    assert _relative_error(base.grad.t(), 6.0 * energy * phi_bar) <= 1e-12


def test_adam_decreases_the_loss():
    model, _ = problems.phase_retrieval("quadratic", np.float64)
    fn = pg.to_torch(model)
    a = torch.zeros(model.coefficient_shape, dtype=torch.float64, requires_grad=True)
    p = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([a, p], lr=1e-3)
    losses = []
    for _ in range(20):
        optimizer.zero_grad()
        loss = fn(a, p)
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.5 * losses[0]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))


def test_bad_inputs():
    model = MODELS["pr-quadratic"](np.float64)
    fn = pg.to_torch(model)
    a, p = _tensors(model, np.float64)
    with pytest.raises(TypeError, match="a must be a torch.Tensor"):
        fn(a.detach().numpy(), p)
    with pytest.raises(TypeError, match=r"p must have dtype torch.float64.*float32"):
        fn(a, p.float())
    with pytest.raises(TypeError, match="p must have dtype"):
        fn(a, p.to(torch.complex128))
    with pytest.raises(ValueError, match=r"a must have shape \(4,\); got \(5,\)"):
        fn(torch.zeros(5, dtype=torch.float64), p)
    with pytest.raises(ValueError, match="a must be a CPU tensor"):
        fn(torch.zeros(4, dtype=torch.float64, device="meta"), p)
    with pytest.raises(TypeError, match="takes 2 argument"):
        fn(a)
    with pytest.raises(ValueError, match="finite"):
        fn(torch.full((4,), float("nan"), dtype=torch.float64), p)
    with pytest.raises(TypeError, match="PhaseRetrieval or phasegrad.Hologram"):
        pg.to_torch(object())
    fn32 = pg.to_torch(MODELS["hologram"](np.float32))
    with pytest.raises(TypeError, match="phi must have dtype torch.float32"):
        fn32(torch.zeros(12, 12, dtype=torch.float64))


def test_the_gradient_carries_no_graph():
    # First derivatives only: with create_graph the gradient is a constant, so a second
    # backward through it fails loudly instead of returning a wrong (zero) Hessian.
    model = MODELS["hologram"](np.float64)
    (phi,) = _tensors(model, np.float64)
    (grad,) = torch.autograd.grad(pg.to_torch(model)(phi), phi, create_graph=True)
    assert not grad.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        grad.sum().backward()


def test_docstring_example():
    import doctest

    import phasegrad.adapters.torch as module

    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0

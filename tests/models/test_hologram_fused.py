"""Hologram(backend="fused"): the C++ kernel against the reference model (the spec), finite
differences, precision, threads (OpenMP teams and concurrent Python threads), bad input."""

import threading

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.check import check_vjp, relative_error
from phasegrad.native import core as _core

#: Odd, even, mixed and non-square planes; (256, 160) is above the parallel grain (2**15
#: elements), so its passes and FFTs run on every thread they are given. value_and_grad takes
#: the blocked path (row and column stages of its own) where the columns fill whole cache lines
#: (cols a multiple of 4 in float64, 8 in float32): (8, 8), (9, 16), (64, 64), (256, 160),
#: (96, 128); the others take the 2-D transforms.
SHAPES = [(8, 8), (7, 9), (16, 10), (9, 16), (33, 33), (64, 64), (1, 5), (256, 160), (96, 128)]


def target(shape, dtype=np.float64, seed=1):
    """A non-negative target with structure (a bright square) and a random background."""
    rng = np.random.default_rng(seed)
    image = rng.uniform(0.0, 0.2, size=shape)
    image[shape[0] // 4: shape[0] // 2 + 1, shape[1] // 4: shape[1] // 2 + 1] += 1.0
    return image.astype(dtype)


def random_phase(shape, seed=0):
    return np.random.default_rng(seed).uniform(-np.pi, 3 * np.pi, size=shape)


def pair(shape, dtype=np.float64):
    T = target(shape, dtype)
    return pg.Hologram(T, backend="fused"), pg.Hologram(T, backend="reference")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_fused_matches_reference_in_float64(shape):
    fused, reference = pair(shape)
    phi = random_phase(shape)
    energy, phi_bar = fused.value_and_grad(phi)
    expected_energy, expected_bar = reference.value_and_grad(phi)
    assert isinstance(energy, float)
    assert phi_bar.dtype == np.float64 and phi_bar.shape == shape
    assert energy == pytest.approx(expected_energy, rel=1e-10)
    assert relative_error(phi_bar, expected_bar) <= 1e-10


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_simulate_matches_reference(shape):
    fused, reference = pair(shape)
    phi = random_phase(shape)
    image = fused.simulate(phi)
    assert image.dtype == np.float64 and image.shape == shape
    assert relative_error(image, reference.simulate(phi)) <= 1e-12
    assert image.mean() == pytest.approx(fused.target.mean(), rel=1e-12)


@pytest.mark.parametrize("shape", [(16, 10), (33, 33), (256, 160)], ids=str)
def test_float32_agrees_with_float64(shape):
    phi = random_phase(shape)
    e64, g64 = pg.Hologram(target(shape)).value_and_grad(phi)
    h32 = pg.Hologram(target(shape, np.float32))
    e32, g32 = h32.value_and_grad(phi.astype(np.float32))
    assert isinstance(e32, float) and g32.dtype == np.float32
    assert e32 == pytest.approx(e64, rel=1e-4)
    assert relative_error(g32, g64) <= 1e-4
    image = h32.simulate(phi.astype(np.float32))
    assert image.dtype == np.float32
    assert relative_error(image, pg.Hologram(target(shape)).simulate(phi)) <= 1e-4


@pytest.mark.parametrize("shape", [(24, 17), (24, 16)], ids=str)
@pytest.mark.parametrize("offset", [40.0, 5.0e4, 3.0e5, -2.0e6], ids=lambda o: f"phi+{o:g}")
def test_large_phases_match_reference_in_float64(offset, shape):
    """The kernel's own sin/cos reduces exactly up to |phi| = 1e5; beyond, rows fall back to
    libm. A mix: some rows large, some not; both value_and_grad paths."""
    fused, reference = pair(shape)
    phi = random_phase(shape)
    phi[::3] += offset
    energy, phi_bar = fused.value_and_grad(phi)
    expected_energy, expected_bar = reference.value_and_grad(phi)
    assert energy == pytest.approx(expected_energy, rel=1e-10)
    assert relative_error(phi_bar, expected_bar) <= 1e-10


@pytest.mark.parametrize("shape", [(24, 17), (24, 16)], ids=str)
@pytest.mark.parametrize("offset", [100.0, 4000.0, 2.0e4], ids=lambda o: f"phi+{o:g}")
def test_large_phases_in_float32_agree_with_float64(offset, shape):
    """float32 reduces in float up to |phi| = 8192 (the ramp added after the reduction, so a
    large phase loses nothing to it), libm in double beyond."""
    phi = (random_phase(shape) + offset).astype(np.float32)
    phi[1::2] -= np.float32(offset)
    e64, g64 = pg.Hologram(target(shape)).value_and_grad(phi.astype(np.float64))
    e32, g32 = pg.Hologram(target(shape, np.float32)).value_and_grad(phi)
    assert e32 == pytest.approx(e64, rel=1e-5)
    assert relative_error(g32, g64) <= 1e-4


@pytest.mark.parametrize("shape", [(6, 6), (5, 7), (8, 5)], ids=str)
def test_gradient_matches_finite_differences(shape):
    hologram = pg.Hologram(target(shape))
    phi = random_phase(shape)
    _, phi_bar = hologram.value_and_grad(phi)
    result = check_vjp(lambda p: hologram.value_and_grad(p)[0], lambda e: e * phi_bar, phi)
    assert result.ok, result


def test_fun_and_jac_is_flat_float64():
    hologram = pg.Hologram(target((12, 10), np.float32))
    x = random_phase((12, 10)).ravel()
    f, g = hologram.fun_and_jac(x)
    assert isinstance(f, float) and g.dtype == np.float64 and g.shape == (120,)
    energy, phi_bar = hologram.value_and_grad(x.reshape(12, 10).astype(np.float32))
    assert f == energy and np.array_equal(g, phi_bar.astype(np.float64).ravel())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_repeated_calls_hold_no_state(dtype):
    """The work buffers are reused: a call in between must not change the next result."""
    shape = (33, 20)
    hologram = pg.Hologram(target(shape, dtype))
    phi = random_phase(shape).astype(dtype)
    first = hologram.value_and_grad(phi)
    image = hologram.simulate(phi)
    hologram.value_and_grad(random_phase(shape, seed=5).astype(dtype))
    hologram.simulate(random_phase(shape, seed=6).astype(dtype))
    again = hologram.value_and_grad(phi)
    assert again[0] == first[0] and np.array_equal(again[1], first[1])
    assert np.array_equal(hologram.simulate(phi), image)


def test_input_is_not_modified_and_strided_input_reads_correctly():
    shape = (16, 10)
    hologram = pg.Hologram(target(shape))
    wide = random_phase((16, 20))
    view = wide[:, ::2]
    saved = wide.copy()
    energy, phi_bar = hologram.value_and_grad(view)
    expected = hologram.value_and_grad(np.ascontiguousarray(view))
    assert energy == expected[0] and np.array_equal(phi_bar, expected[1])
    assert np.array_equal(wide, saved)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_one_thread_agrees_with_two(dtype):
    shape = (256, 160)
    hologram = pg.Hologram(target(shape, dtype))
    phi = random_phase(shape).astype(dtype)
    with pg.threads(1):
        e1, g1 = hologram.value_and_grad(phi)
        s1 = hologram.simulate(phi)
    with pg.threads(2):
        e2, g2 = hologram.value_and_grad(phi)
        s2 = hologram.simulate(phi)
    # FFTW's threaded plans may factor the transform differently: agreement to rounding.
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert e2 == pytest.approx(e1, rel=tol)
    assert relative_error(g2, g1) <= tol and relative_error(s2, s1) <= tol


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(256, 160), (128, 256)], ids=str)
def test_blocked_gradient_is_identical_on_any_team(dtype, shape):
    """The blocked value_and_grad runs every band of rows and chunk of columns through the same
    single-threaded plans and sums the chunks in order: the same bits on 1, 2 and 3 threads."""
    hologram = pg.Hologram(target(shape, dtype))
    phi = random_phase(shape).astype(dtype)
    results = []
    for threads in (1, 2, 3):
        with pg.threads(threads):
            results.append(hologram.value_and_grad(phi))
    for energy, phi_bar in results[1:]:
        assert energy == results[0][0]
        assert np.array_equal(phi_bar, results[0][1])


def test_concurrent_python_threads_share_one_model():
    shape = (96, 64)
    hologram = pg.Hologram(target(shape))
    phases = [random_phase(shape, seed=k) for k in range(6)]
    expected = [pg.Hologram(target(shape), backend="reference").value_and_grad(p)
                for p in phases]
    results = {}
    errors = []
    start = threading.Barrier(len(phases))

    def work(k):
        try:
            start.wait()
            for _ in range(30):
                energy, phi_bar = hologram.value_and_grad(phases[k])
                image = hologram.simulate(phases[k])
            results[k] = (energy, phi_bar, image)
        except Exception as error:  # noqa: BLE001 -- reported below, in the main thread
            errors.append(error)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(len(phases))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert not errors, errors
    for k, (energy, phi_bar, image) in results.items():
        assert energy == pytest.approx(expected[k][0], rel=1e-10)
        assert relative_error(phi_bar, expected[k][1]) <= 1e-10
        assert image.mean() == pytest.approx(hologram.target.mean(), rel=1e-12)
    assert len(results) == len(phases)


@pytest.mark.parametrize("T, error, match", [
    (np.zeros((8, 8)), ValueError, "all zero"),
    (-np.ones((8, 8)), ValueError, "non-negative"),
    (np.full((8, 8), np.nan), ValueError, "target must be finite"),
    (np.ones(8), ValueError, "2-D"),
    (np.ones((8, 8), dtype=np.int64), TypeError, "target"),
    (np.ones((8, 8), dtype=complex), TypeError, "target"),
])
def test_bad_target_is_rejected_as_by_the_reference(T, error, match):
    with pytest.raises(error, match=match) as fused:
        pg.Hologram(target=T)
    with pytest.raises(error) as reference:
        pg.Hologram(target=T, backend="reference")
    assert str(fused.value) == str(reference.value)


@pytest.mark.parametrize("phi, error, match", [
    (np.zeros((8, 9)), ValueError, "phi must have the target's shape"),
    (np.full((12, 10), np.inf), ValueError, "phi must be finite"),
    (np.zeros((12, 10), dtype=np.int16), TypeError, "phi"),
    (np.zeros((12, 10), dtype=complex), TypeError, "phi"),
])
@pytest.mark.parametrize("method", ["value_and_grad", "simulate"])
def test_bad_phase_is_rejected_as_by_the_reference(phi, error, match, method):
    fused = pg.Hologram(target=target((12, 10)))
    reference = pg.Hologram(target=target((12, 10)), backend="reference")
    with pytest.raises(error, match=match) as got:
        getattr(fused, method)(phi)
    with pytest.raises(error) as expected:
        getattr(reference, method)(phi)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(256, 160), (7, 9)], ids=str)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
@pytest.mark.parametrize("thread_count", [1, 2])
def test_kernel_refuses_a_nonfinite_phase_before_it_writes(dtype, shape, bad, where,
                                                           thread_count):
    """value_and_grad leaves the finiteness check of a phase of its own dtype to the kernel
    (its phasor pass where the blocked path applies, (256, 160); a first pass of its own in
    blocks of 2**14 values on the team otherwise, (7, 9)): the same ValueError as the
    reference's, and nothing of the failed call is left behind (the next call gives the same
    bits as before it)."""
    hologram = pg.Hologram(target(shape, dtype))
    reference = pg.Hologram(target(shape), backend="reference")
    phi = random_phase(shape).astype(dtype)
    with pg.threads(thread_count):
        before = hologram.value_and_grad(phi)
        index = {"first": 0, "middle": phi.size // 2, "last": phi.size - 1}[where]
        broken = phi.copy()
        broken.flat[index] = bad
        with pytest.raises(ValueError, match="phi must be finite") as got:
            hologram.value_and_grad(broken)
        with pytest.raises(ValueError) as expected:
            reference.value_and_grad(broken.astype(np.float64))
        assert str(got.value) == str(expected.value)
        with pytest.raises(ValueError, match="phi must be finite"):  # the core alone too
            hologram._impl._model.value_and_grad(broken, thread_count)
        after = hologram.value_and_grad(phi)
    assert after[0] == before[0] and np.array_equal(after[1], before[1])


def test_kernel_check_leaves_a_cast_phase_to_python():
    """A phase of the other dtype is checked before the cast (so NaN is reported as NaN, not as
    a value beyond float32's range)."""
    hologram = pg.Hologram(target((16, 16), np.float32))
    phi = np.zeros((16, 16))
    phi[3, 4] = np.nan
    with pytest.raises(ValueError, match="phi must be finite"):
        hologram.value_and_grad(phi)


def test_bad_backend_is_rejected():
    with pytest.raises(ValueError, match="backend"):
        pg.Hologram(target=target((8, 8)), backend="gpu")


@pytest.mark.parametrize("core_class, dtype", [(_core.FusedHologram64, np.float64),
                                               (_core.FusedHologram32, np.float32)])
def test_core_refuses_rather_than_casts(core_class, dtype):
    """Anyone calling _core directly gets a clean error, never a silent copy or a crash."""
    other = np.float32 if dtype == np.float64 else np.float64
    with pytest.raises(TypeError, match="target must have dtype"):
        core_class(np.ones((4, 4), dtype=other))
    with pytest.raises(ValueError, match="2-D"):
        core_class(np.ones(4, dtype=dtype))
    with pytest.raises(ValueError, match="empty"):
        core_class(np.ones((0, 4), dtype=dtype))
    model = core_class(np.ones((4, 6), dtype=dtype))
    assert model.shape == (4, 6)
    with pytest.raises(TypeError, match="phi must have dtype"):
        model.value_and_grad(np.zeros((4, 6), dtype=other), 1)
    with pytest.raises(ValueError, match="C-contiguous"):
        model.value_and_grad(np.zeros((6, 4), dtype=dtype).T, 1)
    with pytest.raises(ValueError, match=r"phi must have the target's shape \(4, 6\)"):
        model.simulate(np.zeros((4, 5), dtype=dtype), 1)
    # A flat phase puts all light in one pixel of 24: I_r = 24 there, 0 elsewhere; E = 23.
    energy, phi_bar = model.value_and_grad(np.zeros((4, 6), dtype=dtype), 1)
    assert energy == pytest.approx(23.0, rel=1e-6) and phi_bar.dtype == dtype


@pytest.mark.parametrize("dtype, tolerance", [(np.complex128, 1e-13), (np.complex64, 1e-5)])
@pytest.mark.parametrize("inverse", [False, True])
def test_benchmark_floor_transforms_in_place(dtype, tolerance, inverse):
    """The benchmarks' floor (_core.hologram_transforms_in_place): every plane transformed in
    place, unnormalised, as numpy's FFT; a real or read-only array is refused."""
    rng = np.random.default_rng(3)
    x = (rng.standard_normal((3, 8, 6)) + 1j * rng.standard_normal((3, 8, 6))).astype(dtype)
    expected = np.fft.ifft2(x) * 48 if inverse else np.fft.fft2(x)
    _core.hologram_transforms_in_place(x, inverse, 2)
    assert relative_error(x, expected) <= tolerance
    with pytest.raises(TypeError):
        _core.hologram_transforms_in_place(x.real.copy(), inverse, 1)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        _core.hologram_transforms_in_place(x, inverse, 1)


@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-12), (np.float32, 1e-5)])
@pytest.mark.parametrize("thread_count", [1, 2])
def test_every_transform_split_gives_the_blocked_result(dtype, tolerance, thread_count):
    """The core's transform splits (blocked stages, FFTW's threaded column stages, whole-plane
    2-D transforms) give one E and phi_bar to rounding; the automatic split is the blocked one
    (its bits)."""
    shape = (256, 160)
    core_class = _core.FusedHologram64 if dtype == np.float64 else _core.FusedHologram32
    phi = random_phase(shape).astype(dtype)
    automatic = core_class(target(shape, dtype))
    assert automatic.split(thread_count) == "blocked"
    expected = automatic.value_and_grad(phi, thread_count)
    for split in ("blocked", "hybrid", "whole"):
        model = core_class(target(shape, dtype))
        model.set_split(split)
        assert model.split(thread_count) == split
        energy, phi_bar = model.value_and_grad(phi, thread_count)
        if split == "blocked":
            assert energy == expected[0] and np.array_equal(phi_bar, expected[1])
        assert energy == pytest.approx(expected[0], rel=tolerance)
        assert relative_error(phi_bar, expected[1]) <= tolerance
    with pytest.raises(ValueError, match="split must be"):
        automatic.set_split("fastest")


def _phasor_model(core_class, shape, dtype, phasor, split="automatic"):
    model = core_class(target(shape, dtype))
    model.set_phasor(phasor)
    model.set_split(split)
    return model


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(256, 160), (64, 64), (9, 16)], ids=str)
@pytest.mark.parametrize("split", ["blocked", "hybrid"])
def test_recomputed_phasor_gives_the_kept_bits(dtype, shape, split):
    """Pass C computing the phasor again from phi (the choice of large planes) gives the bits
    of the phasor kept from pass A, on 1, 2 and 3 threads, with rows beyond the kernel's own
    sin/cos (redone with libm in pass A and kept there) among them; and matches the reference
    to 1e-10 in float64."""
    core_class = _core.FusedHologram64 if dtype == np.float64 else _core.FusedHologram32
    phi = random_phase(shape)
    phi[1::5] += 3.0e5 if dtype == np.float64 else 2.0e4  # libm rows
    phi = phi.astype(dtype)
    kept = _phasor_model(core_class, shape, dtype, "kept", split)
    recomputed = _phasor_model(core_class, shape, dtype, "recomputed", split)
    assert kept.phasor() == "kept" and recomputed.phasor() == "recomputed"
    expected = kept.value_and_grad(phi, 1)
    for threads in (1, 2, 3):
        for model in (kept, recomputed):
            energy, phi_bar = model.value_and_grad(phi, threads)
            assert energy == expected[0] and np.array_equal(phi_bar, expected[1])
    if dtype == np.float64:
        reference = pg.Hologram(target(shape), backend="reference")
        expected_energy, expected_bar = reference.value_and_grad(phi)
        assert expected[0] == pytest.approx(expected_energy, rel=1e-10)
        assert relative_error(expected[1], expected_bar) <= 1e-10


def test_phasor_choice_by_size():
    """The phasor is computed again where its plane has 16 MiB or more (float64 1024^2), kept
    below (float32 1024^2, every smaller plane) and where the blocked path does not apply; the
    forced choice is checked by name."""
    assert _core.FusedHologram64(np.ones((1024, 1024))).phasor() == "recomputed"
    assert _core.FusedHologram32(np.ones((1024, 1024), np.float32)).phasor() == "kept"
    assert _core.FusedHologram64(np.ones((512, 1024))).phasor() == "kept"
    unblocked = _core.FusedHologram64(np.ones((7, 9)))
    unblocked.set_phasor("recomputed")
    assert unblocked.phasor() == "kept"
    with pytest.raises(ValueError, match="phasor must be 'automatic', 'kept' or 'recomputed'"):
        unblocked.set_phasor("stored")


def test_float64_1024_matches_reference():
    """The default at float64 1024^2 (the phasor computed again) against the reference, on one
    thread and two (the same bits)."""
    shape = (1024, 1024)
    fused, reference = pair(shape)
    phi = random_phase(shape)
    with pg.threads(1):
        energy, phi_bar = fused.value_and_grad(phi)
    with pg.threads(2):
        again = fused.value_and_grad(phi)
    assert again[0] == energy and np.array_equal(again[1], phi_bar)
    expected_energy, expected_bar = reference.value_and_grad(phi)
    assert energy == pytest.approx(expected_energy, rel=1e-10)
    assert relative_error(phi_bar, expected_bar) <= 1e-10


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("phasor", ["kept", "recomputed"])
@pytest.mark.parametrize("split", ["blocked", "hybrid", "whole"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=str)
@pytest.mark.parametrize("where", [0, 5 * 160 + 7, 256 * 160 - 1], ids=str)
@pytest.mark.parametrize("thread_count", [1, 2])
def test_core_refuses_a_nonfinite_phase_on_every_path(dtype, phasor, split, bad, where,
                                                      thread_count):
    """The blocked and hybrid splits find NaN and infinity in pass A (a row whose excess over
    the kernel's sin/cos range is not a number) and raise before pass C writes phi_bar, the
    whole-plane split in its check before any transform; a row of large phases beside it is
    no error. The next call gives the bits of the call before."""
    shape = (256, 160)
    core_class = _core.FusedHologram64 if dtype == np.float64 else _core.FusedHologram32
    model = _phasor_model(core_class, shape, dtype, phasor, split)
    phi = random_phase(shape)
    phi[2] += 3.0e5 if dtype == np.float64 else 2.0e4
    phi = phi.astype(dtype)
    before = model.value_and_grad(phi, thread_count)
    broken = phi.copy()
    broken.flat[where] = bad
    with pytest.raises(ValueError, match="^phi must be finite; it contains NaN or infinity$"):
        model.value_and_grad(broken, thread_count)
    after = model.value_and_grad(phi, thread_count)
    assert after[0] == before[0] and np.array_equal(after[1], before[1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 64), (48, 30)])
def test_the_constructors_set_up_call_leaves_the_same_bits(dtype, shape):
    # Hologram's fused backend runs its two transforms once at construction (plans, the team,
    # the buffers touched); the calls overwrite those buffers, so a core object without that
    # set-up gives the same bits.
    rng = np.random.default_rng(7)
    target = rng.random(shape).astype(dtype)
    phi = rng.uniform(-4, 4, shape).astype(dtype)
    bare = getattr(_core, "FusedHologram64" if dtype == np.float64 else "FusedHologram32")(target)
    with pg.threads(2):   # the same team for both: the whole-plane path's plans depend on it
        model = pg.Hologram(target=target)
        energy, grad = model.value_and_grad(phi)
        bare_energy, bare_grad = bare.value_and_grad(phi, 2)
    assert energy == bare_energy
    np.testing.assert_array_equal(grad, bare_grad)


def test_phasor_reports_kept_where_the_blocked_path_does_not_run():
    """cpp/include/phasegrad/models/hologram.hpp: phasor() is "what value_and_grad takes (kept
    where the blocked path does not apply)". With the whole-plane split forced, value_and_grad
    runs forward() and finish_whole, which keep the phasor in phasor_ whatever the size, so at
    float64 1024^2 (the size from which the blocked path recomputes it) phasor() must answer
    'kept' (it answered 'recomputed', and a benchmark row recording it named a choice the call
    did not take)."""
    model = _core.FusedHologram64(np.ones((1024, 1024)))
    model.set_split("whole")
    assert model.phasor() == "kept"

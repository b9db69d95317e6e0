"""The far-field part of python/phasegrad/bench/hologram_targets.py: its rows hold what the note
reports (a ratio to the fastest FFT pair, the kernel's transforms alone and the passes' share),
and the transforms it subtracts run on both of value_and_grad's paths."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.bench import hologram_targets
from phasegrad.models.fused_hologram import FusedHologram


def test_far_field_rows_report_ratio_and_passes_share():
    rows = hologram_targets.far_field(sizes=(32,), rounds=1)
    assert [(row["dtype"], row["size"]) for row in rows] == [("float32", 32), ("float64", 32)]
    for row in rows:
        fastest = min(row["pair"], row["pair_in_place"], row["kernel_pair"])
        assert row["ratio"] == pytest.approx(row["fused"] / fastest)
        assert row["transforms_ratio"] == pytest.approx(row["kernel_transforms"] / fastest)
        assert row["passes_share"] == pytest.approx(1 - row["kernel_transforms"] / row["fused"])


@pytest.mark.parametrize("shape, blocked", [((16, 16), True), ((12, 10), False)], ids=str)
def test_transforms_only_runs_either_path_and_leaves_the_model_exact(shape, blocked):
    target = np.random.default_rng(0).uniform(size=shape)
    phi = np.random.default_rng(1).uniform(0, 2 * np.pi, shape)
    kernel = FusedHologram(target)
    before = kernel.value_and_grad(phi)
    assert kernel.transforms_only() is blocked
    after = kernel.value_and_grad(phi)
    assert after[0] == before[0] and np.array_equal(after[1], before[1])
    expected = pg.Hologram(target, backend="reference").value_and_grad(phi)
    assert after[0] == pytest.approx(expected[0], rel=1e-10)


def test_far_field_rows_time_each_phasor_choice_when_asked():
    """--far-phasor: the core call with the phasor kept and computed again, as ratios to the
    same pair; the row names the choice the call took (kept below 16 MiB phasor planes)."""
    rows = hologram_targets.far_field(sizes=(32,), rounds=1, phasors=True)
    for row in rows:
        assert row["phasor"] == "kept"
        assert set(row["phasor_ratios"]) == {"kept", "recomputed"}
        assert all(ratio > 0 for ratio in row["phasor_ratios"].values())
    assert hologram_targets.far_field(sizes=(32,), rounds=1)[0]["phasor_ratios"] == {}

"""The hologram speed bench's summary: the ratios the issue's targets name, from the rows."""

import pytest

from phasegrad.bench import hologram_targets


def rows(**seconds):
    return [{"implementation": name, "seconds": value} for name, value in seconds.items()]


def test_the_summary_states_the_targets_and_the_budget_of_the_passes():
    summary = hologram_targets.speed_summary(rows(**{
        "fused": 0.040, "fft floor (18 FFTs)": 0.030, "18 FFTs out of place": 0.035,
        "its own 24 FFTs": 0.036, "jax": 0.130}))
    assert summary["fused_vs_floor"] == pytest.approx(4 / 3)
    assert summary["fused_vs_own_24"] == pytest.approx(40 / 36)
    assert summary["beyond_24_fraction"] == pytest.approx(0.1)
    assert summary["passes_budget"] == pytest.approx(0.009)
    assert summary["passes_budget_vs_24"] == pytest.approx(0.25)
    assert summary["jax_vs_fused"] == pytest.approx(3.25)
    assert "torch_vs_fused" not in summary


def test_a_floor_whose_24_transforms_cost_more_than_the_target_leaves_a_negative_budget(capsys):
    summary = hologram_targets.speed_summary(rows(**{
        "fused": 0.050, "fft floor (18 FFTs)": 0.030, "its own 24 FFTs": 0.046}))
    assert summary["passes_budget"] < 0
    hologram_targets._print_speed_summary(summary)
    assert "NOT met: <= 1.5" in capsys.readouterr().out

"""The quantisation part of the hologram benchmark (issue 14's target) on a small problem: the
unquantised optimum is the best run within the same evaluations, and the two numbers it
prints are the differences of its rows (PSNR is not timed)."""

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.bench import hologram_targets


def test_the_rows_and_the_targets_two_numbers():
    rows, summary = hologram_targets.quantisation(size=32, iters=30, lrs=(0.3, 0.8), seed=1)
    psnr = {row["run"]: row["psnr_db"] for row in rows}
    unquantised = [row for row in rows if row["kind"] == "unquantised"]
    assert [row["run"] for row in unquantised] == [
        "Adam lr 0.3", "Adam lr 0.8", "L-BFGS, best of 30 evaluations", "L-BFGS, 30 iterations"]
    assert all(row["evaluations"] == 30 for row in unquantised[:3])
    assert unquantised[3]["evaluations"] >= 30
    optimum = max(row["psnr_db"] for row in unquantised[:3])
    assert summary["unquantised_optimum_db"] == optimum
    assert summary["quantised_adam_db"] == psnr["quantised_adam (defaults)"]
    assert summary["gap_db"] == pytest.approx(optimum - summary["quantised_adam_db"])
    assert summary["gap_to_lbfgs_iterations_db"] == pytest.approx(
        psnr["L-BFGS, 30 iterations"] - summary["quantised_adam_db"])
    afterwards = max(row["afterwards_db"] for row in unquantised)
    assert summary["gain_db"] == pytest.approx(summary["quantised_adam_db"] - afterwards)
    # Each row is the PSNR its phase shows on its model: recomputed for the default design.
    target = pg.optimize.default_target(32)
    model = pg.Hologram(target=target, levels=8, crosstalk=hologram_targets.CROSSTALK)
    phi0 = np.random.default_rng(1).uniform(0, 2 * np.pi, target.shape)
    design = pg.optimize.quantised_adam(model, phi0, iters=30)
    assert summary["quantised_adam_db"] == pytest.approx(10 * np.log10(1 / design.fun),
                                                         rel=1e-12)


def test_the_budget_keeps_the_best_of_its_first_evaluations():
    target = pg.optimize.default_target(32)
    model = pg.Hologram(target=target, crosstalk=hologram_targets.CROSSTALK)
    phi0 = np.random.default_rng(0).uniform(0, 2 * np.pi, target.shape)
    budget = hologram_targets._Budget(model, 12)
    costs = []

    class Seen:
        n_params = model.n_params

        def fun_and_jac(self, x):
            cost, grad = budget.fun_and_jac(x)
            costs.append(cost)
            return cost, grad

    pg.optimize.lbfgs(Seen(), phi0, maxiter=10 ** 6, callback=budget.spent)
    assert budget.count == len(costs) >= 12
    assert budget.best == min(costs[:12])
    assert model.fun_and_jac(budget.point)[0] == budget.best

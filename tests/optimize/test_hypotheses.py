"""pg.optimize.compare_hypotheses: the right hypothesis wins by BIC on simulated data (a pair
against one star both ways), the table is consistent with the models' information criteria,
and bad hypotheses are refused before anything is fitted."""

import math

import numpy as np
import pytest

import phasegrad as pg

N_PUPIL, MODES = 12, 4
PEAK = 2e4


def _setup():
    pupil = pg.circular_pupil(N_PUPIL)
    basis = pg.zernike_basis(MODES, N_PUPIL, first=2)
    defocus = pg.zernike_basis(1, N_PUPIL, first=4)[0]
    return pupil / pupil.sum(), basis, np.array([-0.5, 0.5])[:, None, None] * defocus


def _model(data, scene=None, fit=(), amplitude_scale=1.0):
    amplitude, basis, diversity = _setup()
    return pg.PhaseRetrieval(amplitude=amplitude * amplitude_scale, basis=basis, data=data,
                             diversity=diversity, object=scene, metric="poisson",
                             read_noise=1.0, fit=fit, backend="reference")


def _data(scene, seed):
    truth = np.array([0.02, -0.03, 0.04, 0.01])
    shape = (2, 2 * N_PUPIL, 2 * N_PUPIL)
    model = _model(np.zeros(shape), scene)
    clean = PEAK * model.simulate(model.pack(truth)) + 2.0
    return np.random.default_rng(seed).poisson(clean).astype(np.float64)


def _hypotheses(data):
    scale = math.sqrt(PEAK)  # the model in counts: fluxes of order one
    one = _model(data, pg.PointSources(1), fit=("background",), amplitude_scale=scale)
    two = _model(data, pg.PointSources(2), fit=("background",), amplitude_scale=scale)
    return {
        "point": (one, one.pack(positions=[[0.0, 0.0]], background=[2.0, 2.0])),
        "binary": (two, two.pack(positions=[[-0.5, -1.0], [0.5, 1.0]], fluxes=[0.6, 0.3],
                                 background=[2.0, 2.0])),
    }


def test_a_pair_is_told_from_one_star_both_ways():
    pair = pg.PointSources(2, positions=[[-0.5, -1.0], [0.5, 1.0]], fluxes=[1.0, 0.5])
    found = pg.optimize.compare_hypotheses(_hypotheses(_data(pair, 0)))
    assert found.chosen == "binary" and found.criterion == "bic"
    assert found.row("binary")["delta"] == 0.0 and found.row("point")["delta"] > 100
    fluxes = found.models["binary"].unpack(found.fits["binary"].x)["fluxes"]
    assert min(fluxes) / max(fluxes) == pytest.approx(0.5, abs=0.05)

    single = pg.PointSources(1, positions=[[0.0, 0.0]], fluxes=[1.5])
    found = pg.optimize.compare_hypotheses(_hypotheses(_data(single, 1)))
    assert found.chosen == "point"
    # the pair fits at least as well, but not by enough to pay for its 3 more parameters
    point, binary = found.row("point"), found.row("binary")
    assert binary["nll"] <= point["nll"] + 1e-6
    assert binary["n_params"] == point["n_params"] + 3
    assert binary["bic"] > point["bic"]


def test_the_table_is_the_models_information_criteria():
    pair = pg.PointSources(2, positions=[[-0.5, -1.0], [0.5, 1.0]], fluxes=[1.0, 0.5])
    lines = []
    found = pg.optimize.compare_hypotheses(_hypotheses(_data(pair, 2)), criterion="aic",
                                           report=lambda name, row: lines.append(name))
    assert lines == ["point", "binary"] and found.criterion == "aic"
    for row in found.table:
        model, fit = found.models[row["name"]], found.fits[row["name"]]
        scores = model.information_criteria(fit.x)
        for key in ("nll", "n_params", "n_data", "aic", "bic"):
            assert row[key] == pytest.approx(scores[key], rel=1e-12)
        assert row["aic"] == pytest.approx(2 * row["n_params"] + 2 * row["nll"])
        assert row["bic"] == pytest.approx(row["n_params"] * math.log(row["n_data"])
                                           + 2 * row["nll"])
        assert row["cost"] == pytest.approx(fit.fun) and row["iterations"] >= 1
    assert sum(row["weight"] for row in found.table) == pytest.approx(1.0)
    text = str(found)
    assert "<- chosen" in text and "delta_aic" in text and text.count("\n") == 2


def test_methods_per_hypothesis_and_your_own_fit():
    pair = pg.PointSources(2, positions=[[-0.5, -1.0], [0.5, 1.0]], fluxes=[1.0, 0.5])
    hypotheses = _hypotheses(_data(pair, 3))
    calls = []

    def mine(model, x0):
        calls.append(model.n_params)
        return pg.optimize.levenberg_marquardt(model, x0, maxiter=30)

    found = pg.optimize.compare_hypotheses(hypotheses, method={"point": "lbfgs",
                                                               "binary": mine})
    assert calls == [hypotheses["binary"][0].n_params]
    assert found.chosen == "binary"
    # a sequence of (name, model, x0) works the same
    again = pg.optimize.compare_hypotheses(
        [(name, *entry) for name, entry in hypotheses.items()], method="lm", maxiter=30)
    assert [row["name"] for row in again.table] == ["point", "binary"]


def test_bad_hypotheses_are_refused_before_fitting():
    data = np.ones((2, 2 * N_PUPIL, 2 * N_PUPIL))
    hypotheses = _hypotheses(data)
    model, x0 = hypotheses["point"]
    compare = pg.optimize.compare_hypotheses
    with pytest.raises(ValueError, match="at least one"):
        compare({})
    with pytest.raises(TypeError, match="mapping"):
        compare(3)
    with pytest.raises(ValueError, match="two hypotheses are named 'a'"):
        compare([("a", model, x0), ("a", model, x0)])
    with pytest.raises(ValueError, match="x0 has 3 values but the model has"):
        compare({"a": (model, np.zeros(3))})
    with pytest.raises(ValueError, match="x0 of 'a'"):
        compare({"a": (model, np.full(model.n_params, np.nan))})
    with pytest.raises(TypeError, match="information_criteria"):
        compare({"a": (pg.Hologram(target=np.ones((8, 8))), np.zeros(64))})
    with pytest.raises(TypeError, match="non-empty str"):
        compare([("", model, x0)])
    with pytest.raises(ValueError, match="method"):
        compare(hypotheses, method="newton")
    with pytest.raises(ValueError, match="not given"):
        compare(hypotheses, method={"triple": "lm"})
    with pytest.raises(ValueError, match="criterion"):
        compare(hypotheses, criterion="dic")
    with pytest.raises(ValueError, match="maxiter"):
        compare(hypotheses, maxiter=0)
    with pytest.raises(ValueError, match="(each hypothesis|\\(name, model, x0\\))"):
        compare([("a", model)])


def test_models_of_different_data_are_not_compared():
    data = _data(pg.PointSources(1, positions=[[0.0, 0.0]]), 4)
    one = _model(data, pg.PointSources(1), amplitude_scale=math.sqrt(PEAK))
    cropped = _model(data[:, 2:-2, 2:-2], pg.PointSources(1),  # a window
                     amplitude_scale=math.sqrt(PEAK))
    with pytest.raises(ValueError, match="same data"):
        pg.optimize.compare_hypotheses(
            {"all": (one, one.pack(positions=[[0.0, 0.0]])),
             "half": (cropped, cropped.pack(positions=[[0.0, 0.0]]))}, maxiter=3)


def test_the_docstring_example_runs():
    import doctest

    from phasegrad.optimize import hypotheses

    result = doctest.testmod(hypotheses, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_pair_starts_keep_the_light_centred_and_fit_pair_finds_the_pair():
    pair = pg.PointSources(2, positions=[[-0.5, -1.0], [0.5, 1.0]], fluxes=[1.0, 0.5])
    hypotheses = _hypotheses(_data(pair, 5))
    one, x_one = hypotheses["point"]
    single = one.unpack(pg.optimize.levenberg_marquardt(one, x_one).x)
    two, x_truth = hypotheses["binary"]
    starts = pg.optimize.pair_starts(two, single)
    assert len(starts) == 24  # one per position angle
    costs = [two.fun_and_jac(x)[0] for x in starts]
    assert costs == sorted(costs)
    angles = set()
    for x in starts:
        blocks = two.unpack(x)
        centroid = blocks["fluxes"] @ blocks["positions"] / blocks["fluxes"].sum()
        np.testing.assert_allclose(centroid, single["positions"][0], atol=1e-12)
        assert blocks["fluxes"].sum() == pytest.approx(single["fluxes"][0])
        assert blocks["fluxes"][1] / blocks["fluxes"][0] == pytest.approx(0.5)
        np.testing.assert_array_equal(blocks["wavefront"], single["wavefront"])
        step = blocks["positions"][1] - blocks["positions"][0]
        angles.add(round(float(np.degrees(np.arctan2(*step))) % 360))
    assert len(angles) == 24
    # This case has a strong local minimum: the three cheapest starts all end there, at a
    # cost ten times the right one. fit_pair finds the pair.
    cheapest = [pg.optimize.levenberg_marquardt(two, x).fun for x in starts[:3]]
    right = pg.optimize.levenberg_marquardt(two, x_truth).fun
    assert min(cheapest) > 5 * right
    found = pg.optimize.fit_pair(two, single)
    assert found.fun == pytest.approx(right, rel=1e-6)
    best = two.unpack(found.x)
    assert np.hypot(*(best["positions"][1] - best["positions"][0])) == \
        pytest.approx(np.hypot(1.0, 2.0), abs=0.1)
    assert best["fluxes"].min() / best["fluxes"].max() == pytest.approx(0.5, abs=0.05)
    assert len(pg.optimize.pair_starts(two, single, separations=[2.0], angles=8)) == 8
    with pytest.raises(ValueError, match="two point sources"):
        pg.optimize.pair_starts(one, single)
    with pytest.raises(ValueError, match="one-source fit"):
        pg.optimize.pair_starts(two, {"wavefront": single["wavefront"]})
    with pytest.raises(ValueError, match="ratio"):
        pg.optimize.pair_starts(two, single, ratio=0.0)
    with pytest.raises(ValueError, match="brief"):
        pg.optimize.fit_pair(two, single, brief=0)

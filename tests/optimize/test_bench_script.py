"""phasegrad.bench.hologram_algorithms runs and writes its JSON (tiny size; nothing timed)."""

import json

from phasegrad.bench import hologram_algorithms


def test_bench_script_runs(tmp_path, capsys):
    hologram_algorithms.main(["--size", "32", "--iters", "3", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "bench_hologram_algorithms.json").read_text())["rows"]
    assert [row["algorithm"] for row in rows] == ["adam", "lbfgs", "gs", "wgs"]
    assert "PSNR dB" in capsys.readouterr().out


def test_second_order_bench_runs(tmp_path, capsys):
    from phasegrad.bench import second_order

    assert second_order.main(["--quick", "--out", str(tmp_path)]) == 0
    rows = json.loads((tmp_path / "bench_second_order.json").read_text())["results"]
    solved = [row for row in rows if "method" in row]
    assert {row["method"] for row in solved} == {"lbfgs", "lm", "lm_dense", "least_squares"}
    assert {row["workload"] for row in solved} == {"photon", "extreme"}
    lm = [row for row in solved if row["method"] == "lm"]
    assert all(row["converged"] and row["to_target_s"] != "-" for row in lm)
    assert {row["call"] for row in rows if "call" in row} == {
        "value_and_grad", "jvp", "gauss_newton_product", "jacobian", "gauss_newton"}
    assert "to_target_s" in capsys.readouterr().out

"""phasegrad.bench.hologram_algorithms runs and writes its JSON (tiny size; nothing timed)."""

import json

from phasegrad.bench import hologram_algorithms


def test_bench_script_runs(tmp_path, capsys):
    hologram_algorithms.main(["--size", "32", "--iters", "3", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "bench_hologram_algorithms.json").read_text())["rows"]
    assert [row["algorithm"] for row in rows] == ["adam", "lbfgs", "gs", "wgs"]
    assert "PSNR dB" in capsys.readouterr().out

"""bench/bench_hologram_algorithms.py runs and writes its JSON (tiny size; nothing timed)."""

import importlib.util
import json
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_hologram_algorithms.py"


def test_bench_script_runs(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_hologram_algorithms_under_test", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--size", "32", "--iters", "3", "--out", str(tmp_path)])
    rows = json.loads((tmp_path / "bench_hologram_algorithms.json").read_text())["rows"]
    assert [row["algorithm"] for row in rows] == ["adam", "lbfgs", "gs", "wgs"]
    assert "PSNR dB" in capsys.readouterr().out

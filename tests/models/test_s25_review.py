"""Review of the issue-15 merge (s25): defects found in the far-field hologram's phasor choice."""

import numpy as np

from phasegrad.native import core as _core


def test_phasor_reports_kept_where_the_blocked_path_does_not_run():
    """cpp/include/phasegrad/models/hologram.hpp: phasor() is "what value_and_grad takes (kept
    where the blocked path does not apply)". With the whole-plane split forced, value_and_grad
    runs forward() and finish_whole, which keep the phasor in phasor_ whatever the size; at
    float64 1024^2 (the size from which the blocked path recomputes it) phasor() still answers
    'recomputed', so a benchmark row that records it for a forced split names a choice the
    call did not take."""
    model = _core.FusedHologram64(np.ones((1024, 1024)))
    model.set_split("whole")
    assert model.phasor() == "kept"

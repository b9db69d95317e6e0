"""The far-field kernel's work planes ask for transparent huge pages from 2 MiB on
(Buffer::huge_pages): checked in a fresh process by the bytes of its mappings that carry the
advice (the "hg" flag of /proc/self/smaps), which does not depend on whether the kernel found
free huge pages."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import phasegrad

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux")
    or not Path("/sys/kernel/mm/transparent_hugepage").exists()
    or not Path("/proc/self/smaps").exists(),
    reason="transparent huge pages are a Linux kernel feature")

_CHILD = r"""
import numpy as np
from phasegrad.native import core

def advised():
    total, size = 0, 0
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if line.startswith("Size:"):
                size = int(line.split()[1])
            elif line.startswith("VmFlags:") and "hg" in line.split()[1:]:
                total += size
    return total  # KiB

base = advised()
small = core.FusedHologram64(np.ones((256, 256)))  # 1 MiB planes: 4 KiB pages
small.value_and_grad(np.zeros((256, 256)), 1)
after_small = advised()
large = core.FusedHologram64(np.ones((512, 512)))  # 4 + 4 MiB planes, 2 MiB target chunks
energy, grad = large.value_and_grad(np.zeros((512, 512)), 1)
after_large = advised()
print(after_small - base, after_large - after_small)
"""


def test_work_planes_are_advised_huge_from_2_mib():
    # The child imports the phasegrad this process imported (an installed build, or the
    # source tree with its compiled core).
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(phasegrad.__file__).resolve().parents[1])]
        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                         text=True, check=True, timeout=120).stdout.split()
    small_kib, large_kib = int(out[0]), int(out[1])
    assert small_kib == 0
    # The phasor and the field (4 MiB each) and the target in the chunks' layout (2 MiB).
    assert large_kib >= 10 * 1024

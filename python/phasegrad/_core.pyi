"""Type stubs of the compiled core (private: use phasegrad.fft)."""

import numpy as np
import numpy.typing as npt

def fftw_version() -> str: ...
def dft2_unnormalized(
    x: npt.NDArray[np.complexfloating], inverse: bool = False
) -> npt.NDArray[np.complexfloating]: ...

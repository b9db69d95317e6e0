"""Many phase-retrieval problems at once, beyond one machine: ``retrieve_many``.

A stack of B problems that share their geometry (pupil, basis, planes, wavelengths, detector,
metric) but not their data is cut into chunks; each chunk is solved by the native batch
(``pg.PhaseRetrievalBatch`` and the lockstep solvers) in this process or as a task on a Dask
cluster (``dask.distributed``: a ``LocalCluster``, a ``Client`` or a scheduler address), with
the worker's kernel threads set so that workers x threads never exceeds the cores and BLAS on
one thread. Results come back as arrays and, with ``out=``, are written into a Zarr store
chunk by chunk, so that a stopped run resumes and a lost worker loses nothing.

Modules: ``retrieve`` (``retrieve_many``, ``RetrieveManyResult``), ``stack`` (reading the
input), ``solve`` (one chunk in this process), ``plans`` (the same FFTW plans in every
process), ``tasks`` (the task a worker runs), ``submit`` (chunks as Dask tasks), ``cluster``
(which cluster, how many threads) and ``store`` (the Zarr results). Dask and Zarr are the
optional extra ``phasegrad[distributed]``; they are imported only when a cluster or a store is
used. docs/distributed.md describes the design and its costs.
"""

from .retrieve import RetrieveManyResult, retrieve_many
from .stack import open_stack

__all__ = ["RetrieveManyResult", "open_stack", "retrieve_many"]

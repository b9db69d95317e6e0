"""``phasegrad retrieve-many``: phase retrieval of a stack of problems, chunk by chunk, in this
process or on a Dask cluster (``pg.distributed.retrieve_many``).

The model is ``retrieve``'s (a circular pupil of ``M / pad`` pixels, ``modes`` Zernike modes
from Noll 2 in waves, one plane per known defocus of the Noll-4 mode), shared by every
problem. The data are not rescaled: with the quadratic detector (the default) each problem
starts from (a, b, c) = (0, its flux over the unaberrated model's, its median pixel), so its
gain and background absorb the camera's units; with the linear detector the frames must be in
the model's units (each plane's total that of the unaberrated model). Results go into
``DIR/results.zarr`` (resumed when it is there: only the chunks not yet written are solved;
``--force`` starts afresh) and a summary into ``DIR/summary.json``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from ..arguments.options import float_at_least, float_list, int_at_least
from .io import DataError
from .options import add_quiet_option

OUTPUTS = ("summary.json",)
STORE = "results.zarr"
METHODS = {"lbfgs": "L-BFGS (lockstep batch)", "lm": "Levenberg-Marquardt (lockstep batch)"}


def register(commands):
    """Add ``retrieve-many`` to the sub-command parsers."""
    parser = commands.add_parser(
        "retrieve-many", help="recover Zernike coefficients of many PSF stacks at once "
                              "(Dask)",
        description="Read a stack of problems (a .npy file or a Zarr array of shape (B, P, M, "
                    "M) or (B, M, M)), model each as `phasegrad retrieve` does, and solve them "
                    "in chunks on a Dask cluster (--scheduler local: one started here; an "
                    "address: yours; none: this process). Writes DIR/results.zarr (x, cost, "
                    "converged, nit, error per problem; a stopped run resumes from it) and "
                    "DIR/summary.json.",
        epilog="example: phasegrad retrieve-many stack.zarr --defocus -0.5,0.5 --modes 14 "
               "--scheduler local --out results")
    parser.add_argument("stack", type=Path, metavar="STACK",
                        help="the problems: a .npy file or a Zarr array, (B, P, M, M) or "
                             "(B, M, M)")
    parser.add_argument("--scheduler", default="local", metavar="local|none|ADDRESS",
                        help="local: a LocalCluster started here (default); none: this "
                             "process; or a Dask scheduler's address (tcp://host:8786)")
    parser.add_argument("--workers", type=int_at_least(1), default=None,
                        help="worker processes of a local cluster (default: cores / threads)")
    parser.add_argument("--threads", type=int_at_least(1), default=None,
                        help="kernel threads per task (default 1; --scheduler none: "
                             "phasegrad's default)")
    parser.add_argument("--chunk", type=int_at_least(1), default=64,
                        help="problems per task (default 64)")
    parser.add_argument("--defocus", type=float_list, metavar="D,D,...",
                        help="defocus of each plane: waves RMS of the Noll-4 mode (required "
                             "with more than one plane)")
    parser.add_argument("--pupil-size", type=int_at_least(4), metavar="N",
                        help="pupil diameter in pixels (default M / pad)")
    parser.add_argument("--pad", type=int_at_least(1), default=2,
                        help="image size / pupil size (default 2, Nyquist)")
    parser.add_argument("--obscuration", type=float_at_least(0.0), default=0.0,
                        help="central obscuration as a fraction of the diameter (default 0)")
    parser.add_argument("--modes", type=int_at_least(1), default=14,
                        help="Zernike modes from Noll index 2 (default 14)")
    parser.add_argument("--detector", choices=("quadratic", "linear"), default="quadratic",
                        help="detector model (default quadratic: gain, background and "
                             "non-linearity per problem)")
    parser.add_argument("--method", choices=tuple(METHODS), default="lbfgs",
                        help="lbfgs: L-BFGS on the exact gradient, every chunk in lockstep "
                             "(default); lm: Levenberg-Marquardt (dense), in lockstep too")
    parser.add_argument("--maxiter", type=int_at_least(1), default=None,
                        help="iterations per problem (default 200 for lbfgs, 100 for lm)")
    parser.add_argument("--out", metavar="DIR", default="phasegrad-out/retrieve-many",
                        help="folder for results.zarr and summary.json (default "
                             "phasegrad-out/retrieve-many)")
    parser.add_argument("--force", action="store_true",
                        help="discard a results.zarr of an earlier run (default: resume it)")
    add_quiet_option(parser, default=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def geometry(shape, defocus, pupil_size, pad, obscuration, modes, detector):
    """The shared model options for frames of ``shape`` (P, M, M); DataError when the data
    and the description disagree."""
    from ..pupils import circular_pupil, zernike_basis

    planes, size = shape[0], shape[-1]
    if shape[-2] != size:
        raise DataError(f"the frames must be square; got {shape[-2]}x{size}")
    if defocus is None:
        if planes > 1:
            raise DataError(f"the problems have {planes} planes: give their defocus with "
                            "--defocus (waves of the Noll-4 mode, one value per plane)")
        defocus = [0.0]
    defocus = np.asarray(defocus, dtype=np.float64)
    if defocus.shape != (planes,):
        raise DataError(f"{defocus.size} defocus value(s) for {planes} plane(s) of data")
    if pupil_size is None:
        if size % pad:
            raise DataError(f"the images are {size} pixels wide, not a multiple of --pad "
                            f"{pad}; give --pupil-size")
        pupil_size = size // pad
    if pupil_size * pad < size:
        raise DataError(f"the images are {size}x{size} pixels, more than --pupil-size "
                        f"{pupil_size} x --pad {pad} = {pupil_size * pad}")
    try:
        pupil = circular_pupil(pupil_size, obscuration=obscuration)
        basis = zernike_basis(modes, pupil_size, obscuration=obscuration, first=2)
        mode4 = zernike_basis(1, pupil_size, obscuration=obscuration, first=4)[0]
    except ValueError as error:
        raise DataError(str(error)) from None
    return {"amplitude": pupil / pupil.sum(), "basis": basis,
            "diversity": defocus[:, None, None] * mode4, "pad": pad, "detector": detector}


def starts(stack, options, chunk):
    """Each problem's start (B, n_params): wavefront 0 and, for the quadratic detector,
    (0, flux ratio, median) -- one pass over the stack, a chunk at a time."""
    from ..models import PhaseRetrieval

    shape = stack.shape[1:]
    model = PhaseRetrieval(data=np.zeros(shape), **options)
    x0 = np.zeros((stack.problems, model.n_params))
    if options["detector"] != "quadratic":
        return x0
    unaberrated = model.simulate(np.zeros(model.coefficient_shape), (0.0, 1.0, 0.0)).sum()
    for lo in range(0, stack.problems, chunk):
        frames = stack.read(lo, min(stack.problems, lo + chunk)).astype(np.float64)
        flat = frames.reshape(len(frames), -1)
        with np.errstate(invalid="ignore"):
            background = np.median(flat, axis=1)
            gain = (flat - background[:, None]).sum(axis=1) / unaberrated
        good = np.isfinite(gain) & (gain > 0)
        x0[lo:lo + len(frames), -2] = np.where(good, gain, 1.0)
        x0[lo:lo + len(frames), -1] = np.where(np.isfinite(background), background, 0.0)
    return x0


def run(args):
    """The command: outputs checked, the stack opened and checked, the problems solved chunk
    by chunk into the store, then the summary."""
    from ..arguments.outputs import OutputSet, check_outputs, make_output_folder
    from ..distributed import open_stack, retrieve_many
    from .io import write_json
    from .progress import Progress

    began = time.perf_counter()
    paths = check_outputs(args.out, OUTPUTS, force=True)
    store = Path(args.out) / STORE
    if store.exists() and args.force:
        if not (store / "zarr.json").is_file() and not (store / ".zgroup").is_file():
            raise DataError(f"{store} is not a Zarr store: remove it yourself")
        shutil.rmtree(store)
    try:
        stack = open_stack(args.stack)
    except (OSError, TypeError, ValueError) as error:
        raise DataError(f"{args.stack}: {' '.join(str(error).split())}") from None
    options = geometry(stack.shape[1:], args.defocus, args.pupil_size, args.pad,
                       args.obscuration, args.modes, args.detector)
    x0 = starts(stack, options, args.chunk)
    scheduler = None if args.scheduler == "none" else args.scheduler
    chunks = -(-stack.problems // args.chunk)
    make_output_folder(args.out)
    with Progress(chunks, f"{stack.problems} problems, chunks", quiet=args.quiet) as progress:
        progress.line(f"phasegrad retrieve-many: {stack.problems} problems of shape "
                      f"{stack.shape[1:]} in {chunks} chunks of {args.chunk}; "
                      f"{METHODS[args.method]}; scheduler {args.scheduler}")
        seen = []

        def landed(done, total):
            progress.update()
            seen.append(done)

        try:
            result = retrieve_many(str(args.stack), client=scheduler, chunk=args.chunk,
                                   out=store, method=args.method, maxiter=args.maxiter,
                                   x0=x0, workers=args.workers, threads=args.threads,
                                   progress=landed, **options)
        except ValueError as error:  # the data against the model, or a store of another run
            raise DataError(" ".join(str(error).split())) from None
    failed = result.failed
    summary = {
        "command": "retrieve-many", "stack": str(args.stack), "store": str(store),
        "problems": stack.problems, "frame_shape": list(stack.shape[1:]),
        "options": {"defocus": args.defocus, "pupil_size": args.pupil_size, "pad": args.pad,
                    "obscuration": args.obscuration, "modes": args.modes,
                    "detector": args.detector, "method": args.method,
                    "maxiter": args.maxiter, "chunk": args.chunk,
                    "scheduler": args.scheduler, "workers": args.workers,
                    "threads": args.threads},
        "noll": list(range(2, args.modes + 2)),
        "chunks": chunks, "chunks_computed": len(result.computed),
        "converged": int(result.converged.sum()), "failed": int(failed.size),
        "errors": {int(i): str(result.error[i]) for i in failed[:20]},
        "median_cost": float(np.nanmedian(result.cost)) if failed.size < stack.problems
        else None,
        "seconds": time.perf_counter() - began,
        "problems_per_second": (stack.problems / result.seconds if result.computed
                                and result.seconds > 0 else None)}
    with OutputSet(paths) as outputs, outputs.writing("summary.json") as target:
        write_json(target, summary)
    print(f"phasegrad retrieve-many: {summary['converged']} of {stack.problems} converged, "
          f"{failed.size} failed; {len(result.computed)} of {chunks} chunks computed in "
          f"{result.seconds:.2f} s")
    print(f"phasegrad retrieve-many: wrote {store} and {paths['summary.json']}")
    if failed.size:
        first = int(failed[0])
        print(f"phasegrad retrieve-many: error: problem {first}: {result.error[first]}",
              file=sys.stderr)
        return 1
    return 0

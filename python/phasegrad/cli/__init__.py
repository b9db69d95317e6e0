"""The command line: ``python -m phasegrad <command>`` (also installed as ``phasegrad``)."""

from .parser import _find_bench_suite, _Parser, add_bench_arguments, build_parser, main

__all__ = ["_Parser", "_find_bench_suite", "add_bench_arguments", "build_parser", "main"]

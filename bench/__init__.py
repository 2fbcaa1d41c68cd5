"""Benchmarks: our repositories against agno's own db classes and the raw driver, side by side.

Run ``python -m bench --help`` (documented in docs/benchmarks.md). Nothing here is imported by
the library; the package only measures it.
"""

"""``python -m bench``: run the benchmark (see docs/benchmarks.md)."""

import sys

from bench.cli import main

sys.exit(main())

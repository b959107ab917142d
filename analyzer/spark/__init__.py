"""The analyzer past one machine: the rules of ``queries/`` on Apache Spark.

``run_spark_rules(parquet_dir, master=...)`` gives the same ``Findings`` as
``Case.findings()`` from a Parquet export of the case (``Case.export_parquet``). How
each rule runs (its header's ``-- spark:``) is in ``modes``; the design and its cost
are in docs/scale.md. Importing this package does not import pyspark.
"""

from __future__ import annotations

from typing import Any

from .modes import spark_mode


def run_spark_rules(*args: Any, **kwargs: Any) -> Any:
    """``analyzer.spark.engine.run_spark_rules`` (imported on use: it needs pyspark)."""
    from .engine import run_spark_rules as run

    return run(*args, **kwargs)


__all__ = ["run_spark_rules", "spark_mode"]

"""One local SparkSession for the whole test session (starting one takes seconds).

Tests of the Spark engine need pyspark and Java 17+; ``.ci/run`` installs both. Outside
CI, without them, those tests are skipped with the reason; in CI (``CI=true``) a missing
pyspark is an error, never a silent skip.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    missing = None
    try:
        import pyspark  # noqa: F401
    except ImportError:
        missing = "pyspark is not installed (pip install '.[spark]')"
    if missing is None and shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        missing = "no Java runtime (java on PATH or JAVA_HOME)"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Spark tests: {missing}")
        pytest.skip(missing)
    from analyzer.spark.session import get_session

    # small and light: two cores, two shuffle partitions, no UI
    session = get_session("local[2]", {"spark.sql.shuffle.partitions": "2"})
    yield session
    session.stop()

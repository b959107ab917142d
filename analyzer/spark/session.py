"""The SparkSession of the engine: whatever spark-submit set up, else a local one."""

from __future__ import annotations

import os
import sys
from typing import Any

# Settings that keep a local session light (tests, one machine): no UI, few shuffle
# partitions (the work is a handful of name buckets, not thousands of tasks).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "true",
}
# Every session: times in UTC (the canonical tables' zone) and Arrow for Python UDFs.
CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.log.level": "ERROR",
}


def get_session(master: str | None = None, conf: dict[str, str] | None = None) -> Any:
    """The active SparkSession, or a new one on ``master`` (default: ``local[*]``).

    Under ``spark-submit`` the master and resources come from there; ``master`` is for
    running from a shell or a notebook (``local[2]``, ``spark://host:7077``, ``yarn``).
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        from ..errors import InputError

        raise InputError(
            "the Spark engine needs pyspark: pip install 'plan-forensics[spark]' (and Java 17+)"
        ) from exc
    active = SparkSession.getActiveSession()
    if active is not None and master is None:
        return active
    # spark-submit starts the JVM first and says so in PYSPARK_GATEWAY_PORT
    submitted = master is None and "PYSPARK_GATEWAY_PORT" in os.environ
    local = not submitted and (master or "local").startswith("local")
    # executors run the rules in this interpreter's packages (local mode); on a cluster
    # PYSPARK_PYTHON names an environment with plan-forensics installed
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    if local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName("plan-forensics")
    if master:
        builder = builder.master(master)
    for key, value in {**(LOCAL_CONF if local else {}), **CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session

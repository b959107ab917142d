"""How a rule runs on Spark, from its header (``-- spark: ...``); no pyspark needed.

``by qname``  the rule's findings for a set of query names depend only on those names'
              ``dns_queries`` rows (and the control plane): it runs once per name
              bucket on the executors, and the union of the buckets is the whole.
``global``    the rule runs once, in the driver's DuckDB, over the control plane and
              the derived state (whose tables that read ``dns_queries`` are computed
              per name bucket, analyzer.spark.derived); if its own SQL reads
              ``dns_queries``, over the DNS queries of the names the control plane
              names (watched names).
``unsupported: WHY``  the rule cannot run on Spark; the engine refuses it and says why.

Without the key, a rule that does not read ``dns_queries`` is ``global``; one that
reads it must say which (``tables:`` lists it): guessing could silently differ.
"""

from __future__ import annotations

from typing import Literal

from ..errors import RuleError

Mode = Literal["qname", "global", "unsupported"]


def spark_mode(spark: str, tables: tuple[str, ...]) -> tuple[Mode, str]:
    """The mode and, for ``unsupported``, the reason; ``RuleError`` for a bad value."""
    value = " ".join(spark.split())
    if value == "by qname":
        return "qname", ""
    if value == "global":
        return "global", ""
    head, _, why = value.partition(":")
    if head.strip() == "unsupported":
        return "unsupported", why.strip() or "the rule says it cannot run on Spark"
    if value:
        raise RuleError(f"spark: {value!r} is not 'by qname', 'global' or 'unsupported: WHY'")
    if "dns_queries" in tables:
        return "unsupported", (
            "it reads dns_queries but its header declares no '-- spark:' mode "
            "('by qname' or 'global')"
        )
    return "global", ""

"""Design probe (docs/scale.md): can sqlglot carry the rules of queries/ to Spark SQL?

For every statement of the derived files and every rule, transpile DuckDB -> Spark
with sqlglot, then run the result on Spark over the Parquet export of the sample
(tables as temp views). Prints one line per statement: parsed / transpiled / ran on
Spark, and the first error. Needs sqlglot (not a dependency of the project):

    python -m venv /tmp/sg && /tmp/sg/bin/pip install sqlglot
    PYTHONPATH=/tmp/sg/lib/python3.11/site-packages .venv/bin/python \\
        benchmarks/transpile_probe.py EXPORT_DIR
"""

from __future__ import annotations

import sys

import duckdb
import sqlglot

from analyzer import schema
from analyzer.rules import load_rules
from analyzer.spark.session import get_session


def main(export: str) -> None:
    spark = get_session("local[2]")
    for table in schema.TABLES:
        spark.read.parquet(f"{export}/{table.name}").createOrReplaceTempView(table.name)
    ruleset = load_rules()
    items = [
        (f"{p.name}#{i}", s.query)
        for p, text in ruleset.derived
        for i, s in enumerate(duckdb.extract_statements(text), 1)
    ] + [(r.path.name, r.sql) for r in ruleset.rules.values()]
    counts = {"parsed": 0, "transpiled": 0, "ran": 0}
    for name, sql in items:
        stage, error = "parse", ""
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
            counts["parsed"] += 1
            stage = "transpile"
            out = tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE)
            counts["transpiled"] += 1
            stage = "run"
            spark.sql(out).limit(1).collect()
            counts["ran"] += 1
            stage = "ok"
        except Exception as exc:  # the probe reports every failure
            error = " ".join(str(exc).split())[:150]
        print(f"{name:40s} {stage:10s} {error}")
    print(f"{len(items)} statements: {counts}")


if __name__ == "__main__":
    main(sys.argv[1])

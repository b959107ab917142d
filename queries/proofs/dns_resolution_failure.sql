-- id: dns_resolution_failure
-- title: The queries of a DNS failure window
-- tables: findings, dns_queries
-- description: Per dns_resolution_failure finding: the last good answer before it (q0), the
--   first and last failed query (q1, qn), the next good answer (qr), failed/total counts
--   and the endpoint_empty finding that causes it (cause). The Python builder turns them
--   into Let/Then/Therefore.
-- param dns_tolerance_s = 60: how far after the window's start a cause may be logged and
--   still count (clocks differ)
--
WITH d AS (SELECT * FROM {findings} WHERE rule = 'dns_resolution_failure'),
q AS (SELECT q.* FROM dns_queries q WHERE q.qname IN (SELECT endpoint FROM d))
SELECT d.id,
  (SELECT arg_max({'ts': q.ts, 'rcode': q.rcode, 'n': len(q.answers), 'file': q.file,
                   'line': q.line}, (q.ts, q.line)) FROM q
    WHERE q.qname = d.endpoint AND q.ts < d.start AND NOT q.failed) AS q0,
  (SELECT arg_min({'ts': q.ts, 'rcode': q.rcode, 'n': len(q.answers), 'file': q.file,
                   'line': q.line}, (q.ts, q.line)) FROM q
    WHERE q.qname = d.endpoint AND q.ts >= d.start AND q.failed) AS q1,
  (SELECT arg_max({'ts': q.ts, 'rcode': q.rcode, 'n': len(q.answers), 'file': q.file,
                   'line': q.line}, (q.ts, q.line)) FROM q
    WHERE q.qname = d.endpoint AND q.ts <= coalesce(d."end", d.start) AND q.failed) AS qn,
  (SELECT arg_min({'ts': q.ts, 'rcode': q.rcode, 'n': len(q.answers), 'file': q.file,
                   'line': q.line}, (q.ts, q.line)) FROM q
    WHERE q.qname = d.endpoint AND q.ts > coalesce(d."end", d.start) AND NOT q.failed) AS qr,
  (SELECT count(*) FILTER (WHERE q.failed) FROM q WHERE q.qname = d.endpoint
      AND q.ts BETWEEN d.start AND coalesce(d."end", d.start)) AS failed,
  (SELECT count(*) FROM q WHERE q.qname = d.endpoint
      AND q.ts BETWEEN d.start AND coalesce(d."end", d.start)) AS total,
  (SELECT arg_max({'ts': c.start, 'rule': c.rule, 'generation': c.generation,
                   'ev': c.evidence}, c.start) FROM {findings} c
    WHERE c.rule = 'endpoint_empty' AND c.endpoint = d.endpoint
      AND c.start <= d.start + to_seconds($dns_tolerance_s)) AS cause
FROM d

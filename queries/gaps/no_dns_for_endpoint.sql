-- id: no_dns_for_endpoint
-- title: Emptied endpoints no DNS query log mentions
-- tables: findings, dns_queries
-- description: The endpoints an endpoint_empty finding names that no DNS query asks for,
--   with when they first went empty (the no_dns_for_endpoint gap).
--
-- The few emptied names are the hash table; the DNS queries stream past it (a correlated
-- NOT EXISTS built its table from the queries: out of memory at 30M).
WITH emptied AS (
    SELECT endpoint, min(start) AS start FROM {findings}
    WHERE rule = 'endpoint_empty' AND endpoint IS NOT NULL GROUP BY endpoint
), seen AS (
    SELECT DISTINCT q.qname FROM dns_queries q SEMI JOIN emptied e ON q.qname = e.endpoint
)
SELECT endpoint, start FROM emptied ANTI JOIN seen ON seen.qname = emptied.endpoint
ORDER BY start, endpoint

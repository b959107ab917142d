-- id: dns_contradicts_cause
-- title: DNS failures that begin before the deletion said to cause them
-- tables: findings, dns_queries
-- description: The endpoint_empty findings whose DNS failure window began before the
--   deletion by more than the clocks allow (the dns_contradicts_cause gap).
--
-- An emptied endpoint whose DNS failure window began before the deletion (both in
-- corrected time) by more than the bound of the two clocks' order plus a second (DNS
-- logs stamp whole seconds): the DNS evidence contradicts the control-plane cause.
WITH empty AS (
    SELECT id, endpoint, start, json_extract_string(details, '$.deleted_by') AS clock,
           evidence[1] AS ev
    FROM {findings} WHERE rule = 'endpoint_empty'
), dns AS (
    SELECT f.id, f.endpoint, f.start, f."end", f.evidence[1] AS ev,
           (SELECT pf_dns_clock(any_value(q.server), any_value(q.file)) FROM dns_queries q
            WHERE q.file = f.evidence[1].file AND q.line = f.evidence[1].line) AS clock
    FROM {findings} f WHERE f.rule = 'dns_resolution_failure'
), pairs AS (
    SELECT e.id, e.endpoint, e.start AS empty_start, d.start AS first_failed, e.ev, d.ev AS dns_ev,
           pf_secs(pf_corrected_at(d.clock, d.start), pf_corrected_at(e.clock, e.start))
               AS lead_s,
           pf_order_bound_s(e.clock, d.clock, pf_corrected_at(e.clock, e.start)) AS bound_s
    FROM empty e JOIN dns d ON d.endpoint = e.endpoint
     AND d.start <= e.start AND coalesce(d."end", d.start) >= e.start
)
SELECT * FROM pairs WHERE lead_s > bound_s + 1 ORDER BY empty_start, endpoint

-- id: operator_restore
-- title: An operator restored an endpoint by hand
-- severity: info
-- tables: operator_actions
-- description: Every restore_endpoint action, as a finding (an example of a user
--   rule kept outside queries/ and loaded with --rules DIR).
-- param action = "restore_endpoint": the operator action to report
SELECT
    'operator_restore' AS rule,
    'info' AS severity,
    ts AS start,
    NULL AS "end",
    endpoint,
    generation,
    actor AS host,
    format('{} ran {} on {}', actor, action, endpoint) AS summary,
    json_object('note', note, 'order_uncertain', false) AS details,
    [pf_ev(file, line)] AS evidence
FROM operator_actions
WHERE action = $action

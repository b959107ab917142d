-- id: source_counts
-- title: How many rows each source has
-- tables: planner_events, enactor_events, operator_actions, dns_queries, record_changes
-- description: One row: the lines of each source in the case (the missing_source and
--   no_control_plane gaps; a change history is control-plane evidence).
--
SELECT (SELECT count(*) FROM planner_events) AS planner,
       (SELECT count(*) FROM enactor_events) AS enactor,
       (SELECT count(*) FROM operator_actions) AS operator,
       (SELECT count(*) FROM dns_queries) AS dns,
       (SELECT count(*) FROM record_changes) AS changes

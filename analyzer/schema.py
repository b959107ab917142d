"""The canonical tables of a case, defined once.

Users' SQL, notebooks, rules and reports query these names and columns directly, so
they are a public contract (``../shared/spec/log-formats.md``, "Canonical tables").
DDL is generated from these definitions; nothing else in the project spells a
``CREATE TABLE``.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    doc: str = ""


@dataclass(frozen=True)
class Table:
    name: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def ddl(self) -> str:
        cols = ",\n    ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} (\n    {cols}\n)"

    def added_columns_ddl(self) -> list[tuple[str, str]]:
        """(column, DDL adding it) for every nullable column: what a case written by an
        earlier version may lack."""
        return [
            (c.name, f"ALTER TABLE {self.name} ADD COLUMN IF NOT EXISTS {c.name} {c.type}")
            for c in self.columns
            if "NOT NULL" not in c.type and "PRIMARY KEY" not in c.type
        ]


def _c(name: str, type_: str, doc: str = "") -> Column:
    return Column(name, type_, doc)


PROVENANCE = (
    _c("file", "VARCHAR NOT NULL", "path of the source file, relative to the ingested directory"),
    _c("line", "BIGINT NOT NULL", "1-based physical line number in the (decompressed) file"),
)

PLANNER_EVENTS = Table(
    "planner_events",
    "Every Planner log line, whatever its event (other events are kept, not interpreted).",
    (
        _c("ts", "TIMESTAMPTZ", "when the line was written (UTC)"),
        _c("host", "VARCHAR", "planner instance"),
        _c("event", "VARCHAR", "e.g. plan_created"),
        _c("generation", "BIGINT", "plan generation"),
        _c("endpoint_count", "INTEGER", "number of endpoints in the plan"),
        _c("extra", "JSON", "the whole JSON object as logged"),
        *PROVENANCE,
    ),
)

PLANS = Table(
    "plans",
    "One row per plan generation and endpoint, from plan_created lines.",
    (
        _c("generation", "BIGINT NOT NULL", "plan generation"),
        _c("endpoint", "VARCHAR NOT NULL", "DNS name, lower case, no trailing dot"),
        _c("created_at", "TIMESTAMPTZ NOT NULL", "when the plan was written (UTC)"),
        _c("host", "VARCHAR", "planner instance"),
        _c("lbs", "INTEGER", "number of load balancers for the endpoint"),
        _c("ips", "VARCHAR[]", "addresses the plan publishes for the endpoint"),
        _c("weight", "BIGINT", "total weight, when logged"),
        *PROVENANCE,
    ),
)

ENACTOR_EVENTS = Table(
    "enactor_events",
    "Every Enactor logfmt record, with typed columns for the keys the spec names.",
    (
        _c("ts", "TIMESTAMPTZ NOT NULL", "record time (UTC)"),
        _c("level", "VARCHAR", "debug, info, warn, error"),
        _c("host", "VARCHAR NOT NULL", "Enactor instance"),
        _c("event", "VARCHAR NOT NULL", "plan_check, apply_start, endpoint_update, ..."),
        _c("generation", "BIGINT", "plan generation the event concerns"),
        _c("current_generation", "BIGINT", "plan_check/plan_skip: last applied, as read"),
        _c("verdict", "VARCHAR", "plan_check: newer or stale"),
        _c("endpoint", "VARCHAR", "DNS name, lower case, no trailing dot"),
        _c("attempt", "INTEGER", "endpoint_update attempt number"),
        _c("status", "VARCHAR", "endpoint_update: ok|retry|error; lock_acquire: ok|contended"),
        _c("latency_ms", "DOUBLE", "endpoint_update latency"),
        _c("error", "VARCHAR", "endpoint_update error text"),
        _c("change_id", "VARCHAR", "DNS change id"),
        _c("endpoints_ok", "INTEGER", "apply_done"),
        _c("endpoints_failed", "INTEGER", "apply_done"),
        _c("duration_ms", "DOUBLE", "apply_done"),
        _c("applied_generation", "BIGINT", "cleanup_start/plan_delete"),
        _c("keep", "BIGINT", "cleanup_start"),
        _c("holder", "VARCHAR", "lock_acquire: who held the lock"),
        _c("backoff_ms", "DOUBLE", "lock_acquire: back-off after contention"),
        _c("extra", "MAP(VARCHAR, VARCHAR)", "keys the spec does not name, kept as logged"),
        *PROVENANCE,
    ),
)

OPERATOR_ACTIONS = Table(
    "operator_actions",
    "Actions operators took by hand.",
    (
        _c("ts", "TIMESTAMPTZ NOT NULL", "when (UTC)"),
        _c("actor", "VARCHAR", "who acted"),
        _c("action", "VARCHAR NOT NULL", "disable_automation, restore_endpoint, ..."),
        _c("endpoint", "VARCHAR", "DNS name, lower case, no trailing dot"),
        _c("generation", "BIGINT", "plan restored"),
        _c("note", "VARCHAR", "free text"),
        _c("extra", "JSON", "the whole JSON object as logged"),
        *PROVENANCE,
    ),
)

DNS_QUERIES = Table(
    "dns_queries",
    "DNS queries as resolvers logged them, from any supported DNS log format.",
    (
        _c("ts", "TIMESTAMPTZ", "query time (UTC)"),
        _c("qname", "VARCHAR NOT NULL", "query name, lower case, no trailing dot"),
        _c("qtype", "VARCHAR", "A, AAAA, PTR, ..."),
        _c("qclass", "VARCHAR", "IN, CH, ..."),
        _c("rcode", "VARCHAR", "NOERROR, NXDOMAIN, SERVFAIL, ... (null when not logged)"),
        _c("answers", "VARCHAR[]", "answer data (addresses, names), null when not logged"),
        _c("answer_types", "VARCHAR[]", "record type of each answer"),
        _c("failed", "BOOLEAN", "failed to resolve, as the spec defines it (null: unknown)"),
        _c("client", "VARCHAR", "client address"),
        _c("client_port", "INTEGER", "client port"),
        _c("server", "VARCHAR", "resolver, VPC or name server that logged the query"),
        _c("transport", "VARCHAR", "UDP, TCP, ..."),
        _c("source_format", "VARCHAR NOT NULL", "route53_resolver, route53_public, zeek, ..."),
        _c("extra", "JSON", "fields the canonical columns do not hold"),
        *PROVENANCE,
        _c(
            "collected_at",
            "TIMESTAMPTZ",
            "when a collector (syslog, kubectl, Docker, a shipper) "
            "recorded the line, when it wrote a time of its own beside the resolver's",
        ),
    ),
)

RECORD_CHANGES = Table(
    "record_changes",
    "One row per change of a Route 53 ChangeResourceRecordSets batch, from CloudTrail "
    "(change-history.md).",
    (
        _c("ts", "TIMESTAMPTZ NOT NULL", "eventTime of the call (UTC)"),
        _c("actor", "VARCHAR", "assumed role's issuer arn/session, else the arn, else principalId"),
        _c("source_ip", "VARCHAR", "sourceIPAddress"),
        _c("zone_id", "VARCHAR", "hosted zone id, without /hostedzone/"),
        _c("change_id", "VARCHAR", "Route 53 change id, without /change/ (null when it failed)"),
        _c("action", "VARCHAR NOT NULL", "CREATE, UPSERT or DELETE"),
        _c("name", "VARCHAR NOT NULL", "record set name, lower case, no trailing dot"),
        _c("type", "VARCHAR", "A, AAAA, CNAME, ..."),
        _c("set_identifier", "VARCHAR", "setIdentifier of weighted/latency/failover sets"),
        _c("weight", "BIGINT", "weight of a weighted record set"),
        _c("ttl", "BIGINT", "tTL"),
        _c("values", "VARCHAR[]", "resourceRecords[].value"),
        _c("alias_target", "VARCHAR", "aliasTarget.dNSName, lower case, no trailing dot"),
        _c("error_code", "VARCHAR", "errorCode of a failed call (it changed nothing), else null"),
        *PROVENANCE,
        _c(
            "record",
            "BIGINT",
            "0-based index of the event in the file's Records (null: JSON Lines)",
        ),
    ),
)

QUARANTINE = Table(
    "quarantine",
    "Lines that could not be loaded, with the reason. Nothing is dropped silently.",
    (
        _c("file", "VARCHAR NOT NULL", "path relative to the ingested directory"),
        _c("line", "BIGINT", "1-based line number (null for a whole-file problem)"),
        _c("reason", "VARCHAR NOT NULL", "why the line was not loaded"),
        _c("raw", "VARCHAR", "the line as read (invalid UTF-8 replaced; first 2,000 characters)"),
    ),
)

FILES = Table(
    "files",
    "Inventory of every file seen: chain of custody and the counts identity.",
    (
        _c("file", "VARCHAR PRIMARY KEY", "path relative to the ingested directory"),
        _c("root", "VARCHAR", "the directory it was ingested from (absolute)"),
        _c("source", "VARCHAR", "detected source, or null when skipped"),
        _c("status", "VARCHAR NOT NULL", "loaded, appended, partial, unchanged, changed, skipped"),
        _c("message", "VARCHAR", "why it was skipped or what changed"),
        _c("sha256", "VARCHAR", "sha256 of the file's bytes as stored on disk"),
        _c("size", "BIGINT", "bytes on disk"),
        _c("mtime_ns", "BIGINT", "modification time when ingested"),
        _c("compressed", "BOOLEAN", "gzip"),
        _c("content_bytes", "BIGINT", "decompressed bytes consumed (append detection)"),
        _c("content_sha256", "VARCHAR", "sha256 of those bytes"),
        _c("ends_with_newline", "BOOLEAN", "whether the last line loaded was complete"),
        _c("lines", "BIGINT NOT NULL", "physical lines read (records, for a JSON document)"),
        _c("loaded", "BIGINT NOT NULL", "lines loaded into an event table"),
        _c("quarantined", "BIGINT NOT NULL", "lines quarantined"),
        _c("assumed_tz", "VARCHAR", "zone assumed for zone-less timestamps, if any were seen"),
        _c("assumed_year", "INTEGER", "year assumed for year-less timestamps, if any"),
        _c("ingested_at", "TIMESTAMPTZ", "when this file was last ingested"),
        _c("prefix_sha256", "VARCHAR", "sha256 of the first prefix_bytes of content: identity"),
        _c("prefix_bytes", "BIGINT", "bytes the identity covers (4 KiB, or all of a small file)"),
        _c("device", "BIGINT", "device of the file when ingested (a hint to its identity)"),
        _c("inode", "BIGINT", "inode of the file when ingested (a hint to its identity)"),
        _c("deferred_bytes", "BIGINT", "bytes of an unterminated last line not loaded yet"),
    ),
)

META = Table(
    "case_meta",
    "Key/value facts about the case (schema version, creation time).",
    (_c("key", "VARCHAR PRIMARY KEY"), _c("value", "VARCHAR")),
)

EVENT_TABLES: tuple[Table, ...] = (
    PLANNER_EVENTS,
    PLANS,
    ENACTOR_EVENTS,
    OPERATOR_ACTIONS,
    DNS_QUERIES,
    RECORD_CHANGES,
)
TABLES: tuple[Table, ...] = (*EVENT_TABLES, QUARANTINE, FILES, META)
TABLES_BY_NAME = {t.name: t for t in TABLES}

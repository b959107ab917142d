"""The ``change-history`` scenario: a zone with CloudTrail and Resolver query logs only.

No Planner or Enactor: the DNS is written by Terraform, two external-dns deployments,
a clean-up job and a person at the console, as many users' is. Per seed: Terraform
creates the record sets; the clean-up job deletes one that clients use (the name stops
resolving) until a person re-creates it at the console; the two external-dns
deployments fight over another name (A, B, A...); Terraform replaces a record set in
one batch and the clean-up job's failed delete changes nothing (neither empties a
name); reads and other services' events fill the trail. The trail is S3 documents
(one null record among them), or on some seeds one JSON Lines export.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .cloudtrail import (
    ACCOUNT,
    SOURCE_DIR,
    Event,
    Identity,
    RecordSetChange,
    change_id,
    label_changes,
    person,
    write_documents,
)
from .config import Rand, take_options, utc
from .writers import open_out

ZONE_NAME = "shop.example.com"
START = utc("2025-10-20T06:00:00Z")
DURATION = 90 * 60
VPCS = ("vpc-0c1d2e3f4a5b6c7d8", "vpc-0f9e8d7c6b5a4f3e2")
EXTERNAL_DNS_AGENT = "aws-sdk-go/1.55.5 (go1.22.7; linux; amd64) external-dns/"
TERRAFORM = Identity(
    role="terraform-apply",
    session="tf-run-4172",
    ip="10.30.2.8",
    agent="APN/1.0 HashiCorp/1.0 Terraform/1.9.5",
)
JANITOR = Identity(
    role="dns-janitor",
    session="dns-janitor-lambda",
    ip="3.91.22.4",
    agent="Boto3/1.34.11 Python/3.12.2 exec-env/AWS_Lambda_python3.12",
)
BLUE = Identity(
    role="external-dns",
    session="external-dns-blue",
    ip="10.20.9.31",
    agent=EXTERNAL_DNS_AGENT + "0.15.0",
)
GREEN = Identity(
    role="external-dns",
    session="external-dns-green",
    ip="10.20.12.7",
    agent=EXTERNAL_DNS_AGENT + "0.14.2",
)


@dataclass
class _Name:
    name: str
    type: str
    values: list[tuple[float, tuple[str, ...]]]  # (from, values); () = no record
    rate: float  # queries per second, all VPCs


def _n(label: str) -> str:
    return f"{label}.{ZONE_NAME}"


def _ip(r: Rand, prefix: str) -> str:
    return f"{prefix}.{r.int(0, 255)}.{r.int(1, 254)}"


def simulate_change_history(out: Path, seed: int, **options: Any) -> dict[str, Any]:
    """Write the scenario's logs under ``out``; returns files, labels and line counts."""
    o = take_options(options, {"jsonl": None})
    r = Rand(seed, "change-history")
    jsonl = r.chance(0.3) if o["jsonl"] is None else bool(o["jsonl"])
    t0 = START + r.uniform(5, 60)
    api, www, chk, static = (_n(x) for x in ("api", "www", "checkout", "static"))
    v = {n: (_ip(r, "52.94"), _ip(r, "52.94")) for n in (api, www, chk, static)}
    v6 = (f"2600:1f18:2a4:{r.int(0, 0xFFFF):x}::{r.int(1, 0xFFFF):x}",)
    ev: list[Event] = [
        Event(
            t0,
            TERRAFORM,
            change_id=change_id(r),
            comment="terraform",
            changes=[RecordSetChange("CREATE", n, "A", v[n], 300) for n in v]
            + [RecordSetChange("CREATE", static, "AAAA", v6, 300)],
        )
    ]
    # the clean-up job deletes the record set api is served from; a person puts it back
    t_del = START + r.uniform(20, 40) * 60
    t_fix = t_del + r.uniform(6, 25) * 60
    ev.append(
        Event(
            t_del,
            JANITOR,
            change_id=change_id(r),
            comment="remove stale records",
            changes=[RecordSetChange("DELETE", api, "A", v[api], 300)],
        )
    )
    ev.append(
        Event(
            t_fix,
            person(r.choice(("alice", "bob.ops"))),
            change_id=change_id(r),
            changes=[RecordSetChange("CREATE", api, "A", v[api], 300)],
        )
    )
    # Terraform replaces www's addresses in one batch; the job's delete of www fails
    t_tf = START + r.uniform(10, 80) * 60
    new_www = (_ip(r, "52.119"),)
    ev.append(
        Event(
            t_tf,
            TERRAFORM,
            change_id=change_id(r),
            changes=[
                RecordSetChange("DELETE", www, "A", v[www], 300),
                RecordSetChange("CREATE", www, "A", new_www, 300),
            ],
        )
    )
    ev.append(
        Event(
            t_del + r.uniform(1, 5),
            JANITOR,
            error="InvalidChangeBatch",
            changes=[RecordSetChange("DELETE", www, "A", ("192.0.2.1",), 300)],
        )
    )
    # two external-dns deployments own checkout: each writes its value back (A, B, A...)
    t_fight = START + r.uniform(15, 60) * 60
    blue, green = v[chk], (_ip(r, "35.71"),)
    chk_values: list[tuple[float, tuple[str, ...]]] = [(t0, v[chk])]
    t = t_fight
    for i in range(r.int(3, 7)):
        who, vals = (GREEN, green) if i % 2 == 0 else (BLUE, blue)
        ev.append(
            Event(
                t,
                who,
                change_id=change_id(r),
                comment="external-dns sync",
                changes=[RecordSetChange("UPSERT", chk, "A", vals, 60)],
            )
        )
        chk_values.append((t, vals))
        t += r.uniform(55, 95)
    ev.append(
        Event(
            t_fight + 30,
            BLUE,
            error="Throttling",
            changes=[RecordSetChange("UPSERT", chk, "A", blue, 60)],
        )
    )
    # reads and other services: counted, not changes
    t = START
    while t < START + DURATION:
        t += r.uniform(20, 90)
        kind = r.int(0, 3)
        who = (BLUE, GREEN, TERRAFORM, JANITOR)[r.int(0, 3)]
        if kind == 0:
            ev.append(Event(t, who, name="ListResourceRecordSets"))
        elif kind == 1:
            ev.append(Event(t, who, name="GetChange"))
        elif kind == 2:
            ev.append(Event(t, who, name="GetObject", source="s3.amazonaws.com"))
        else:
            ev.append(Event(t, who, name="AssumeRole", source="sts.amazonaws.com"))
    ev.sort(key=lambda e: e.t)
    out.mkdir(parents=True, exist_ok=True)
    if jsonl:
        files = _write_jsonl(ev, out, r)
    else:
        files = write_documents(ev, out, r, broken=[r.int(1, len(ev) - 1)])
    labels = label_changes(ev)
    names = [
        _Name(
            api,
            "A",
            [(START, v[api]), (t_del + r.uniform(1, 20), ()), (t_fix + r.uniform(1, 20), v[api])],
            0.5,
        ),
        _Name(www, "A", [(START, v[www]), (t_tf + 1, new_www)], 0.4),
        _Name(chk, "A", [(t + 1, vals) for t, vals in chk_values], 0.3),
        _Name(static, "AAAA", [(START, v6)], 0.2),
    ]
    dns_files, dns_labels = _write_resolver(names, out, Rand(seed, "change-history-dns"))
    labels += dns_labels
    labels.sort(key=lambda f: (f["start"], f["rule"], f["endpoint"] or ""))
    return {"files": {**files, **dns_files}, "labels": labels, "jsonl": jsonl}


def _write_jsonl(events: list[Event], out: Path, r: Rand) -> dict[str, int]:
    """A CloudTrail Lake / Athena export: one event per line, one line cut short."""
    rel = f"{SOURCE_DIR}/exports/{ACCOUNT}-route53-events.jsonl"
    lines: list[str] = []
    torn_at = r.int(1, len(events) - 1)
    for ev in events:
        text = json.dumps(ev.json(r), separators=(",", ":"))
        if len(lines) == torn_at:
            lines.append(text[: len(text) // 2])
        lines.append(text)
        ev.file, ev.line, ev.record = rel, len(lines), None
    with open_out(out / rel, False) as fh:
        fh.write(("\n".join(lines) + "\n").encode())
    return {rel: len(lines)}


def _write_resolver(names: list[_Name], out: Path, r: Rand) -> tuple[dict[str, int], list[dict]]:
    """Route 53 Resolver query logs of the zone's names (and a typo that never resolves)."""
    queries: list[tuple[int, str, str, str, tuple[str, ...]]] = []
    for n in names:
        t = START
        while True:
            t += r.uniform(0, 2 / n.rate)
            if t >= START + DURATION:
                break
            vals = next((v for since, v in reversed(n.values) if since <= t), n.values[0][1])
            queries.append((int(t), n.name, n.type, "NOERROR" if vals else "NXDOMAIN", vals))
    t = START
    while t < START + DURATION:
        t += r.uniform(0, 20)
        queries.append((int(t), "api.shop.exmaple.com", "A", "NXDOMAIN", ()))
    queries.sort(key=lambda q: q[0])
    files: dict[str, list[str]] = {}
    failed: dict[str, list[tuple[int, str, int]]] = {}
    for ts, name, qtype, rcode, vals in queries:
        vpc = VPCS[r.int(0, 1)]
        rel = f"dns/resolver-{vpc}.jsonl"
        lines = files.setdefault(rel, [])
        answers = [{"Rdata": a, "Type": qtype, "Class": "IN"} for a in vals]
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
        lines.append(
            f'{{"version":"1.100000","account_id":"{ACCOUNT}","region":"us-east-1",'
            f'"vpc_id":"{vpc}","query_timestamp":"{stamp}","query_name":"{name}.",'
            f'"query_type":"{qtype}","query_class":"IN","rcode":"{rcode}",'
            f'"answers":{json.dumps(answers, separators=(",", ":"))},'
            f'"srcaddr":"10.20.{r.int(0, 63)}.{r.int(1, 254)}","srcport":"{r.int(1024, 65535)}",'
            f'"transport":"UDP","srcids":{{"instance":"i-0{r.int(0, 16**8):08x}0a1b2c3d"}}}}'
        )
        if rcode != "NOERROR" and name != "api.shop.exmaple.com":
            failed.setdefault(name, []).append((ts, rel, len(lines)))
    for rel, lines in files.items():
        with open_out(out / rel, False) as fh:
            fh.write(("\n".join(lines) + "\n").encode())
    labels = []
    for name, hits in failed.items():
        first, last = min(hits), max(hits)
        labels.append(
            {
                "rule": "dns_resolution_failure",
                "severity": "critical",
                "start": _iso(first[0]),
                "end": _iso(last[0]),
                "endpoint": name,
                "generation": None,
                "host": None,
                "summary": f"{name} fails to resolve",
                "details": {"failed": len(hits)},
                "evidence": [{"file": first[1], "line": first[2]}],
            }
        )
    return {rel: len(lines) for rel, lines in files.items()}, labels


def _iso(sec: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(sec))

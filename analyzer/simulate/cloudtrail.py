"""CloudTrail for simulated Route 53 changes: events, S3 documents, and their labels.

Events follow change-history.md (AWS's documented fields); ``eventTime`` has whole
seconds, as CloudTrail writes it. Files are the S3 delivery: one gzip ``{"Records":
[...]}`` document per 5 minutes under ``AWSLogs/ACCOUNT/CloudTrail/REGION/Y/M/D/``,
records in time order. ``label_changes`` computes the change-history rules' ground
truth from the same list of changes the documents hold, by their definitions.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Rand
from .writers import open_out

ACCOUNT = "381492650173"
REGION = "us-east-1"
ZONE = "Z0193847QX5EXAMPLE"
FILE_SECONDS = 300
SOURCE_DIR = "cloudtrail"
ERROR_MESSAGES = {
    "Throttling": "Rate exceeded",
    "InvalidChangeBatch": "[Tried to delete resource record set but it was not found]",
}


@dataclass(frozen=True)
class Identity:
    """Who called: an assumed role (issuer + session) or an IAM user."""

    role: str | None = None
    session: str | None = None
    user: str | None = None
    ip: str = "10.20.0.10"
    agent: str = "aws-sdk-go-v2/1.30.3"

    @property
    def actor(self) -> str:
        """As the ingestor names it (change-history.md, ``actor``)."""
        if self.role:
            return f"arn:aws:iam::{ACCOUNT}:role/{self.role}/{self.session}"
        return f"arn:aws:iam::{ACCOUNT}:user/{self.user}"

    def json(self) -> dict[str, Any]:
        if self.role:
            return {
                "type": "AssumedRole",
                "principalId": f"AROAVEXAMPLE{len(self.role):04d}:{self.session}",
                "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{self.role}/{self.session}",
                "accountId": ACCOUNT,
                "sessionContext": {
                    "sessionIssuer": {
                        "type": "Role",
                        "principalId": f"AROAVEXAMPLE{len(self.role):04d}",
                        "arn": f"arn:aws:iam::{ACCOUNT}:role/{self.role}",
                        "accountId": ACCOUNT,
                        "userName": self.role,
                    },
                    "attributes": {"mfaAuthenticated": "false"},
                },
            }
        return {
            "type": "IAMUser",
            "principalId": "AIDAVEXAMPLE" + self.user.upper()[:8],  # type: ignore[union-attr]
            "arn": f"arn:aws:iam::{ACCOUNT}:user/{self.user}",
            "accountId": ACCOUNT,
            "userName": self.user,
        }


def enactor_identity(host: str) -> Identity:
    return Identity(role="dns-enactor", session=host, ip="10.20.4.17")


def person(user: str) -> Identity:
    return Identity(user=user, ip="198.51.100.23", agent="AWS Internal")


@dataclass
class RecordSetChange:
    action: str
    name: str
    type: str
    values: tuple[str, ...]
    ttl: int = 60
    set_identifier: str | None = None


@dataclass
class Event:
    """One CloudTrail record; ``changes`` empty for a call that is not a change."""

    t: float
    who: Identity
    name: str = "ChangeResourceRecordSets"
    source: str = "route53.amazonaws.com"
    changes: list[RecordSetChange] = field(default_factory=list)
    change_id: str | None = None
    error: str | None = None
    comment: str | None = None
    file: str = ""
    line: int = 1
    record: int | None = None

    @property
    def ok_change(self) -> bool:
        return self.name == "ChangeResourceRecordSets" and self.error is None

    def json(self, r: Rand) -> dict[str, Any]:
        sec = int(self.t)
        out: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": self.who.json(),
            "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec)),
            "eventSource": self.source,
            "eventName": self.name,
            "awsRegion": REGION,
            "sourceIPAddress": self.who.ip,
            "userAgent": self.who.agent,
        }
        if self.name == "ChangeResourceRecordSets":
            batch: dict[str, Any] = {"changes": [_change_json(c) for c in self.changes]}
            if self.comment:
                batch["comment"] = self.comment
            out["requestParameters"] = {"hostedZoneId": ZONE, "changeBatch": batch}
            if self.error:
                out["errorCode"] = self.error
                out["errorMessage"] = ERROR_MESSAGES.get(self.error, self.error)
                out["responseElements"] = None
            else:
                out["responseElements"] = {
                    "changeInfo": {"id": f"/change/{self.change_id}", "status": "PENDING"}
                }
            out["additionalEventData"] = {"Note": "Do not use to reconstruct hosted zone"}
        elif self.source == "route53.amazonaws.com":
            out["requestParameters"] = {"hostedZoneId": ZONE}
            out["responseElements"] = None
        out["requestID"] = _uuid(r)
        out["eventID"] = _uuid(r)
        out["readOnly"] = self.name != "ChangeResourceRecordSets"
        out["eventType"] = "AwsApiCall"
        out["apiVersion"] = "2013-04-01"
        out["recipientAccountId"] = ACCOUNT
        return out


def _change_json(c: RecordSetChange) -> dict[str, Any]:
    rrs: dict[str, Any] = {"name": c.name + ".", "type": c.type, "tTL": c.ttl}
    if c.set_identifier:
        rrs["setIdentifier"] = c.set_identifier
        rrs["weight"] = 100
    rrs["resourceRecords"] = [{"value": v} for v in c.values]
    return {"action": c.action, "resourceRecordSet": rrs}


def _uuid(r: Rand) -> str:
    h = "".join("0123456789abcdef"[r.int(0, 15)] for _ in range(32))
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def change_id(r: Rand) -> str:
    """A Route 53-style change id: "C" and 13 upper-case letters or digits."""
    return "C" + "".join("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[r.int(0, 35)] for _ in range(13))


def write_documents(
    events: list[Event], out: Path, r: Rand, broken: Iterable[int] = ()
) -> dict[str, int]:
    """Write the events as S3-delivered documents (one per 5 minutes), in time order.

    ``broken``: positions (in time order) before which a record that is not an object
    is inserted (quarantined by the ingestor, with its index). Sets each event's
    ``file`` and ``record``. Returns records written per file (relative to ``out``).
    """
    events.sort(key=lambda e: e.t)
    bad = set(broken)
    files: dict[str, list[Any]] = {}
    for i, ev in enumerate(events):
        start = int(ev.t) // FILE_SECONDS * FILE_SECONDS
        g = time.gmtime(start)
        rel = (
            f"{SOURCE_DIR}/AWSLogs/{ACCOUNT}/CloudTrail/{REGION}/{g.tm_year:04d}/{g.tm_mon:02d}/"
            f"{g.tm_mday:02d}/{ACCOUNT}_CloudTrail_{REGION}_"
            f"{time.strftime('%Y%m%dT%H%MZ', g)}_{zlib.crc32(str(start).encode()):08x}.json.gz"
        )
        recs = files.setdefault(rel, [])
        if i in bad:
            recs.append(None)  # a JSON null in the Records array
        ev.file, ev.record = rel, len(recs)
        recs.append(ev.json(r))
    for rel, recs in files.items():
        with open_out(out / rel, True) as fh:
            fh.write(json.dumps({"Records": recs}, separators=(",", ":")).encode())
    return {rel: len(recs) for rel, recs in files.items()}


# -- ground truth -----------------------------------------------------------------------------
def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(t)))


def _ev(e: Event) -> dict[str, Any]:
    item: dict[str, Any] = {"file": e.file, "line": e.line}
    return item | ({"record": e.record} if e.record is not None else {})


def label_changes(events: list[Event], window_s: float = 3600) -> list[dict[str, Any]]:
    """``record_set_emptied`` and ``conflicting_writers`` labels, by their definitions."""
    out: list[dict[str, Any]] = []
    sets: dict[tuple[str, str, str | None], bool] = {}
    serving: dict[tuple[str, str], int] = {}
    open_: dict[tuple[str, str], dict[str, Any]] = {}
    history: dict[tuple[str, str, str | None], list[tuple[Event, tuple[str, ...]]]] = {}
    for e in sorted(
        (e for e in events if e.ok_change), key=lambda e: (e.t, e.file, e.line, e.record or 0)
    ):
        after: dict[tuple[str, str, str | None], bool] = {}
        deletes: set[tuple[str, str, str | None]] = set()
        for c in e.changes:
            key = (c.name, c.type, c.set_identifier)
            after[key] = after.get(key, False) or c.action != "DELETE"
            if c.action == "DELETE":
                deletes.add(key)
            else:
                history.setdefault(key, []).append((e, tuple(sorted(c.values))))
        for key, exists in after.items():
            if key not in sets:  # first seen being deleted: it existed before the logs
                sets[key] = key in deletes and not exists
                serving[key[:2]] = serving.get(key[:2], 0) + sets[key]
        touched = {k[:2] for k in after}
        before = {nt: serving.get(nt, 0) for nt in touched}
        for key, exists in after.items():
            serving[key[:2]] += int(exists) - int(sets[key])
            sets[key] = exists
        for nt in sorted(touched):
            if before[nt] > 0 and serving[nt] == 0 and nt[1] in ("A", "AAAA", "CNAME"):
                label = {
                    "rule": "record_set_emptied",
                    "severity": "critical",
                    "start": _iso(e.t),
                    "end": None,
                    "endpoint": nt[0],
                    "generation": None,
                    "host": e.who.actor,
                    "summary": f"{nt[0]} lost its last {nt[1]} record set",
                    "details": {"type": nt[1], "change_id": e.change_id},
                    "evidence": [_ev(e)],
                }
                out.append(label)
                open_[nt] = label
            elif serving[nt] > 0 and nt in open_:
                open_.pop(nt)["end"] = _iso(e.t)
    for key, seq in history.items():
        out.extend(_fights(key, seq, window_s))
    return out


def _fights(
    key: tuple[str, str, str | None], seq: list[tuple[Event, tuple[str, ...]]], window_s: float
) -> list[dict[str, Any]]:
    flips = []  # (replaced, replacing, reverts): a value of another actor replaced
    for i in range(1, len(seq)):
        (p, pv), (c, cv) = seq[i - 1], seq[i]
        if c.who.actor != p.who.actor and cv != pv:
            back = i >= 2 and (seq[i - 2][0].who.actor, seq[i - 2][1]) == (c.who.actor, cv)
            flips.append((seq[i - 1], seq[i], back))
    fights: list[list[tuple[Any, Any, bool]]] = []
    for f in flips:
        if fights and f[1][0].t - fights[-1][-1][1][0].t <= window_s:
            fights[-1].append(f)
        else:
            fights.append([f])
    out = []
    for fight in fights:
        if len(fight) < 2 or not any(back for _, _, back in fight):
            continue
        first, last = fight[0][0][0], fight[-1][1][0]
        actors = sorted(
            {p[0].who.actor for p, _, _ in fight} | {c[0].who.actor for _, c, _ in fight}
        )
        out.append(
            {
                "rule": "conflicting_writers",
                "severity": "high",
                "start": _iso(first.t),
                "end": _iso(last.t),
                "endpoint": key[0],
                "generation": None,
                "host": first.who.actor,
                "summary": f"{len(actors)} writers fight over {key[0]}",
                "details": {"flips": len(fight), "actors": actors},
                "evidence": [_ev(first), _ev(last)],
            }
        )
    return out


# -- the Enactors' changes ----------------------------------------------------------------------
def enactor_trail(system: Any, seed: int, out: Path) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """CloudTrail for a simulated control plane (``simulate(..., cloudtrail=True)``).

    Every ``endpoint_update status=ok`` is an UPSERT by the Enactor's assumed role
    (session name = host) with the change id of its line; a clean-up that deletes a live
    plan deletes the endpoint's record sets; an operator restore is a console UPSERT;
    on some seeds a person also touches an endpoint's TTL at the console (an out-of-band
    change). Returns the files written and the change-history rules' labels.
    """
    cfg, r = system.cfg, Rand(seed, "cloudtrail")

    def sets(action: str, ep: str, gen: int) -> list[RecordSetChange]:
        pe = system.plans[gen].endpoints[ep]
        out = [RecordSetChange(action, ep, "A", pe.ips4)]
        if pe.ips6:
            out.append(RecordSetChange(action, ep, "AAAA", pe.ips6))
        return out

    events: list[Event] = []
    for u in system.updates:
        if u.status == "ok":
            cid = u.record.fields["change_id"]
            events.append(
                Event(
                    u.t,
                    enactor_identity(u.host),
                    changes=sets("UPSERT", u.endpoint, u.gen),
                    change_id=cid,
                )
            )
    for d in system.deletes:
        for ep in d.live:
            events.append(
                Event(
                    d.t,
                    enactor_identity(d.host),
                    changes=sets("DELETE", ep, d.gen),
                    change_id=change_id(r),
                )
            )
    for ep, hist in system.history.items():
        for ch in hist:
            if ch.host is None:  # an operator's restore
                who = person(str(ch.record.fields.get("actor", "operator")))
                events.append(
                    Event(ch.t, who, changes=sets("UPSERT", ep, ch.gen), change_id=change_id(r))
                )
    if r.chance(0.5) and system.history:
        ep = r.choice(sorted(system.history))
        t = cfg.start + r.uniform(0.3, 0.7) * (cfg.end - cfg.start)
        gen = _gen_at(system, ep, t)
        if gen is not None and system.plans[gen].deleted is None:
            tweak = [
                RecordSetChange("UPSERT", ep, c.type, c.values, 300)
                for c in sets("UPSERT", ep, gen)
            ]
            events.append(
                Event(t, person("carol"), changes=tweak, change_id=change_id(r), comment="ttl")
            )
    t = cfg.start
    while t < cfg.end:
        t += r.uniform(60, 400)
        events.append(
            Event(t, enactor_identity(r.choice(cfg.enactors)), name="ListResourceRecordSets")
        )
    files = write_documents(events, out, r)
    labels = label_changes(events)
    labels += _unlogged(system, events)
    return files, labels


def _gen_at(system: Any, ep: str, t: float) -> int | None:
    gen = None
    for when, g in system.timeline[ep]:
        if when > t:
            break
        gen = g if g >= 0 else None
    return gen


def _unlogged(system: Any, events: list[Event]) -> list[dict[str, Any]]:
    """Changes of an endpoint an Enactor log covers, by someone who is not an Enactor."""
    cfg = system.cfg
    cover: dict[str, list[float]] = {}
    for u in system.updates:
        lt = (round((u.record.t + cfg.skew.get(u.host, 0.0)) * 1_000_000) // 1000) / 1000
        lo, hi = cover.get(u.endpoint, [lt, lt])
        cover[u.endpoint] = [min(lo, lt), max(hi, lt)]
    out = []
    for e in events:
        if not e.ok_change or e.who.role == "dns-enactor":
            continue
        for name in sorted({c.name for c in e.changes}):
            lo, hi = cover.get(name, [1.0, 0.0])
            if lo <= int(e.t) <= hi:
                out.append(
                    {
                        "rule": "unlogged_change",
                        "severity": "medium",
                        "start": _iso(e.t),
                        "end": None,
                        "endpoint": name,
                        "generation": None,
                        "host": e.who.actor,
                        "summary": f"{e.who.actor} changed {name} out of band",
                        "details": {"change_id": e.change_id},
                        "evidence": [_ev(e)],
                    }
                )
    return out

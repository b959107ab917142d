"""VPC resolvers with caches, and their Route 53 Resolver query logs, built as columns.

Each (VPC, name, type) is a stream of client queries (Poisson, or an exact total in
scale mode). A resolver answers from its cache; on a miss it asks the authoritative
state of the endpoint at that instant (the model's timeline) and caches the answer for
the positive TTL, or an empty answer for the negative TTL. An empty endpoint answers
NOERROR with no record (NODATA), as in the real event. Only cache misses run in a
Python loop; every line is assembled with polars string columns and written in blocks.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from .config import Config, Rand, Vpc
from .model import System
from .writers import insert_positions, iso_s, open_out, torn

BLOCK = 1_000_000
_EMPTY = 0  # answer id of "[]"


@dataclass
class DnsQueries:
    """The endpoint queries (not the background ones), as the labels need them."""

    names: list[str]
    files: list[str]
    name: np.ndarray
    ts: np.ndarray
    failed: np.ndarray
    file: np.ndarray
    line: np.ndarray
    total: int  # every query line written (background names included, broken lines not)


@dataclass
class _Stream:
    vpc: int
    kind: str  # "ep" or "bg"
    index: int  # endpoint or background index
    qtype: str
    rate: float


def _answer(rtype: str, rdata: str) -> str:
    return f'[{{"Rdata":"{rdata}","Type":"{rtype}","Class":"IN"}}]'


class _Answers:
    """Interned answer sections: the same few strings serve millions of lines."""

    def __init__(self) -> None:
        self.table = ["[]"]
        self._ids: dict[tuple[str, str], int] = {}

    def id(self, rtype: str, rdata: str) -> int:
        key = (rtype, rdata)
        if key not in self._ids:
            self._ids[key] = len(self.table)
            self.table.append(_answer(rtype, rdata))
        return self._ids[key]


def _streams(cfg: Config) -> list[_Stream]:
    total_w = sum(v.weight for v in cfg.dns.vpcs)
    out: list[_Stream] = []
    for vi, vpc in enumerate(cfg.dns.vpcs):
        share = vpc.weight / total_w
        for i, ep in enumerate(cfg.endpoints):
            if ep.a_rate > 0:
                out.append(_Stream(vi, "ep", i, "A", ep.a_rate * share))
            if ep.dual_stack and ep.aaaa_rate > 0:
                out.append(_Stream(vi, "ep", i, "AAAA", ep.aaaa_rate * share))
        for j, bg in enumerate(cfg.dns.background):
            out.append(_Stream(vi, "bg", j, bg.qtype, bg.rate * share))
    return out


def _counts(cfg: Config, streams: list[_Stream], rng: np.random.Generator) -> np.ndarray:
    rates = np.array([s.rate for s in streams])
    if cfg.dns.total_lines is not None:
        return rng.multinomial(cfg.dns.total_lines, rates / rates.sum())
    return rng.poisson(rates * (cfg.end - cfg.start))


def _resolve(
    times: np.ndarray,
    name: str,
    rtype: str,
    system: System,
    answers: _Answers,
    picks: np.ndarray,
) -> np.ndarray:
    """Answer ids of an endpoint stream: one authoritative look-up per cache miss."""
    cfg = system.cfg
    timeline = system.timeline[name]
    tl_t = [t for t, _ in timeline]
    ans = np.empty(len(times), dtype=np.int32)
    ids_of: dict[int, list[int]] = {}
    i = k = 0
    n = len(times)
    while i < n:
        f = float(times[i])
        gen = timeline[bisect.bisect_right(tl_t, f) - 1][1]
        ids = ids_of.get(gen) if gen >= 0 else None
        if gen >= 0 and ids is None:
            pe = system.plans[gen].endpoints[name]
            ids = [answers.id(rtype, ip) for ip in (pe.ips4 if rtype == "A" else pe.ips6)]
            ids_of[gen] = ids
        if ids:
            a, ttl = ids[int(picks[k] * len(ids))], cfg.dns.positive_ttl
        else:
            a, ttl = _EMPTY, cfg.dns.negative_ttl
        k += 1
        j = int(np.searchsorted(times, f + ttl, side="left"))
        ans[i:j] = a
        i = j
    return ans


@dataclass
class _Clients:
    addr: list[str]
    instance: list[str]
    ptr_name: list[str]
    ptr_answer: list[str]


def _clients(vpc: Vpc, r: Rand) -> _Clients:
    addr, inst = [], []
    for _ in range(vpc.clients):
        addr.append(f"{vpc.subnet}.{r.int(0, 63)}.{r.int(4, 250)}")
        inst.append("i-0" + "".join(r.choice("0123456789abcdef") for _ in range(16)))
    ptr_name = [".".join(reversed(a.split("."))) + ".in-addr.arpa." for a in addr]
    ptr_answer = [_answer("PTR", "ip-" + a.replace(".", "-") + ".ec2.internal.") for a in addr]
    return _Clients(addr, inst, ptr_name, ptr_answer)


def write_dns(cfg: Config, system: System, out: Path) -> tuple[DnsQueries, dict[str, int]]:
    dns = cfg.dns
    rng = np.random.default_rng(np.random.SeedSequence([cfg.seed, 53]))
    r = Rand(cfg.seed, "dns")
    streams = _streams(cfg)
    counts = _counts(cfg, streams, rng)
    answers = _Answers()
    ep_names = [e.name for e in cfg.endpoints]
    files = [f"dns/resolver-{v.vpc_id}.jsonl" + (".gz" if dns.gzip else "") for v in dns.vpcs]
    n_per_file = [0] * len(files)
    for s, c in zip(streams, counts, strict=True):
        n_per_file[s.vpc] += int(c)
    bad_r = Rand(cfg.seed, "malformed-dns")
    bad_at: list[list[int]] = [[] for _ in files]
    for _ in range(cfg.malformed.dns):
        f = bad_r.int(0, len(files) - 1)
        bad_at[f] = sorted(set(bad_at[f]) | set(insert_positions(n_per_file[f], 1, bad_r)))

    parts: list[tuple[np.ndarray, ...]] = []
    written: dict[str, int] = {}
    for vi, vpc in enumerate(dns.vpcs):
        cl = _clients(vpc, r)
        cols = _vpc_columns(cfg, system, vi, streams, counts, answers, cl, rng)
        n_bad = _write_vpc(out / files[vi], cfg, vpc, cols, answers, cl, bad_at[vi], bad_r)
        written[files[vi]] = len(cols["t"]) + n_bad
        is_ep = cols["kind_ep"]
        idx = np.nonzero(is_ep)[0]
        lines = idx + 1 + np.searchsorted(np.array(bad_at[vi], dtype=np.int64), idx, side="right")
        parts.append(
            (
                cols["src_index"][idx].astype(np.int16),
                cols["ts"][idx],
                cols["ans"][idx] == _EMPTY,
                np.full(len(idx), vi, dtype=np.int16),
                lines.astype(np.int64),
            )
        )
    name, ts, failed, file, line = (np.concatenate([p[k] for p in parts]) for k in range(5))
    queries = DnsQueries(ep_names, files, name, ts, failed, file, line, int(counts.sum()))
    return queries, written


def _vpc_columns(
    cfg: Config,
    system: System,
    vi: int,
    streams: list[_Stream],
    counts: np.ndarray,
    answers: _Answers,
    cl: _Clients,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Every query of one VPC as sorted columns of small integers."""
    span = cfg.end - cfg.start
    n_ep = len(cfg.endpoints)
    chunks: dict[str, list[np.ndarray]] = {k: [] for k in ("t", "name", "qtype", "ans", "rc", "cl")}
    src_index: list[np.ndarray] = []
    kind_ep: list[np.ndarray] = []
    qtypes = ["A", "AAAA", "PTR", "TXT", "MX"]
    for s, c in zip(streams, counts, strict=True):
        if s.vpc != vi or c == 0:
            continue
        c = int(c)
        t = np.sort(cfg.start + rng.random(c) * span)
        client = rng.integers(0, len(cl.addr), c, dtype=np.int32)
        rc = np.zeros(c, dtype=np.int8)
        if s.kind == "ep":
            name = np.full(c, s.index, dtype=np.int32)
            ans = _resolve(t, cfg.endpoints[s.index].name, s.qtype, system, answers, rng.random(c))
        else:
            bg = cfg.dns.background[s.index]
            name = np.full(c, n_ep + s.index, dtype=np.int32)
            if bg.qtype == "PTR":
                name = n_ep + len(cfg.dns.background) + client
                ans = -1 - client  # resolved to the per-client PTR answer below
            elif bg.rcode != "NOERROR" or not bg.rdata:
                ans = np.zeros(c, dtype=np.int32)
                rc[:] = 1
            else:
                ids = np.array([answers.id(bg.qtype, d) for d in bg.rdata], dtype=np.int32)
                ans = ids[rng.integers(0, len(ids), c)]
        chunks["t"].append(t)
        chunks["name"].append(name.astype(np.int32))
        chunks["qtype"].append(np.full(c, qtypes.index(s.qtype), dtype=np.int8))
        chunks["ans"].append(ans.astype(np.int32))
        chunks["rc"].append(rc)
        chunks["cl"].append(client)
        src_index.append(np.full(c, s.index, dtype=np.int32))
        kind_ep.append(np.full(c, s.kind == "ep"))
    if not chunks["t"]:  # a VPC with no queries still gets its (empty) file
        chunks = {k: [np.zeros(0, dtype=np.int32)] for k in chunks}
        src_index, kind_ep = [np.zeros(0, dtype=np.int32)], [np.zeros(0, dtype=bool)]
    cols = {k: np.concatenate(v) for k, v in chunks.items()}
    order = np.argsort(cols["t"], kind="stable")
    cols = {k: v[order] for k, v in cols.items()}
    cols["src_index"] = np.concatenate(src_index)[order]
    cols["kind_ep"] = np.concatenate(kind_ep)[order]
    cols["ts"] = np.floor(cols["t"]).astype(np.int64)
    cols["port"] = rng.integers(1024, 65536, len(order), dtype=np.int32)
    cols["tcp"] = (rng.random(len(order)) < cfg.dns.tcp_share).astype(np.int8)
    return cols


def _write_vpc(
    path: Path,
    cfg: Config,
    vpc: Vpc,
    cols: dict[str, np.ndarray],
    answers: _Answers,
    cl: _Clients,
    bad_at: list[int],
    bad_r: Rand,
) -> int:
    """Write one resolver log in blocks; returns the number of broken lines inserted."""
    n = len(cols["t"])
    names = [e.name + "." for e in cfg.endpoints] + [b.name for b in cfg.dns.background]
    names_tab = pl.Series(names + cl.ptr_name, dtype=pl.String)
    ans_tab = pl.Series(answers.table + cl.ptr_answer, dtype=pl.String)
    n_ans = len(answers.table)
    qtype_tab = pl.Series(["A", "AAAA", "PTR", "TXT", "MX"], dtype=pl.String)
    rcode_tab = pl.Series(["NOERROR", "NXDOMAIN"], dtype=pl.String)
    transport_tab = pl.Series(["UDP", "TCP"], dtype=pl.String)
    addr_tab = pl.Series(cl.addr, dtype=pl.String)
    inst_tab = pl.Series(cl.instance, dtype=pl.String)
    t0 = int(cols["ts"][0]) if n else 0
    t1 = int(cols["ts"][-1]) if n else 0
    ts_tab = pl.Series([iso_s(s) for s in range(t0, t1 + 1)], dtype=pl.String)
    head = (
        f'{{"version":"1.100000","account_id":"{vpc.account_id}","region":"us-east-1",'
        f'"vpc_id":"{vpc.vpc_id}","query_timestamp":"'
    )
    with open_out(path, cfg.dns.gzip, cfg.dns.compresslevel) as fh:
        for lo in range(0, max(n, 1), BLOCK):
            hi = min(n, lo + BLOCK)
            if hi <= lo:
                break
            sl = slice(lo, hi)
            ans = cols["ans"][sl]
            ans = np.where(ans < 0, n_ans + (-1 - ans), ans)
            df = pl.DataFrame(
                {
                    "ts": ts_tab.gather(cols["ts"][sl] - t0),
                    "name": names_tab.gather(cols["name"][sl]),
                    "qtype": qtype_tab.gather(cols["qtype"][sl]),
                    "rcode": rcode_tab.gather(cols["rc"][sl]),
                    "answers": ans_tab.gather(ans),
                    "addr": addr_tab.gather(cols["cl"][sl]),
                    "port": pl.Series(cols["port"][sl]).cast(pl.String),
                    "transport": transport_tab.gather(cols["tcp"][sl]),
                    "instance": inst_tab.gather(cols["cl"][sl]),
                }
            )
            line = df.select(
                pl.concat_str(
                    [
                        pl.lit(head),
                        pl.col("ts"),
                        pl.lit('","query_name":"'),
                        pl.col("name"),
                        pl.lit('","query_type":"'),
                        pl.col("qtype"),
                        pl.lit('","query_class":"IN","rcode":"'),
                        pl.col("rcode"),
                        pl.lit('","answers":'),
                        pl.col("answers"),
                        pl.lit(',"srcaddr":"'),
                        pl.col("addr"),
                        pl.lit('","srcport":"'),
                        pl.col("port"),
                        pl.lit('","transport":"'),
                        pl.col("transport"),
                        pl.lit('","srcids":{"instance":"'),
                        pl.col("instance"),
                        pl.lit('"}}'),
                    ]
                ).alias("line")
            )
            here = [p - lo for p in bad_at if lo <= p < hi]
            if here:
                s = line.get_column("line")
                pieces, prev = [], 0
                for p in here:
                    pieces += [
                        s.slice(prev, p - prev),
                        pl.Series("line", [torn(s[p], bad_r, "json")]),
                    ]
                    prev = p
                pieces.append(s.slice(prev, len(s) - prev))
                line = pl.concat(pieces).to_frame()
            line.write_csv(fh, include_header=False, quote_style="never")
    return len(bad_at)

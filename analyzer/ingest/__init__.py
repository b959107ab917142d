"""Ingestors: one module per log source, and the pipeline that runs them.

``SOURCES`` is the registry the pipeline recognises files with; a new source is a
module with a ``SOURCE`` and one line here.
"""

from __future__ import annotations

from . import (
    bind,
    cloudtrail,
    collector,
    coredns,
    dnsmasq,
    enactor,
    gcp_dns,
    operator,
    planner,
    powerdns,
    route53_public,
    route53_resolver,
    suricata,
    unbound,
    windows_dns,
    zeek,
)
from .base import Source

SOURCES: tuple[Source, ...] = (
    planner.SOURCE,
    operator.SOURCE,
    enactor.SOURCE,
    route53_resolver.SOURCE,
    route53_public.SOURCE,
    zeek.SOURCE,
    bind.SOURCE,
    coredns.SOURCE,
    dnsmasq.SOURCE,
    unbound.SOURCE,
    windows_dns.SOURCE,
    powerdns.SOURCE,
    gcp_dns.SOURCE,
    suricata.SOURCE,
    cloudtrail.SOURCE,
)
# Text DNS formats inside a collector's JSON (Docker json-file, log shippers). First: a
# wrapped line may also match its format's own recogniser, which searches the raw text.
SOURCES = (
    collector.wrapped(coredns.SOURCE, prepend_time=True),
    *(
        collector.wrapped(m.SOURCE)
        for m in (bind, dnsmasq, unbound, windows_dns, powerdns, route53_public)
    ),
    *SOURCES,
)

__all__ = ["SOURCES", "Source"]

"""Ingestors: one module per log source, and the pipeline that runs them.

``SOURCES`` is the registry the pipeline recognises files with; a new source is a
module with a ``SOURCE`` and one line here.
"""

from __future__ import annotations

from . import enactor, operator, planner, route53_resolver
from .base import Source

SOURCES: tuple[Source, ...] = (
    planner.SOURCE,
    operator.SOURCE,
    enactor.SOURCE,
    route53_resolver.SOURCE,
)

__all__ = ["SOURCES", "Source"]

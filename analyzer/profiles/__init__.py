"""Source profiles: reading a control plane's own logs as the canonical events.

A profile (a TOML file, ``docs/profiles.md``) says how one kind of Planner, Enactor or
operator log maps onto the events of log-formats.md; ``load_profiles`` validates it
(errors carry ``path:line``), ``to_source`` makes it an ingest source whose parse is
one DuckDB query, and ``explain`` tells what the first lines of a log become.
"""

from __future__ import annotations

from .loader import builtin_profiles, load_profile, load_profiles
from .model import Profile
from .source import to_source

__all__ = ["Profile", "builtin_profiles", "load_profile", "load_profiles", "to_source"]

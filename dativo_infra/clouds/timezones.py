"""IANA time zones, the one rule every cloud's schedules share. Pure Python."""

from __future__ import annotations

import zoneinfo
from functools import cache


@cache
def iana_time_zones() -> frozenset[str]:
    """The IANA tz database names this machine knows (the system database, else the ``tzdata`` package)."""
    return frozenset(zoneinfo.available_timezones())

"""Event ids: ``'<milliseconds>-<sequence>'``, the format of Redis stream ids.

Both backends issue ids of this shape, so ids compare the same way everywhere: numerically, first
by the millisecond part, then by the sequence. Ids come back from clients (``Last-Event-ID``), so
:func:`parse_id` accepts nothing but two bounded runs of ASCII digits.
"""

from __future__ import annotations

import re

__all__ = ('EventKey', 'format_id', 'parse_id')

EventKey = tuple[int, int]
"""A parsed id, ordered like the events it names."""

# 20 digits: a Redis stream id part is an unsigned 64-bit integer.
_ID = re.compile(r'([0-9]{1,20})-([0-9]{1,20})')


def parse_id(event_id: str) -> EventKey | None:
    """The sortable key of ``event_id``, or None when it is not an id of ours."""
    match = _ID.fullmatch(event_id)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2))


def format_id(key: EventKey) -> str:
    """The text form of a parsed id."""
    return f'{key[0]}-{key[1]}'

"""Time zone helpers kept for Falcon compatibility."""

from __future__ import annotations

import datetime
import warnings

from lanner.util.deprecation import DeprecatedWarning

__all__ = ('TimezoneGMT',)

_ZERO = datetime.timedelta(0)


class TimezoneGMT(datetime.tzinfo):
    """GMT time zone (deprecated: use :data:`datetime.timezone.utc`).

    Constructing one emits :class:`~lanner.util.deprecation.DeprecatedWarning`.
    """

    def __init__(self) -> None:
        warnings.warn(
            'TimezoneGMT is deprecated; use datetime.timezone.utc instead.',
            DeprecatedWarning,
            stacklevel=2,
        )

    def utcoffset(self, dt: datetime.datetime | None) -> datetime.timedelta:
        """Return the UTC offset (always zero)."""
        return _ZERO

    def tzname(self, dt: datetime.datetime | None) -> str:
        """Return the zone name, ``'GMT'``."""
        return 'GMT'

    def dst(self, dt: datetime.datetime | None) -> datetime.timedelta:
        """Return the daylight-saving adjustment (always zero)."""
        return _ZERO

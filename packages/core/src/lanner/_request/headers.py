"""Typed request headers: ``content_type``, ``content_length``, dates, ETags, ``range``...

A mixin of :class:`lanner.Request` (and so of :class:`lanner.asgi.Request`). Every property
here reads its header through the two raw primitives the request class defines,
``_raw_header(wsgi_key, lower_name)`` and ``get_header(name, required)``, which the ASGI request
overrides; so each property is written once for both flavours.

Invariants:

* Nothing is parsed until asked for; the parsed properties are memoised (see :mod:`.memo`), the
  raw ones (``accept``, ``auth``...) read the header on each access.
* A malformed value is a 400 ``HTTPInvalidHeader`` carrying Falcon's description; a parsing
  ``ValueError`` never escapes (it would be a 500).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from lanner import request_helpers as helpers
from lanner._request.memo import memoized
from lanner.errors import HTTPInvalidHeader
from lanner.util.misc import http_date_to_dt

if TYPE_CHECKING:
    from lanner.util.structures import ETag

__all__ = ('TypedHeadersMixin',)


class TypedHeadersMixin:
    """The typed header properties and ``get_header_as_int``/``get_header_as_datetime``."""

    __slots__ = ()

    if TYPE_CHECKING:
        # Provided by the request class (and overridden by the ASGI request).
        def _raw_header(self, wsgi_key: str, lower_name: str) -> str | None: ...

        def get_header(
            self, name: str, required: bool = False, default: str | None = None
        ) -> str | None: ...

    @property
    def content_type(self) -> str | None:
        """The raw Content-Type header, or None."""
        return self._raw_header('CONTENT_TYPE', 'content-type')

    @memoized
    def content_length(self) -> int | None:
        """Content-Length as an int (None when missing or empty); 400 when invalid."""
        value = self._raw_header('CONTENT_LENGTH', 'content-length')
        if value is None:
            return None
        try:
            return helpers.parse_content_length(value)
        except helpers.ContentLengthError as err:
            raise HTTPInvalidHeader(err.message, 'Content-Length') from None

    @property
    def accept(self) -> str:
        """The Accept header, or ``'*/*'`` when missing or empty."""
        return self._raw_header('HTTP_ACCEPT', 'accept') or '*/*'

    @property
    def auth(self) -> str | None:
        """The Authorization header (None when missing or empty)."""
        return self._raw_header('HTTP_AUTHORIZATION', 'authorization')

    @property
    def expect(self) -> str | None:
        """The Expect header."""
        return self._raw_header('HTTP_EXPECT', 'expect')

    @property
    def if_range(self) -> str | None:
        """The raw If-Range header."""
        return self._raw_header('HTTP_IF_RANGE', 'if-range')

    @property
    def last_event_id(self) -> str | None:
        """The Last-Event-ID header (Server-Sent Events reconnection)."""
        return self._raw_header('HTTP_LAST_EVENT_ID', 'last-event-id')

    @property
    def referer(self) -> str | None:
        """The Referer header."""
        return self._raw_header('HTTP_REFERER', 'referer')

    @property
    def user_agent(self) -> str | None:
        """The User-Agent header."""
        return self._raw_header('HTTP_USER_AGENT', 'user-agent')

    def _date_header(self, display: str) -> datetime | None:
        # get_header, not _raw_header: an empty date is malformed (400), as in Falcon.
        value = self.get_header(display)
        if value is None:
            return None
        try:
            return http_date_to_dt(value)
        except (ValueError, OverflowError):
            raise HTTPInvalidHeader(
                'It must be formatted according to RFC 7231, Section 7.1.1.1', display
            ) from None

    @memoized
    def date(self) -> datetime | None:
        """The Date header as an aware UTC datetime; 400 when malformed."""
        return self._date_header('Date')

    @memoized
    def if_modified_since(self) -> datetime | None:
        """If-Modified-Since as an aware UTC datetime; 400 when malformed."""
        return self._date_header('If-Modified-Since')

    @memoized
    def if_unmodified_since(self) -> datetime | None:
        """If-Unmodified-Since as an aware UTC datetime; 400 when malformed."""
        return self._date_header('If-Unmodified-Since')

    @memoized
    def if_match(self) -> list[ETag | str] | None:
        """If-Match as a list of ETags (or ``['*']``); None when missing or blank."""
        value = self._raw_header('HTTP_IF_MATCH', 'if-match')
        return None if value is None else helpers.parse_etags(value)

    @memoized
    def if_none_match(self) -> list[ETag | str] | None:
        """If-None-Match as a list of ETags (or ``['*']``); None when missing or blank."""
        value = self._raw_header('HTTP_IF_NONE_MATCH', 'if-none-match')
        return None if value is None else helpers.parse_etags(value)

    @memoized
    def range(self) -> tuple[int, int] | None:
        """The Range header as ``(first, last)``; see the reference docs for the forms."""
        # get_header, not _raw_header: an empty Range is malformed (400), as in Falcon.
        value = self.get_header('Range')
        if value is None:
            return None
        try:
            return helpers.parse_range(value)
        except helpers.RangeError as err:
            raise HTTPInvalidHeader(err.message, 'Range') from None

    @memoized
    def range_unit(self) -> str | None:
        """The unit of the Range header (``'bytes'``), or None when there is no Range."""
        # get_header, not _raw_header: an empty Range is malformed (400), as in Falcon.
        value = self.get_header('Range')
        if value is None:
            return None
        try:
            return helpers.parse_range_unit(value)
        except helpers.RangeError as err:
            raise HTTPInvalidHeader(err.message, 'Range') from None

    def get_header_as_int(self, header: str, required: bool = False) -> int | None:
        """Return a header value converted to int (400 ``HTTPInvalidHeader`` if it is not one)."""
        value = self.get_header(header, required=required)
        if value is None:
            return None
        text = value.strip()
        if text[:1] in ('-', '+'):
            digits = text[1:]
        else:
            digits = text
        if not digits or not (digits.isdigit() and digits.isascii()):
            raise HTTPInvalidHeader('The value of the header must be an integer.', header)
        try:
            return int(text)
        except ValueError:
            raise HTTPInvalidHeader('The value of the header must be an integer.', header) from None

    def get_header_as_datetime(
        self, header: str, required: bool = False, obs_date: bool = False
    ) -> datetime | None:
        """Return an HTTP-date header as an aware UTC datetime (400 when malformed).

        Args:
            header: Header name.
            required: Raise ``HTTPMissingHeader`` when absent.
            obs_date: Also accept the obsolete RFC 850 and asctime formats.
        """
        value = self.get_header(header, required=required)
        if value is None:
            return None
        try:
            return http_date_to_dt(value, obs_date=obs_date)
        except (ValueError, OverflowError):
            raise HTTPInvalidHeader(
                'It must be formatted according to RFC 7231, Section 7.1.1.1', header
            ) from None

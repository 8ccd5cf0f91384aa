"""Redirect statuses: raise one to answer with a ``location`` header and no body.

Each class is an :class:`~lanner.HTTPStatus` that adds a lower-case ``location`` entry to
``headers`` (a dict, created when ``None``; an existing ``location`` key is kept). The location
is sent verbatim, not URI-encoded (unlike ``resp.location``), but it must not contain CR, LF,
NUL, other control characters or characters outside Latin-1: such a value is rejected with
:class:`lanner.UnsafeValueError` (a ``ValueError``; the App answers 400) so it can never split
the header.
"""

from __future__ import annotations

from lanner import status_codes as _sc
from lanner.errors import UnsafeValueError
from lanner.http_status import HTTPStatus
from lanner.response_helpers import validate_header_value

__all__ = (
    'HTTPFound',
    'HTTPMovedPermanently',
    'HTTPPermanentRedirect',
    'HTTPSeeOther',
    'HTTPTemporaryRedirect',
)

_Headers = dict[str, str] | list[tuple[str, str]] | None


def _redirect_headers(location: str, headers: _Headers) -> dict[str, str]:
    if '\r' in location or '\n' in location or '\0' in location:
        raise UnsafeValueError(
            f'Redirect location {location!r} contains CR, LF or NUL; these would split the '
            'header. Percent-encode the location (see lanner.uri.encode).'
        )
    # Other control characters and non-Latin-1 text: refused now rather than when the
    # response is sent.
    validate_header_value('location', location)
    if headers is None:
        headers = {}
    elif not isinstance(headers, dict):
        headers = dict(headers)
    headers.setdefault('location', location)
    return headers


class _Redirect(HTTPStatus):
    """Shared constructor of the redirect classes: ``(location, headers=None)``."""

    _status: str

    def __init__(self, location: str, headers: _Headers = None) -> None:
        super().__init__(self._status, _redirect_headers(location, headers))


class HTTPMovedPermanently(_Redirect):
    """301 Moved Permanently: the resource has a new permanent URI.

    Args:
        location: The URI to redirect to.
        headers: Extra response headers.
    """

    _status = _sc.HTTP_301


class HTTPFound(_Redirect):
    """302 Found: the resource is temporarily at another URI.

    Args:
        location: The URI to redirect to.
        headers: Extra response headers.
    """

    _status = _sc.HTTP_302


class HTTPSeeOther(_Redirect):
    """303 See Other: fetch the result from another URI with GET (e.g. after a POST).

    Args:
        location: The URI to redirect to.
        headers: Extra response headers.
    """

    _status = _sc.HTTP_303


class HTTPTemporaryRedirect(_Redirect):
    """307 Temporary Redirect: repeat the request (same method and body) at another URI.

    Args:
        location: The URI to redirect to.
        headers: Extra response headers.
    """

    _status = _sc.HTTP_307


class HTTPPermanentRedirect(_Redirect):
    """308 Permanent Redirect: like 301, but the method and body must not change.

    Args:
        location: The URI to redirect to.
        headers: Extra response headers.
    """

    _status = _sc.HTTP_308

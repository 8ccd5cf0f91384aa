"""The app-level backstop for request headers: 431 beyond a byte or field-count limit.

Servers are the first line (h11 caps a request head at 16 KiB, gunicorn and wsgiref at 100
fields), but not all of them have one: uvicorn with httptools hands an 8 MiB header, or 100,000
header fields, to the app. ``RequestOptions.max_header_bytes`` and ``max_header_count`` bound
what the App accepts whatever the server, and the App refuses the rest with
**431 Request Header Fields Too Large**.

What is counted:

* ASGI: every ``(name, value)`` pair of ``scope['headers']`` is one field and counts
  ``len(name) + len(value)`` bytes.
* WSGI: the server has already folded repeated fields into one environ key, so a field is one
  ``HTTP_*`` key (plus ``CONTENT_TYPE`` and ``CONTENT_LENGTH``), and it counts the name (without
  the ``HTTP_`` prefix) plus the value. 100,000 repeats of one name are one key whose value is
  far over the byte limit, so they are refused as soon as that value is read.

When and at what cost:

* ASGI: both limits on every request, before any middleware or responder runs. The request
  loop already scans the raw header names (request smuggling defence); the count is ``len()``
  of the list and the bytes are summed in that same scan.
* WSGI, count: on every request, before any middleware or responder runs. ``len(environ)``
  bounds the field count from above (O(1)); only an environ above it is counted exactly
  (:func:`check_wsgi_headers`).
* WSGI, bytes: where header values are read, not on every request (no O(1) bound on the bytes
  exists: the server folded the head into the dict, and summing it cost about 1.3 us a request,
  a quarter of a hello-world request). ``req.get_header()``, and the properties that read one
  header (``content_type``, ``auth``, ``host``, the dates...), compare the length of the one
  value they return to the limit (:func:`header_value_too_large`); building ``req.headers``
  (which iterates the environ anyway) sums the bytes as it goes and compares the total
  (:func:`headers_too_large`). Both raise the 431, which the App answers like any HTTPError.
  A header nobody reads is never refused: the server already parsed it and holds it in memory
  (gunicorn, wsgiref and waitress cap request heads themselves), so refusing it unread would
  protect nothing the app does.

Invariants:
- ASGI: a request within both limits is never refused; one above either is always refused.
- WSGI: a request within both limits is never refused; one above the count limit is always
  refused; one above the byte limit is refused by the first read of an oversized value or of
  ``req.headers``.
- The limits are read from the options on every request (they may change after the App is
  built); ``None`` (no limit) is stored as :data:`NO_LIMIT` so the check stays one comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from lanner.errors import HTTPRequestHeaderFieldsTooLarge

__all__ = (
    'DEFAULT_MAX_HEADER_BYTES',
    'DEFAULT_MAX_HEADER_COUNT',
    'NO_LIMIT',
    'check_asgi_headers',
    'check_header_limit',
    'check_wsgi_headers',
    'header_value_too_large',
    'headers_too_large',
)

#: Total bytes of the request's header fields (names and values) accepted by default.
DEFAULT_MAX_HEADER_BYTES = 64 * 1024
#: Header fields accepted by default.
DEFAULT_MAX_HEADER_COUNT = 100
#: The stored form of "no limit": larger than any request can be.
NO_LIMIT = 1 << 62

# CGI keys that carry request header fields without the HTTP_ prefix (PEP 3333).
_UNPREFIXED = (('CONTENT_TYPE', 12), ('CONTENT_LENGTH', 14))


def check_header_limit(value: int | None, name: str) -> int:
    """Validate a limit assigned to ``RequestOptions.<name>``; return its stored form."""
    if value is None:
        return NO_LIMIT
    if type(value) is not int or value < 1:
        raise ValueError(
            f'RequestOptions.{name} must be a positive int (or None for no limit), got {value!r}.'
        )
    return value


def headers_too_large(count: int, size: int, max_count: int, max_bytes: int) -> None:
    """Raise the 431 if ``count`` fields or ``size`` bytes are beyond the limits."""
    if count > max_count:
        raise HTTPRequestHeaderFieldsTooLarge(
            description=(
                f'The request has {count} header fields; this application accepts at most '
                f'{max_count}. Send fewer (combine repeated fields, or move data to the body).'
            )
        )
    if size > max_bytes:
        raise HTTPRequestHeaderFieldsTooLarge(
            description=(
                f'The request header fields total {size} bytes; this application accepts at '
                f'most {max_bytes}. Send smaller headers (large data belongs in the body).'
            )
        )


def header_value_too_large(name: str, size: int, max_bytes: int) -> None:
    """Raise the 431 for one header value of ``size`` bytes read beyond ``max_bytes`` (WSGI)."""
    raise HTTPRequestHeaderFieldsTooLarge(
        description=(
            f'The request header field {name} is {size} bytes; this application accepts at '
            f'most {max_bytes} bytes of header fields. Send smaller headers (large data '
            'belongs in the body).'
        )
    )


def check_asgi_headers(raw_headers: Iterable[Any], max_count: int, max_bytes: int) -> None:
    """Count an ASGI header list that is not a plain ``list`` (the fast path handles lists)."""
    count = size = 0
    for name, value in raw_headers:
        count += 1
        size += len(name) + len(value)
    headers_too_large(count, size, max_count, max_bytes)


def check_wsgi_headers(env: Mapping[str, Any], max_count: int, max_bytes: int) -> None:
    """Count a WSGI environ's header fields exactly (only when ``len(env)`` exceeded the limit).

    The App passes :data:`NO_LIMIT` as ``max_bytes``: on WSGI the bytes are checked where the
    values are read (see the module docstring).
    """
    count = size = 0
    for key, value in env.items():
        if key.startswith('HTTP_'):
            count += 1
            size += len(key) - 5 + (len(value) if isinstance(value, str) else 0)
    for key, name_length in _UNPREFIXED:
        value = env.get(key)
        if isinstance(value, str) and value:
            count += 1
            size += name_length + len(value)
    headers_too_large(count, size, max_count, max_bytes)

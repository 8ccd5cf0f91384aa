"""Validation of what a WebSocket connection puts on the wire or accepts from it.

Everything here is called with values supplied by application code (close codes, reasons,
subprotocols, handshake headers) or by the peer (message payloads). Values that reach the wire are
checked strictly: a handshake header or subprotocol carrying CR, LF or NUL would let a caller
inject headers into the handshake response.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import re
from typing import Any

from lanner.errors import UnsafeValueError

__all__ = (
    'check_close_code',
    'check_close_reason',
    'check_subprotocol',
    'has_lone_surrogate',
    'normalize_accept_headers',
)

# RFC 6455 section 7.4: 1004-1006 and 1015 are reserved and must never be sent; 1016-2999 are
# reserved for future RFCs (Falcon rejects 1015-1999 and accepts 2000-2999, and so do we);
# anything below 1000 or above 4999 is not a close code at all.
_MAX_REASON_BYTES = 123  # a close frame's payload is at most 125 bytes, 2 of which are the code

# RFC 9110 "token": the characters allowed in a header name and in a subprotocol name.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Header values: visible ASCII, space and tab only (no CR/LF/NUL or other controls).
_FIELD_VALUE = re.compile(r'[\t\x20-\x7e]*')
_LONE_SURROGATE = re.compile('[\ud800-\udfff]')

# Handshake headers the server computes itself; setting them from the app would break the
# handshake (sec-websocket-protocol has its own argument, ``subprotocol``).
_RESERVED_HEADERS = frozenset(('sec-websocket-protocol', 'sec-websocket-accept'))


def check_close_code(code: object) -> int:
    """Return ``code`` if it may be sent in a close frame, else raise ValueError."""
    if type(code) is not int:
        if isinstance(code, bool) or not isinstance(code, int):
            raise ValueError(
                f'Invalid close code {code!r}: a WebSocket close code must be an int such as '
                '1000 (normal closure) or 3000-4999 (application-defined).'
            )
        code = int(code)
    if code < 1000 or 1004 <= code <= 1006 or 1015 <= code <= 1999 or code > 4999:
        raise ValueError(
            f'Invalid close code {code}: use 1000-1003, 1007-1014, 2000-2999 or 3000-4999 '
            '(RFC 6455 reserves the others).'
        )
    return code


def check_close_reason(reason: object) -> str:
    """Return ``reason`` if it fits in a close frame, else raise TypeError/ValueError."""
    if not isinstance(reason, str):
        raise TypeError(f'A close reason must be a str, not {type(reason).__name__}.')
    if len(reason) > _MAX_REASON_BYTES or len(reason.encode('utf-8')) > _MAX_REASON_BYTES:
        raise ValueError(
            f'The close reason is too long ({len(reason.encode("utf-8"))} bytes in UTF-8); a '
            f'close frame has room for at most {_MAX_REASON_BYTES}. Shorten it.'
        )
    return reason


def check_subprotocol(subprotocol: object) -> str:
    """Return ``subprotocol`` if it is a valid subprotocol name, else raise ValueError."""
    if not isinstance(subprotocol, str):
        raise ValueError(
            f'subprotocol must be a str naming one of the subprotocols the client offered '
            f'(see ws.subprotocols), not {type(subprotocol).__name__}.'
        )
    if not _TOKEN.fullmatch(subprotocol):
        raise UnsafeValueError(
            f'Invalid subprotocol {subprotocol!r}: a subprotocol name is an HTTP token (letters, '
            "digits and !#$%&'*+-.^_`|~, no spaces or control characters)."
        )
    return subprotocol


def normalize_accept_headers(headers: object) -> list[tuple[bytes, bytes]]:
    """Turn the ``headers`` argument of ``accept()`` into ASGI header pairs.

    Accepts a mapping or an iterable of ``(name, value)`` pairs of str. Names are lower-cased.

    Raises:
        ValueError: A name or value is not a str, not ASCII, contains control characters, or
            names a header the server must compute itself.
    """
    items: Iterable[Any]
    if isinstance(headers, Mapping):
        items = headers.items()
    elif hasattr(headers, 'items') and callable(headers.items):
        items = headers.items()
    elif isinstance(headers, (str, bytes)) or not isinstance(headers, Iterable):
        raise ValueError(
            'headers must be a dict (or another mapping) or an iterable of (name, value) '
            f'pairs, not {type(headers).__name__}.'
        )
    else:
        items = headers
    pairs: list[tuple[bytes, bytes]] = []
    for item in items:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise ValueError(f'Each header must be a (name, value) pair, not {item!r}.') from None
        if not isinstance(name, str) or not isinstance(value, str):
            raise ValueError(
                f'Header names and values must be str, not {type(name).__name__} and '
                f'{type(value).__name__} ({name!r}).'
            )
        if not _TOKEN.fullmatch(name):
            raise UnsafeValueError(
                f'Invalid header name {name!r}: names must be non-empty ASCII tokens without '
                'spaces or control characters.'
            )
        lowered = name.lower()
        if lowered in _RESERVED_HEADERS:
            hint = (
                'pass the chosen subprotocol as accept(subprotocol=...) instead'
                if lowered == 'sec-websocket-protocol'
                else 'the server computes it from the client handshake'
            )
            raise ValueError(f'The {lowered!r} header cannot be set through headers=; {hint}.')
        if not _FIELD_VALUE.fullmatch(value):
            raise UnsafeValueError(
                f'Invalid value for header {name!r}: values must be printable ASCII (no CR, LF, '
                'NUL or other control characters).'
            )
        pairs.append((lowered.encode('ascii'), value.encode('ascii')))
    return pairs


def has_lone_surrogate(text: str) -> bool:
    """True if ``text`` cannot be encoded as UTF-8 (it carries a lone surrogate).

    A conforming server only ever hands over valid text, but one that decodes frames with
    ``surrogateescape`` would pass invalid UTF-8 through this way.
    """
    # PERF: str.isascii() is a C-level scan that settles almost every message; the regex only
    # runs for text that has non-ASCII characters.
    return not text.isascii() and _LONE_SURROGATE.search(text) is not None

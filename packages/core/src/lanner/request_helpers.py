"""Parsers behind the lazy request properties (cookies, ETags, Range, Content-Length).

Invariants:

* Every function here is pure: it takes the raw header text and returns parsed data or raises.
  None of them knows about WSGI or ASGI, so both Request flavours share them.
* Parsers never raise anything but ``ValueError`` (or its subclasses) for bad input; the request
  turns that into the documented 400 error carrying the header name.
* No regular expression is compiled per call: the few patterns live at module level.
"""

from __future__ import annotations

import re
from typing import Any

from lanner.util.structures import ETag
from lanner.util.uri import parse_host

__all__ = (
    'UNSET',
    'parse_content_length',
    'parse_cookie_header',
    'parse_etags',
    'parse_range',
    'unquote_cookie_value',
)


class _Unset:
    """Marker for "argument not given" where None is a meaningful value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return '<unset>'


#: Sentinel for "argument not given" (``get_media(default_when_empty=...)`` and friends).
UNSET: Any = _Unset()

# RFC 6265 cookie-name = token (RFC 9110): any visible ASCII except separators. Anything else
# (controls, whitespace, separators, non-ASCII) makes the whole pair unusable, so it is skipped.
_COOKIE_NAME_FORBIDDEN = frozenset('()<>@,;:\\"/[]?={} \t\x7f') | frozenset(
    chr(c) for c in range(0x20)
)


def _valid_cookie_name(name: str) -> bool:
    if not name or not name.isascii():
        return False
    # PERF: names are short; a set membership scan is faster than a regex for them.
    return not any(ch in _COOKIE_NAME_FORBIDDEN for ch in name)


def unquote_cookie_value(value: str) -> str:
    """Undo RFC 2109 quoting of a cookie value (``"a\\"b\\073"`` -> ``a"b;``).

    The surrounding double quotes are removed; inside, ``\\ooo`` (three octal digits) stands for
    that character and ``\\x`` for ``x``. A value that is not quoted is returned unchanged.
    """
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]
    if '\\' not in inner:
        return inner
    out: list[str] = []
    i = 0
    n = len(inner)
    while i < n:
        ch = inner[i]
        if ch != '\\' or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        octal = inner[i + 1 : i + 4]
        if len(octal) == 3 and all(c in '01234567' for c in octal):
            out.append(chr(int(octal, 8)))
            i += 4
        else:
            out.append(inner[i + 1])
            i += 2
    return ''.join(out)


def parse_cookie_header(header_value: str) -> dict[str, list[str]]:
    """Parse a ``Cookie`` request header into ``{name: [values in header order]}``.

    Pairs are separated by ``;``. A pair without ``=``, with an empty name, or whose name is not
    a valid token is skipped (browsers send garbage now and then; one bad pair must not hide the
    others). Names are case-sensitive. Values are stripped of surrounding whitespace and
    unquoted when double-quoted.
    """
    cookies: dict[str, list[str]] = {}
    for pair in header_value.split(';'):
        name, sep, value = pair.partition('=')
        if not sep:
            continue
        name = name.strip()
        if not _valid_cookie_name(name):
            continue
        value = unquote_cookie_value(value.strip())
        values = cookies.get(name)
        if values is None:
            cookies[name] = [value]
        else:
            values.append(value)
    return cookies


class ContentLengthError(ValueError):
    """A Content-Length value that is not a non-negative decimal integer."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_content_length(value: str) -> int | None:
    """Parse a Content-Length value; ``''`` (or only whitespace) means absent (``None``).

    Only ASCII decimal digits are accepted (``int()`` alone would also take ``'1_000'``, ``'+5'``
    or Arabic-Indic digits, which no HTTP peer means as a length).

    Raises:
        ContentLengthError: The value is negative or not a number; ``.message`` is the
            description Falcon uses for the 400 response.
    """
    value = value.strip()
    if not value:
        return None
    if value.isdigit() and value.isascii():
        # int() refuses more than sys.get_int_max_str_digits() digits with ValueError, which is
        # the right answer for an absurd length too.
        try:
            return int(value)
        except ValueError:
            pass
        raise ContentLengthError('The value of the header must be a number.')
    if value[0] == '-' and value[1:].isdigit() and value[1:].isascii():
        raise ContentLengthError('The value of the header must be a positive number.')
    raise ContentLengthError('The value of the header must be a number.')


# One entity-tag inside a list: an optional weak marker and a quoted opaque tag. Anything
# between tags (unquoted tags, junk) is skipped, as in Falcon. Linear: no nested repetition.
_LISTED_ETAG = re.compile(r'([Ww]/)?"([^"]*)"')


def parse_etags(value: str) -> list[ETag | str] | None:
    """Parse an ``If-Match`` / ``If-None-Match`` value (Falcon's rules).

    Returns ``None`` for a blank value (or a list without any quoted tag), ``['*']`` for the
    wildcard. A value without a comma is one tag, read by :meth:`ETag.loads` (so an unquoted or
    half-quoted tag is taken verbatim); a comma-separated list yields its quoted tags in header
    order, ``is_weak`` set for ``W/"..."``.
    """
    value = value.strip()
    if not value:
        return None
    if value == '*':
        return ['*']
    if ',' not in value:
        return [ETag.loads(value)]
    tags: list[ETag | str] = []
    for weak, opaque in _LISTED_ETAG.findall(value):
        tag = ETag(opaque)
        tag.is_weak = bool(weak)
        tags.append(tag)
    return tags or None


# Falcon's private spelling, kept because ported code (and Falcon's own suite) imports it from
# this module.
_parse_etags = parse_etags


class RangeError(ValueError):
    """A Range header Falcon's rules refuse; ``.message`` is the 400 description."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _parse_range_int(text: str) -> int:
    text = text.strip()
    if not text or not (text.isdigit() and text.isascii()) or len(text) > 64:
        raise RangeError('It must be a range formatted according to RFC 7233.')
    return int(text)


def parse_range(value: str) -> tuple[int, int]:
    """Parse a ``Range`` value into ``(first, last)``, Falcon style.

    ``bytes=0-499`` -> ``(0, 499)``; ``bytes=500-`` -> ``(500, -1)``; ``bytes=-500`` ->
    ``(-500, -1)``. The unit is not checked here (see :func:`parse_range_unit`).

    Raises:
        RangeError: Missing ``=``, several ranges, last < first, ``-0``, both offsets missing, or
            offsets that are not non-negative integers.
    """
    _, sep, spec = value.partition('=')
    if not sep:
        raise RangeError("The value must be prefixed with a range unit, e.g. 'bytes='")
    if ',' in spec:
        raise RangeError('The value must be a continuous range.')
    first_text, dash, last_text = spec.partition('-')
    if not dash:
        raise RangeError('It must be a range formatted according to RFC 7233.')
    first_text = first_text.strip()
    last_text = last_text.strip()
    if first_text:
        first = _parse_range_int(first_text)
        if not last_text:
            return (first, -1)
        last = _parse_range_int(last_text)
        if last < first:
            raise RangeError('The last offset must be greater than or equal to the first.')
        return (first, last)
    if last_text:
        suffix = _parse_range_int(last_text)
        if suffix == 0:
            raise RangeError('The size of the range must be greater than zero.')
        return (-suffix, -1)
    raise RangeError('The range offsets are missing.')


def parse_range_unit(value: str) -> str:
    """The unit before ``=`` in a Range value (``'bytes'``); RangeError when there is no ``=``."""
    unit, sep, _ = value.partition('=')
    if not sep:
        raise RangeError("The value must be prefixed with a range unit, e.g. 'bytes='")
    return unit.strip()


# Header name -> WSGI environ key. Apps look up a handful of names, so after warm-up every
# ``get_header`` is one dict hit; bounded because names can come from data.
_WSGI_KEYS: dict[str, str] = {}
_WSGI_KEYS_MAX = 512


def header_to_wsgi_key(name: str) -> str:
    """``'X-Foo'`` -> ``'HTTP_X_FOO'``; Content-Type/Length map to their un-prefixed keys."""
    try:
        # PERF: skips upper()/replace()/concatenation for names seen before.
        return _WSGI_KEYS[name]
    except KeyError:
        pass
    key = name.upper().replace('-', '_')
    if key != 'CONTENT_TYPE' and key != 'CONTENT_LENGTH':
        key = 'HTTP_' + key
    if len(_WSGI_KEYS) >= _WSGI_KEYS_MAX:
        _WSGI_KEYS.clear()
    _WSGI_KEYS[name] = key
    return key


def any_to_str(value: Any) -> str:
    """``str(value)`` for the few places that accept arbitrary objects."""
    return value if isinstance(value, str) else str(value)


def split_host(host: str, default_port: int | None) -> tuple[str, int | None]:
    """Split a Host header into ``(host, port)``, never raising.

    A malformed port (not 1-5 digits, or above 65535) is ignored rather than turned into an
    error: ``req.host``/``req.uri`` are read by logging and error handling, which must keep
    working for hostile requests.
    """
    try:
        return parse_host(host, default_port=default_port)
    except ValueError:
        name = host.rpartition(':')[0] if not host.startswith('[') else host
        return (name or host, default_port)

"""Header plumbing shared by the builders and the results: request header normalisation, the
``Cookie`` request header, ``Set-Cookie`` parsing and charset detection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import re
from typing import Any

__all__ = (
    'HeadersArg',
    'ParsedSetCookie',
    'get_encoding_from_headers',
    'header_items',
    'make_cookie_header',
    'merge_headers',
    'parse_set_cookie',
)

HeadersArg = Mapping[str, Any] | Iterable[tuple[str, Any]] | None
"""Request headers as a mapping or an iterable of ``(name, value)`` pairs."""


def header_items(headers: HeadersArg) -> list[tuple[str, str | None]]:
    """Normalise request headers to a list of ``(name, value)`` pairs.

    Raises:
        TypeError: ``headers`` is not a mapping or an iterable of pairs, a name is not a
            ``str``, or a value is neither ``str`` nor ``None``.
    """
    if headers is None:
        return []
    if isinstance(headers, Mapping):
        items: Iterable[Any] = headers.items()
    elif isinstance(headers, (str, bytes)):
        raise TypeError(
            'headers must be a dict or an iterable of (name, value) pairs, not a string.'
        )
    else:
        items = headers
    try:
        iterator = iter(items)
    except TypeError:
        raise TypeError(
            f'headers must be a dict or an iterable of (name, value) pairs, not {headers!r}.'
        ) from None
    result: list[tuple[str, str | None]] = []
    for item in iterator:
        try:
            name, value = item
        except (TypeError, ValueError):
            raise TypeError(
                f'headers must be a dict or an iterable of (name, value) pairs; got {item!r}.'
            ) from None
        if not isinstance(name, str):
            raise TypeError(f'Header names must be str, got {name!r}.')
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f'The value of header {name!r} must be a str (or None), got {value!r}; '
                'convert numbers and dates to strings first.'
            )
        result.append((name, value))
    return result


def merge_headers(defaults: HeadersArg, overrides: HeadersArg) -> list[tuple[str, str | None]]:
    """Default headers overridden, name by name and case-insensitively, by per-call ones."""
    extra = header_items(overrides)
    overridden = {name.lower() for name, _ in extra}
    merged = [(n, v) for n, v in header_items(defaults) if n.lower() not in overridden]
    return merged + extra


def make_cookie_header(cookies: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> str:
    """Build a ``Cookie`` request header value such as ``a=1; b=2``.

    Values may be strings or objects with a ``value`` attribute (``testing.Cookie`` objects
    from ``result.cookies``, or ``http.cookies.Morsel``).
    """
    # Anything with items() counts as a mapping (duck-typed, as Falcon's helper), not only a
    # registered Mapping.
    items_method = getattr(cookies, 'items', None)
    items: Iterable[Any] = items_method() if callable(items_method) else cookies
    parts = []
    for name, cookie in items:
        value = getattr(cookie, 'value', cookie)
        parts.append(f'{name}={value}')
    return '; '.join(parts)


def _parse_params(header_value: str) -> tuple[str, dict[str, str]]:
    main, _, rest = header_value.partition(';')
    params: dict[str, str] = {}
    for piece in rest.split(';'):
        key, sep, value = piece.partition('=')
        if sep:
            params[key.strip().lower()] = value.strip()
    return main.strip().lower(), params


def get_encoding_from_headers(headers: Mapping[str, str]) -> str | None:
    """Guess a response body's character encoding from its ``Content-Type`` header.

    Args:
        headers: The response headers (matched case-insensitively).

    Returns:
        The ``charset`` parameter (quotes stripped) if present; else ``'UTF-8'`` for JSON and
        ``text/event-stream``; else ``'ISO-8859-1'`` for any other ``text`` type; else None.
    """
    content_type = headers.get('content-type')
    if content_type is None:
        for name, value in headers.items():
            if name.lower() == 'content-type':
                content_type = value
                break
    if not content_type:
        return None
    media_type, params = _parse_params(content_type)
    if 'charset' in params:
        return params['charset'].strip('\'"')
    if media_type in ('application/json', 'text/event-stream'):
        return 'UTF-8'
    if 'text' in media_type:
        return 'ISO-8859-1'
    return None


class ParsedSetCookie:
    """One parsed ``Set-Cookie`` header, shaped like an ``http.cookies.Morsel``.

    Attribute lookups (``cookie['max-age']``) are case-insensitive and give ``''`` when the
    attribute is absent; flag attributes (``Secure``, ``HttpOnly``, ``Partitioned``) give
    ``True`` when present.
    """

    __slots__ = ('_attrs', 'key', 'value')

    def __init__(self, key: str, value: str, attrs: dict[str, str | bool]) -> None:
        self.key = key
        self.value = value
        self._attrs = attrs

    def __getitem__(self, name: str) -> str | bool:
        return self._attrs.get(name.lower(), '')

    def get(self, name: str, default: Any = None) -> Any:
        return self._attrs.get(name.lower(), default)


_OCTAL_ESCAPE = re.compile(r'\\([0-3][0-7][0-7])|\\(.)')


def _unquote(value: str) -> str:
    # Response.set_cookie (via http.cookies) quotes values with special characters and
    # escapes backslashes, quotes and non-ASCII as \\ooo octal sequences.
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value
    inner = value[1:-1]

    def replace(match: re.Match[str]) -> str:
        if match.group(1):
            return chr(int(match.group(1), 8))
        return match.group(2)

    unescaped = _OCTAL_ESCAPE.sub(replace, inner)
    try:
        # Octal escapes encode UTF-8 bytes one by one.
        return unescaped.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        return unescaped


def parse_set_cookie(header_value: str) -> ParsedSetCookie | None:
    """Parse one ``Set-Cookie`` header value; ``None`` if it has no ``name=value`` pair."""
    first, *attributes = header_value.split(';')
    name, sep, value = first.partition('=')
    name = name.strip()
    if not sep or not name:
        return None
    attrs: dict[str, str | bool] = {}
    for attribute in attributes:
        attr_name, attr_sep, attr_value = attribute.partition('=')
        key = attr_name.strip().lower()
        if not key:
            continue
        attrs[key] = attr_value.strip() if attr_sep else True
    return ParsedSetCookie(name, _unquote(value.strip()), attrs)

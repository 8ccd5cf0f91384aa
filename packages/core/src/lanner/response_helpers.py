"""Formatting and validation helpers behind the Response header setters, and cookie support.

Invariants:

* Nothing that reaches the wire leaves this module unvalidated: header names must be RFC 9110
  tokens and header values must not contain control characters (CR, LF and NUL in particular)
  or characters outside Latin-1, so no caller can inject a header or split a response.
  Violations raise :class:`lanner.UnsafeValueError` (a ``ValueError``; the App answers 400)
  naming the header and the offending character.
* ``http_cookies`` is a private, extended copy of the stdlib's cookie classes that knows the
  ``Partitioned`` attribute. The stdlib module itself is never modified (no global
  monkeypatching): other code in the process that uses ``http.cookies`` sees stock behaviour.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
import re
import types
from typing import TYPE_CHECKING, Any, ClassVar

from lanner.errors import UnsafeValueError
from lanner.util.misc import dt_to_http, secure_filename
from lanner.util.uri import encode_value

__all__ = (
    'InvalidHeaderError',
    'cookie_module',
    'format_content_disposition',
    'format_etag_header',
    'format_header_value_list',
    'format_range',
    'http_cookies',
    'is_ascii_encodable',
    'validate_header_name',
    'validate_header_value',
)


class InvalidHeaderError(UnsafeValueError):
    """A response header name or value that would be unsafe or invalid on the wire.

    A :class:`ValueError` (through :class:`lanner.UnsafeValueError`), so the App answers 400.
    """


# RFC 9110 token characters.
_TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Field values may contain VCHAR, obs-text, SP and HTAB; every other control is refused.
_BAD_VALUE_CHAR_RE = re.compile(r'[\x00-\x08\x0a-\x1f\x7f]')

# Validated header names: raw name -> lower-case name. Apps use a handful of names, so this stays
# small; it is bounded anyway because names can come from data.
_NAME_CACHE: dict[str, str] = {}
_NAME_CACHE_MAX = 1024


def validate_header_name(name: str) -> str:
    """Return ``name`` lower-cased after checking that it is an RFC 9110 token.

    Raises:
        InvalidHeaderError: The name is empty or contains characters outside a token (for
            example ``:``, spaces, CR or LF).
    """
    try:
        # PERF: a dict hit for every name the app used before; validation runs once per name.
        return _NAME_CACHE[name]
    except (KeyError, TypeError):
        pass
    if not isinstance(name, str):
        raise TypeError(f'Header names must be str, got {type(name).__name__} ({name!r}).')
    if not _TOKEN_RE.fullmatch(name):
        raise InvalidHeaderError(
            f'Invalid header name {name!r}: a header name must be a non-empty token of letters, '
            "digits and !#$%&'*+-.^_`|~ (no spaces, colons or control characters)."
        )
    lower = name.lower()
    if len(_NAME_CACHE) >= _NAME_CACHE_MAX:
        _NAME_CACHE.clear()
    _NAME_CACHE[name] = lower
    return lower


def validate_header_value(name: str, value: str) -> str:
    """Return ``value`` unchanged after checking it can go on the wire safely.

    Only Latin-1 characters are allowed (HTTP header values are bytes; Latin-1 is how lanner
    and every server encode them), and no control character but HTAB.

    Raises:
        InvalidHeaderError: The value contains CR, LF, NUL or another control character, which
            could inject a header or split the response, or a character outside Latin-1, which
            no server can send.
    """
    # PERF: str.isascii() is O(1) in CPython (a flag of the string object) and
    # str.isprintable() is False for every control character (and HTAB), so a printable ASCII
    # value (nearly all of them) costs two C calls and no regular-expression scan.
    if value.isascii():
        if value.isprintable():
            return value
    elif max(value) > '\xff':
        position = next(i for i, char in enumerate(value) if char > '\xff')
        raise InvalidHeaderError(
            f'Invalid value for header {name!r}: it contains the character U+'
            f'{ord(value[position]):04X} at position {position}, outside Latin-1, which cannot '
            'be sent in an HTTP header. Percent-encode the value (lanner.uri.encode_value) or '
            'use an RFC 8187 parameter.'
        )
    match = _BAD_VALUE_CHAR_RE.search(value)
    if match is not None:
        raise InvalidHeaderError(
            f'Invalid value for header {name!r}: it contains the control character '
            f'{match.group()!r} at position {match.start()}. Header values must not contain '
            'CR, LF, NUL or other control characters; remove or encode them (for example with '
            'lanner.uri.encode_value).'
        )
    return value


def is_ascii_encodable(value: str) -> bool:
    """True when ``value`` contains only ASCII characters."""
    return value.isascii()


def format_header_value_list(values: Iterable[Any]) -> str:
    """Join several values for one header with ``', '`` (Cache-Control, Vary)."""
    if isinstance(values, str):
        return values
    return ', '.join(str(v) for v in values)


def format_etag_header(value: str) -> str:
    """Quote an entity-tag unless it already ends with a quote (so ``W/"x"`` passes)."""
    if value.endswith('"'):
        return value
    return f'"{value}"'


def format_range(value: tuple[Any, ...]) -> str:
    """``(start, end, length[, unit])`` -> ``'<unit> start-end/length'`` (unit ``bytes``)."""
    if len(value) == 4:
        start, end, length, unit = value
    elif len(value) == 3:
        start, end, length = value
        unit = 'bytes'
    else:
        raise ValueError(
            'content_range must be a (start, end, length) or (start, end, length, unit) tuple, '
            f'got {value!r}.'
        )
    return f'{unit} {start}-{end}/{length}'


def format_content_disposition(value: str, disposition_type: str = 'attachment') -> str:
    """Content-Disposition for a file name, with an RFC 6266 ``filename*`` when needed.

    Plain ASCII names are sent as a quoted ``filename`` (``"`` and ``\\`` escaped). Names with
    non-ASCII or control characters get a sanitised ASCII ``filename`` fallback plus the exact
    name percent-encoded in ``filename*``, so no file name can break the header.
    """
    if value.isascii() and _BAD_VALUE_CHAR_RE.search(value) is None:
        quoted = value.replace('\\', '\\\\').replace('"', '\\"')
        return f'{disposition_type}; filename="{quoted}"'
    fallback = secure_filename(value)
    return f"{disposition_type}; filename={fallback}; filename*=UTF-8''{encode_value(value)}"


# ---------------------------------------------------------------------------------------------
# Cookies
# ---------------------------------------------------------------------------------------------

_http_cookies: types.ModuleType | None = None

if TYPE_CHECKING:
    #: Drop-in replacement for ``http.cookies`` that knows ``Partitioned`` (see __getattr__).
    http_cookies: types.ModuleType


def _build_http_cookies() -> types.ModuleType:
    """Build the Partitioned-aware ``http_cookies`` namespace (once, on first cookie use).

    The stdlib consults ``self._reserved`` and ``self._flags`` on morsels, so a ``Morsel``
    subclass with extended class attributes adds the attribute without touching the stdlib
    class. ``http.cookies`` itself is imported here rather than at module import: most
    responses never set a cookie.
    """
    import http.cookies as stdlib

    module = types.ModuleType(
        'lanner.http_cookies',
        'The stdlib http.cookies API with Partitioned-aware Morsel and SimpleCookie classes.',
    )
    for name in dir(stdlib):
        if not name.startswith('__'):
            setattr(module, name, getattr(stdlib, name))
    if 'partitioned' in stdlib.Morsel._reserved:  # type: ignore[attr-defined]
        return module  # Python 3.14+ knows it already.

    class Morsel(stdlib.Morsel[str]):
        """A stdlib ``Morsel`` that also knows the ``Partitioned`` flag (CHIPS)."""

        _reserved: ClassVar[dict[str, str]] = {
            **stdlib.Morsel._reserved,  # type: ignore[attr-defined]
            'partitioned': 'Partitioned',
        }
        _flags: ClassVar[set[str]] = {*stdlib.Morsel._flags, 'partitioned'}  # type: ignore[attr-defined]

    class SimpleCookie(stdlib.SimpleCookie):
        """A stdlib ``SimpleCookie`` whose morsels are ``Partitioned``-aware."""

        def __setitem__(self, key: str, value: Any) -> None:
            if isinstance(value, stdlib.Morsel):
                dict.__setitem__(self, key, value)
                return
            real_value, coded_value = self.value_encode(value)
            morsel = self.get(key)
            if morsel is None:
                morsel = Morsel()
            morsel.set(key, real_value, coded_value)
            dict.__setitem__(self, key, morsel)

    Morsel.__module__ = SimpleCookie.__module__ = 'lanner.http_cookies'
    module.Morsel = Morsel  # type: ignore[attr-defined]
    module.SimpleCookie = SimpleCookie  # type: ignore[attr-defined]
    return module


def cookie_module() -> types.ModuleType:
    """The ``http_cookies`` namespace (built on first use)."""
    global _http_cookies
    module = _http_cookies
    if module is None:
        module = _http_cookies = _build_http_cookies()
    return module


def __getattr__(name: str) -> Any:
    # ``http_cookies`` is a drop-in replacement for ``http.cookies`` that knows ``Partitioned``;
    # built lazily so that importing the response machinery does not import http.cookies.
    if name == 'http_cookies':
        return cookie_module()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


_SAME_SITE = {'lax': 'Lax', 'strict': 'Strict', 'none': 'None'}

# Characters that would end or split a cookie attribute (Domain, Path, SameSite) on the wire.
_BAD_ATTR_CHAR_RE = re.compile(r'[\x00-\x1f\x7f;]')


def validate_cookie_attribute(attribute: str, value: str) -> str:
    """Refuse attribute values that would inject another attribute or split the header.

    Raises:
        UnsafeValueError: ``value`` contains ``;`` or a control character, or is not ASCII.
    """
    if not value.isascii() or _BAD_ATTR_CHAR_RE.search(value):
        raise UnsafeValueError(
            f'Invalid cookie {attribute} {value!r}: it must be ASCII without ";" or control '
            'characters (these would inject cookie attributes or break the Set-Cookie header).'
        )
    return value


def normalise_same_site(same_site: str) -> str:
    """``'lax'``/``'strict'``/``'none'`` in any case -> capitalised form.

    Raises:
        UnsafeValueError: Any other string (a ``ValueError``; such a value usually came from
            the request, so the App answers 400 instead of 500).
        TypeError: ``same_site`` is not a string.
    """
    try:
        return _SAME_SITE[same_site.lower()]
    except KeyError:
        raise UnsafeValueError(
            f"same_site must be 'Lax', 'Strict' or 'None' (any case), got {same_site!r}."
        ) from None
    except AttributeError:
        raise TypeError(
            f"same_site must be a string ('Lax', 'Strict' or 'None'), got {same_site!r}."
        ) from None


def format_cookie_expires(expires: datetime) -> str:
    """``Wdy, DD Mon YYYY HH:MM:SS GMT`` in UTC (naive datetimes are taken as UTC)."""
    if expires.tzinfo is not None:
        expires = expires.astimezone(timezone.utc).replace(tzinfo=None)
    return dt_to_http(expires)

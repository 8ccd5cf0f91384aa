"""Small helpers re-exported from ``lanner`` and ``lanner.util``.

Functions that parse input (``http_date_to_dt``, ``http_status_to_code``,
``code_to_http_status``) raise :class:`ValueError` on bad input. Request code that feeds them
client data (``If-Modified-Since``, ``Date`` ...) must map that to a 400.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
import datetime
import functools
import http
import os
import re
import time
import types
from typing import Any
import unicodedata

from lanner import status_codes
from lanner.util.deprecation import deprecated
from lanner.util.uri import encode_value

__all__ = (
    'code_to_http_status',
    'dt_to_http',
    'get_argnames',
    'get_bound_method',
    'http_date_to_dt',
    'http_now',
    'http_status_to_code',
    'is_python_func',
    'secure_filename',
    'to_query_str',
)

_UTC = datetime.timezone.utc

# English names regardless of locale (strftime's %a/%b would follow LC_TIME).
_DAY_NAMES = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_MONTH_NAMES = ('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')
_MONTHS = {name.lower(): index for index, name in enumerate(_MONTH_NAMES, start=1)}
_DAY_RE = '(?:mon|tue|wed|thu|fri|sat|sun)'
_LONG_DAY_RE = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)'
_MONTH_RE = '(' + '|'.join(_MONTHS) + ')'
_TIME_RE = r'([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})'


# PERF: the date patterns are compiled on first use, not at import: most apps never parse
# dates, and compiling these case-insensitive alternations costs about a millisecond.
@functools.lru_cache(maxsize=1)
def _date_patterns() -> tuple[re.Pattern[str], tuple[re.Pattern[str], ...], re.Pattern[str]]:
    flags = re.IGNORECASE | re.ASCII
    # IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" (whitespace and case as lenient as strptime).
    imf_fixdate = re.compile(
        rf'\s*{_DAY_RE},\s*([0-9]{{1,2}})\s+{_MONTH_RE}\s+([0-9]{{4}})\s+{_TIME_RE}\s+GMT\s*',
        flags,
    )
    zone = r'\s+(?:GMT|UTC)\s*'
    # obs-date forms accepted with obs_date=True, tried in this order after IMF-fixdate.
    obs_formats = (
        # "Sun, 06 Nov 1994 08:49:37 UTC"
        re.compile(
            rf'\s*{_DAY_RE},\s*([0-9]{{1,2}})\s+{_MONTH_RE}\s+([0-9]{{4}})\s+{_TIME_RE}{zone}',
            flags,
        ),
        # "Sun, 06-Nov-1994 08:49:37 GMT"
        re.compile(
            rf'\s*{_DAY_RE},\s*([0-9]{{1,2}})-{_MONTH_RE}-([0-9]{{4}})\s+{_TIME_RE}{zone}',
            flags,
        ),
        # RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        re.compile(
            rf'\s*{_LONG_DAY_RE},\s*([0-9]{{1,2}})-{_MONTH_RE}-([0-9]{{2}})\s+{_TIME_RE}{zone}',
            flags,
        ),
    )
    # asctime: "Sun Nov  6 08:49:37 1994" (fields in a different order, handled separately).
    asctime = re.compile(
        rf'\s*{_DAY_RE}\s+{_MONTH_RE}\s+([0-9]{{1,2}})\s+{_TIME_RE}\s+([0-9]{{4}})\s*',
        flags,
    )
    return imf_fixdate, obs_formats, asctime


# Falcon has this private helper here, and ported code (Falcon's own suite too) imports it.
def _utcnow() -> datetime.datetime:
    """Return the current time as a UTC-aware datetime."""
    return datetime.datetime.now(_UTC)


def http_now() -> str:
    """Return the current UTC time as an IMF-fixdate, e.g. ``'Tue, 15 Nov 1994 12:45:26 GMT'``."""
    return _http_date_for_second(int(time.time()))


# PERF: one formatted string per wall-clock second; handy when every response carries a date.
@functools.lru_cache(maxsize=2)
def _http_date_for_second(seconds: int) -> str:
    return dt_to_http(datetime.datetime.fromtimestamp(seconds, _UTC))


def dt_to_http(dt: datetime.datetime) -> str:
    """Format a datetime as an HTTP date (``%a, %d %b %Y %H:%M:%S GMT``).

    No time-zone conversion happens: the datetime's own fields are formatted and ``GMT`` is
    appended, so pass a naive UTC or a UTC-aware datetime.

    Args:
        dt: The datetime to format.

    Returns:
        The HTTP date string, with English day and month names regardless of locale.
    """
    return (
        f'{_DAY_NAMES[dt.weekday()]}, {dt.day:02d} {_MONTH_NAMES[dt.month - 1]} '
        f'{dt.year:04d} {dt.hour:02d}:{dt.minute:02d}:{dt.second:02d} GMT'
    )


def _build_datetime(
    year: int, month_name: str, day: str, hour: str, minute: str, second: str
) -> datetime.datetime:
    try:
        return datetime.datetime(
            year,
            _MONTHS[month_name.lower()],
            int(day),
            int(hour),
            int(minute),
            int(second),
            0,
            _UTC,
        )
    except ValueError as error:
        # Impossible dates such as 31 Feb or 25:00 match the pattern but not the calendar.
        raise ValueError(f'{error} (expected a real calendar date and time).') from None


def http_date_to_dt(http_date: str, obs_date: bool = False) -> datetime.datetime:
    """Parse an HTTP date into an aware UTC datetime.

    Only the IMF-fixdate form ending in ``GMT`` is accepted unless ``obs_date`` is true; then
    the obsolete forms are also tried: ``Sun, 06 Nov 1994 08:49:37 UTC``,
    ``Sun, 06-Nov-1994 08:49:37 GMT``, RFC 850 ``Sunday, 06-Nov-94 08:49:37 GMT`` and asctime
    ``Sun Nov  6 08:49:37 1994`` (all assumed to be UTC).

    Args:
        http_date: The date string.
        obs_date: Also accept the obsolete date formats.

    Returns:
        A timezone-aware datetime in UTC.

    Raises:
        ValueError: The string is not a valid date in an accepted format. Request code parsing
            a client header must map this to a 400 response.
    """
    try:
        parsed = _parse_http_date(http_date, obs_date)
    except ValueError as error:
        raise ValueError(f'{http_date!r} is not a valid HTTP date: {error}') from None
    if parsed is not None:
        return parsed

    expected = 'an IMF-fixdate such as "Sun, 06 Nov 1994 08:49:37 GMT"'
    if obs_date:
        expected += ' (or an RFC 850 / asctime date)'
    raise ValueError(f'{http_date!r} is not a valid HTTP date: expected {expected}.')


def _parse_http_date(http_date: str, obs_date: bool) -> datetime.datetime | None:
    if isinstance(http_date, str):
        imf_fixdate, obs_formats, asctime = _date_patterns()
        match = imf_fixdate.fullmatch(http_date)
        if match is not None:
            day, month, year, hour, minute, second = match.groups()
            return _build_datetime(int(year), month, day, hour, minute, second)

        if obs_date:
            for index, pattern in enumerate(obs_formats):
                match = pattern.fullmatch(http_date)
                if match is None:
                    continue
                day, month, year, hour, minute, second = match.groups()
                full_year = int(year)
                if index == 2:
                    # Two-digit years follow the POSIX strptime rule: 69-99 -> 19xx, else 20xx.
                    full_year += 1900 if full_year >= 69 else 2000
                return _build_datetime(full_year, month, day, hour, minute, second)

            match = asctime.fullmatch(http_date)
            if match is not None:
                month, day, hour, minute, second, year = match.groups()
                return _build_datetime(int(year), month, day, hour, minute, second)
    return None


def to_query_str(
    params: Mapping[str, Any] | None, comma_delimited_lists: bool = True, prefix: bool = True
) -> str:
    """Build a query string from a mapping.

    Names and values are encoded with :func:`~lanner.uri.encode_value`. ``True`` and ``False``
    become ``true`` and ``false``. A list (or tuple) value becomes comma-joined encoded items
    (items are not bool-converted) or, with ``comma_delimited_lists=False``, one ``name=item``
    pair per item (bools converted).

    Args:
        params: The parameters; ``None`` or empty gives ``''``.
        comma_delimited_lists: Join list items with commas instead of repeating the name.
        prefix: Start the result with ``?``.

    Returns:
        The query string, e.g. ``?a=1,2&b=true&c=x%20y``.
    """
    if not params:
        return ''

    pairs: list[str] = []
    for name, value in params.items():
        key = encode_value(str(name))
        if value is True:
            pairs.append(f'{key}=true')
        elif value is False:
            pairs.append(f'{key}=false')
        elif isinstance(value, (list, tuple)):
            if comma_delimited_lists:
                joined = ','.join([encode_value(str(item)) for item in value])
                pairs.append(f'{key}={joined}')
            else:
                for item in value:
                    if item is True:
                        text = 'true'
                    elif item is False:
                        text = 'false'
                    else:
                        text = encode_value(str(item))
                    pairs.append(f'{key}={text}')
        else:
            pairs.append(f'{key}={encode_value(str(value))}')

    query = '&'.join(pairs)
    return '?' + query if prefix else query


_UNSAFE_FILENAME_CHARS = re.compile(r'[^a-zA-Z0-9.\-]')
_WINDOWS_RESERVED_NAMES = frozenset(
    ['CON', 'CONIN$', 'CONOUT$', 'PRN', 'AUX', 'NUL']
    + [f'COM{n}' for n in '123456789']
    + [f'LPT{n}' for n in '123456789']
)


def secure_filename(filename: str, max_length: int | None = None) -> str:
    """Make a user-supplied file name safe to use on the local file system.

    The name is NFKD-normalised; a leading ``.`` becomes ``_``; every character outside
    ``A-Z a-z 0-9 . -`` becomes ``_``. On Windows, reserved device names (``CON``, ``NUL``,
    ``COM1`` ...) are prefixed with ``_``. A truthy ``max_length`` truncates long names, keeping
    the extension when at least one character of the stem still fits.

    Args:
        filename: The untrusted file name.
        max_length: Maximum length of the result; ``None`` or ``0`` means no limit.

    Returns:
        The sanitised name, e.g. ``'../../etc/passwd'`` -> ``'_._.._etc_passwd'``.

    Raises:
        ValueError: ``filename`` is empty, or ``max_length`` is negative and truncation is
            needed. (Multipart parsing maps these to a 400.)
    """
    if not filename:
        raise ValueError('Cannot make an empty file name secure; expected a non-empty string.')

    filename = unicodedata.normalize('NFKD', filename)
    if filename.startswith('.'):
        filename = '_' + filename[1:]
    filename = _UNSAFE_FILENAME_CHARS.sub('_', filename)

    # os.name is read per call (not once at import), so the rule follows the platform the
    # caller reports, as Falcon's does.
    if os.name == 'nt' and filename.split('.', 1)[0].upper() in _WINDOWS_RESERVED_NAMES:
        filename = '_' + filename

    if max_length and len(filename) > max_length:
        if max_length < 0:
            raise ValueError(f'max_length must be positive (or 0 for no limit), not {max_length}.')
        stem, ext = os.path.splitext(filename)
        if max_length - len(ext) >= 1:
            filename = stem[: max_length - len(ext)] + ext
        else:
            filename = filename[:max_length]

    return filename


@functools.lru_cache(maxsize=64, typed=True)
def _checked_status_line(line: str) -> str:
    # The line goes verbatim into start_response / the HTTP status line, so a CR, LF or other
    # control character would let application data forge headers (response splitting).
    if len(line) < 5 or not line[:3].isascii() or not line[:3].isdigit() or line[3] != ' ':
        raise ValueError(
            f'{line!r} is not a valid status line: expected three digits, a space and a reason '
            'phrase, e.g. "404 Not Found".'
        )
    # Anything else a reason phrase may hold (RFC 9110: HTAB, SP, VCHAR, obs-text) is sent as
    # is, as Falcon does; characters beyond Latin-1 cannot be sent at all.
    if any((ord(ch) < 0x20 and ch != '\t') or ord(ch) == 0x7F or ord(ch) > 0xFF for ch in line):
        raise ValueError(
            f'{line!r} is not a valid status line: the reason phrase must not contain CR, LF or '
            'other control characters, and must be Latin-1 text.'
        )
    return line


def code_to_http_status(status: int | str | bytes | http.HTTPStatus) -> str:
    """Normalise a status given as an int, string, bytes or ``http.HTTPStatus`` to a status line.

    A string (or bytes) containing a space is taken to be a status line already and returned
    as is (bytes are decoded as Latin-1). Anything else is converted with ``int()`` and must be
    in 100-999; lanner's phrase is used when one is defined (``418`` -> ``418 I'm a teapot``),
    otherwise ``'<code> Unknown'``. An ``http.HTTPStatus`` uses the standard-library phrase.

    Args:
        status: The status to normalise.

    Returns:
        The status line, e.g. ``'404 Not Found'``.

    Raises:
        ValueError: The status is not an integer in 100-999 or a status line.
    """
    # `typed=True` matters: HTTPStatus.IM_A_TEAPOT == 418 but the two render differently.
    if isinstance(status, http.HTTPStatus):
        return f'{status.value} {status.phrase}'
    if isinstance(status, bytes) and b' ' in status:
        status = status.decode('latin-1')
    if isinstance(status, str) and ' ' in status:
        return _checked_status_line(status)

    try:
        code = int(status)
    except (TypeError, ValueError):
        raise ValueError(
            f'{status!r} is not a valid HTTP status: expected an int in 100-999, '
            'an http.HTTPStatus or a status line such as "404 Not Found".'
        ) from None
    if not 100 <= code <= 999:
        raise ValueError(f'{status!r} is not a valid HTTP status code: expected 100-999.')

    line = getattr(status_codes, f'HTTP_{code}', None)
    return line if isinstance(line, str) else f'{code} Unknown'


def http_status_to_code(status: int | str | bytes | http.HTTPStatus) -> int:
    """Return the integer code of a status given as an int, line, bytes or ``http.HTTPStatus``.

    Ints are returned unchanged (no range check); strings and bytes must start with three
    ASCII digits.

    Args:
        status: The status.

    Returns:
        The integer status code.

    Raises:
        ValueError: The value does not start with a three-digit code, or has another type.
    """
    if isinstance(status, http.HTTPStatus):
        return status.value
    if isinstance(status, int):
        return status
    if isinstance(status, bytes):
        status = status.decode('latin-1')
    if isinstance(status, str):
        digits = status[:3]
        if len(digits) == 3 and digits.isascii() and digits.isdigit():
            return int(digits)
        raise ValueError(
            f'{status!r} is not a valid HTTP status: expected a status line starting with '
            'a three-digit code, such as "404 Not Found".'
        )
    raise ValueError(
        f'{status!r} is not a valid HTTP status: expected an int, str, bytes or http.HTTPStatus, '
        f'not {type(status).__name__}.'
    )


def get_bound_method(obj: object, method_name: str) -> Callable[..., Any] | None:
    """Return ``obj.<method_name>`` as a bound method, or ``None`` if it does not exist.

    Args:
        obj: The instance to look in.
        method_name: The attribute name.

    Returns:
        The bound method, or ``None``.

    Raises:
        AttributeError: The attribute exists but is not a method bound to ``obj`` (for example
            a class was passed instead of an instance).
    """
    method = getattr(obj, method_name, None)
    if method is None:
        return None
    if getattr(method, '__self__', None) is not obj:
        raise AttributeError(
            f'{method_name!r} on {obj!r} is not a bound method; pass an instance whose '
            f'{method_name!r} is a regular method, not a class or a plain attribute.'
        )
    return method  # type: ignore[no-any-return]


def get_argnames(func: Callable[..., Any]) -> list[str]:
    """Return the names of the parameters of ``func``.

    ``*args``/``**kwargs`` are left out, and so is a leading ``self``.

    Args:
        func: The callable to inspect.

    Returns:
        The parameter names in order.
    """
    # Imported here: inspect is slow to import and this only runs at registration time.
    import inspect

    names = [
        param.name
        for param in inspect.signature(func).parameters.values()
        if param.kind not in (param.VAR_POSITIONAL, param.VAR_KEYWORD)
    ]
    if names and names[0] == 'self':
        del names[0]
    return names


def is_python_func(func: Callable[..., Any] | Any) -> bool:
    """Tell whether ``func`` is a function or method written in Python.

    Args:
        func: The object to check.

    Returns:
        ``True`` for Python functions and methods bound to them, ``False`` for builtins,
        C-implemented or other callables.
    """
    if isinstance(func, types.MethodType):
        func = func.__func__
    return isinstance(func, types.FunctionType)


def _has_arg_name(func: Callable[..., Any], name: str) -> bool:
    """Whether ``func`` takes a parameter called ``name`` (Falcon's private helper)."""
    return name in get_argnames(func)


#: Deprecated alias of :meth:`str.isascii`, kept for code written for Falcon 3.
isascii = deprecated(
    'This function will be removed in Falcon 5.0; please use str.isascii() instead.'
)(str.isascii)

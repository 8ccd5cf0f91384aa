"""Media-type helpers: ``parse_header`` and Accept-header negotiation (``quality``, ``best_match``).

Matching rules for :func:`quality` (RFC 9110 section 12.5.1): a media range matches a media
type when the main types and subtypes are equal or the range uses ``*``, and no parameter
present in both carries a different value. Among the matching ranges the most specific wins,
ranked by exact main type, exact subtype, identical parameter sets, number of equal
parameters, and finally q. Parsed headers and media types are cached (bounded LRU) because
the same Accept strings repeat across requests.

Errors (as in Falcon): a media type without a ``/`` raises :class:`~lanner.errors.InvalidMediaType`;
a malformed or blank header, or a ``q`` value outside 0..1, raises
:class:`~lanner.errors.InvalidMediaRange` (a subclass), from :func:`quality` and
:func:`best_match` alike. Headers are client input: callers that pass one catch ``ValueError``
(lanner's request helpers answer "not acceptable" instead of failing).
"""

from __future__ import annotations

from collections.abc import Iterable
import functools
import math

from lanner.errors import InvalidMediaRange, InvalidMediaType

__all__ = ('best_match', 'parse_header', 'quality')

_Params = tuple[tuple[str, str], ...]
# (main type, subtype, sorted parameters without q)
_ParsedType = tuple[str, str, _Params]
# (main type, subtype, parameters dict items, q)
_ParsedRange = tuple[str, str, dict[str, str], float]


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    # Splits on `separator` except inside double-quoted strings (with backslash escapes).
    if '"' not in text:
        return text.split(separator)
    parts: list[str] = []
    start = 0
    in_quotes = False
    escaped = False
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif in_quotes:
            if char == '\\':
                escaped = True
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char == separator:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
        if '\\' in value:
            value = value.replace('\\\\', '\x00').replace('\\"', '"').replace('\x00', '\\')
    return value


def parse_header(line: str) -> tuple[str, dict[str, str]]:
    """Parse a header such as Content-Type into its main value and a parameter dict.

    A drop-in replacement for the removed ``cgi.parse_header``: parameter names are lower-cased,
    values are stripped and unquoted (``\\\\`` and ``\\"`` escapes handled); parameters without
    ``=`` are ignored.

    Args:
        line: The header value, e.g. ``'text/plain; charset="utf-8"'``.

    Returns:
        ``(value, params)``, e.g. ``('text/plain', {'charset': 'utf-8'})``.
    """
    parts = _split_outside_quotes(line, ';')
    value = parts[0].strip()
    params: dict[str, str] = {}
    for part in parts[1:]:
        name, sep, raw = part.partition('=')
        if not sep:
            continue
        name = name.strip().lower()
        if name:
            params[name] = _unquote(raw.strip())
    return value, params


@functools.lru_cache(maxsize=128)
def _parse_media_type(media_type: str) -> _ParsedType:
    full_type, params = parse_header(media_type)
    main, sep, sub = full_type.partition('/')
    main = main.strip().lower()
    sub = sub.strip().lower()
    # A candidate is server-side text: as in Falcon, anything after the first slash is the
    # subtype (a stray ', text/plain' just never matches).
    if not sep or not main or not sub:
        raise InvalidMediaType(
            f'{media_type!r} is not a valid media type: expected "type/subtype", optionally '
            'followed by ";name=value" parameters.'
        )
    return main, sub, tuple(sorted(params.items()))


def _parse_q(value: str, media_range: str) -> float:
    try:
        q = float(value)
    except ValueError:
        q = math.nan
    if not (0.0 <= q <= 1.0):
        raise InvalidMediaRange(
            f'{media_range!r} has an invalid q value {value!r}: expected a number from 0 to 1.'
        )
    return q


@functools.lru_cache(maxsize=128)
def _parse_media_ranges(header: str) -> tuple[_ParsedRange, ...]:
    ranges: list[_ParsedRange] = []
    for media_range in _split_outside_quotes(header, ','):
        if not media_range.strip():
            continue
        parts = _split_outside_quotes(media_range, ';')
        full_type = parts[0].strip().lower()
        if full_type == '*':
            # Some clients send a bare "*"; treat it as "*/*" rather than rejecting the request.
            full_type = '*/*'
        main, sep, sub = full_type.partition('/')
        if not sep or not main or not sub or '/' in sub:
            raise InvalidMediaRange(
                f'{media_range.strip()!r} is not a valid media range: expected "type/subtype", '
                '"type/*" or "*/*".'
            )
        params: dict[str, str] = {}
        q = 1.0
        for part in parts[1:]:
            name, _, value = part.partition('=')
            name = name.strip().lower()
            if not name:
                continue
            value = value.strip()
            if name == 'q':
                q = _parse_q(value, media_range.strip())
                # Parameters after q are accept-extensions, not media type parameters.
                break
            params[name] = _unquote(value)
        ranges.append((main, sub, params, q))
    if not ranges:
        # Empty list elements are skipped (RFC 9110 section 5.6.1), but a header with no range
        # at all is malformed, as in Falcon.
        raise InvalidMediaRange(f'{header!r} is not a valid media range: it names no media type.')
    return tuple(ranges)


def _quality(parsed: _ParsedType, ranges: Iterable[_ParsedRange]) -> float:
    main, sub, params = parsed
    best_rank: tuple[bool, bool, bool, int, float] | None = None
    for range_main, range_sub, range_params, q in ranges:
        main_exact = range_main == main
        if not main_exact and range_main != '*':
            continue
        sub_exact = range_sub == sub
        if not sub_exact and range_sub != '*':
            continue
        matching = 0
        conflict = False
        for name, value in params:
            range_value = range_params.get(name)
            if range_value is None:
                continue
            if range_value != value:
                conflict = True
                break
            matching += 1
        if conflict:
            continue
        same_params = matching == len(params) == len(range_params)
        rank = (main_exact, sub_exact, same_params, matching, q)
        if best_rank is None or rank > best_rank:
            best_rank = rank
    return best_rank[4] if best_rank is not None else 0.0


def quality(media_type: str, header: str) -> float:
    """Return the q value an Accept-style header assigns to ``media_type``.

    The most specific matching media range decides (see the module docstring).

    Args:
        media_type: The candidate media type, e.g. ``'application/json'``.
        header: The Accept header value.

    Returns:
        The quality, from 0.0 (not acceptable or no matching range) to 1.0.

    Raises:
        InvalidMediaType: ``media_type`` is malformed.
        InvalidMediaRange: ``header`` contains a malformed range or ``q`` value.
    """
    return _quality(_parse_media_type(media_type), _parse_media_ranges(header))


def best_match(media_types: Iterable[str], header: str) -> str:
    """Choose the candidate media type the header prefers.

    Args:
        media_types: Candidates in order of the server's preference (ties go to the first).
        header: The Accept header value.

    Returns:
        The best candidate with a quality above zero, or ``''`` when none is acceptable.

    Raises:
        InvalidMediaType: A candidate is not a valid media type (a programming error).
        InvalidMediaRange: The header is malformed (client input: callers catch ``ValueError``).
    """
    parsed_candidates = [(_parse_media_type(candidate), candidate) for candidate in media_types]
    ranges = _parse_media_ranges(header)
    best = ''
    best_q = 0.0
    for parsed, candidate in parsed_candidates:
        q = _quality(parsed, ranges)
        if q > best_q:
            best, best_q = candidate, q
    return best


class _MediaType:
    """A parsed media type (Falcon's private class, which ported code uses)."""

    __slots__ = ('main_type', 'params', 'subtype')

    def __init__(self, main_type: str, subtype: str, params: dict[str, str]) -> None:
        self.main_type = main_type
        self.subtype = subtype
        self.params = params

    @classmethod
    def parse(cls, media_type: str) -> _MediaType:
        """Parse ``'type/subtype; name=value'`` (InvalidMediaType when malformed)."""
        main, sub, params = _parse_media_type(media_type)
        return cls(main, sub, dict(params))


class _MediaRange:
    """A parsed media range with its quality (Falcon's private class, which ported code uses)."""

    __slots__ = ('main_type', 'params', 'quality', 'subtype')

    def __init__(
        self, main_type: str, subtype: str, quality: float, params: dict[str, str]
    ) -> None:
        self.main_type = main_type
        self.subtype = subtype
        self.quality = quality
        self.params = params

    @classmethod
    def parse(cls, media_range: str) -> _MediaRange:
        """Parse one range such as ``'text/*; q=0.5'`` (InvalidMediaRange when malformed)."""
        if ',' in media_range:
            raise InvalidMediaRange(f'{media_range!r} is a list of ranges, not one media range.')
        ((main, sub, params, q),) = _parse_media_ranges(media_range)
        return cls(main, sub, q, dict(params))

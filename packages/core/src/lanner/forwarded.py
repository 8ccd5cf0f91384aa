"""The ``Forwarded`` header (RFC 7239): one :class:`Forwarded` per proxy hop.

Parsing is a single left-to-right scan (linear in the header length). Parameter names are
case-insensitive; values are tokens or quoted-strings (quoted-pairs unescaped); ``;`` separates
pairs and ``,`` separates elements, with whitespace tolerated around both. A syntax error makes
the parser skip to the next comma, keeping the pairs of that element parsed so far; elements
without any pair are dropped. The parser never raises for ``str`` input.
"""

from __future__ import annotations

import re

from lanner.util.uri import unquote_string

__all__ = ('Forwarded', 'parse_forwarded_header')

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_WHITESPACE = re.compile(r'[ \t]*')


class Forwarded:
    """One element of a ``Forwarded`` header: what one proxy saw.

    Attributes:
        src: The ``for`` parameter: the client (or previous proxy) address, or ``None``.
        dest: The ``by`` parameter: the interface where the request came in, or ``None``.
        host: The ``host`` parameter: the original Host header, or ``None``.
        scheme: The ``proto`` parameter, lower-cased (``'https'``), or ``None``.
    """

    __slots__ = ('dest', 'host', 'scheme', 'src')

    def __init__(self) -> None:
        self.src: str | None = None
        self.dest: str | None = None
        self.host: str | None = None
        self.scheme: str | None = None

    def __repr__(self) -> str:
        return (
            f'Forwarded(src={self.src!r}, dest={self.dest!r}, host={self.host!r}, '
            f'scheme={self.scheme!r})'
        )


def _assign(element: Forwarded, name: str, value: str) -> None:
    if name == 'for':
        element.src = value
    elif name == 'by':
        element.dest = value
    elif name == 'host':
        element.host = value
    elif name == 'proto':
        element.scheme = value.lower()
    # Other parameters (extensions) are ignored.


def parse_forwarded_header(forwarded: str) -> list[Forwarded]:
    """Parse a ``Forwarded`` header value into its elements, in order.

    Args:
        forwarded: The header value (several header lines may be joined with commas).

    Returns:
        One :class:`Forwarded` per non-empty element; malformed parts are skipped.
    """
    elements: list[Forwarded] = []
    element = Forwarded()
    has_pairs = False
    length = len(forwarded)
    pos = 0

    def skip_ws(at: int) -> int:
        match = _WHITESPACE.match(forwarded, at)
        return match.end() if match is not None else at

    while True:
        pos = skip_ws(pos)
        if pos >= length:
            break
        char = forwarded[pos]
        if char == ',':
            if has_pairs:
                elements.append(element)
            element, has_pairs = Forwarded(), False
            pos += 1
            continue
        if char == ';':
            pos += 1
            continue

        name_match = _TOKEN.match(forwarded, pos)
        value: str | None = None
        if name_match is not None:
            pos = skip_ws(name_match.end())
            if pos < length and forwarded[pos] == '=':
                pos = skip_ws(pos + 1)
                value_match = _QUOTED.match(forwarded, pos) or _TOKEN.match(forwarded, pos)
                if value_match is not None:
                    value = value_match.group()
                    pos = value_match.end()

        if name_match is None or value is None:
            # Syntax error: resume at the next element.
            comma = forwarded.find(',', pos)
            pos = length if comma == -1 else comma
            continue

        if value.startswith('"'):
            value = unquote_string(value)
        _assign(element, name_match.group().lower(), value)
        has_pairs = True

        # After a pair only ';', ',' or the end may follow.
        pos = skip_ws(pos)
        if pos < length and forwarded[pos] not in ';,':
            comma = forwarded.find(',', pos)
            pos = length if comma == -1 else comma

    if has_pairs:
        elements.append(element)
    return elements

"""Percent-encoding, query-string and Host header helpers (``lanner.uri`` / ``falcon.uri``).

Invariants:

* ``decode``, ``parse_query_string`` and ``unquote_string`` never raise on malformed input:
  bad percent escapes are kept literally and invalid UTF-8 becomes U+FFFD. They are safe to
  call on anything a client sends.
* ``parse_host`` raises :class:`ValueError` for a port that is not 1-5 ASCII digits (or is
  above 65535); callers handling client input must map that to a 400.
* The ``encode*`` functions never raise for ``str`` input: lone surrogates are encoded with
  ``surrogateescape`` (round-trips WSGI-style raw bytes) or, failing that, ``surrogatepass``.
"""

from __future__ import annotations

from collections.abc import Callable
import re

__all__ = (
    'decode',
    'encode',
    'encode_check_escaped',
    'encode_value',
    'encode_value_check_escaped',
    'parse_host',
    'parse_query_string',
    'unquote_string',
)

_UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'
_DELIMITERS = ":/?#[]@!$&'()*+,;="
# What encode() leaves as is (Falcon's private name, which ported tests use).
_ALL_ALLOWED = _UNRESERVED + _DELIMITERS

_HEX_DIGITS = '0123456789ABCDEFabcdef'
# Every two-character hex pair (any case) -> the byte it denotes.
_HEX_TO_BYTE: dict[bytes, bytes] = {
    (a + b).encode('ascii'): bytes([int(a + b, 16)]) for a in _HEX_DIGITS for b in _HEX_DIGITS
}


def _to_utf8(text: str) -> bytes:
    try:
        return text.encode('utf-8')
    except UnicodeEncodeError:
        try:
            return text.encode('utf-8', 'surrogateescape')
        except UnicodeEncodeError:
            return text.encode('utf-8', 'surrogatepass')


def _create_encoder(safe: str, check_escaped: bool) -> Callable[[str], str]:
    # PERF: a 256-entry byte table plus a regex fast path: strings that need no encoding (the
    # common case for paths and simple values) are returned after one C-level regex match.
    table = tuple(chr(b) if chr(b) in safe else f'%{b:02X}' for b in range(256))
    char_class = '[' + re.escape(safe) + ']'
    if check_escaped:
        already_fine = re.compile(f'(?:{char_class}|%[0-9A-Fa-f]{{2}})*')
    else:
        already_fine = re.compile(f'{char_class}*')
    fullmatch = already_fine.fullmatch

    def encoder(uri: str) -> str:
        if fullmatch(uri):
            return uri
        return ''.join([table[b] for b in _to_utf8(uri)])

    return encoder


_encode = _create_encoder(_ALL_ALLOWED, check_escaped=False)
_encode_value = _create_encoder(_UNRESERVED, check_escaped=False)
_encode_check_escaped = _create_encoder(_ALL_ALLOWED, check_escaped=True)
_encode_value_check_escaped = _create_encoder(_UNRESERVED, check_escaped=True)


def encode(uri: str) -> str:
    """Percent-encode a full or relative URI.

    Unreserved characters and the reserved delimiters ``:/?#[]@!$&'()*+,;=`` are kept; every
    other character (``%`` and non-ASCII included, the latter as UTF-8 bytes) becomes ``%XX``.

    Args:
        uri: The URI to encode.

    Returns:
        The encoded URI, e.g. ``encode('/ä b')`` -> ``'/%C3%A4%20b'``.
    """
    return _encode(uri)


def encode_value(uri: str) -> str:
    """Percent-encode a single URI component (a path segment or a query value).

    Only unreserved characters (``A-Z a-z 0-9 - . _ ~``) are kept, so delimiters such as ``/``,
    ``?`` and ``&`` are escaped too.

    Args:
        uri: The value to encode.

    Returns:
        The encoded value, e.g. ``'a b/c?d'`` -> ``'a%20b%2Fc%3Fd'``.
    """
    return _encode_value(uri)


def encode_check_escaped(uri: str) -> str:
    """Like :func:`encode`, but leave an already-encoded URI untouched.

    A string made only of allowed characters and well-formed ``%XX`` escapes is returned
    unchanged. If anything else needs encoding, the whole string is encoded, existing escapes
    included (``'/a%20b c'`` -> ``'/a%2520b%20c'``).

    Args:
        uri: The URI to encode.

    Returns:
        The (possibly unchanged) encoded URI.
    """
    return _encode_check_escaped(uri)


def encode_value_check_escaped(uri: str) -> str:
    """Like :func:`encode_value`, but leave an already-encoded value untouched.

    Args:
        uri: The value to encode.

    Returns:
        The (possibly unchanged) encoded value, e.g. ``'a%2Fb'`` stays ``'a%2Fb'``.
    """
    return _encode_value_check_escaped(uri)


# Inputs are decoded in windows of this size: bytes.split is the fastest decoder, but it keeps
# one object per escape alive (~75 bytes each), which for a hostile multi-MiB form body of
# escapes meant hundreds of MiB. Windowing keeps that overhead bounded by the window.
_DECODE_WINDOW = 16 * 1024


def _unescape_tokens(tokens: list[bytes]) -> bytes:
    """Join the pieces of ``data.split(b'%')``, turning each leading hex pair into its byte."""
    out = [tokens[0]]
    for chunk in tokens[1:]:
        byte = _HEX_TO_BYTE.get(chunk[:2])
        if byte is None:
            # Malformed escape: keep the percent sign and the following text verbatim.
            out.append(b'%')
            out.append(chunk)
        else:
            out.append(byte)
            out.append(chunk[2:])
    return b''.join(out)


def _percent_decode_window(data: bytes) -> bytes:
    return _unescape_tokens(data.split(b'%'))


# Two ways of joining the split tokens into text, under Falcon's private names (ported tests
# swap ``_join_tokens`` to check both). decode() calls ``_join_tokens`` for inputs of one window.
def _join_tokens_list(tokens: list[bytes]) -> str:
    return _unescape_tokens(tokens).decode('utf-8', 'replace')


def _join_tokens_bytearray(tokens: list[bytes]) -> str:
    buffer = bytearray(tokens[0])
    for chunk in tokens[1:]:
        byte = _HEX_TO_BYTE.get(chunk[:2])
        if byte is None:
            buffer += b'%' + chunk
        else:
            buffer += byte + chunk[2:]
    return buffer.decode('utf-8', 'replace')


_join_tokens = _join_tokens_list


def _percent_decode(data: bytes) -> bytes:
    size = len(data)
    if size <= _DECODE_WINDOW:
        return _percent_decode_window(data)
    buffer = bytearray()
    start = 0
    while start < size:
        end = min(start + _DECODE_WINDOW, size)
        if end < size:
            # Never cut an escape in two: a '%' among the last two bytes starts the next window.
            tail = data.find(b'%', end - 2, end)
            if tail >= 0:
                end = tail
        buffer += _percent_decode_window(data[start:end])
        start = end
    return bytes(buffer)


def decode(encoded_uri: str, unquote_plus: bool = True) -> str:
    """Decode percent-escapes (and, by default, ``+`` as a space) in a URI or URI component.

    Invalid escapes are kept literally and byte sequences that are not valid UTF-8 are replaced
    with U+FFFD, so this function never raises for ``str`` input.

    Args:
        encoded_uri: The string to decode.
        unquote_plus: Whether ``+`` means a space (query strings). Pass ``False`` for paths.

    Returns:
        The decoded string, e.g. ``'%E2%82%AC%zz%'`` -> ``'€%zz%'``.
    """
    if unquote_plus and '+' in encoded_uri:
        encoded_uri = encoded_uri.replace('+', ' ')
    if '%' not in encoded_uri:
        return encoded_uri
    data = _to_utf8(encoded_uri)
    if len(data) <= _DECODE_WINDOW:
        return _join_tokens(data.split(b'%'))
    return _percent_decode(data).decode('utf-8', 'replace')


def parse_query_string(
    query_string: str, keep_blank: bool = False, csv: bool = False
) -> dict[str, str | list[str]]:
    """Parse a query string into a dict of decoded names and values.

    Repeated names collect their values into a list in order. ``+`` decodes to a space in names
    and values. A field whose name and value are both empty is dropped; a field without a value
    (``a`` or ``a=``) is kept as ``''`` only when ``keep_blank`` is true. With ``csv`` on, values
    are split on literal commas *before* percent-decoding (so ``%2C`` stays inside an element)
    and blank elements are dropped unless ``keep_blank``. Malformed escapes are kept verbatim;
    this function never raises for ``str`` input.

    Args:
        query_string: The raw query string, without the leading ``?``.
        keep_blank: Keep fields with empty values.
        csv: Split comma-separated values into lists.

    Returns:
        A new dict mapping each name to a string or a list of strings.
    """
    params: dict[str, str | list[str]] = {}
    if not query_string:
        return params

    for field in query_string.split('&'):
        name, _, value = field.partition('=')
        if not value:
            if not name or not keep_blank:
                continue
        # PERF: most names and values have nothing to decode; checking here skips a call.
        if '%' in name or '+' in name:
            name = decode(name)

        new: str | list[str]
        if csv and ',' in value:
            items = value.split(',')
            if not keep_blank:
                # Blank elements drop out, but the field stays (as Falcon): ``a=,`` is ``[]``.
                items = [item for item in items if item]
            new = [decode(item) for item in items]
        elif '%' in value or '+' in value:
            new = decode(value)
        else:
            new = value

        existing = params.get(name)
        if existing is None:
            params[name] = new
        elif isinstance(existing, list):
            if isinstance(new, list):
                existing.extend(new)
            else:
                existing.append(new)
        elif isinstance(new, list):
            params[name] = [existing, *new]
        else:
            params[name] = [existing, new]

    return params


def _parse_port(text: str, host: str) -> int:
    if not (0 < len(text) <= 5 and text.isascii() and text.isdigit()):
        raise ValueError(
            f'Invalid port in host {host!r}: expected 1-5 ASCII digits after the last colon.'
        )
    port = int(text)
    if port > 65535:
        raise ValueError(f'Invalid port in host {host!r}: {port} is above 65535.')
    return port


def parse_host(host: str, default_port: int | None = None) -> tuple[str, int | None]:
    """Split a ``host[:port]`` string (a Host header or authority) into name and port.

    A bracketed IPv6 literal (``[::1]:8080``) yields the address without brackets; an
    unbracketed value containing several colons is treated as a bare IPv6 address without
    a port.

    Args:
        host: The host string.
        default_port: Returned as the port when ``host`` names none.

    Returns:
        ``(name, port)``.

    Raises:
        ValueError: The port is not 1-5 ASCII digits or exceeds 65535. Request code handling
            client input must map this to a 400 response.
    """
    if host.startswith('['):
        end = host.find(']')
        if end != -1:
            name = host[1:end]
            rest = host[end + 1 :]
            if rest.startswith(':'):
                return name, _parse_port(rest[1:], host)
            return name, default_port

    colons = host.count(':')
    if colons == 0 or colons > 1:
        return host, default_port

    name, _, port_text = host.partition(':')
    return name, _parse_port(port_text, host)


def unquote_string(quoted: str) -> str:
    """Unquote an RFC 9110 quoted-string, unescaping backslash pairs.

    Input that is not wrapped in double quotes is returned unchanged.

    Args:
        quoted: The possibly quoted string.

    Returns:
        The unquoted string, e.g. ``'"a\\\\"b"'`` -> ``'a"b'``.
    """
    if len(quoted) < 2 or quoted[0] != '"' or quoted[-1] != '"':
        return quoted
    inner = quoted[1:-1]
    if '\\' not in inner:
        return inner
    out: list[str] = []
    escaped = False
    for char in inner:
        if escaped:
            out.append(char)
            escaped = False
        elif char == '\\':
            escaped = True
        else:
            out.append(char)
    if escaped:
        # A dangling backslash has nothing to escape; keep it rather than lose data.
        out.append('\\')
    return ''.join(out)

"""The multipart/form-data framing both flavours share, without I/O.

Wire format handled (RFC 7578 / RFC 2046)::

    preamble (ignored) --BOUNDARY CRLF headers CRLF CRLF data
    CRLF --BOUNDARY CRLF headers CRLF CRLF data
    CRLF --BOUNDARY -- epilogue (ignored)

:class:`MultipartFramer` reads that structure from a
:class:`~lanner._wire.receive_buffer.ReceiveBuffer` and yields one event per part: the part's
headers, then (after the driver has streamed the part's data through a reader delimited at
``CRLF --BOUNDARY``) the next part's headers, and finally the end of the form. Like the buffer,
each ``next_part`` call answers None when it needs more data and keeps its place, so
``lanner.media.multipart`` (sync) and ``lanner.asgi.multipart`` (async) only feed it bytes.

Invariants and limits:

* Memory stays at about one chunk plus one part's header block: the preamble and whatever a
  consumer leaves unread of a part are discarded as they arrive (``discard_until`` keeps less
  than one delimiter buffered).
* Every limit is checked before the bytes it guards are accumulated, and every violation is a
  400 ``MultipartParseError`` with a fixed description (the ``ERR_*`` strings below are part of
  the contract): more than ``max_body_part_count`` parts; a header block over
  ``max_body_part_headers_size`` or cut short; a missing/garbled delimiter or premature end.
* Part header lines may not contain NUL, CR or LF (header injection). Lines that are not
  ``Name: value`` are ignored, as in Falcon; only Content-Type, Content-Disposition and
  Content-Transfer-Encoding are kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from lanner._wire.receive_buffer import ReceiveBuffer
from lanner.errors import DelimiterError, HTTPInvalidHeader, MultipartParseError
from lanner.util import misc
from lanner.util.mediatypes import parse_header

if TYPE_CHECKING:
    from lanner.media.multipart import MultipartParseOptions

__all__ = [
    'CRLF',
    'END_MARK',
    'ERR_HEADERS',
    'ERR_HEADER_LINE',
    'ERR_NO_FILENAME',
    'ERR_PART_TOO_LARGE',
    'ERR_STRUCTURE',
    'ERR_TOO_MANY_PARTS',
    'ERR_TRANSFER_ENCODING',
    'HEADERS_END',
    'MEDIA_TEXT_PLAIN',
    'BodyPartMeta',
    'MultipartFramer',
    'parse_boundary',
    'parse_part_headers',
]

MEDIA_TEXT_PLAIN = 'text/plain'
KEPT_HEADERS = frozenset([b'content-type', b'content-disposition', b'content-transfer-encoding'])
FORBIDDEN_HEADER_BYTES = (b'\x00', b'\r', b'\n')
HEADERS_END = b'\r\n\r\n'
CRLF = b'\r\n'
END_MARK = b'--'

# Fixed error descriptions (they are matched by clients and tests; keep them stable).
ERR_STRUCTURE = 'unexpected form structure'
ERR_HEADERS = 'incomplete body part headers'
ERR_HEADER_LINE = 'invalid body part header line (expected "Name: value")'
ERR_TOO_MANY_PARTS = 'maximum number of form body parts exceeded'
ERR_PART_TOO_LARGE = 'body part is too large'
ERR_TRANSFER_ENCODING = 'the deprecated Content-Transfer-Encoding header field is unsupported'
ERR_NO_FILENAME = 'the body part has no filename'

# Where a MultipartFramer is in the form.
_PREAMBLE = 0  # before the first --BOUNDARY
_MARKER = 1  # just after a boundary: CRLF (a part follows) or -- (the end)
_HEADERS = 2  # inside a part's header block
_PART = 3  # a part's headers were handed out; its data comes before the next delimiter
_DONE = 4


class MultipartFramer:
    """Finds the parts of one multipart body in a receive buffer.

    Args:
        boundary: The boundary parameter of the Content-Type (see :func:`parse_boundary`).
        max_count: Maximum number of parts (0: unlimited).
        max_headers_size: Maximum size of one part's header lines.
    """

    __slots__ = (
        '_count',
        '_dash_boundary',
        '_max_count',
        '_max_headers_size',
        '_state',
        'delimiter',
        'headers',
    )

    def __init__(self, boundary: bytes, max_count: int, max_headers_size: int) -> None:
        self._dash_boundary = b'--' + boundary
        #: What ends a part's data: a part's reader is delimited here.
        self.delimiter = CRLF + self._dash_boundary
        self._max_count = max_count
        # The block starts with the CRLF that ends the delimiter line; the limit counts the
        # header lines only (as in Falcon), hence the 2.
        self._max_headers_size = max_headers_size + 2
        self._count = 0
        self._state = _PREAMBLE
        #: The headers of the part ``next_part`` found last.
        self.headers: dict[bytes, str] = {}

    def next_part(self, buffer: ReceiveBuffer) -> bool | None:
        """Find the next part: True when its headers are in :attr:`headers`, False at the end
        of the form, None to need more data.

        Whatever is left of the current part's data is discarded first.

        Raises:
            MultipartParseError: The body breaks the structure or a limit.
        """
        state = self._state
        if state == _PREAMBLE or state == _PART:
            boundary = self._dash_boundary if state == _PREAMBLE else self.delimiter
            try:
                if buffer.discard_until(boundary) is None:
                    return None
            except DelimiterError as err:
                raise MultipartParseError(description=ERR_STRUCTURE) from err
            state = self._state = _MARKER
        if state == _MARKER:
            marker = buffer.peek(2)
            if marker is None:
                return None
            if marker == END_MARK:
                self._state = _DONE
                return False
            if marker != CRLF:
                raise MultipartParseError(description=ERR_STRUCTURE)
            self._count += 1
            if self._max_count and self._count > self._max_count:
                raise MultipartParseError(description=ERR_TOO_MANY_PARTS)
            state = self._state = _HEADERS
        if state == _HEADERS:
            try:
                block = buffer.read_until(HEADERS_END, self._max_headers_size, True)
            except DelimiterError as err:
                raise MultipartParseError(description=ERR_HEADERS) from err
            if block is None:
                return None
            self.headers = parse_part_headers(block)
            self._state = _PART
            return True
        return False


def decode_header_value(raw: bytes) -> str:
    # Browsers send non-ASCII filenames as raw UTF-8; anything else is kept byte-for-byte.
    try:
        return raw.decode('utf-8')
    except UnicodeDecodeError:
        return raw.decode('latin-1')


def parse_part_headers(block: bytes) -> dict[bytes, str]:
    """Parse one part's header block (as read after ``--BOUNDARY``, without the final CRLFCRLF).

    The block is either empty (``--BOUNDARY CRLF CRLF``: a part with no headers) or starts with
    the CRLF that ends the delimiter line.
    """
    headers: dict[bytes, str] = {}
    if not block:
        return headers
    if not block.startswith(CRLF):
        raise MultipartParseError(description=ERR_STRUCTURE)
    for line in block[2:].split(CRLF):
        if any(forbidden in line for forbidden in FORBIDDEN_HEADER_BYTES):
            raise MultipartParseError(description=ERR_HEADER_LINE)
        name, sep, value = line.partition(b': ')
        if not sep:
            # Not a header field (RFC 7578 section 4.8: other content is ignored), as in Falcon.
            continue
        name = name.strip().lower()
        if name in KEPT_HEADERS:
            headers[name] = decode_header_value(value.strip())
    encoding = headers.get(b'content-transfer-encoding')
    if encoding is not None and encoding.lower() != 'binary':
        raise MultipartParseError(description=ERR_TRANSFER_ENCODING)
    return headers


def parse_boundary(content_type: str | None) -> bytes:
    """Extract and validate the boundary parameter of a multipart Content-Type."""
    params: dict[str, str] = parse_header(content_type or '')[1]
    boundary = params.get('boundary')
    if not boundary:
        raise HTTPInvalidHeader(f'No boundary specifier found in {content_type!r}', 'Content-Type')
    boundary = boundary.rstrip()
    if not 1 <= len(boundary) <= 70:
        raise HTTPInvalidHeader(
            'The multipart boundary must be 1 to 70 characters long (RFC 2046).',
            'Content-Type',
        )
    try:
        return boundary.encode('ascii')
    except UnicodeEncodeError:
        raise HTTPInvalidHeader(
            'The multipart boundary must consist of ASCII characters (RFC 2046).',
            'Content-Type',
        ) from None


class BodyPartMeta:
    """Header-derived properties shared by the WSGI and ASGI body parts."""

    _headers: dict[bytes, str]
    _parse_options: MultipartParseOptions
    _disposition_params: dict[str, str] | None = None
    _filename: str | None = None
    _filename_parsed: bool = False

    @property
    def content_type(self) -> str:
        """The part's Content-Type (default ``text/plain``)."""
        return self._headers.get(b'content-type', MEDIA_TEXT_PLAIN)

    @property
    def _disposition(self) -> dict[str, str]:
        params = self._disposition_params
        if params is None:
            raw = self._headers.get(b'content-disposition')
            params = parse_header(raw)[1] if raw else {}
            self._disposition_params = params
        return params

    @property
    def name(self) -> str | None:
        """The ``name`` parameter of Content-Disposition, or None."""
        return self._disposition.get('name')

    @property
    def filename(self) -> str | None:
        """The client's file name: RFC 5987 ``filename*`` wins over ``filename``; else None."""
        if not self._filename_parsed:
            params = self._disposition
            extended = params.get('filename*')
            if extended is not None:
                self._filename = decode_rfc5987(extended)
            else:
                self._filename = params.get('filename')
            self._filename_parsed = True
        return self._filename

    @property
    def secure_filename(self) -> str:
        """:attr:`filename` made safe for the local file system (see ``secure_filename``).

        Raises:
            MultipartParseError: The part has no (or an empty) filename.
        """
        filename = self.filename
        try:
            return misc.secure_filename(
                filename or '', max_length=self._parse_options.max_secure_filename_length
            )
        except ValueError as err:
            raise MultipartParseError(description=ERR_NO_FILENAME) from err

    def _text_charset(self) -> str | None:
        """The charset to decode ``text/plain`` data with, or None for other media types."""
        media_type, params = parse_header(self.content_type)
        if media_type != MEDIA_TEXT_PLAIN:
            return None
        charset: str = params.get('charset') or self._parse_options.default_charset
        return charset

    def _decode_text(self, data: bytes, charset: str) -> str:
        try:
            return data.decode(charset)
        except (LookupError, ValueError) as err:
            raise MultipartParseError(description=f'invalid text or charset: {charset}') from err

    def _check_data_size(self, data: bytes) -> bytes:
        if len(data) > self._parse_options.max_body_part_buffer_size:
            raise MultipartParseError(description=ERR_PART_TOO_LARGE)
        return data


def decode_rfc5987(value: str) -> str:
    """Decode ``charset'language'percent-encoded`` (RFC 5987 ext-value)."""
    charset, sep1, rest = value.partition("'")
    _language, sep2, encoded = rest.partition("'")
    if not (sep1 and sep2):
        raise MultipartParseError(description='invalid filename* parameter (RFC 5987)')
    try:
        return unquote_to_bytes(encoded).decode(charset or 'utf-8')
    except (LookupError, ValueError) as err:
        raise MultipartParseError(description=f'invalid text or charset: {charset}') from err

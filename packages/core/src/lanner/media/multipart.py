"""Streaming ``multipart/form-data`` parsing (WSGI flavour; ASGI lives in lanner.asgi.multipart).

Wire format handled (RFC 7578 / RFC 2046)::

    preamble (ignored) --BOUNDARY CRLF headers CRLF CRLF data
    CRLF --BOUNDARY CRLF headers CRLF CRLF data
    CRLF --BOUNDARY -- epilogue (ignored)

Invariants and limits:

* The body is never buffered whole. The form is a generator over a ``BufferedReader``; each
  part's ``stream`` is a reader delimited at ``CRLF --BOUNDARY``. Advancing to the next part
  discards what the consumer left unread, chunk by chunk, so memory stays at about one chunk
  (64 KiB) plus one part's header block however large the upload is.
* Every limit is checked before the bytes it guards are accumulated, and every violation is a
  400 ``MultipartParseError`` with a fixed description (the titles/descriptions below are part of
  the contract): more than ``max_body_part_count`` parts ("maximum number of form body parts
  exceeded"); a header block over ``max_body_part_headers_size`` or cut short ("incomplete body
  part headers"); ``get_data()`` over ``max_body_part_buffer_size`` ("body part is too large");
  a missing/garbled delimiter or premature end ("unexpected form structure").
* Part header lines may not contain NUL, CR or LF (header injection). Lines that are not
  ``Name: value`` are ignored, as in Falcon; only Content-Type, Content-Disposition and
  Content-Transfer-Encoding are kept.
* Once the form has advanced past a part, that part's stream is detached: reading it returns
  ``b''`` instead of silently reading the next part's bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
import io
from typing import IO, TYPE_CHECKING, Any, ClassVar
from urllib.parse import unquote_to_bytes

from lanner.constants import MEDIA_JSON, MEDIA_URLENCODED
from lanner.errors import (
    DelimiterError,
    HTTPInvalidHeader,
    MultipartParseError,
)
from lanner.media.base import AsyncReadableStream, BaseHandler
from lanner.media.handlers import Handlers
from lanner.media.json import JSONHandler
from lanner.media.urlencoded import URLEncodedFormHandler
from lanner.util.mediatypes import parse_header
from lanner.util.misc import secure_filename as _secure_filename
from lanner.util.reader import DEFAULT_CHUNK_SIZE, BufferedReader

if TYPE_CHECKING:
    from lanner.asgi.multipart import MultipartForm as AsyncMultipartForm

__all__ = [
    'BodyPart',
    'MultipartForm',
    'MultipartFormHandler',
    'MultipartParseError',
    'MultipartParseOptions',
]

MEDIA_TEXT_PLAIN = 'text/plain'
_KEPT_HEADERS = frozenset([b'content-type', b'content-disposition', b'content-transfer-encoding'])
_FORBIDDEN_HEADER_BYTES = (b'\x00', b'\r', b'\n')
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


class MultipartParseOptions:
    """Limits and defaults for parsing multipart forms (one instance per handler).

    Attributes:
        default_charset: Charset for ``text/plain`` parts without one (``'utf-8'``).
        max_body_part_count: Maximum number of parts (64); ``0`` means unlimited.
        max_body_part_buffer_size: Maximum bytes ``BodyPart.get_data()`` buffers (1 MiB).
        max_body_part_headers_size: Maximum size of one part's header block (8 KiB).
        max_secure_filename_length: ``max_length`` for ``BodyPart.secure_filename`` (None).
        media_handlers: Handlers for ``BodyPart.get_media()`` (JSON and URL-encoded; a fresh
            registry per options object, so changing one handler's never affects another).
    """

    __slots__ = (
        'default_charset',
        'max_body_part_buffer_size',
        'max_body_part_count',
        'max_body_part_headers_size',
        'max_secure_filename_length',
        'media_handlers',
    )

    default_charset: str
    max_body_part_buffer_size: int
    max_body_part_count: int
    max_body_part_headers_size: int
    max_secure_filename_length: int | None
    media_handlers: Handlers

    def __init__(self) -> None:
        self.default_charset = 'utf-8'
        self.max_body_part_count = 64
        self.max_body_part_buffer_size = 1024 * 1024
        self.max_body_part_headers_size = 8192
        self.max_secure_filename_length = None
        self.media_handlers = Handlers(
            {MEDIA_JSON: JSONHandler(), MEDIA_URLENCODED: URLEncodedFormHandler()}
        )


# ------------------------------------------------------------------------------------------
# Pieces shared with lanner.asgi.multipart (plain names, not in __all__: they are not API; they
# move to a private module when the two flavours share one I/O-free multipart framer)
# ------------------------------------------------------------------------------------------


def _decode_header_value(raw: bytes) -> str:
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
        if any(forbidden in line for forbidden in _FORBIDDEN_HEADER_BYTES):
            raise MultipartParseError(description=ERR_HEADER_LINE)
        name, sep, value = line.partition(b': ')
        if not sep:
            # Not a header field (RFC 7578 section 4.8: other content is ignored), as in Falcon.
            continue
        name = name.strip().lower()
        if name in _KEPT_HEADERS:
            headers[name] = _decode_header_value(value.strip())
    encoding = headers.get(b'content-transfer-encoding')
    if encoding is not None and encoding.lower() != 'binary':
        raise MultipartParseError(description=ERR_TRANSFER_ENCODING)
    return headers


def _parse_boundary(content_type: str | None) -> bytes:
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
                self._filename = _decode_rfc5987(extended)
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
            return _secure_filename(
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


def _decode_rfc5987(value: str) -> str:
    """Decode ``charset'language'percent-encoded`` (RFC 5987 ext-value)."""
    charset, sep1, rest = value.partition("'")
    _language, sep2, encoded = rest.partition("'")
    if not (sep1 and sep2):
        raise MultipartParseError(description='invalid filename* parameter (RFC 5987)')
    try:
        return unquote_to_bytes(encoded).decode(charset or 'utf-8')
    except (LookupError, ValueError) as err:
        raise MultipartParseError(description=f'invalid text or charset: {charset}') from err


# ------------------------------------------------------------------------------------------
# WSGI form
# ------------------------------------------------------------------------------------------


class BodyPart(BodyPartMeta):
    """One part of a multipart form (WSGI).

    Attributes:
        stream: A :class:`~lanner.util.BufferedReader` over this part's content only.
    """

    def __init__(
        self,
        stream: BufferedReader,
        headers: dict[bytes, str],
        parse_options: MultipartParseOptions,
    ) -> None:
        self.stream = stream
        self._headers = headers
        self._parse_options = parse_options
        self._data: bytes | None = None
        self._media: Any = None
        self._media_error: BaseException | None = None
        self._media_done = False

    def get_data(self) -> bytes:
        """Read and cache the part's content (at most ``max_body_part_buffer_size`` bytes).

        Raises:
            MultipartParseError: The part is larger than the limit.
        """
        if self._data is None:
            limit = self._parse_options.max_body_part_buffer_size
            self._data = self._check_data_size(self.stream.read(limit + 1))
        return self._data

    def get_text(self) -> str | None:
        """The content decoded as text, for ``text/plain`` parts only (else None).

        Raises:
            MultipartParseError: Unknown charset, or bytes invalid in it.
        """
        charset = self._text_charset()
        if charset is None:
            return None
        return self._decode_text(self.get_data(), charset)

    def get_media(self) -> Any:
        """Deserialize the content with ``parse_options.media_handlers`` (cached).

        Raises:
            HTTPUnsupportedMediaType: No handler for the part's Content-Type.
        """
        if not self._media_done:
            try:
                self._media = self._deserialize()
            except Exception as err:
                self._media_error = err
                raise
            finally:
                self._media_done = True
        elif self._media_error is not None:
            raise self._media_error
        return self._media

    def _deserialize(self) -> Any:
        content_type = self.content_type
        handlers = self._parse_options.media_handlers
        handler, _, deserialize_sync = handlers._resolve(content_type, MEDIA_TEXT_PLAIN)
        if isinstance(handler, MultipartFormHandler):
            # A nested form streams like the outer one.
            return handler.deserialize(self.stream, content_type, None)
        # Everything else is buffered, within the part buffer limit.
        data = self.get_data()
        if deserialize_sync is not None:
            return deserialize_sync(data)
        return handler.deserialize(io.BytesIO(data), content_type, len(data))

    data = property(get_data, doc='The part content as bytes (see :meth:`get_data`).')
    text = property(get_text, doc='The part content as text (see :meth:`get_text`).')
    media = property(get_media, doc='The deserialized part (see :meth:`get_media`).')


class MultipartForm:
    """A lazily parsed multipart form: iterate it to get :class:`BodyPart` objects in order.

    Each part must be consumed before moving to the next one; whatever is left unread is
    skipped. The form can be iterated only once.
    """

    def __init__(
        self,
        stream: IO[bytes] | BufferedReader,
        boundary: bytes,
        content_length: int | None,
        parse_options: MultipartParseOptions,
    ) -> None:
        if isinstance(stream, BufferedReader):
            self._stream = stream
        else:
            self._stream = BufferedReader(stream.read, content_length, DEFAULT_CHUNK_SIZE)
        self._boundary = boundary
        self._parse_options = parse_options
        self._started = False

    def __iter__(self) -> Iterator[BodyPart]:
        if self._started:
            raise MultipartParseError(description='the multipart form can only be iterated once')
        self._started = True
        return self._iterate_parts()

    def _iterate_parts(self) -> Iterator[BodyPart]:
        stream = self._stream
        options = self._parse_options
        dash_boundary = b'--' + self._boundary
        delimiter = b'\r\n' + dash_boundary
        try:
            stream.pipe_until(dash_boundary, consume_delimiter=True)
        except DelimiterError as err:
            raise MultipartParseError(description=ERR_STRUCTURE) from err

        count = 0
        max_count = options.max_body_part_count
        while True:
            marker = stream.peek(2)[:2]
            if marker == END_MARK:
                return
            if marker != CRLF:
                raise MultipartParseError(description=ERR_STRUCTURE)
            count += 1
            if max_count and count > max_count:
                raise MultipartParseError(description=ERR_TOO_MANY_PARTS)
            try:
                # The block starts with the CRLF that ends the delimiter line; the limit counts
                # the header lines only (as in Falcon), hence the 2.
                block = stream.read_until(
                    HEADERS_END, options.max_body_part_headers_size + 2, consume_delimiter=True
                )
            except DelimiterError as err:
                raise MultipartParseError(description=ERR_HEADERS) from err
            headers = parse_part_headers(block)

            part_stream = stream.delimit(delimiter)
            yield BodyPart(part_stream, headers, options)
            part_stream._detach()
            try:
                stream.pipe_until(delimiter, consume_delimiter=True)
            except DelimiterError as err:
                raise MultipartParseError(description=ERR_STRUCTURE) from err


class MultipartFormHandler(BaseHandler):
    """Request media handler for ``multipart/form-data`` (streaming; cannot serialize).

    ``deserialize`` returns a :class:`MultipartForm` (WSGI) and ``deserialize_async`` a
    ``lanner.asgi.multipart.MultipartForm``; neither reads anything until iterated.

    Args:
        parse_options: Limits and defaults (a fresh :class:`MultipartParseOptions` if None).
    """

    # The form is parsed lazily, after get_media() has returned: the framework must not drain
    # the body at that point, so exhaust_stream stays False.
    exhaust_stream: ClassVar[bool] = False
    # Parts are read chunk by chunk and get_data() is capped by max_body_part_buffer_size, so
    # memory stays bounded without RequestOptions.max_body_size (uploads may be large, as in
    # Falcon).
    streams_body: ClassVar[bool] = True

    def __init__(self, parse_options: MultipartParseOptions | None = None) -> None:
        self.parse_options = parse_options or MultipartParseOptions()

    def serialize(self, media: object, content_type: str | None = None) -> bytes:
        """Not supported: multipart responses are not rendered from media."""
        raise NotImplementedError('multipart/form-data media cannot be serialized.')

    async def serialize_async(self, media: object, content_type: str | None = None) -> bytes:
        """Not supported: multipart responses are not rendered from media."""
        raise NotImplementedError('multipart/form-data media cannot be serialized.')

    def deserialize(
        self,
        stream: IO[bytes] | BufferedReader,
        content_type: str | None,
        content_length: int | None,
    ) -> MultipartForm:
        """Return a lazily parsed form over ``stream``.

        Raises:
            HTTPInvalidHeader: The Content-Type has no valid ``boundary`` parameter.
        """
        boundary = _parse_boundary(content_type)
        return MultipartForm(stream, boundary, content_length, self.parse_options)

    async def deserialize_async(
        self,
        stream: AsyncReadableStream | Any,
        content_type: str | None,
        content_length: int | None,
    ) -> AsyncMultipartForm:
        """Return a lazily parsed async form over ``stream`` (ASGI)."""
        # Local import: only ASGI apps need the async form.
        from lanner.asgi.multipart import MultipartForm as AsyncForm

        boundary = _parse_boundary(content_type)
        return AsyncForm(stream, boundary, content_length, self.parse_options)

"""Streaming ``multipart/form-data`` parsing (WSGI flavour; ASGI lives in lanner.asgi.multipart).

The wire format, the limits and their fixed error descriptions are written once, without I/O,
in ``lanner._wire.multipart`` (read its module docstring): this module only drives that framer
over a :class:`~lanner.util.BufferedReader` and wraps each part.

Invariants:

* The body is never buffered whole. The form is a generator over a ``BufferedReader``; each
  part's ``stream`` is a reader delimited at ``CRLF --BOUNDARY``. Advancing to the next part
  discards what the consumer left unread, chunk by chunk, so memory stays at about one chunk
  (64 KiB) plus one part's header block however large the upload is.
* Once the form has advanced past a part, that part's stream is detached: reading it returns
  ``b''`` instead of silently reading the next part's bytes.
"""

from __future__ import annotations

from collections.abc import Iterator
import io
from typing import IO, TYPE_CHECKING, Any, ClassVar

from lanner._wire.multipart import (
    MEDIA_TEXT_PLAIN,
    BodyPartMeta,
    MultipartFramer,
    parse_boundary,
)
from lanner.constants import MEDIA_JSON, MEDIA_URLENCODED
from lanner.errors import MultipartParseError
from lanner.media.base import AsyncReadableStream, BaseHandler
from lanner.media.handlers import Handlers
from lanner.media.json import JSONHandler
from lanner.media.urlencoded import URLEncodedFormHandler
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
        framer = MultipartFramer(
            self._boundary, options.max_body_part_count, options.max_body_part_headers_size
        )
        while stream._drive(framer.next_part):
            part_stream = stream.delimit(framer.delimiter)
            yield BodyPart(part_stream, framer.headers, options)
            part_stream._detach()


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
        boundary = parse_boundary(content_type)
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

        boundary = parse_boundary(content_type)
        return AsyncForm(stream, boundary, content_length, self.parse_options)

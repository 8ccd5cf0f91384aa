"""Streaming ``multipart/form-data`` parsing for ASGI apps.

Same wire format, limits, error descriptions and invariants as :mod:`lanner.media.multipart`
(both drive the framer in ``lanner._wire.multipart``); the differences are that the form is an
*async* iterable, part streams are :class:`lanner.asgi.reader.BufferedReader` objects, and
``data``/``text``/``media`` are awaitables::

    form = await req.get_media()
    async for part in form:
        if part.filename:
            await part.stream.pipe(destination_file)
        else:
            value = await part.text
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
import io
from typing import Any

from lanner._wire.multipart import MEDIA_TEXT_PLAIN, BodyPartMeta, MultipartFramer
from lanner.asgi.reader import BufferedReader
from lanner.errors import MultipartParseError
from lanner.media.multipart import MultipartFormHandler, MultipartParseOptions
from lanner.util.reader import DEFAULT_CHUNK_SIZE

__all__ = ['BodyPart', 'MultipartForm']


class BodyPart(BodyPartMeta):
    """One part of a multipart form (ASGI).

    Metadata (``name``, ``filename``, ``secure_filename``, ``content_type``) is synchronous;
    ``data``, ``text`` and ``media`` are awaitables.

    Attributes:
        stream: An async :class:`~lanner.asgi.reader.BufferedReader` over this part only.
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

    async def get_data(self) -> bytes:
        """Read and cache the content (at most ``max_body_part_buffer_size`` bytes).

        Raises:
            MultipartParseError: The part is larger than the limit.
        """
        if self._data is None:
            limit = self._parse_options.max_body_part_buffer_size
            self._data = self._check_data_size(await self.stream.read(limit + 1))
        return self._data

    async def get_text(self) -> str | None:
        """The content decoded as text, for ``text/plain`` parts only (else None)."""
        charset = self._text_charset()
        if charset is None:
            return None
        return self._decode_text(await self.get_data(), charset)

    async def get_media(self) -> Any:
        """Deserialize the content with ``parse_options.media_handlers`` (cached)."""
        if not self._media_done:
            try:
                self._media = await self._deserialize()
            except Exception as err:
                self._media_error = err
                raise
            finally:
                self._media_done = True
        elif self._media_error is not None:
            raise self._media_error
        return self._media

    async def _deserialize(self) -> Any:
        content_type = self.content_type
        handlers = self._parse_options.media_handlers
        handler, _, deserialize_sync = handlers._resolve(content_type, MEDIA_TEXT_PLAIN)
        if isinstance(handler, MultipartFormHandler):
            return await handler.deserialize_async(self.stream, content_type, None)
        data = await self.get_data()
        if deserialize_sync is not None:
            return deserialize_sync(data)
        return await handler.deserialize_async(_BytesReader(data), content_type, len(data))

    @property
    def data(self) -> Awaitable[bytes]:
        """Awaitable part content (see :meth:`get_data`)."""
        return self.get_data()

    @property
    def text(self) -> Awaitable[str | None]:
        """Awaitable part text (see :meth:`get_text`)."""
        return self.get_text()

    @property
    def media(self) -> Awaitable[Any]:
        """Awaitable deserialized part (see :meth:`get_media`)."""
        return self.get_media()


class _BytesReader:
    """An async ``read`` over bytes already in memory (for per-part handlers)."""

    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    async def read(self, size: int | None = -1) -> bytes:
        return self._stream.read(-1 if size is None else size)


class MultipartForm:
    """A lazily parsed multipart form for ASGI: ``async for part in form``.

    Each part must be consumed before moving on; whatever is left unread is skipped. The form
    can be iterated only once.
    """

    def __init__(
        self,
        stream: Any,
        boundary: bytes,
        content_length: int | None,
        parse_options: MultipartParseOptions,
    ) -> None:
        if isinstance(stream, BufferedReader):
            self._stream = stream
        else:
            self._stream = BufferedReader(stream, DEFAULT_CHUNK_SIZE, content_length)
        self._boundary = boundary
        self._parse_options = parse_options
        self._started = False

    def __aiter__(self) -> AsyncIterator[BodyPart]:
        if self._started:
            raise MultipartParseError(description='the multipart form can only be iterated once')
        self._started = True
        return self._iterate_parts()

    async def _iterate_parts(self) -> AsyncIterator[BodyPart]:
        stream = self._stream
        options = self._parse_options
        framer = MultipartFramer(
            self._boundary, options.max_body_part_count, options.max_body_part_headers_size
        )
        while await stream._drive(framer.next_part):
            part_stream = stream.delimit(framer.delimiter)
            yield BodyPart(part_stream, framer.headers, options)
            part_stream._detach()

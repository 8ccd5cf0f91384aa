"""The base of the JSON and MessagePack handlers: whole bodies through two bytes functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from lanner.media.base import AsyncReadableStream, BaseHandler

__all__ = ('WholeBodyHandler',)


class WholeBodyHandler(BaseHandler):
    """A handler that (de)serializes whole bodies through two bytes functions.

    Subclasses set ``_serialize_bytes(obj) -> bytes`` and ``_deserialize_bytes(data) -> obj``
    in ``__init__``; the sync and async entry points below only read the stream and delegate.
    """

    _serialize_bytes: Callable[[object], bytes]
    _deserialize_bytes: Callable[[bytes], object]

    def serialize(self, media: object, content_type: str | None = None) -> bytes:
        """Serialize ``media`` to bytes."""
        return self._serialize_bytes(media)

    async def serialize_async(self, media: object, content_type: str | None = None) -> bytes:
        """Serialize ``media`` to bytes (ASGI)."""
        return self._serialize_bytes(media)

    def deserialize(
        self,
        stream: IO[bytes],
        content_type: str | None = None,
        content_length: int | None = None,
    ) -> object:
        """Read the whole stream and parse it.

        Raises:
            MediaNotFoundError: The body is empty.
            MediaMalformedError: The body cannot be parsed (the cause is chained).
        """
        return self._deserialize_bytes(stream.read())

    async def deserialize_async(
        self,
        stream: AsyncReadableStream,
        content_type: str | None = None,
        content_length: int | None = None,
    ) -> object:
        """Read the whole async stream and parse it (ASGI)."""
        return self._deserialize_bytes(await stream.read())

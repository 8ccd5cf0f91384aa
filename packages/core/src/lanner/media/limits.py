"""Request body size limits for media parsing (a lanner addition; Falcon has none).

Policy:

* ``RequestOptions.max_body_size`` (default :data:`DEFAULT_MAX_BODY_SIZE`, 4 MiB; ``None``
  disables) caps the number of body bytes ``req.get_media()`` may consume, whatever the handler
  (multipart included: raise the limit on upload routes).
* Per route, decorate the responder with :func:`max_body_size`; per call, pass
  ``req.get_media(max_body_size=...)``. The most specific one wins (call > route > app).
* A declared ``Content-Length`` above the limit is refused before a single byte is read. A body
  without one (chunked/streamed ASGI) is counted while it is read and refused as soon as it
  goes past the limit, so at most ``limit + one chunk`` bytes are ever read.
* Refusal is ``HTTPContentTooLarge`` (413) with a description naming the limit.
* Reading ``req.stream`` / ``req.bounded_stream`` directly is not limited: an app that streams a
  body itself decides how much it wants.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
import functools
import inspect
from typing import IO, Any, Protocol, TypeVar

from lanner.errors import HTTPContentTooLarge

__all__ = [
    'DEFAULT_MAX_BODY_SIZE',
    'AsyncLimitedStream',
    'LimitedStream',
    'body_too_large',
    'limit_async_stream',
    'limit_stream',
    'max_body_size',
    'validate_max_body_size',
]

#: Default ``RequestOptions.max_body_size``: 4 MiB.
DEFAULT_MAX_BODY_SIZE = 4 * 1024 * 1024

_F = TypeVar('_F', bound=Callable[..., Any])


class _AsyncReadable(Protocol):
    async def read(self, size: int | None = ..., /) -> bytes: ...


def validate_max_body_size(value: object, what: str = 'max_body_size') -> int | None:
    """Check a limit given by the app (at configuration time) and return it.

    Raises:
        ValueError: ``value`` is not None or a non-negative int.
    """
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise ValueError(
            f'{what} must be None (no limit) or a non-negative number of bytes, got {value!r}.'
        )
    return value


def body_too_large(limit: int) -> HTTPContentTooLarge:
    """The 413 error raised when a body exceeds ``limit`` bytes."""
    return HTTPContentTooLarge(
        description=(
            f'The request body is larger than the {limit} bytes this resource accepts. '
            'Send a smaller body.'
        )
    )


class LimitedStream:
    """Wrap a sync byte stream so that reading more than ``limit`` bytes raises 413.

    At most ``limit + 1`` bytes are ever requested from the wrapped stream.
    """

    def __init__(self, stream: IO[bytes] | Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._consumed = 0

    def _account(self, data: bytes) -> bytes:
        self._consumed += len(data)
        if self._consumed > self._limit:
            raise body_too_large(self._limit)
        return data

    def read(self, size: int | None = -1) -> bytes:
        """Read up to ``size`` bytes (everything when None/negative), within the limit."""
        allowance = self._limit - self._consumed + 1
        if size is None or size < 0 or size > allowance:
            size = allowance
        return self._account(self._stream.read(size))

    def exhaust(self, chunk_size: int = 65536) -> None:
        """Drain what is left, but never past the limit (an oversized body is left unread)."""
        while self._consumed < self._limit:
            data = self._stream.read(min(chunk_size, self._limit - self._consumed))
            if not data:
                return
            self._consumed += len(data)

    @property
    def eof(self) -> bool:
        """Whether the wrapped stream reports end of stream."""
        return bool(getattr(self._stream, 'eof', False))


class AsyncLimitedStream:
    """Wrap an ASGI body stream (async ``read``) so that more than ``limit`` bytes raises 413."""

    def __init__(self, stream: _AsyncReadable | Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self._consumed = 0

    def _account(self, data: bytes) -> bytes:
        self._consumed += len(data)
        if self._consumed > self._limit:
            raise body_too_large(self._limit)
        return data

    async def read(self, size: int | None = None) -> bytes:
        """Read up to ``size`` bytes (everything when None/negative), within the limit."""
        if size is not None and size >= 0:
            if size == 0:
                return b''
            return self._account(await self._stream.read(min(size, self._allowance())))
        chunks = []
        while chunk := await self._stream.read(self._allowance()):
            chunks.append(self._account(chunk))
        return b''.join(chunks)

    async def readall(self) -> bytes:
        """Read everything, within the limit."""
        return await self.read()

    def _allowance(self) -> int:
        return self._limit - self._consumed + 1

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while chunk := await self._stream.read(min(65536, self._allowance())):
            yield self._account(chunk)

    async def exhaust(self) -> None:
        """Drain what is left, but never past the limit."""
        while self._consumed < self._limit:
            data = await self._stream.read(min(65536, self._limit - self._consumed))
            if not data:
                return
            self._consumed += len(data)


def limit_stream(stream: Any, content_length: int | None, limit: int | None) -> Any:
    """Apply ``limit`` to a WSGI body about to be parsed; returns the stream to read from.

    Raises:
        HTTPContentTooLarge: The declared Content-Length exceeds ``limit``.
    """
    if limit is None:
        return stream
    if content_length is not None:
        if content_length > limit:
            raise body_too_large(limit)
        # The bounded stream already stops at Content-Length, which is within the limit.
        return stream
    return LimitedStream(stream, limit)


def limit_async_stream(stream: Any, content_length: int | None, limit: int | None) -> Any:
    """Apply ``limit`` to an ASGI body about to be parsed; returns the stream to read from.

    Raises:
        HTTPContentTooLarge: The declared Content-Length exceeds ``limit``.
    """
    if limit is None:
        return stream
    if content_length is not None:
        if content_length > limit:
            raise body_too_large(limit)
        return stream
    return AsyncLimitedStream(stream, limit)


def max_body_size(limit: int | None) -> Callable[[_F], _F]:
    """Decorate a responder (sync or async) to set its request body limit for media parsing.

    The decorator sets ``req.max_body_size`` before the responder runs; ``None`` lifts the
    limit for that route::

        class Uploads:
            @lanner.media.max_body_size(512 * 1024 * 1024)
            def on_post(self, req, resp):
                for part in req.get_media():
                    ...

    Raises:
        ValueError: ``limit`` is not None or a non-negative int (at decoration time).
    """
    validate_max_body_size(limit)

    def decorator(responder: _F) -> _F:
        if inspect.iscoroutinefunction(responder):

            @functools.wraps(responder)
            async def async_wrapper(self: Any, req: Any, resp: Any, *args: Any, **kw: Any) -> Any:
                req.max_body_size = limit
                return await responder(self, req, resp, *args, **kw)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(responder)
        def wrapper(self: Any, req: Any, resp: Any, *args: Any, **kw: Any) -> Any:
            req.max_body_size = limit
            return responder(self, req, resp, *args, **kw)

        return wrapper  # type: ignore[return-value]

    return decorator
